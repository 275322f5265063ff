"""Run jobs concurrently on greenlets, pace them, stop them gracefully.

The :class:`Runner` owns one greenlet group, ``workers``: one scheduler per
fire-mode job (which owns a group of its transfers in flight) and N senders per
wait-mode job. ``stop()`` stops scheduling; in-flight transfers then get
``stop_timeout`` seconds to finish, after which they are killed and counted as
failed (kind ``aborted``), so no transfer is ever lost from the figures.
"""

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, Iterator, List, Optional

import gevent
import gevent.event
import gevent.pool

from fth.config.model import JobConfig, RunConfig, StopCondition
from fth.engine.pacing import Schedule
from fth.engine.recorder import JobState, Recorder
from fth.engine.source import FileSource, SharedFiles
from fth.faults import ABORTED, UNEXPECTED
from fth.protocols import create_transport
from fth.protocols.base import TransferRequest, TransferResult, Transport
from fth.templates import TransferContext, new_uuid

log = logging.getLogger(__name__)

MONITOR_EVERY = 1.0  # seconds between stop-condition checks
# A scheduler that is behind (a rate above what the process can send) yields to the hub at
# least this often, so transfers, the live view and signal handlers still run.
YIELD_EVERY = 0.005  # seconds
KILL_WAIT = 0.5  # seconds given to killed transfers to unwind (close sockets, record "aborted")


@dataclass
class Breakpoint:
    """Where a stop condition tripped: the system under test broke at this rate."""

    job: str
    condition: str
    elapsed_s: float
    target_rate_per_s: float
    achieved_rate_per_s: float


class Runner:
    def __init__(self, config: RunConfig, jobs: List[JobConfig], *, recorder: Optional[Recorder] = None,
                 transport_factory: Callable[[JobConfig], Transport] = create_transport):
        self.config = config
        self.recorder = recorder or Recorder()
        self.transport_factory = transport_factory
        window = int(max([60.0] + [c.window for job in jobs for c in job.stop_on]))
        self.states: Dict[str, JobState] = {job.name: JobState.create(job, window, config.interval) for job in jobs}
        self.sources = {job.name: FileSource(job.source, job.name, job.segment) for job in jobs}
        self.schedules = {job.name: Schedule(job) for job in jobs}
        self.workers = gevent.pool.Group()
        self.stopping = gevent.event.Event()
        self.aborting = gevent.event.Event()
        self.stop_reason: Optional[str] = None
        self.breakpoint: Optional[Breakpoint] = None
        self.started_at: Optional[datetime] = None
        self.ended_at: Optional[datetime] = None
        self.origin: Optional[float] = None  # epoch seconds of the schedule origin (--start-at); None: at start()
        self._t0 = 0.0
        self._seq = 0
        self._yielded = 0.0

    # -- clock --------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the run started (monotonic)."""
        return time.monotonic() - self._t0

    @property
    def elapsed(self) -> float:
        return self.now() if self.started_at else 0.0

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        self.started_at = datetime.now(timezone.utc)
        self._t0 = time.monotonic()
        if self.origin is not None:  # every segment of a run counts from the same instant
            self._t0 -= self.started_at.timestamp() - self.origin
            self.started_at = datetime.fromtimestamp(self.origin, timezone.utc)
        for name, state in self.states.items():
            job = state.config
            if job.mode == "fire":
                self._spawn(self._fire_job, state, name=f"{name}-scheduler")
            else:
                files = SharedFiles(self.sources[name])  # one sequence: each file goes to one worker
                for index in range(job.workers):
                    self._spawn(self._wait_worker, state, files, name=f"{name}-worker{index}")
        if any(state.config.stop_on for state in self.states.values()):
            gevent.spawn(self._monitor).link_exception(self._greenlet_failed)

    def _spawn(self, func, *args, name: str) -> None:
        greenlet = self.workers.spawn(func, *args)
        greenlet.name = name
        greenlet.link_exception(self._greenlet_failed)

    def _greenlet_failed(self, greenlet) -> None:
        log.error("internal error in %s: %r; stopping the run", getattr(greenlet, "name", greenlet),
                  greenlet.exception)
        self.stop("internal error")

    def stop(self, reason: str) -> None:
        """Stop scheduling new transfers (idempotent; the first reason wins)."""
        if not self.stopping.is_set():
            self.stop_reason = reason
            log.info("stopping: %s", reason)
            self.stopping.set()

    def run(self, duration: Optional[float]) -> None:
        """Start, wait for the jobs (or ``duration``, or stop()), then drain gracefully."""
        stopped_before = self.stopping.is_set()  # interrupted during the countdown
        self.start()
        if stopped_before:  # no job scheduled anything: no active time, no target (before its greenlets run)
            for state in self.states.values():
                self._job_ends(state, 0.0)
        finished = gevent.spawn(self.workers.join)
        gevent.wait([finished, self.stopping], timeout=duration, count=1)
        if not self.stopping.is_set():
            # a job whose next send would fall after the duration ends a little before it
            cut = duration is not None and any(state.active_until == duration for state in self.states.values())
            self.stop("all jobs finished" if finished.ready() and not cut else "duration reached")
        self.drain()

    def drain(self) -> None:
        """Give in-flight transfers ``stop_timeout`` to finish (less after :meth:`abort`); kill and count the rest."""
        joined = gevent.spawn(self.workers.join)
        gevent.wait([joined, self.aborting], timeout=self.config.stop_timeout, count=1)
        joined.kill(block=False)
        leftover = sum(state.stats.in_flight for state in self.states.values())
        if len(self.workers):
            why = "when stopped at once" if self.aborting.is_set() else \
                f"after the stop timeout ({self.config.stop_timeout:g}s)"
            log.warning("%d transfers still in flight %s: counted as %s", leftover, why, ABORTED)
            # a fire-mode scheduler kills its own transfers in turn (KILL_WAIT): wait for both
            self.workers.kill(block=True, timeout=2 * KILL_WAIT)
        self.ended_at = datetime.now(timezone.utc)

    def abort(self) -> None:
        """A second interrupt: stop now, counting what is in flight as aborted."""
        self.stop("interrupted twice")
        self.aborting.set()

    # -- sending ------------------------------------------------------------------
    def _next_send(self, state: JobState) -> Optional[float]:
        """The intended time of this job's next send, or None when it should stop."""
        job = state.config
        if self.stopping.is_set() or (job.count is not None and state.sent >= job.count):
            return self._job_ends(state, self.now())
        schedule = self.schedules[job.name]
        intended = schedule.take(self.now())
        if intended is None:
            return self._job_ends(state, schedule.end if schedule.end is not None else self.now())
        if self.config.duration is not None and intended >= self.config.duration:
            return self._job_ends(state, self.config.duration)
        state.sent += 1
        state.stats.scheduled = state.sent
        return intended

    def _out_of_files(self, state: JobState, intended: float) -> None:
        """The job's source (``loop: false``) has no file for the slot at ``intended``: that slot is no send, and
        the job's scheduling ended with its last send, as a ``count`` ends it (its rates are over the time it had
        files to send, not the whole run)."""
        state.sent -= 1
        state.stats.scheduled = state.sent
        self._job_ends(state, state.last_slot if state.last_slot is not None else intended)

    @staticmethod
    def _job_ends(state: JobState, at: float) -> None:
        if state.active_until is None:
            state.active_until = at

    def active_seconds(self, name: str) -> float:
        """How long this job was scheduling sends: the denominator of its rates."""
        state = self.states[name]
        until = state.active_until if state.active_until is not None else self.elapsed
        return max(until, 1e-9)

    def _sleep_until(self, intended: float) -> bool:
        """Sleep until ``intended``; False if the run is stopping."""
        delay = intended - self.now()
        if delay > 0:
            return not self.stopping.wait(timeout=delay)
        clock = time.monotonic()
        if clock - self._yielded >= YIELD_EVERY:  # behind schedule: let the rest of the process run
            self._yielded = clock
            gevent.sleep(0)
        return not self.stopping.is_set()

    def _request(self, state: JobState, path: str) -> TransferRequest:
        self._seq += 1
        segment = state.config.segment  # {seq} of segment I/N: I+1, I+1+N, …: unique across the segments
        context = TransferContext(uuid=new_uuid(), filename=os.path.basename(path), job=state.config.name,
                                  username=state.config.username,
                                  seq=(self._seq - 1) * segment.count + segment.index + 1)
        return TransferRequest(path=path, context=context)

    def _transfer(self, state: JobState, transport: Transport, intended: float, path: str) -> None:
        request = self._request(state, path)
        stats = state.stats
        stats.in_flight += 1
        stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        started = self.now()
        try:
            result = transport.send(request)
        except gevent.GreenletExit:
            result = TransferResult(ok=False, fault=ABORTED, detail="still in flight when the run stopped")
            self.recorder.record(state, intended, started, self.now(), request, result)
            raise
        except Exception as exc:  # a transport bug must not end the run: count it
            log.debug("job %s: transport raised", state.config.name, exc_info=True)
            result = TransferResult(ok=False, fault=UNEXPECTED, detail=f"{type(exc).__name__}: {exc}")
        finally:
            state.stats.in_flight -= 1
        self.recorder.record(state, intended, started, self.now(), request, result)

    def _sends_due(self, state: JobState) -> Iterator[float]:
        """The job's intended send times, each yielded once it is due; ends with the schedule or a stop."""
        while True:
            intended = self._next_send(state)
            if intended is None or not self._sleep_until(intended):
                self._job_ends(state, self.now())  # no-op if the schedule already ended it
                return
            yield intended

    def _wait_worker(self, state: JobState, files: SharedFiles) -> None:
        """Closed model: send, wait for the answer, then take the next slot of the schedule and the job's next file."""
        transport = self.transport_factory(state.config)
        try:
            for intended in self._sends_due(state):
                path = next(files, None)
                if path is None:
                    self._out_of_files(state, intended)
                    break
                state.last_slot = intended
                self._transfer(state, transport, intended, path)
        finally:
            transport.close()

    def _fire_job(self, state: JobState) -> None:
        """Open model: send on schedule, whatever is still in flight, up to max_in_flight.

        The cap counts spawned greenlets, started or not, so at any rate at most
        ``max_in_flight`` exist; sends over it are counted as not sent at once.
        """
        files = iter(self.sources[state.config.name])
        in_flight = gevent.pool.Group()
        idle: List[Transport] = []
        try:
            for intended in self._sends_due(state):
                if len(in_flight) >= state.config.max_in_flight:
                    self.recorder.record_not_sent(state, intended)
                    continue
                path = next(files, None)
                if path is None:
                    self._out_of_files(state, intended)
                    break
                state.last_slot = intended
                transport = idle.pop() if idle else self.transport_factory(state.config)
                greenlet = in_flight.spawn(self._fire_one, state, transport, intended, path, idle)
                greenlet.link_exception(self._greenlet_failed)
            in_flight.join()  # drain() kills this greenlet if the stop timeout passes first
        finally:
            self._kill_in_flight(state, in_flight)
            for transport in idle:
                transport.close()

    def _fire_one(self, state: JobState, transport: Transport, intended: float, path: str,
                  idle: List[Transport]) -> None:
        try:
            self._transfer(state, transport, intended, path)
        except gevent.GreenletExit:
            transport.close()
            raise
        idle.append(transport)

    def _kill_in_flight(self, state: JobState, in_flight: gevent.pool.Group) -> None:
        """Kill what is left, counting each as aborted (a greenlet killed before it ran records nothing itself)."""
        unstarted = [greenlet for greenlet in in_flight if not greenlet.started]
        in_flight.kill(block=True, timeout=KILL_WAIT)
        for greenlet in unstarted:
            _, transport, intended, path, _ = greenlet.args
            transport.close()
            self.recorder.record(state, intended, self.now(), self.now(), self._request(state, path),
                                 TransferResult(ok=False, fault=ABORTED, detail="not started when the run stopped"))

    # -- stop conditions ----------------------------------------------------------
    def _monitor(self) -> None:
        while not self.stopping.wait(timeout=MONITOR_EVERY):
            now = self.now()
            for state in self.states.values():
                for condition in state.config.stop_on:
                    if self._tripped(state, condition, now):
                        self._record_breakpoint(state, condition, now)
                        self.stop(f"stop condition of job {state.config.name}: {condition.describe()}")
                        return

    @staticmethod
    def _tripped(state: JobState, condition: StopCondition, now: float) -> bool:
        window = state.recent.total(now, condition.window)
        judged = window.attempted - window.harness  # the harness's own faults say nothing of the system
        if judged < condition.min_count:
            return False
        if condition.metric == "failure_rate":
            # sends dropped at the in-flight cap count: the system did not keep up
            return (window.failed + window.not_sent - window.harness) / judged > condition.threshold
        p95 = window.latency.percentile(0.95)
        return p95 is not None and p95 > condition.threshold

    def _record_breakpoint(self, state: JobState, condition: StopCondition, now: float) -> None:
        self.breakpoint = Breakpoint(
            job=state.config.name, condition=condition.describe(), elapsed_s=round(now, 3),
            target_rate_per_s=round(self.schedules[state.config.name].rate_at(now), 3),
            achieved_rate_per_s=round(state.recent.rate(now, condition.window), 3),
        )

    # -- figures ------------------------------------------------------------------
    def target_sends(self, name: str) -> float:
        """Sends the job's target rate called for during its active period."""
        return self.schedules[name].expected_sends(self.active_seconds(name))
