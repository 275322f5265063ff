"""fmt_time's per-second cache shows exactly what formatting each datetime would."""

import datetime as dt
import random

import pytest

from fth.report.render import fmt_time


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
