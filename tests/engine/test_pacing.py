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


class MidRng:
    """Known answers: the phase is half a gap, a Poisson gap is its mean."""

    def uniform(self, low, high):
        return (low + high) / 2

    def expovariate(self, lambd):
        return 1.0 / lambd


def _all_times(schedule, now=0.0):
    times = []
    while True:
        t = schedule.take(now)
        if t is None:
            return times
        times.append(t)


@pytest.mark.parametrize("spacing", ["even", "poisson"])
def test_a_rate_below_one_per_second_keeps_its_gap(spacing):
    schedule = Schedule(_job(rate=0.5, mode="fire", spacing=spacing), rng=MidRng())
    assert [schedule.take(0.0) for _ in range(3)] == [1.0, 3.0, 5.0]
    assert schedule.end is None and schedule.expected_sends(10.0) == 5.0


def test_the_gap_uses_the_rate_halfway_through_it():
    ramp = Ramp(start=0.0, stages=(RampStage(10.0, 10.0),))  # rate = elapsed seconds
    schedule = Schedule(_job(ramp=ramp, mode="fire"), rng=MidRng())
    schedule.next_time = 1.0
    assert schedule.take(1.0) == 1.0
    assert schedule.next_time == pytest.approx(1.0 + 1 / 1.5)  # rate 1 → gap 1 → rate at 1.5 → gap 2/3


def test_a_gap_reaching_a_zero_rate_keeps_the_rate_at_its_start():
    ramp = Ramp(start=1.0, stages=(RampStage(1.0, 1.0), RampStage(0.0, 0.001), RampStage(0.0, 5.0)))
    schedule = Schedule(_job(ramp=ramp, mode="fire"), rng=MidRng())
    schedule.next_time = 0.9
    assert schedule.take(0.9) == 0.9 and schedule.next_time == pytest.approx(1.9)


def test_no_sends_while_the_target_rate_is_zero():
    ramp = Ramp(start=0.0, stages=(RampStage(0.0, 2.0), RampStage(10.0, 0.001), RampStage(10.0, 1.0)))
    for mode in ("fire", "wait"):
        times = _all_times(Schedule(_job(ramp=ramp, mode=mode), rng=random.Random(3)))
        assert 9 <= len(times) <= 11 and min(times) >= 2.0, (mode, times[:3])
        assert max(times) < ramp.total_duration
    assert Schedule(_job(ramp=ramp), rng=MidRng()).next_time == pytest.approx(2.0 + 0.05, abs=0.051)


def test_a_ramp_that_never_rises_above_zero_sends_nothing():
    ramp = Ramp(start=0.0, stages=(RampStage(0.0, 1.0),))
    schedule = Schedule(_job(ramp=ramp), rng=MidRng())
    assert schedule.take(0.0) is None and schedule.end == 1.0


def test_the_schedule_ends_with_the_ramp():
    ramp = Ramp(start=10.0, stages=(RampStage(10.0, 1.0),))
    schedule = Schedule(_job(ramp=ramp, mode="fire"), rng=MidRng())
    times = _all_times(schedule)
    assert times == pytest.approx([0.05 + i / 10 for i in range(10)])
    schedule.next_time = 1.0  # exactly at the end: not sent
    assert schedule.take(1.0) is None
    assert schedule.expected_sends(5.0) == pytest.approx(10.0)  # counted until the ramp's end only


def test_wait_mode_catches_up_within_a_second_and_reanchors_after():
    schedule = Schedule(_job(rate=10.0, mode="wait"), rng=MidRng())
    assert schedule.take(0.0) == pytest.approx(0.05)
    assert schedule.take(1.1) == pytest.approx(0.15)  # 0.95 s behind: caught up, the time is kept
    schedule.next_time = 0.5
    assert schedule.take(1.5) == 0.5  # exactly CATCH_UP behind: still caught up
    assert schedule.take(1.75) == 1.75  # more than CATCH_UP behind: starts afresh at now
    assert schedule.next_time == pytest.approx(1.85)


def test_wait_mode_at_a_slow_rate_reanchors_after_one_gap():
    schedule = Schedule(_job(rate=0.25, mode="wait"), rng=MidRng())  # a gap of 4 s, longer than CATCH_UP
    assert schedule.take(0.0) == 2.0
    assert schedule.take(9.5) == 6.0  # 3.5 s behind: within one gap, kept
    assert schedule.take(14.5) == 14.5  # 4.5 s behind: more than one gap, starts afresh


def test_wait_mode_reanchors_after_a_second_when_the_rate_is_zero_now():
    ramp = Ramp(start=10.0, stages=(RampStage(10.0, 1.0), RampStage(0.0, 0.001), RampStage(0.0, 2.0),
                                    RampStage(10.0, 0.001), RampStage(10.0, 2.0)))
    schedule = Schedule(_job(ramp=ramp, mode="wait"), rng=MidRng())
    schedule.next_time = 0.5
    assert schedule.take(1.6) == 1.6  # 1.1 s behind while the rate is zero: CATCH_UP applies
    schedule.next_time = 0.5
    assert schedule.take(1.4) == 0.5


def test_expected_sends():
    assert Schedule(_job(rate=4.0)).expected_sends(2.5) == 10.0
    ramp = Ramp(start=0.0, stages=(RampStage(20.0, 10.0),))
    assert Schedule(_job(ramp=ramp)).expected_sends(10.0) == pytest.approx(100.0)
    assert Schedule(_job(ramp=ramp)).expected_sends(20.0) == pytest.approx(100.0)


def test_a_ramp_below_one_per_second_still_uses_the_mid_gap_rate():
    ramp = Ramp(start=0.0, stages=(RampStage(1.0, 10.0),))  # rate = elapsed / 10
    schedule = Schedule(_job(ramp=ramp, mode="fire"), rng=MidRng())
    schedule.next_time = 2.0
    assert schedule.take(2.0) == 2.0
    assert schedule.next_time == pytest.approx(2.0 + 1 / 0.45)  # rate 0.2 → gap 5 → rate at 4.5 → gap 2.22


def test_a_ramp_ending_at_zero_ends_the_schedule_after_its_last_send():
    ramp = Ramp(start=10.0, stages=(RampStage(10.0, 1.0), RampStage(0.0, 0.001), RampStage(0.0, 1.0)))
    schedule = Schedule(_job(ramp=ramp, mode="fire"), rng=MidRng())
    times = _all_times(schedule)
    assert len(times) == 11 and max(times) < 1.1  # the mid-gap rate puts the last one just past the fall
    assert schedule.next_time is None
