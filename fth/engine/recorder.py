"""The one hook through which every transfer outcome reaches the statistics.

Transports only return results; the :class:`Recorder` counts them into each
job's :class:`JobStats`, its recent window and timeline, writes the optional
transfer log and logs the first fault of each kind per job with a hint.
"""

import logging
from dataclasses import dataclass, field
from typing import Optional, Set

from fth.config.model import JobConfig
from fth.engine.transferlog import TransferLog
from fth.faults import NOT_SENT, hint_for
from fth.protocols.base import TransferRequest, TransferResult
from fth.stats import JobStats, RecentWindow, Timeline, bucket_of

log = logging.getLogger(__name__)

LATE_AFTER = 0.010  # a send that starts more than 10 ms after its intended time is late


@dataclass
class JobState:
    """A job's configuration with everything counted for it."""

    config: JobConfig
    stats: JobStats
    recent: RecentWindow
    timeline: Timeline
    sent: int = 0  # sends handed out (for the per-job file count)
    active_until: Optional[float] = None  # when the job stopped scheduling (run seconds)
    last_slot: Optional[float] = None  # the intended time of the last send handed a file (run seconds)
    logged_kinds: Set[str] = field(default_factory=set)

    @classmethod
    def create(cls, config: JobConfig, window_seconds: int, interval: float) -> "JobState":
        stats = JobStats(name=config.name, protocol=config.protocol, mode=config.mode)
        return cls(config, stats, RecentWindow(window_seconds), Timeline(interval))


class Recorder:
    def __init__(self, transfer_log: Optional[TransferLog] = None):
        self.transfer_log = transfer_log

    def record(self, state: JobState, intended: float, started: float, ended: float,
               request: TransferRequest, result: TransferResult) -> None:
        """Count one finished transfer; times are seconds since the run started."""
        stats = state.stats
        stats.attempted += 1
        latency = ended - intended
        lateness = started - intended if started > intended else 0.0
        bucket = bucket_of(latency)
        stats.latency.record(latency, bucket)
        stats.service.record(ended - started)
        stats.lateness.record(lateness)
        if lateness > LATE_AFTER:
            stats.late += 1
        for phase, seconds in result.phases.items():
            hist = stats.phases.get(phase)
            if hist is None:
                hist = stats.phases[phase] = type(stats.latency)()
            hist.record(seconds)
        if stats.first_start is None:
            stats.first_start = started
        stats.last_end = ended
        if result.ok:
            stats.succeeded += 1
            stats.bytes += result.bytes_sent
        else:
            stats.failed += 1
            stats.errors[result.fault or "unexpected"] += 1
            self._log_fault(state, result)
        state.recent.add(ended, result.ok, result.bytes_sent, latency, bucket, result.fault)
        state.timeline.add(ended, result.ok, result.bytes_sent, latency, bucket, result.fault)
        if self.transfer_log:
            self.transfer_log.write(state.config, request, result, latency)

    def record_not_sent(self, state: JobState, intended: float) -> None:
        """Fire mode: the in-flight cap was reached, so this send was dropped (and counted)."""
        stats = state.stats
        stats.attempted += 1
        stats.not_sent += 1
        state.recent.add(intended, False, 0, None, fault=NOT_SENT)
        state.timeline.add(intended, False, 0, None, fault=NOT_SENT)
        if NOT_SENT not in state.logged_kinds:
            state.logged_kinds.add(NOT_SENT)
            log.warning("job %s: %d transfers in flight, the cap; sends are dropped and counted as not sent (%s)",
                        state.config.name, state.config.max_in_flight, hint_for(NOT_SENT))

    def _log_fault(self, state: JobState, result: TransferResult) -> None:
        kind = result.fault or "unexpected"
        if kind in state.logged_kinds:
            log.debug("job %s: %s: %s", state.config.name, kind, result.detail)
            return
        state.logged_kinds.add(kind)
        log.warning("job %s: %s: %s (hint: %s; further %s faults of this job are logged at -v)",
                    state.config.name, kind, result.detail, hint_for(kind), kind)
