import json
import math
import random

import pytest

from fth.faults import NOT_SENT
from fth.stats import TIMELINE_POINTS, Histogram, JobStats, RecentWindow, Slot, Timeline, bucket_of, merge_all


def test_percentiles_are_within_one_percent():
    rng = random.Random(7)
    values = sorted(rng.lognormvariate(-3, 1.2) for _ in range(50_000))
    hist = Histogram()
    for value in values:
        hist.record(value)
    for fraction in (0.5, 0.9, 0.95, 0.99, 0.999):
        exact = values[int(fraction * len(values)) - 1]
        assert hist.percentile(fraction) == pytest.approx(exact, rel=0.011)
    assert hist.min == values[0] and hist.max == values[-1]
    assert len(hist.buckets) < 1200  # bounded whatever the count


def test_histograms_merge_and_survive_json():
    first, second = Histogram(), Histogram()
    for value in (0.001, 0.002, 0.003):
        first.record(value)
    for value in (0.5, 1.0):
        second.record(value)
    copy = Histogram.from_dict(json.loads(json.dumps(first.to_dict())))
    copy.merge(second)
    assert copy.count == 5 and copy.max == 1.0 and copy.min == 0.001
    assert copy.percentile(0.5) == pytest.approx(0.003, rel=0.01)


def test_job_stats_merge_across_processes():
    a, b = JobStats(name="x"), JobStats(name="x")
    a.attempted, a.succeeded, b.attempted, b.failed = 3, 3, 2, 2
    b.errors["refused"] = 2
    a.latency.record(0.01)
    b.latency.record(0.02)
    merged = JobStats.from_dict(json.loads(json.dumps(a.to_dict())))
    merged.merge(JobStats.from_dict(b.to_dict()))
    assert (merged.attempted, merged.succeeded, merged.failed) == (5, 3, 2)
    assert merged.errors == {"refused": 2} and merged.latency.count == 2


def test_timeline_stays_bounded_and_keeps_every_count():
    timeline = Timeline(width=1.0, points=16)
    for second in range(10_000):
        timeline.add(second + 0.5, second % 10 != 0, 100, 0.01)
    rows = timeline.rows()
    assert len(rows) <= 16
    assert sum(row["attempted"] for row in rows) == 10_000
    assert sum(row["failed"] for row in rows) == 1000


def test_recent_window_is_a_ring_of_one_second_slots():
    window = RecentWindow(seconds=5)
    for tenth in range(200):
        window.add(tenth / 10, True, 1, 0.001)
    assert len(window.slots) == 5
    assert window.total(20.0, 2.0).attempted == 20


def test_the_live_rate_in_steady_state_equals_the_sent_rate():
    def window_until(now: float) -> RecentWindow:
        """100 transfers a second sent, and 50 a second not sent, until ``now``."""
        window = RecentWindow(60)
        for index in range(int(now * 100)):
            window.add(index / 100, True, 1, 0.01)
            if index % 2:
                window.add(index / 100, False, 0, None, fault="not_sent")
        return window

    for now in (25.3, 25.9, 29.99, 0.5):  # 0.5: the first second, over the time that has passed
        assert window_until(now).rate(now, 10.0) == pytest.approx(100.0, rel=0.03)


def _hist(*values):
    hist = Histogram()
    for value in values:
        hist.record(value)
    return hist


def test_histogram_records_count_total_min_max_and_its_bucket():
    hist = _hist(0.004, 0.001, 0.002)
    assert (hist.count, hist.min, hist.max) == (3, 0.001, 0.004)
    assert hist.total == pytest.approx(0.007) and hist.mean == pytest.approx(0.007 / 3)
    assert hist.buckets == {bucket_of(0.001): 1, bucket_of(0.002): 1, bucket_of(0.004): 1}
    hist.record(0.5, index=3)  # a caller that knows the bucket passes it
    assert hist.buckets[3] == 1 and hist.max == 0.5
    assert Histogram().mean is None and Histogram().percentile(0.5) is None


def test_percentiles_at_the_edges():
    hist = _hist(*[0.010] * 9, 1.0)
    assert hist.percentile(0.0) == pytest.approx(0.010, rel=0.01)  # rank 1, never 0
    assert hist.percentile(0.9) == pytest.approx(0.010, rel=0.01)
    assert hist.percentile(0.95) == hist.percentile(1.0) == pytest.approx(1.0, rel=0.01)
    assert _hist(0.3).percentile(0.5) == 0.3  # one sample: clamped to it exactly


def test_summary_ms_names_every_figure_in_milliseconds():
    summary = _hist(0.001, 0.002, 0.004).summary_ms()
    assert list(summary) == ["min", "avg", "p50", "p90", "p95", "p99", "max"]
    assert summary["min"] == 1.0 and summary["max"] == 4.0 and summary["avg"] == 2.333
    assert summary["p50"] == pytest.approx(2.0, rel=0.01)
    assert summary["p90"] == summary["p95"] == summary["p99"] == pytest.approx(4.0, rel=0.01)
    assert Histogram().summary_ms() == dict.fromkeys(summary)


def test_histogram_merge_and_dict_form_are_exact():
    first, second = _hist(0.002, 0.003), _hist(0.001, 0.5)
    first.merge(second)
    assert (first.count, first.min, first.max) == (4, 0.001, 0.5)
    assert first.total == pytest.approx(0.506)
    assert sum(first.buckets.values()) == 4 and first.buckets[bucket_of(0.5)] == 1
    empty = Histogram()
    empty.merge(Histogram())
    assert (empty.count, empty.min, empty.max, empty.buckets) == (0, math.inf, 0.0, {})
    assert _hist(0.5).to_dict() == {"count": 1, "total": 0.5, "min": 0.5, "max": 0.5,
                                     "buckets": {str(bucket_of(0.5)): 1}}
    assert Histogram().to_dict()["min"] is None
    assert Histogram.from_dict(Histogram().to_dict()) == Histogram()
    assert Histogram.from_dict(first.to_dict()) == first


def test_slots_count_bytes_of_successes_and_latency_when_given():
    slot = Slot(start=4.0)
    slot.add(True, 100, 0.2)
    slot.add(False, 50, 0.3)
    slot.add(False, 7, None)  # not sent: no latency
    assert (slot.attempted, slot.succeeded, slot.failed, slot.bytes, slot.latency.count) == (3, 1, 2, 100, 2)
    other = Slot()
    other.add(True, 1, 0.1, bucket_of(0.1))
    slot.merge(other)
    assert (slot.attempted, slot.succeeded, slot.failed, slot.bytes, slot.latency.count) == (4, 2, 2, 101, 3)
    assert slot.latency.min == 0.1 and slot.start == 4.0


def test_recent_window_totals_the_slots_inside_the_window():
    window = RecentWindow()
    assert window.seconds == 60 and window.slots.maxlen == 60
    window.add(3.2, True, 10, 0.1)
    window.add(3.9, True, 10, 0.1, bucket_of(0.1))
    window.add(5.5, False, 0, None)
    assert [slot.start for slot in window.slots] == [3.0, 5.0]
    total = window.total(6.0, 3.0)
    assert (total.start, total.attempted, total.succeeded, total.failed, total.bytes) == (3.0, 3, 2, 1, 20)
    assert total.latency.count == 2
    assert window.total(6.0, 2.5).attempted == 1  # the slot starting at 3.0 is older than 3.5


def test_timeline_rows_are_exact_and_coarsen_by_doubling():
    timeline = Timeline(width=2.0, points=4)
    assert Timeline().width == 10.0 and Timeline().points == TIMELINE_POINTS
    timeline.add(0.5, True, 10, 0.0012345)
    timeline.add(5.0, False, 0, None)
    timeline.add(5.1, False, 0, None, fault=NOT_SENT)  # not sent is apart from failed, as in the job's counts
    assert timeline.rows() == [
        {"start_s": 0.0, "width_s": 2.0, "attempted": 1, "succeeded": 1, "failed": 0, "not_sent": 0, "bytes": 10,
         "p95_ms": 1.234},
        {"start_s": 2.0, "width_s": 2.0, "attempted": 0, "succeeded": 0, "failed": 0, "not_sent": 0, "bytes": 0,
         "p95_ms": None},
        {"start_s": 4.0, "width_s": 2.0, "attempted": 2, "succeeded": 0, "failed": 1, "not_sent": 1, "bytes": 0,
         "p95_ms": None},
    ]
    timeline.add(7.9, True, 1, 0.01)  # index 3: the last of 4 points, no coarsening yet
    assert timeline.width == 2.0 and len(timeline.slots) == 4
    timeline.add(8.0, True, 1, 0.01)  # index 4: neighbours merge, the width doubles
    assert timeline.width == 4.0
    assert [(row["start_s"], row["attempted"]) for row in timeline.rows()] == [(0.0, 1), (4.0, 3), (8.0, 1)]
    timeline.add(33.0, True, 1, 0.01)  # twice over the end: coarsens twice
    assert timeline.width == 16.0
    assert [(row["start_s"], row["attempted"]) for row in timeline.rows()] == [(0.0, 5), (16.0, 0), (32.0, 1)]


def _full_stats(name, offset):
    stats = JobStats(name=name, protocol="http", mode="fire")
    for field_name, value in (("attempted", 5), ("succeeded", 3), ("failed", 1), ("not_sent", 1), ("late", 2),
                              ("bytes", 300), ("in_flight", 1), ("peak_in_flight", 4), ("scheduled", 5.5)):
        setattr(stats, field_name, value + offset)
    stats.errors["reset"] = 1 + offset
    stats.latency.record(0.1 + offset)
    stats.service.record(0.05 + offset)
    stats.lateness.record(0.01 + offset)
    stats.phases["connect"] = _hist(0.02 + offset)
    stats.first_start, stats.last_end = 1.0 + offset, 9.0 + offset
    return stats


def test_job_stats_merge_adds_every_figure():
    merged = _full_stats("x", 0)
    merged.merge(_full_stats("x", 1))
    assert (merged.attempted, merged.succeeded, merged.failed, merged.not_sent, merged.late) == (11, 7, 3, 3, 5)
    assert (merged.bytes, merged.in_flight, merged.peak_in_flight, merged.scheduled) == (601, 3, 9, 12.0)
    assert merged.errors == {"reset": 3}
    for hist in (merged.latency, merged.service, merged.lateness, merged.phases["connect"]):
        assert hist.count == 2
    assert (merged.first_start, merged.last_end) == (1.0, 10.0)
    alone = JobStats(name="y")
    alone.merge(JobStats(name="z"))
    assert (alone.first_start, alone.last_end) == (None, None)
    late_only = JobStats(name="y")
    late_only.merge(_full_stats("x", 2))
    assert (late_only.first_start, late_only.last_end) == (3.0, 11.0)
    assert late_only.phases["connect"].count == 1


def test_job_stats_survive_json_field_by_field():
    stats = _full_stats("x", 0)
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["name"] == "x" and data["protocol"] == "http" and data["mode"] == "fire"
    assert data["errors"] == {"reset": 1} and data["phases"]["connect"]["count"] == 1
    assert JobStats.from_dict(data) == stats


def test_merge_all_sums_the_parts_under_one_name():
    total = merge_all("all", [_full_stats("a", 0), _full_stats("b", 0), _full_stats("c", 0)])
    assert total.name == "all" and total.attempted == 15 and total.errors == {"reset": 3}
    assert merge_all("none", []) == JobStats(name="none")


def test_merging_adds_counts_of_a_shared_bucket():
    first, second = _hist(0.002, 0.002), _hist(0.002, 0.9)
    first.merge(second)
    assert first.buckets == {bucket_of(0.002): 3, bucket_of(0.9): 1}


def test_the_lowest_rank_is_the_first_sample():
    assert _hist(0.01, 1.0).percentile(0.1) == pytest.approx(0.01, rel=0.01)


def test_timeline_p95_is_the_95th_percentile_not_the_max():
    timeline = Timeline(width=10.0)
    for _ in range(19):
        timeline.add(1.0, True, 1, 0.010)
    timeline.add(1.0, True, 1, 1.0)
    assert timeline.rows()[0]["p95_ms"] == pytest.approx(10.0, rel=0.01)


def test_slots_and_timelines_survive_json_exactly():
    timeline = Timeline(width=2.0, points=8)
    timeline.add(0.5, True, 10, 0.1)
    timeline.add(5.0, False, 0, None)
    copy = Timeline.from_dict(json.loads(json.dumps(timeline.to_dict())))
    assert (copy.width, copy.points) == (2.0, 8)
    assert copy.rows() == timeline.rows()
    assert [slot.latency for slot in copy.slots] == [slot.latency for slot in timeline.slots]
    slot = timeline.slots[0]
    assert Slot.from_dict(slot.to_dict()) == slot
    assert slot.to_dict() == {"start": 0.0, "attempted": 1, "succeeded": 1, "failed": 0, "bytes": 10,
                              "not_sent": 0, "harness": 0, "latency": slot.latency.to_dict()}


def test_absorbing_a_timeline_adds_every_interval_where_it_belongs():
    ours, theirs = Timeline(width=1.0, points=8), Timeline(width=2.0, points=8)
    ours.add(0.5, True, 1, 0.1)
    theirs.add(1.0, True, 2, 0.2)
    theirs.add(3.0, False, 0, None)
    ours.absorb(theirs, shift=4.0)  # theirs started 4 s after ours; ours coarsens to their width first
    assert ours.width == 2.0
    assert [(row["start_s"], row["attempted"], row["bytes"]) for row in ours.rows()] == [
        (0.0, 1, 1), (2.0, 0, 0), (4.0, 1, 2), (6.0, 1, 0)]
    late = Timeline(width=2.0, points=8)
    late.add(1.0, True, 1, 0.1)
    ours.absorb(late, shift=30.0)  # past our points: ours coarsens until it fits
    assert ours.width == 4.0 and sum(row["attempted"] for row in ours.rows()) == 4
    assert ours.rows()[-1]["start_s"] == 28.0 and ours.rows()[-1]["attempted"] == 1
    early = Timeline(width=4.0, points=8)
    early.add(1.0, True, 1, 0.1)
    ours.absorb(early, shift=-5.0)  # an interval before our origin lands in the first one
    assert ours.rows()[0]["attempted"] == 2
