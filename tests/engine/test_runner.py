"""The Runner on its own, with in-process transports: the fire-mode cap, latency from the intended
time, stop conditions and breakpoints, a second interrupt, and every transfer counted once."""

from typing import ClassVar, List

import gevent
import pytest

from fth.config.model import HttpJobConfig, RunConfig, SourceConfig, StopCondition
from fth.engine.runner import ABORTED, Runner
from fth.faults import UNEXPECTED
from fth.protocols.base import TransferRequest, TransferResult
from fth.summary import fell_behind, job_figures


class SlowTransport:
    """Takes ``seconds`` per send (cooperatively) and tracks how many sends overlap, across instances."""

    in_flight = 0
    peak = 0
    sends: ClassVar[List[TransferRequest]] = []
    closed = 0

    def __init__(self, seconds: float = 0.0, result: TransferResult = None):
        self.seconds = seconds
        self.result = result or TransferResult(ok=True, bytes_sent=10)

    @classmethod
    def reset(cls) -> None:
        cls.in_flight = cls.peak = cls.closed = 0
        cls.sends = []

    def send(self, request: TransferRequest) -> TransferResult:
        cls = type(self)
        cls.in_flight += 1
        cls.peak = max(cls.peak, cls.in_flight)
        cls.sends.append(request)
        try:
            gevent.sleep(self.seconds)
        finally:
            cls.in_flight -= 1
        return self.result

    def close(self) -> None:
        type(self).closed += 1


@pytest.fixture(autouse=True)
def _fresh_transport_counts():
    SlowTransport.reset()


def _job(source_dir, **settings) -> HttpJobConfig:
    base = {"name": "j", "protocol": "http", "username": "u", "source": SourceConfig(path=str(source_dir)),
            "rate": 50.0, "url": "http://127.0.0.1:9/"}
    base.update(settings)
    return HttpJobConfig(**base)


def _runner(job, transport, **run) -> Runner:
    config = RunConfig(path=None, jobs=[job], **run)
    return Runner(config, [job], transport_factory=lambda _job: transport())


def _accounted(stats) -> bool:
    """Every attempt is exactly one of: succeeded, failed, not sent."""
    return stats.attempted == stats.succeeded + stats.failed + stats.not_sent


def test_fire_mode_holds_exactly_max_in_flight_and_drops_the_rest(source_dir):
    # a count, not a duration, ends the run: a busy machine that delays the scheduler changes nothing
    job = _job(source_dir, mode="fire", rate=100.0, max_in_flight=5, count=100)
    runner = _runner(job, lambda: SlowTransport(0.4), stop_timeout=5.0)
    runner.run(None)
    stats = runner.states["j"].stats
    assert stats.peak_in_flight == 5  # the cap is reached ...
    assert SlowTransport.peak == 5  # ... and the transports never see more
    assert stats.attempted == 100 and stats.not_sent > 40 and _accounted(stats)
    assert stats.succeeded == len(SlowTransport.sends) and stats.failed == 0
    assert stats.in_flight == 0
    assert runner.stop_reason == "all jobs finished"


def test_failed_and_not_sent_mean_the_same_in_the_summary_the_timeline_and_the_live_figures(source_dir):
    """A send dropped at the cap is not sent, never failed, wherever a figure is shown."""
    from fth.live import live_figures
    from fth.summary import build_summary

    failing = TransferResult(ok=False, fault="http_500", detail="500")
    job = _job(source_dir, mode="fire", rate=100.0, max_in_flight=3)
    runner = _runner(job, lambda: SlowTransport(0.3, failing), stop_timeout=5.0)
    runner.run(1.0)
    stats = runner.states["j"].stats
    assert stats.failed == len(SlowTransport.sends) > 0 and stats.not_sent > 40 and _accounted(stats)
    summary = build_summary(runner)["jobs"][0]
    live = live_figures(runner)["jobs"][0]
    slots = runner.states["j"].timeline.rows()
    assert (summary["failed"], summary["not_sent"]) == (live["failed"], live["not_sent"]) == (stats.failed,
                                                                                             stats.not_sent)
    assert sum(row["failed"] for row in slots) == stats.failed
    assert sum(row["not_sent"] for row in slots) == stats.not_sent
    assert all(row["attempted"] == row["succeeded"] + row["failed"] + row["not_sent"] for row in slots)


def test_failure_rate_counts_sends_dropped_at_the_cap(source_dir):
    """The system did not keep up: dropped sends count toward a failure-rate stop condition."""
    condition = StopCondition("failure_rate", threshold=0.5, window=3.0, min_count=10)
    job = _job(source_dir, mode="fire", rate=100.0, max_in_flight=1, stop_on=[condition])
    runner = _runner(job, lambda: SlowTransport(1.0), stop_timeout=5.0)
    runner.run(10.0)
    stats = runner.states["j"].stats
    assert stats.failed == 0 and stats.not_sent > 10
    assert runner.breakpoint is not None and runner.breakpoint.condition == condition.describe()


class LateSchedule:
    """Every send is already ``late_by`` seconds overdue when it is taken (a known delay)."""

    end = None

    def __init__(self, late_by: float):
        self.late_by = late_by

    def take(self, now: float) -> float:
        return now - self.late_by

    def rate_at(self, elapsed: float) -> float:
        return 1.0

    def expected_sends(self, elapsed: float) -> float:
        return elapsed


def test_the_cap_holds_when_the_scheduler_catches_up_on_overdue_sends(source_dir):
    """Overdue sends are handed out without a pause: the cap must count transfers spawned, not yet started."""
    job = _job(source_dir, mode="fire", count=50, max_in_flight=5)
    runner = _runner(job, lambda: SlowTransport(0.2))
    runner.schedules["j"] = LateSchedule(late_by=0.0)  # each send due when taken: the scheduler never sleeps
    runner.run(30.0)
    stats = runner.states["j"].stats
    assert SlowTransport.peak == stats.peak_in_flight == 5
    assert (stats.succeeded, stats.not_sent, stats.attempted) == (5, 45, 50)


@pytest.mark.parametrize("mode", ["wait", "fire"])
def test_latency_is_end_minus_intended_and_service_end_minus_start(source_dir, mode):
    job = _job(source_dir, mode=mode, count=4)
    runner = _runner(job, lambda: SlowTransport(0.05))
    runner.schedules["j"] = LateSchedule(late_by=0.3)
    runner.run(30.0)
    stats = runner.states["j"].stats
    assert stats.succeeded == stats.attempted == 4
    assert stats.late == 4
    assert stats.lateness.min >= 0.3  # start − intended
    assert stats.service.min >= 0.05  # end − start
    assert stats.service.max < 0.3  # not the lateness: the start is the real send
    assert stats.latency.min >= 0.35  # end − intended, never end − start
    assert stats.latency.total == pytest.approx(stats.service.total + stats.lateness.total)


def test_p95_latency_stop_condition_trips_and_records_the_breakpoint(source_dir):
    condition = StopCondition("p95_latency", threshold=0.1, window=2.0, min_count=5)
    job = _job(source_dir, mode="fire", rate=20.0, stop_on=[condition])
    runner = _runner(job, lambda: SlowTransport(0.2))
    runner.run(20.0)
    assert runner.stop_reason == "stop condition of job j: p95 latency over 100 ms during 2s"
    point = runner.breakpoint
    assert point is not None and point.job == "j" and point.condition == condition.describe()
    assert point.target_rate_per_s == 20.0
    assert 0 < point.achieved_rate_per_s <= 20.0
    assert 1.0 <= point.elapsed_s < 20.0
    assert runner.states["j"].stats.latency.percentile(0.95) > 0.1


def test_p95_latency_under_the_threshold_does_not_trip(source_dir):
    condition = StopCondition("p95_latency", threshold=0.5, window=1.0, min_count=3)
    job = _job(source_dir, mode="fire", rate=20.0, stop_on=[condition])
    runner = _runner(job, lambda: SlowTransport(0.05))
    runner.run(2.5)
    assert runner.breakpoint is None and runner.stop_reason == "duration reached"


def test_failure_rate_condition_needs_min_count_then_trips(source_dir):
    failing = TransferResult(ok=False, fault="http_500", detail="500")
    strict = StopCondition("failure_rate", threshold=0.5, window=2.0, min_count=10_000)
    runner = _runner(_job(source_dir, rate=20.0, stop_on=[strict]), lambda: SlowTransport(0.0, failing))
    runner.run(2.5)
    assert runner.breakpoint is None  # 100 % failures, but fewer than min_count attempts

    tripping = StopCondition("failure_rate", threshold=0.5, window=2.0, min_count=5)
    runner = _runner(_job(source_dir, rate=20.0, stop_on=[tripping]), lambda: SlowTransport(0.0, failing))
    runner.run(20.0)
    assert runner.breakpoint is not None and runner.breakpoint.condition == tripping.describe()
    stats = runner.states["j"].stats
    assert stats.errors == {"http_500": stats.attempted} and _accounted(stats)


def _wait_for_in_flight(count: int) -> None:
    while SlowTransport.in_flight < count:
        gevent.sleep(0.01)


def test_abort_counts_what_is_in_flight_as_aborted(source_dir):
    job = _job(source_dir, mode="fire", rate=50.0, max_in_flight=100)
    runner = _runner(job, lambda: SlowTransport(60.0), stop_timeout=30.0)

    def interrupt_twice():
        _wait_for_in_flight(10)
        runner.stop("SIGINT received")
        runner.abort()

    gevent.spawn(interrupt_twice)
    with gevent.Timeout(20):  # a stop_timeout of 30 s would be waited for without the abort
        runner.run(None)
    stats = runner.states["j"].stats
    assert runner.stop_reason == "SIGINT received"  # the first reason wins
    assert stats.errors[ABORTED] == stats.failed == stats.attempted >= 10
    assert stats.succeeded == 0 and stats.in_flight == 0


def test_abort_during_the_drain_stops_at_once(source_dir):
    """The second interrupt comes while the first one's stop_timeout is already being waited for."""
    job = _job(source_dir, mode="fire", rate=50.0, max_in_flight=100)
    runner = _runner(job, lambda: SlowTransport(60.0), stop_timeout=30.0)

    def interrupt_twice():
        _wait_for_in_flight(10)
        runner.stop("SIGINT received")
        gevent.sleep(0.5)  # drain() is waiting now
        runner.abort()

    gevent.spawn(interrupt_twice)
    with gevent.Timeout(20):
        runner.run(None)
    stats = runner.states["j"].stats
    assert stats.errors[ABORTED] == stats.failed == stats.attempted >= 10 and stats.in_flight == 0


def test_a_transport_that_raises_is_counted_and_the_run_goes_on(source_dir):
    class Broken(SlowTransport):
        def send(self, request):
            raise RuntimeError("bug in a transport")

    runner = _runner(_job(source_dir, rate=50.0, count=5), Broken)
    runner.run(10.0)
    stats = runner.states["j"].stats
    assert stats.errors == {UNEXPECTED: 5} and stats.attempted == 5
    assert runner.stop_reason == "all jobs finished"


def test_count_limits_the_sends_and_the_active_time_ends_with_the_last(source_dir):
    runner = _runner(_job(source_dir, rate=20.0, count=6, workers=2), lambda: SlowTransport(0.0))
    runner.run(30.0)
    stats = runner.states["j"].stats
    assert stats.succeeded == stats.attempted == len(SlowTransport.sends) == 6
    assert len({request.context.uuid for request in SlowTransport.sends}) == 6
    assert [request.context.seq for request in SlowTransport.sends] == [1, 2, 3, 4, 5, 6]
    assert SlowTransport.closed == 2  # each wait-mode worker closes its transport
    assert 0.2 < runner.active_seconds("j") < 5.0
    assert runner.target_sends("j") == pytest.approx(20.0 * runner.active_seconds("j"))
    assert runner.started_at is not None and runner.ended_at >= runner.started_at


def test_duration_ends_scheduling_at_the_duration(source_dir):
    runner = _runner(_job(source_dir, rate=20.0), lambda: SlowTransport(0.0), duration=1.0)
    runner.run(None)
    assert runner.stop_reason == "all jobs finished"
    assert runner.active_seconds("j") == 1.0
    assert 18 <= runner.states["j"].stats.attempted <= 21


def test_an_internal_error_stops_the_run(source_dir, caplog):
    runner = _runner(_job(source_dir, rate=20.0), lambda: SlowTransport(0.0))

    def broken_next_send(state):
        raise ValueError("scheduler bug")

    runner._next_send = broken_next_send
    runner.run(30.0)
    assert runner.stop_reason == "internal error"
    assert "internal error in j-worker0" in caplog.text and "scheduler bug" in caplog.text


@pytest.mark.parametrize("mode", ["wait", "fire"])
def test_a_job_out_of_files_ends_its_active_time_there_and_is_not_behind(source_dir, mode):
    """A ``loop: false`` job sends its ten files, then stops scheduling while a longer job goes on: its rates
    are over its own active time, the slot that found no file is no send, and it is not behind its target."""
    once = _job(source_dir, name="once", rate=20.0, mode=mode, source=SourceConfig(path=str(source_dir), loop=False))
    longer = _job(source_dir, name="longer", username="v", rate=20.0, mode=mode, count=40)
    config = RunConfig(path=None, jobs=[once, longer])
    runner = Runner(config, [once, longer], transport_factory=lambda _job: SlowTransport(0.0))
    runner.run(30.0)
    stats = runner.states["once"].stats
    assert stats.succeeded == stats.attempted == stats.scheduled == 10
    assert 0.4 < runner.active_seconds("once") < 1.5 < runner.active_seconds("longer")
    figures = job_figures(stats, runner.target_sends("once"), runner.active_seconds("once"))
    assert figures["achieved_rate_per_s"] >= 0.98 * figures["target_rate_per_s"]


def test_a_run_stopped_before_it_starts_is_not_behind(source_dir):
    """Interrupted during --start-at's countdown: the run starts stopped, sends nothing and falls behind nothing."""
    runner = _runner(_job(source_dir, rate=20.0), lambda: SlowTransport(0.0))
    runner.stop("SIGINT received")
    runner.run(None)
    stats = runner.states["j"].stats
    assert stats.attempted == stats.scheduled == 0 and SlowTransport.sends == []
    assert runner.target_sends("j") < 1e-6  # no active time: a slow stop (0.15 s at 10/s) was a target missed
    figures = job_figures(stats, runner.target_sends("j"), runner.active_seconds("j"))
    assert not fell_behind(figures)
