import random
import statistics

import pytest

from fth.config.model import HttpJobConfig, Ramp, RampStage, SourceConfig
from fth.engine.pacing import Schedule


def _job(**settings):
    base = {"name": "j", "protocol": "http", "username": "u", "source": SourceConfig(path="."), "rate": 10.0}
    base.update(settings)
    return HttpJobConfig(**base)


def _times(schedule, until, now_of=lambda t: t):
    times, now = [], 0.0
    while True:
        t = schedule.take(now_of(now))
        if t is None or t >= until:
            return times
        times.append(t)
        now = t


def test_even_spacing_starts_at_a_random_phase():
    first = {Schedule(_job(), rng=random.Random(seed)).take(0.0) for seed in range(20)}
    assert len(first) == 20 and all(0 <= t < 0.1 for t in first)
    times = _times(Schedule(_job(mode="fire")), 10.0)
    assert len(times) == 100
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) - min(gaps) < 1e-9


def test_poisson_spacing_keeps_the_mean_rate():
    times = _times(Schedule(_job(spacing="poisson", mode="fire", rate=100.0), rng=random.Random(1)), 100.0)
    assert len(times) == pytest.approx(10_000, rel=0.03)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert statistics.pstdev(gaps) == pytest.approx(0.01, rel=0.1)  # exponential: stdev equals the mean


def test_fire_never_moves_a_late_send_but_wait_reanchors():
    fire = Schedule(_job(mode="fire"), rng=random.Random(0))
    wait = Schedule(_job(mode="wait"), rng=random.Random(0))
    first = fire.take(0.0)
    assert wait.take(0.0) == first
    assert fire.take(5.0) == pytest.approx(first + 0.1)  # late by ~5 s, keeps its time
    assert wait.take(5.0) == 5.0  # more than a gap behind: starts afresh, no burst


def test_ramp_schedule_follows_the_area_under_the_rate():
    ramp = Ramp(start=0.0, stages=(RampStage(20.0, 10.0), RampStage(20.0, 5.0)))
    schedule = Schedule(_job(mode="fire", ramp=ramp), rng=random.Random(3))
    times = _times(schedule, 100.0)
    assert schedule.end == 15.0
    assert len(times) == pytest.approx(200, abs=3)  # 100 during the ramp + 100 held
    assert sum(1 for t in times if t < 5) == pytest.approx(25, abs=3)
    assert schedule.expected_sends(15.0) == pytest.approx(200)
