"""fth.report.compute: the generic statistics core (also used by fth-web)."""

import math
import statistics

from fth.report.compute import (
    EGRESS_ONLY,
    Distribution,
    Record,
    group_stats,
    histogram,
    nice_step,
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
