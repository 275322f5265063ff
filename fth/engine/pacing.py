"""When each file should be sent: even or Poisson spacing, a constant rate or a ramp.

A :class:`Schedule` hands out intended send times in seconds since the job
started. It starts at a random phase within the first gap, so jobs and their
senders never fire in lockstep; a segment of a split run (``fth.segment``) starts at its
share of the one-process phase instead, so the segments interleave. ``take(now)`` serves both pacing modes:

- ``wait`` (closed model): when the senders fall more than CATCH_UP behind, the
  schedule re-anchors at ``now`` instead of bursting to catch up, so a slow server lowers the
  achieved rate and the statistics show it;
- ``fire`` (open model): times are never moved; a late send keeps its intended
  time, and latency is measured from it.
"""

import random
from typing import Optional

from fth.config.model import JobConfig
from fth.segment import whole_gap_phase

_LOOKAHEAD = 0.05  # seconds stepped while the target rate is zero (a ramp from 0)
CATCH_UP = 1.0  # wait mode: sends late by up to this many seconds are caught up, not skipped


class Schedule:
    def __init__(self, job: JobConfig, *, rng: Optional[random.Random] = None):
        self.name = job.name
        self.segment = job.segment
        self.rate = job.rate
        self.ramp = job.ramp
        self.poisson = job.spacing == "poisson"
        self.reanchor = job.mode == "wait"
        self.end: Optional[float] = self.ramp.total_duration if self.ramp else None
        self.rng = rng or random.Random()
        self.next_time = self._first_time()

    def rate_at(self, elapsed: float) -> float:
        return self.ramp.rate_at(elapsed) if self.ramp else self.rate

    def _rate_start(self, at: float) -> Optional[float]:
        """``at``, or the first moment after it when the target rate is above zero; None if the ramp ends first."""
        while self.rate_at(at) <= 0:
            at += _LOOKAHEAD
            if self.end is not None and at >= self.end:
                return None
        return at

    def _spacing(self, at: float) -> float:
        """The gap after a send at ``at`` (where the rate is above zero)."""
        gap = 1.0 / self.rate_at(at)
        # evaluate the rate halfway through the gap, so ramps are followed closely
        mid_rate = self.rate_at(at + gap / 2)
        if mid_rate > 0:
            gap = 1.0 / mid_rate
        if self.poisson:
            gap = self.rng.expovariate(1.0 / gap)
        return gap

    def _gap(self, at: float) -> Optional[float]:
        """Seconds from ``at`` to the next send; None if the ramp ends before it.

        A stretch at rate zero is skipped, not sent through at the rate before it.
        """
        start = self._rate_start(at)
        return None if start is None else (start - at) + self._spacing(start)

    def _first_time(self) -> Optional[float]:
        start = self._rate_start(0.0)
        if start is None:
            return None
        gap = self._spacing(start)
        if self.segment.count == 1 or self.poisson:
            return start + self.rng.uniform(0.0, gap)
        whole_gap = gap / self.segment.count  # segment I sends k ≡ I (mod N) of the one-process schedule
        return start + whole_gap_phase(self.name, whole_gap) + self.segment.index * whole_gap

    def take(self, now: float) -> Optional[float]:
        """The intended time of the next send, or None when the schedule has ended."""
        intended = self.next_time
        if intended is None or (self.end is not None and intended >= self.end):
            return None
        if self.reanchor and self._behind(intended, now):
            intended = now
        gap = self._gap(intended)
        self.next_time = None if gap is None else intended + gap
        return intended

    def _behind(self, intended: float, now: float) -> bool:
        """Later than CATCH_UP (or one gap): the server is slow, so a closed-model sender starts afresh.

        Smaller delays (a busy CPU, a slow moment) are caught up, so the schedule keeps its rate.
        """
        rate = self.rate_at(now)
        return intended < now - max(CATCH_UP, 1.0 / rate if rate > 0 else 0.0)

    def expected_sends(self, elapsed: float) -> float:
        """How many sends the target rate called for in the first ``elapsed`` seconds."""
        if self.end is not None:
            elapsed = min(elapsed, self.end)
        return self.ramp.sends_until(elapsed) if self.ramp else self.rate * elapsed
