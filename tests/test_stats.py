import json
import random

import pytest

from fth.stats import Histogram, JobStats, RecentWindow, Timeline


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
