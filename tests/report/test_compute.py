"""fth.report.compute: the generic statistics core (also used by fth-web)."""

import math
import statistics

import pytest

from fth.report.compute import (
    EGRESS_ONLY,
    FAIL,
    INGRESS_ONLY,
    PAIR,
    PASS,
    PENDING,
    TIMEOUT,
    Bucket,
    Distribution,
    GroupStats,
    Record,
    data_span,
    group_stats,
    histogram,
    nice_step,
    outcome_of,
    percentile,
    summarize,
    timeline,
)


def rec(user, start, transit, status="SUCCESS", size=None, kind="pair"):
    return Record(user, f"{user}.dat", start, None if transit is None else start + transit, status,
                  status in ("SUCCESS", "COMPLETE"), size=size, kind=kind)


def test_distribution_matches_statistics_module():
    values = [0.5, 1.5, 2.0, 9.0, 3.25]
    dist = Distribution.of(values)
    assert (dist.count, dist.min, dist.max) == (5, 0.5, 9.0)
    assert math.isclose(dist.avg, statistics.mean(values))
    assert math.isclose(dist.stddev, statistics.pstdev(values))
    assert dist.median == 2.0
    assert Distribution.of([]).avg is None


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert math.isclose(percentile([1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 120.0], 95), 87.0)
    assert percentile([7], 99) == 7 and percentile([], 50) is None


def test_outcomes_and_group_stats_with_sizes():
    records = [rec("a", 0, 2, size=2000), rec("a", 1, 4, "FAILED", size=4000), rec("a", 2, 1, "TIMEOUT"),
               rec("a", 3, None, None)]
    stats = group_stats("a", records)
    assert (stats.files, stats.passed, stats.failed, stats.timeout, stats.pending) == (4, 1, 1, 1, 1)
    assert stats.pass_rate == 25.0
    assert stats.bytes == 6000 and stats.sized_files == 2
    assert (stats.rate.min, stats.rate.max) == (1000.0, 1000.0)
    assert stats.transit.count == 3 and stats.by_status == {"SUCCESS": 1, "FAILED": 1, "TIMEOUT": 1, "—": 1}


def test_dashboard_vocabulary_passes_by_caller_decision():
    record = Record("u", "f", 0.0, 1.0, "COMPLETE", True, size=10)
    bad = Record("u", "f", 0.0, 1.0, "BAD_REQUEST", False)
    assert (record.outcome, bad.outcome) == ("pass", "fail")


def test_summarize_by_job_lists_unknown_users_and_skips_unpaired_in_stats():
    records = [rec("alice", 0, 1), rec("alice", 10, 3, "FAILED"), rec("bob", 20, 2), rec("eve", 30, 5),
               rec("eve", 40, None, kind=EGRESS_ONLY)]
    summary = summarize(records, jobs={"alice": "job-a", "bob": "job-b", "zed": "job-z"}, window=(0, 60))
    assert [g.name for g in summary.groups] == ["job-a", "job-b", "job-z"]
    assert [g.files for g in summary.groups] == [2, 1, 0]
    assert summary.total.files == 4 and summary.total.passed == 3
    assert summary.unknown_users == [("eve", 2)]
    assert sum(b.files for b in summary.timeline) == 4


def test_summarize_without_jobs_groups_by_username():
    summary = summarize([rec("b", 0, 1), rec("a", 1, 1), rec("a", 2, 1)])
    assert [(g.name, g.files) for g in summary.groups] == [("a", 2), ("b", 1)]
    assert summary.unknown_users == []


def test_timeline_and_histogram_cover_every_value():
    records = [rec("a", float(t), 1) for t in range(0, 600, 7)]
    buckets = timeline(records, 0, 600, max_buckets=60)
    assert len(buckets) <= 60 and sum(b.files for b in buckets) == len(records)
    bins = histogram([0.0, 1.0, 2.0, 10.0], bins=5)
    assert sum(count for _, _, count in bins) == 4 and bins[-1][1] == 10.0
    assert nice_step(3600, 60) == 60


# Known answers: every figure below is worked out by hand in the comment beside it.

def test_record_keeps_every_field_and_derives_outcome():
    record = Record("u", "f.dat", 1.5, 4.0, "SUCCESS", True, size=7, uuid="id-1", ingress_status="RECEIVED",
                    kind=INGRESS_ONLY, job="job-x")
    assert (record.username, record.filename, record.start, record.end, record.status, record.passed) == (
        "u", "f.dat", 1.5, 4.0, "SUCCESS", True)
    assert (record.size, record.uuid, record.ingress_status, record.kind, record.job) == (
        7, "id-1", "RECEIVED", INGRESS_ONLY, "job-x")
    assert (record.outcome, record.transit) == (PASS, 2.5)
    defaults = Record(None, None, None, 3.0, None, False)
    assert (defaults.size, defaults.uuid, defaults.ingress_status, defaults.kind, defaults.job) == (
        None, None, None, PAIR, None)
    assert (defaults.outcome, defaults.transit) == (PENDING, None)
    assert Record("u", "f", 3.0, None, "X", False).transit is None
    assert repr(Record("u", "f", 1.0, 3.0, "S", True, uuid="i")) == (
        "Record(uuid='i', username='u', status='S', outcome='pass', kind='pair', transit=2.0)")


def test_outcome_of_each_case_and_in_progress():
    assert outcome_of("anything", True) == PASS
    assert (outcome_of(None, False), outcome_of("", False)) == (PENDING, PENDING)
    assert (outcome_of("ingress_timeout", False), outcome_of("FAILED", False)) == (TIMEOUT, FAIL)
    # in progress: a non-pass is pending whatever its status; a pass stays a pass
    assert Record("u", "f", 0, 1, "SUBMITTED", False, in_progress=True).outcome == PENDING
    assert Record("u", "f", 0, 1, "COMPLETE", True, in_progress=True).outcome == PASS
    assert Record("u", "f", 0, 1, "SUBMITTED", False).outcome == FAIL


def test_distribution_known_answer():
    # sorted 1 2 3 4: mean 2.5; median rank 1.5 → 2.5; p95 rank 2.85 → 3.85; p99 rank 2.97 → 3.97;
    # squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 4 = 1.25
    dist = Distribution.of([4.0, 1.0, 3.0, 2.0])
    assert (dist.count, dist.min, dist.max, dist.avg, dist.median) == (4, 1.0, 4.0, 2.5, 2.5)
    assert math.isclose(dist.p95, 3.85) and math.isclose(dist.p99, 3.97)
    assert dist.stddev == math.sqrt(1.25)
    assert Distribution.of([]) == Distribution(0, None, None, None, None, None, None, None)
    assert Distribution.of([2.0]) == Distribution(1, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0)
    assert dist.as_dict() == {"min": 1.0, "avg": 2.5, "median": 2.5, "p95": 3.85, "p99": 3.97, "max": 4.0,
                              "stddev": 1.118}
    assert dist.as_dict(1, ("p99", "stddev")) == {"p99": 4.0, "stddev": 1.1}
    assert Distribution().as_dict(keys=("min",)) == {"min": None}
    assert Distribution(avg=1 / 3).as_dict(keys=("avg",)) == {"avg": 0.333}  # 3 digits by default


def test_percentile_edges():
    assert (percentile([1.0, 3.0], 0), percentile([1.0, 3.0], 100)) == (1.0, 3.0)
    assert percentile([10.0, 20.0, 40.0], 75) == 30.0  # rank 1.5


def test_group_stats_known_answer():
    records = [
        Record("u", "a", 10.0, 12.0, "SUCCESS", True, size=100, ingress_status="RECEIVED"),  # rate 50
        Record("u", "b", 11.0, 11.0, "SUCCESS", True, size=30),  # transit 0: in transits, no rate
        Record("u", "c", 13.0, 12.0, "FAILED", False, size=20, ingress_status="RECEIVED"),  # negative: neither
        Record("u", "d", None, 20.0, "TIMEOUT", False, size=0, ingress_status="RECEIVED"),  # rate never /0
        Record("u", "e", 9.5, None, None, False),
        Record("u", "f", 14.0, 18.0, "FAILED", False, size=400),  # rate 100
    ]
    stats = group_stats("g", records, username="u")
    assert (stats.name, stats.username, stats.files, stats.lost) == ("g", "u", 6, 0)
    assert stats.outcomes == {PASS: 2, FAIL: 2, TIMEOUT: 1, PENDING: 1}
    assert stats.by_status == {"SUCCESS": 2, "FAILED": 2, "TIMEOUT": 1, "—": 1}
    assert stats.by_pair_status == {("RECEIVED", "SUCCESS"): 1, ("—", "SUCCESS"): 1, ("RECEIVED", "FAILED"): 1,
                                    ("RECEIVED", "TIMEOUT"): 1, ("—", "—"): 1, ("—", "FAILED"): 1}
    assert (stats.bytes, stats.sized_files) == (550, 5)
    assert stats.transit == Distribution.of([2.0, 0.0, 4.0])
    assert stats.rate == Distribution.of([50.0, 100.0])
    assert (stats.first_start, stats.last_end) == (9.5, 20.0)
    assert stats.pass_rate == 100.0 * 2 / 6
    assert (stats.files_per_s, stats.bytes_per_s) == (6 / 10.5, 550 / 10.5)


def test_group_stats_empty_and_degenerate_rates():
    empty = group_stats("none", [])
    assert empty == GroupStats(name="none")
    assert (empty.first_start, empty.last_end, empty.pass_rate, empty.files_per_s, empty.bytes_per_s) == (
        None, None, None, None, None)
    empty.lost = 4
    assert empty.pass_rate == 0.0
    same = group_stats("s", [Record("u", "a", 5.0, 5.0, "SUCCESS", True, size=1)])
    assert (same.first_start, same.last_end, same.files_per_s, same.bytes_per_s) == (5.0, 5.0, None, None)
    no_end = group_stats("n", [Record("u", "a", 5.0, None, "X", False, size=1)])
    assert (no_end.files_per_s, no_end.bytes_per_s) == (None, None)
    no_start = group_stats("n", [Record("u", "a", None, 5.0, "X", False, size=1)])
    assert (no_start.files_per_s, no_start.bytes_per_s) == (None, None)
    # a later start and an earlier end do not move first/last back
    order = group_stats("o", [Record("u", "a", 1.0, 9.0, "S", True), Record("u", "b", 2.0, 3.0, "S", True)])
    assert (order.first_start, order.last_end, order.files_per_s) == (1.0, 9.0, 0.25)
    assert order.by_pair_status == {("—", "S"): 2}
    # a transit under a second still gives a rate: 10 bytes in 0.5 s
    assert group_stats("r", [Record("u", "a", 0.0, 0.5, "S", True, size=10)]).rate == Distribution.of([20.0])


def test_nice_step_known_answers():
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
    for step in steps:  # a span of exactly target steps gives that step, a little more the next one
        assert nice_step(step * 60.0, 60) == float(step)
    assert [nice_step(step * 60.0 + 1, 60) for step in steps[:-1]] == [float(s) for s in steps[1:]]
    assert nice_step(0.0, 60) == 1.0 and nice_step(10.0, 0) == 10.0 and nice_step(10.0, -3) == 10.0
    assert nice_step(86400 * 60 * 2.5, 60) == 3 * 86400.0  # beyond a day: whole days, rounded up
    assert nice_step(86400 * 60 * 2.0 + 60, 60) == 3 * 86400.0


def test_data_span_edges():
    window = (10.0, 20.0)
    inside = [rec("a", 12.0, 1), rec("a", 10.0, 1), rec("a", 15.5, 1)]
    outside = [rec("a", 9.0, 1), rec("a", 20.0, 1), Record("a", "f", None, 5.0, "X", False)]
    assert data_span(inside + outside, window) == (10.0, math.nextafter(15.5, math.inf))
    assert data_span(outside, window) == window and data_span([], window) == window
    almost = math.nextafter(20.0, 0.0)
    assert data_span([rec("a", almost, 1)], window) == (almost, 20.0)


def test_timeline_known_buckets():
    # span 18 s over 4 buckets → raw 4.5 → step 5; origin floor(7 / 5) * 5 = 5; ceil((25 - 5) / 5) = 4
    records = [
        rec("a", 4.9, 1, size=1000),  # before the origin: not counted
        rec("a", 7.0, 1, size=10),
        rec("a", 8.0, 1, size=0),
        rec("a", 6.0, 1, "FAILED"),
        rec("a", 9.99, 1, "FAILED", size=20),
        rec("a", 10.0, 1, "TIMEOUT"),
        Record("a", "f", 12.0, None, None, False, size=5),  # pending: a file, neither passed nor failed
        Record("a", "f", None, 12.0, "SUCCESS", True, size=1000),  # no start: not counted
        rec("a", 24.9, 1, size=40),
        rec("a", 25.0, 1, size=1000),  # past the last bucket: not counted
    ]
    assert timeline(records, 7.0, 25.0, max_buckets=4) == [
        Bucket(5.0, files=4, passed=2, failed=2, bytes=30), Bucket(10.0, files=2, passed=0, failed=1, bytes=5),
        Bucket(15.0), Bucket(20.0, files=1, passed=1, failed=0, bytes=40)]
    # an empty span is charted as one second in one bucket; the default is 60 buckets
    assert timeline([], 10.0, 10.0) == [Bucket(10.0)]
    assert [b.start for b in timeline([], 0.0, 120.0)] == [2.0 * i for i in range(60)]
    # half a second in one bucket is charted as one second: 11.2 falls past it
    assert timeline([rec("a", 10.2, 1), rec("a", 11.2, 1)], 10.0, 10.5, max_buckets=1) == [
        Bucket(10.0, files=1, passed=1)]


def test_histogram_known_bins():
    assert histogram([2.0, 3.0, 4.0, 12.0], bins=5) == [(2.0, 4.0, 2), (4.0, 6.0, 1), (6.0, 8.0, 0),
                                                         (8.0, 10.0, 0), (10.0, 12.0, 1)]
    assert histogram([3.0, 3.0]) == [(3.0, 3.0, 2)] and histogram([]) == []
    default = histogram([0.0, 20.0])
    assert len(default) == 20 and default[0] == (0.0, 1.0, 1) and default[-1] == (19.0, 20.0, 1)


def test_summarize_known_answer_with_jobs():
    records = [
        Record("alice", "1", 100.0, 102.0, "SUCCESS", True, size=10),
        Record("bob", "2", 101.0, 105.0, "FAILED", False, size=20),
        Record("carol", "3", 102.0, 103.0, "SUCCESS", True),  # shares job-bc with bob
        Record("alice", "4", 103.0, None, None, False, kind=INGRESS_ONLY),  # lost, job-a
        Record("eve", "5", 104.0, 106.0, "SUCCESS", True),  # unknown user: in the total
        Record("eve", "6", 105.0, None, None, False, kind=INGRESS_ONLY),  # unknown and lost
        Record("eve", "7", 106.0, 107.0, "SUCCESS", True, kind=EGRESS_ONLY),  # listed only
        Record(None, "8", 107.0, 108.0, "FAILED", False, kind=EGRESS_ONLY),
        Record("dan", "9", 108.0, 109.0, "FAILED", False, kind=EGRESS_ONLY),
        Record("dan", "10", 109.0, 110.0, "FAILED", False, kind=EGRESS_ONLY),
    ]
    jobs = {"zed": "job-z", "alice": "job-a", "bob": "job-bc", "carol": "job-bc"}  # groups in this order
    summary = summarize(records, jobs=jobs, window=(90.0, 130.0), max_buckets=4, total_name="Total")
    assert [r.job for r in records] == ["job-a", "job-bc", "job-bc", "job-a", None, None, None, None, None, None]
    assert summary.records == records
    assert (summary.window_start, summary.window_end) == (90.0, 130.0)
    total = summary.total
    assert (total.name, total.files, total.lost, total.passed, total.failed, total.bytes) == (
        "Total", 4, 2, 3, 1, 30)
    assert total.pass_rate == 50.0
    assert [(g.name, g.username, g.files, g.lost, g.passed) for g in summary.groups] == [
        ("job-z", "zed", 0, 0, 0), ("job-a", "alice", 1, 1, 1), ("job-bc", "bob", 2, 0, 1)]
    assert summary.unknown_users == [("eve", 3), ("dan", 2), ("(NULL)", 1)]  # most rows first, then by name
    assert summary.unknown_included == 2
    # starts 100, 101, 102, 104 → span [100, 104⁺): a little over 4 s in 4 buckets → step 2 from 100
    assert summary.timeline == [Bucket(100.0, files=2, passed=1, failed=1, bytes=30),
                                Bucket(102.0, files=1, passed=1), Bucket(104.0, files=1, passed=1)]
    assert list(summary.group_timelines) == ["job-z", "job-a", "job-bc"]
    assert [b.files for b in summary.group_timelines["job-a"]] == [1, 0, 0]
    assert [b.files for b in summary.group_timelines["job-bc"]] == [1, 1, 0]
    assert summary.group_timelines["job-z"] == [Bucket(100.0), Bucket(102.0), Bucket(104.0)]
    assert summary.transit_histogram == histogram([2.0, 4.0, 1.0, 2.0])


def test_summarize_without_jobs_or_window():
    records = [
        Record("b", "1", 50.0, 52.0, "SUCCESS", True, size=5),
        Record(None, "2", 51.0, 54.0, "FAILED", False),
        Record("a", "3", 49.0, None, None, False, kind=INGRESS_ONLY),
        Record("a", "3b", 49.5, None, None, False, kind=INGRESS_ONLY),
        Record("c", "3c", 49.7, None, None, False, kind=INGRESS_ONLY),  # a group of lost transfers only
        Record("a", "4", 60.0, 58.0, "SUCCESS", True),  # negative transit: not in the histogram
        Record("c", "5", 70.0, 71.0, "SUCCESS", True, kind=EGRESS_ONLY),
    ]
    summary = summarize(records)
    # the window defaults to first start → last end + 1 s, over paired records only
    assert (summary.window_start, summary.window_end) == (50.0, 59.0)
    assert summary.total.name == "All transfers"
    assert [(g.name, g.username, g.files, g.lost) for g in summary.groups] == [
        ("(NULL)", None, 1, 0), ("a", "a", 1, 2), ("b", "b", 1, 0), ("c", "c", 0, 1)]
    assert (summary.total.files, summary.total.lost, summary.unknown_users, summary.unknown_included) == (
        3, 3, [], 0)
    assert all(r.job is None for r in records)
    assert summary.transit_histogram == histogram([2.0, 3.0])
    # the span is the starts 50 and 51 (60 is past the window's end, 59): 1 s steps, 2 buckets
    assert [(b.start, b.files) for b in summary.timeline] == [(50.0, 1), (51.0, 1)]
    assert [b.files for b in summary.group_timelines["a"]] == [0, 0]
    assert set(summary.group_timelines) == {"(NULL)", "a", "b", "c"}


def test_summarize_default_windows_without_times():
    assert (lambda s: (s.window_start, s.window_end))(summarize([])) == (0.0, 1.0)
    only_start = summarize([Record("u", "f", 30.0, None, None, False)])
    assert (only_start.window_start, only_start.window_end) == (30.0, 31.0)
    assert [b.files for b in only_start.timeline] == [1]
    assert summarize([], max_buckets=3).timeline == [Bucket(0.0)]


def test_summarize_small_cases():
    # a transit of 0 s or under a second is in the histogram
    assert summarize([rec("a", 0, 0.0), rec("a", 1, 0.5), rec("a", 2, 2)]).transit_histogram == histogram(
        [0.0, 0.5, 2.0])
    # unknown users with as many rows are listed by name; a NULL username maps as ""
    tied = summarize([rec("zoe", 0, 1), rec("amy", 1, 1)], jobs={})
    assert (tied.unknown_users, tied.groups, tied.unknown_included) == ([("amy", 1), ("zoe", 1)], [], 2)
    anonymous = Record(None, "f", 0.0, 1.0, "SUCCESS", True)
    assert [(g.name, g.files) for g in summarize([anonymous], jobs={"": "job-anon"}).groups] == [("job-anon", 1)]
    assert anonymous.job == "job-anon"


def test_the_summary_keeps_the_list_it_is_given():
    """At millions of records a copy is tens of MB: the summary holds the caller's list."""
    records = [Record("alice", "a", 1.0, 3.0, "SUCCESS", True), Record("bob", "b", 2.0, 5.0, "FAILED", False)]
    summary = summarize(records)
    assert summary.records is records and summary.transit_histogram[0][0] == 2.0
    assert summarize(iter(records)).records == records


def _group_stats_by_loop(records):
    """The record-by-record loop group_stats replaced: the oracle for the column-wise count."""
    stats = GroupStats(name="g")
    transits, rates = [], []
    first, last = math.inf, -math.inf
    for record in records:
        stats.files += 1
        stats.outcomes[record.outcome] += 1
        status = record.status or "—"
        stats.by_status[status] = stats.by_status.get(status, 0) + 1
        pair_key = (record.ingress_status or "—", status)
        stats.by_pair_status[pair_key] = stats.by_pair_status.get(pair_key, 0) + 1
        transit = record.transit
        if transit is not None and transit >= 0:
            transits.append(transit)
        if record.size is not None:
            stats.bytes += record.size
            stats.sized_files += 1
            if transit is not None and transit > 0:
                rates.append(record.size / transit)
        if record.start is not None and record.start < first:
            first = record.start
        if record.end is not None and record.end > last:
            last = record.end
    stats.transit, stats.rate = Distribution.of(transits), Distribution.of(rates)
    stats.first_start = first if first != math.inf else None
    stats.last_end = last if last != -math.inf else None
    return stats


@pytest.mark.parametrize("seed", range(8))
def test_group_stats_counts_as_the_record_by_record_loop(seed):
    """Same figures and the same order of every breakdown (None, "" and "—" statuses merged where the
    first of them came), with missing times, negative transits and sizes on some records only."""
    import random

    rng = random.Random(seed)
    statuses = ["SUCCESS", "FAILED", "TIMEOUT", None, "", "—", "RETRY"]
    records = []
    for _ in range(rng.randint(0, 400)):
        start = None if rng.random() < 0.05 else 1000 + rng.random() * 100
        end = None if rng.random() < 0.05 else 1000 + rng.random() * 110
        status = rng.choice(statuses)
        records.append(Record(rng.choice(["alice", "bob", None]), "f", start, end, status, status == "SUCCESS",
                              size=rng.choice([None, None, 0, rng.randint(1, 10 ** 6)]),
                              ingress_status=rng.choice(statuses), in_progress=rng.random() < 0.1))
    expected, got = _group_stats_by_loop(records), group_stats("g", records)
    assert got == expected
    assert list(got.by_status) == list(expected.by_status)
    assert list(got.by_pair_status) == list(expected.by_pair_status)


def test_summarize_holds_nothing_a_record_long_but_the_transits():
    """At millions of records each byte per record counts: summarize's peak stays at the sorted transits
    and the groups' lists (about 60 bytes per record). Lists of each column for every record, as a
    first column-wise count kept, doubled it."""
    import tracemalloc

    count = 100_000
    records = [Record(f"user{i % 5}", "f", 1769904000 + i * 0.0036, 1769904002.5 + i * 0.0036 + (i % 997) / 1000,
                      "SUCCESS" if i % 7 else "FAILED", i % 7 != 0, ingress_status="SUCCESS") for i in range(count)]
    tracemalloc.start()
    try:
        summarize(records, jobs={f"user{k}": f"job-{k}" for k in range(4)}, window=(1769904000, 1769911200))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak / count < 75, f"{peak / count:.0f} bytes per record"


def _timeline_by_loop(records, start, end, max_buckets):
    step = nice_step(max(end - start, 1.0), max_buckets)
    origin = math.floor(start / step) * step
    buckets = [Bucket(origin + index * step) for index in range(max(1, math.ceil((end - origin) / step)))]
    for record in records:
        if record.start is None:
            continue
        index = int((record.start - origin) // step)
        if 0 <= index < len(buckets):
            bucket = buckets[index]
            bucket.files += 1
            bucket.passed += record.outcome == PASS
            bucket.failed += record.outcome in (FAIL, TIMEOUT)
            bucket.bytes += record.size or 0
    return buckets


def _summarize_by_loop(records, jobs, window, max_buckets=12):
    """summarize as the record-by-record loops it replaced: the oracle for the parts-and-columns version."""
    paired = [r for r in records if r.kind == PAIR]
    groups = {}
    for name in (jobs or {}).values():
        groups.setdefault(name, [])
    for record in records:
        job = jobs.get(record.username or "") if jobs is not None else (record.username or "(NULL)")
        if job is not None and record.kind != EGRESS_ONLY:
            groups.setdefault(job, []).append(record)
    names = list(groups) if jobs is not None else sorted(groups)
    total = _group_stats_by_loop(paired)
    starts = [r.start for r in paired if r.start is not None and window[0] <= r.start < window[1]]
    span = (min(starts), min(window[1], math.nextafter(max(starts), math.inf))) if starts else window
    transits = [r.transit for r in paired if r.transit is not None and r.transit >= 0]
    bins = []
    if transits:
        low, high = min(transits), max(transits)
        if high > low:
            width = (high - low) / 20
            counts = [0] * 20
            for value in transits:
                counts[min(int((value - low) / width), 19)] += 1
            bins = [(low + i * width, low + (i + 1) * width, counts[i]) for i in range(20)]
        else:
            bins = [(low, low, len(transits))]
    unknown, users = {}, {}
    for record in records:
        if jobs is not None and jobs.get(record.username or "") is None:
            key = record.username if record.username is not None else "(NULL)"
            unknown[key] = unknown.get(key, 0) + 1
        if jobs is None and record.kind != EGRESS_ONLY:
            users.setdefault(record.username or "(NULL)", record.username)
    if jobs is not None:
        for username, job in jobs.items():
            users.setdefault(job, username)
    return {
        "jobs": [jobs.get(r.username or "") if jobs is not None else None for r in records],
        "unknown": sorted(unknown.items(), key=lambda item: (-item[1], item[0])),
        "unknown_included": sum(1 for r in records if jobs is not None and jobs.get(r.username or "") is None
                                and r.kind != EGRESS_ONLY),
        "lost": sum(r.kind == INGRESS_ONLY for r in records),
        "users": [users.get(name) for name in names],
        "total": (total.files, total.outcomes, total.by_status, list(total.by_status), total.by_pair_status,
                  list(total.by_pair_status), total.transit, total.rate, total.bytes, total.first_start,
                  total.last_end),
        "groups": [(name, _group_stats_by_loop([r for r in groups[name] if r.kind == PAIR]).transit,
                    sum(r.kind == INGRESS_ONLY for r in groups[name])) for name in names],
        "timeline": _timeline_by_loop(paired, span[0], span[1], max_buckets),
        "group_timelines": {name: _timeline_by_loop([r for r in groups[name] if r.kind == PAIR], span[0], span[1],
                                                    max_buckets) for name in names},
        "histogram": bins,
    }


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("with_jobs", [True, False])
def test_summarize_figures_are_those_of_the_record_by_record_loops(seed, with_jobs):
    """Groups, the total put together from them, timelines and the histogram: as the plain loops compute them,
    with unknown users, lost and egress-only rows, missing times, starts outside the window and some sizes."""
    import random

    rng = random.Random(seed)
    statuses = ["SUCCESS", "FAILED", "TIMEOUT", None, "", "RETRY"]
    records = []
    for _ in range(rng.randint(0, 600)):
        start = None if rng.random() < 0.03 else 1000 + rng.random() * 200
        end = None if rng.random() < 0.03 else (start or 1000) + rng.random() * 30 - 2
        status = rng.choice(statuses)
        records.append(Record(rng.choice(["alice", "bob", "carol", None, "", "(NULL)"]), "f", start, end, status,
                              status == "SUCCESS", size=rng.choice([None] * 6 + [rng.randint(1, 10 ** 6)]),
                              ingress_status=rng.choice(statuses),
                              kind=rng.choice([PAIR] * 8 + [INGRESS_ONLY, EGRESS_ONLY])))
    if seed % 3 == 0:  # every time known: the columns' fast path
        records = [r for r in records if r.start is not None and r.end is not None]
    jobs = {"alice": "job-a", "bob": "job-b", "dave": "job-d"} if with_jobs else None
    window = (1010.0, 1190.0) if seed % 2 else (900.0, 1300.0)
    summary = summarize(records, jobs=jobs, window=window, max_buckets=12)
    expected = _summarize_by_loop(records, jobs, window)
    total = summary.total
    assert (total.files, total.outcomes, total.by_status, list(total.by_status), total.by_pair_status,
            list(total.by_pair_status), total.transit, total.rate, total.bytes, total.first_start,
            total.last_end) == expected["total"]
    assert [(g.name, g.transit, g.lost) for g in summary.groups] == expected["groups"]
    assert summary.timeline == expected["timeline"]
    assert summary.group_timelines == expected["group_timelines"]
    assert summary.transit_histogram == expected["histogram"]
    assert [r.job for r in records] == expected["jobs"]
    assert (summary.unknown_users, summary.unknown_included, total.lost) == (
        expected["unknown"], expected["unknown_included"], expected["lost"])
    assert [g.username for g in summary.groups] == expected["users"]


def test_a_record_without_an_end_still_counts_for_the_span_and_the_first_start():
    records = [rec("a", 20.0, 1), rec("a", 5.0, None, "FAILED"), rec("a", None, None), rec("a", 30.0, 2)]
    assert data_span(records, (0.0, 100.0)) == (5.0, math.nextafter(30.0, math.inf))
    assert data_span(records, (6.0, 100.0)) == (20.0, math.nextafter(30.0, math.inf))
    stats = group_stats("g", records)
    assert (stats.first_start, stats.last_end, stats.files, stats.failed, stats.transit.count) == (5.0, 32.0, 4, 1, 2)
    assert [b.files for b in timeline(records, 0.0, 40.0, max_buckets=4)] == [1, 0, 1, 1]


def _by_sorting(values):
    ordered = sorted(values)
    n = len(ordered)
    return (n, ordered[0], ordered[-1], percentile(ordered, 50), percentile(ordered, 95), percentile(ordered, 99))


@pytest.mark.parametrize("shape", ["uniform", "skewed", "few values", "all equal", "periodic", "sorted", "reversed"])
def test_percentiles_by_selection_are_those_of_the_sorted_values(shape, monkeypatch):
    """Above SORT_LIMIT values the ranks are selected, not sorted: the same figures, whatever the values'
    shape, including a periodic order that makes the sample miss (then the bracket widens or all is sorted)."""
    import random
    from array import array

    from fth.report import selection

    monkeypatch.setattr(selection, "SORT_LIMIT", 1000)
    rng = random.Random(shape)
    count = 30_011
    values = {
        "uniform": [rng.random() * 100 for _ in range(count)],
        "skewed": [rng.expovariate(1.0) ** 3 for _ in range(count)],
        "few values": [float(rng.choice([1, 2, 2, 3, 120])) for _ in range(count)],
        "all equal": [2.5] * count,
        "periodic": [1000.0 if i % 7 == 0 else float(i % 7) for i in range(count)],  # every 7th: the stride's
        "sorted": sorted(rng.random() for _ in range(count)),
        "reversed": sorted((rng.random() for _ in range(count)), reverse=True),
    }[shape]
    for sample in (values, array("d", values)):
        got = Distribution.of(sample)
        assert (got.count, got.min, got.max, got.median, got.p95, got.p99) == _by_sorting(values)
        assert got.avg == math.fsum(values) / count


def test_selection_holds_no_sorted_copy_of_millions():
    """A distribution of 1,000,000 transits stays far under the 40 MB a sorted list of them takes (6.4 MB).
    Measured in a process of its own: the suite's process would keep the pages."""
    import os
    import subprocess
    import sys

    code = ("import random, tracemalloc\n"
            "from array import array\n"
            "from fth.report.compute import Distribution\n"
            "rng = random.Random(7)\n"
            "values = array('d', (rng.random() * 10 for _ in range(1_000_000)))\n"
            "tracemalloc.start()\n"
            "got = Distribution.of(values)\n"
            "print(tracemalloc.get_traced_memory()[1], got.count, got.median, got.p99)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))).stdout.split()
    peak, count, median, p99 = int(out[0]), int(out[1]), float(out[2]), float(out[3])
    assert peak < 12_000_000, f"{peak / 1e6:.1f} MB"  # sorted: 40 MB
    assert count == 1_000_000 and 4.95 < median < 5.05 and 9.9 < p99 < 10.0  # exactness: the shapes' test


def test_a_record_is_96_bytes_and_derives_its_verdict_fields():
    """Reports hold millions of records: eight slots (was twelve: 128 bytes), the low-cardinality fields in
    one shared tuple."""
    import sys

    first = Record("alice", "a", 1.0, 3.0, "FAILED", False, ingress_status="RECEIVED", uuid="u1")
    second = Record("bob", "b", 2.0, 5.0, "FAILED", False, ingress_status="RECEIVED", uuid="u2")
    assert sys.getsizeof(first) <= 96
    assert first.verdict is second.verdict == (PAIR, FAIL, "RECEIVED", "FAILED")
    assert (first.kind, first.outcome, first.ingress_status, first.status, first.passed) == (
        PAIR, FAIL, "RECEIVED", "FAILED", False)
    assert Record("c", "c", None, None, "WHATEVER", True).passed is True


def test_chained_lists_read_as_one_sequence_without_a_copy():
    from fth.report.compute import Chained

    pairs, lost, orphans = [rec("a", 1, 1), rec("b", 2, 2)], [rec("c", 3, None, kind=INGRESS_ONLY)], []
    chained = Chained(pairs, lost, orphans)
    every = pairs + lost
    assert len(chained) == 3 and list(chained) == every
    assert [chained[i] for i in range(-3, 3)] == every + every
    assert chained[1:] == every[1:] and every[2] in chained
    with pytest.raises(IndexError):
        chained[3]
    summary = summarize(chained, jobs={"a": "job-a"})
    assert summary.records is chained and summary.total.files == 2 and summary.total.lost == 1


def test_the_totals_statuses_keep_their_order_of_first_appearance_to_the_last_record():
    """The total reads the records' verdicts only until it has seen every one its groups counted: a status
    whose one record comes last is still there, in its place; unpaired rows' verdicts are not counted."""
    records = [Record("bob", "l", 1.0, None, "RECEIVED", False, kind=INGRESS_ONLY),
               Record("bob", "e", 1.0, 2.0, "ODD", False, kind=EGRESS_ONLY)]
    records += [Record(["alice", "bob"][i % 2], "f", 10.0 + i, 12.0 + i, ["FAILED", "SUCCESS"][i % 2 or i % 3 == 0],
                       i % 2 == 1, ingress_status="RECEIVED") for i in range(3000)]
    records.append(Record("carol", "z", 5000.0, 5001.0, "LATE", False, ingress_status="HELD"))
    total = summarize(records, jobs={"alice": "job-a", "bob": "job-b"}).total
    assert list(total.by_status.items()) == [("SUCCESS", 2000), ("FAILED", 1000), ("LATE", 1)]
    assert list(total.by_pair_status) == [("RECEIVED", "SUCCESS"), ("RECEIVED", "FAILED"), ("HELD", "LATE")]
    assert total.files == 3001 and total.lost == 1
