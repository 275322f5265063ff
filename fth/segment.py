"""Execution segments: ``--segment I/N`` runs the 1/N share of every job (k6's execution segments).

The split rules, chosen so that the union of segments 0/N … N-1/N is the one-process run:

- **rate** (and every ramp stage) × 1/N. With even spacing the one-process schedule sends at
  ``phase + k·gap``; segment I takes the sends whose index k ≡ I (mod N), i.e. rate/N starting at
  ``phase + I·gap`` (I/N of its own interval). The phase is the same in every segment (drawn from
  a generator seeded with the job's name), so the union is evenly spaced with no near-simultaneous
  pairs. Poisson arrivals stay independent in each segment: N Poisson processes at rate/N are one
  Poisson process at the total rate.
- **count**, **workers** and **max_in_flight** are split exactly: total // N, plus one for the
  first total % N segments (10 over 3 → 4, 3, 3). workers and max_in_flight keep at least 1,
  so every segment can send its share.
- **stop conditions** are judged on the segment's own share: the failure rate and p95 are
  ratios, so they keep their thresholds; ``min_count`` is split like a count (at least 1).
- **sequential sources**: segment I sends the files at positions k ≡ I (mod N) of the
  one-process order (file k of the listing, looping), so two segments never send the same file
  at the same moment, and without ``loop`` the segments send disjoint files that together are
  the whole directory once. Random order shuffles independently in each segment.
"""

import argparse
import dataclasses
import math
import random
from typing import List

from fth.config.model import JobConfig, Ramp, RampStage, RunConfig, Segment

WHOLE = Segment()


def parse_segment(text: str) -> Segment:
    """``"1/4"`` → Segment(1, 4); I runs from 0 to N-1 (a Kubernetes completion index)."""
    index, slash, count = text.strip().partition("/")
    try:
        segment = Segment(int(index), int(count))
    except ValueError:
        segment = None
    if not slash or segment is None or segment.count < 1 or not 0 <= segment.index < segment.count:
        raise argparse.ArgumentTypeError(f"{text!r} is not a segment; expected I/N with 0 <= I < N, e.g. 0/4")
    return segment


def share(total: int, segment: Segment) -> int:
    """Segment's exact share of ``total`` whole things: the shares of all segments add up to ``total``."""
    return total // segment.count + (1 if segment.index < total % segment.count else 0)


def _scaled_ramp(ramp: Ramp, factor: float) -> Ramp:
    return Ramp(start=ramp.start * factor,
                stages=tuple(RampStage(stage.target * factor, stage.duration) for stage in ramp.stages))


def split_job(job: JobConfig, segment: Segment) -> JobConfig:
    """The share of ``job`` that ``segment`` runs (the job itself for the whole run)."""
    if segment.count == 1:
        return job
    factor = 1.0 / segment.count
    return dataclasses.replace(
        job,
        rate=job.rate * factor,
        ramp=_scaled_ramp(job.ramp, factor) if job.ramp else None,
        count=share(job.count, segment) if job.count is not None else None,
        workers=max(1, share(job.workers, segment)),
        max_in_flight=max(1, share(job.max_in_flight, segment)),
        stop_on=[dataclasses.replace(c, min_count=max(1, share(c.min_count, segment))) for c in job.stop_on],
        segment=segment,
    )


def split_config(config: RunConfig, segment: Segment) -> RunConfig:
    """Every job of ``config`` cut to ``segment``'s share."""
    jobs: List[JobConfig] = [split_job(job, segment) for job in config.jobs]
    return dataclasses.replace(config, jobs=jobs)


def whole_gap_phase(job_name: str, gap: float) -> float:
    """The one-process phase of an evenly spaced job: the same in every segment of the run."""
    return random.Random(f"fth-phase:{job_name}").uniform(0.0, gap) if math.isfinite(gap) else 0.0
