"""fmt_time's per-second cache, and fmt_times' column at a time, show exactly what formatting each datetime would."""

import datetime as dt
import random
import time

import pytest

from fth.report import render
from fth.report.render import fmt_time, fmt_times


def _by_datetime(epoch, millis=True):
    value = dt.datetime.fromtimestamp(epoch)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{value.microsecond // 1000:03d}" if millis else text


EDGES = [0.0, 5e-7, 0.9999994, 0.9999995, 0.9999996, 1.9999995, 2.0000005, 1769904000.9999995,
         1769904000.0036, 1769904059.9999999, 253402300799.0, -0.4, -1.5, -86400.0000005]


@pytest.mark.parametrize("epoch", EDGES)
def test_rounding_edges_and_negative_times(epoch):
    assert fmt_time(epoch) == _by_datetime(epoch) and fmt_time(epoch, False) == _by_datetime(epoch, False)


def test_a_hundred_thousand_times_twice_through_the_cache():
    rng = random.Random(16)
    epochs = [rng.uniform(0, 4e9) for _ in range(50_000)] + [1769904000 + rng.random() * 60 for _ in range(50_000)]
    for _ in range(2):  # the second round is answered from the cache
        assert [fmt_time(e) for e in epochs] == [_by_datetime(e) for e in epochs]
    assert fmt_time(None) == "—"


@pytest.mark.parametrize("column", [
    [], [None], EDGES, [e for e in EDGES if e >= 0], [1769904000.0036, None, 1769904001.5],
    [1769904000.25, 1769904000.9999996, 7.0], [0.0, 1.0, 2.0], [253402300799.0], [-0.4], [12.5, -0.4],
])
def test_a_column_is_formatted_as_each_time_would_be(column):
    assert fmt_times(column) == [fmt_time(epoch) for epoch in column] == [
        "—" if epoch is None else _by_datetime(epoch) for epoch in column]


def test_a_column_with_more_seconds_than_the_cache_keeps(monkeypatch):
    monkeypatch.setattr(render, "SECOND_TEXTS", 3)
    rng = random.Random(5)
    for _ in range(20):
        column = [rng.uniform(0, 4e9) for _ in range(7)] + [1769904000 + rng.random() * 5 for _ in range(7)]
        assert fmt_times(column) == [_by_datetime(epoch) for epoch in column]


def test_a_column_holding_no_time_fails_as_one_time_would():
    with pytest.raises(ValueError):
        fmt_time(float("nan"))
    with pytest.raises(ValueError):
        fmt_times([1.0, float("nan")])


@pytest.mark.parametrize("epoch, text", [
    (-62135596800.0, "0001-01-01 00:00:00.000"),  # 0001-01-01 UTC: year 0 in a zone west of UTC (and here)
    (-1e20, "0001-01-01 00:00:00.000"),
    (253402387200.0, "9999-12-31 23:59:59.999"),  # 10000-01-02 UTC
    (1e12, "9999-12-31 23:59:59.999"),
    (float("inf"), "9999-12-31 23:59:59.999"),
])
def test_a_time_beyond_the_calendar_is_shown_as_its_edge(epoch, text, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert fmt_time(epoch) == text and fmt_time(epoch, False) == text[:19]
        assert fmt_times([1769904000.0, epoch]) == [fmt_time(1769904000.0), text]
    finally:
        monkeypatch.undo()
        time.tzset()
