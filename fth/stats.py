"""Statistics in bounded memory: log-bucket histograms, counters and a fixed-size timeline.

A :class:`Histogram` keeps counts in logarithmic buckets 2 % wide, so every
reported percentile is within 1 % of a recorded value, whatever the run length;
about 1,100 buckets cover 1 µs to one hour. Histograms, :class:`JobStats` and
:class:`Timeline` merge (``merge``) and serialise (``to_dict``/``from_dict``), so
figures from several processes add up. Nothing here grows with run length: the
recent window is a ring of one-second slots and the timeline halves its
resolution instead of growing.
"""

import bisect
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Iterable, List, Optional, Sequence

from fth.faults import NOT_SENT, is_harness_fault

BUCKET_GROWTH = 1.02  # bucket width: a midpoint is within 1 % of any value in it
_LOG_GROWTH = math.log(BUCKET_GROWTH)
_MIN_VALUE = 1e-6  # seconds; smaller values land in the first bucket
PERCENTILES = (0.5, 0.9, 0.95, 0.99)
TIMELINE_POINTS = 240  # the timeline never holds more intervals than this


def bucket_of(value: float) -> int:
    return int(math.log(max(value, _MIN_VALUE) / _MIN_VALUE) / _LOG_GROWTH)


def _bucket_value(index: int) -> float:
    """Geometric midpoint of bucket ``index``."""
    return _MIN_VALUE * BUCKET_GROWTH ** (index + 0.5)


@dataclass
class Histogram:
    """Durations in seconds, bucketed logarithmically (≤1 % relative error)."""

    count: int = 0
    total: float = 0.0
    min: float = math.inf
    max: float = 0.0
    buckets: Dict[int, int] = field(default_factory=dict)

    def record(self, value: float, index: Optional[int] = None) -> None:
        """Count ``value`` (seconds); ``index`` is its bucket when the caller already knows it."""
        self.count += 1
        self.total += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if index is None:
            index = bucket_of(value)
        self.buckets[index] = self.buckets.get(index, 0) + 1

    def merge(self, other: "Histogram") -> None:
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        for index, count in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + count

    @property
    def mean(self) -> Optional[float]:
        return self.total / self.count if self.count else None

    def percentile(self, fraction: float) -> Optional[float]:
        """The value below which ``fraction`` of the samples fall, clamped to [min, max]."""
        if not self.count:
            return None
        rank = max(1, math.ceil(fraction * self.count))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return min(max(_bucket_value(index), self.min), self.max)
        return self.max

    def cumulative(self, bounds: Sequence[float]) -> List[int]:
        """How many values lie at or below each of the ascending ``bounds`` (Prometheus ``le``).

        A bucket counts by its midpoint, as :meth:`percentile` reads it: within 1 % of the bound.
        """
        last = []  # per bound, the last bucket whose midpoint is at or below it
        for bound in bounds:
            index = bucket_of(bound)
            last.append(index if _bucket_value(index) <= bound else index - 1)
        counts = [0] * (len(bounds) + 1)
        for index, count in self.buckets.items():
            counts[bisect.bisect_left(last, index)] += count
        running = 0
        result = []
        for count in counts[:-1]:
            running += count
            result.append(running)
        return result

    def summary_ms(self) -> Dict[str, Optional[float]]:
        """min/avg/p50/p90/p95/p99/max in milliseconds (None when empty)."""

        def ms(value: Optional[float]) -> Optional[float]:
            return None if value is None else round(value * 1000, 3)

        result = {"min": ms(self.min if self.count else None), "avg": ms(self.mean)}
        for fraction in PERCENTILES:
            result[f"p{int(fraction * 100)}"] = ms(self.percentile(fraction))
        result["max"] = ms(self.max if self.count else None)
        return result

    def to_dict(self) -> dict:
        return {"count": self.count, "total": self.total, "min": self.min if self.count else None,
                "max": self.max, "buckets": {str(k): v for k, v in self.buckets.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Histogram":
        hist = cls(count=read_count(data["count"], "count"), total=read_number(data["total"], "total"),
                   max=read_number(data["max"], "max"))
        hist.min = read_number(data["min"], "min") if data["min"] is not None else math.inf
        hist.buckets = {_bucket_index(k): read_count(v, "a bucket's count") for k, v in data["buckets"].items()}
        if sum(hist.buckets.values()) != hist.count:
            raise ValueError(f"a histogram of {hist.count} values holds {sum(hist.buckets.values())} in its buckets")
        return hist


@dataclass
class Slot:
    """Counts for one interval of time."""

    start: float = 0.0  # seconds since the run started
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0  # sent and failed (not_sent apart, as in JobStats)
    bytes: int = 0
    not_sent: int = 0
    harness: int = 0  # failures that are the harness's own (fth.faults.HARNESS_FAULTS)
    latency: Histogram = field(default_factory=Histogram)

    def add(self, ok: bool, size: int, latency: Optional[float], bucket: Optional[int] = None,
            fault: Optional[str] = None) -> None:
        self.attempted += 1
        if ok:
            self.succeeded += 1
            self.bytes += size
        elif fault == NOT_SENT:
            self.not_sent += 1
        else:
            self.failed += 1
            if fault is not None and is_harness_fault(fault):
                self.harness += 1
        if latency is not None:
            self.latency.record(latency, bucket)

    def merge(self, other: "Slot") -> None:
        self.attempted += other.attempted
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.bytes += other.bytes
        self.not_sent += other.not_sent
        self.harness += other.harness
        self.latency.merge(other.latency)

    @property
    def sent(self) -> int:
        """Transfers started (attempted less not sent): what an achieved rate counts."""
        return self.attempted - self.not_sent

    def to_dict(self) -> dict:
        return {"start": self.start, "attempted": self.attempted, "succeeded": self.succeeded,
                "failed": self.failed, "bytes": self.bytes, "not_sent": self.not_sent, "harness": self.harness,
                "latency": self.latency.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> "Slot":
        slot = cls(start=read_number(data["start"], "a slot's start"),
                   **{name: read_count(data.get(name, 0), name) for name in _SLOT_COUNTS},
                   latency=Histogram.from_dict(data["latency"]))
        accounted(slot, "a timeline slot")
        return slot


class RecentWindow:
    """One-second slots for the last ``seconds`` seconds (a ring: fixed memory)."""

    def __init__(self, seconds: int = 60):
        self.seconds = seconds
        self.slots: Deque[Slot] = deque(maxlen=seconds)

    def _slot(self, now: float) -> Slot:
        second = float(int(now))
        if not self.slots or self.slots[-1].start != second:
            self.slots.append(Slot(start=second))
        return self.slots[-1]

    def add(self, now: float, ok: bool, size: int, latency: Optional[float], bucket: Optional[int] = None,
            fault: Optional[str] = None) -> None:
        self._slot(now).add(ok, size, latency, bucket, fault)

    def total(self, now: float, window: float) -> Slot:
        """All slots that started within ``window`` seconds before ``now``.

        The result's ``start`` is the first whole second included, so ``now - start`` is the
        time its counts cover (less than ``window``: the oldest, partly covered slot is left out).
        """
        since = max(0.0, float(math.ceil(now - window)))
        merged = Slot(start=since)
        for slot in self.slots:
            if slot.start >= since:
                merged.merge(slot)
        return merged

    def rate(self, now: float, window: float) -> float:
        """Transfers started per second over the last ``window`` seconds."""
        recent = self.total(now, window)
        return recent.sent / max(now - recent.start, 1e-9)


class Timeline:
    """Intervals over the whole run; when full, neighbours merge and the width doubles."""

    def __init__(self, width: float = 10.0, points: int = TIMELINE_POINTS):
        self.width = width
        self.points = points
        self.slots: List[Slot] = []

    def add(self, now: float, ok: bool, size: int, latency: Optional[float], bucket: Optional[int] = None,
            fault: Optional[str] = None) -> None:
        index = int(now // self.width)
        while index >= self.points:
            self._coarsen()
            index = int(now // self.width)
        while len(self.slots) <= index:
            self.slots.append(Slot(start=len(self.slots) * self.width))
        self.slots[index].add(ok, size, latency, bucket, fault)

    def _coarsen(self) -> None:
        merged = []
        for first in range(0, len(self.slots), 2):
            slot = Slot(start=self.slots[first].start)
            for part in self.slots[first:first + 2]:
                slot.merge(part)
            merged.append(slot)
        self.slots = merged
        self.width *= 2

    def absorb(self, other: "Timeline", shift: float = 0.0) -> None:
        """Add ``other``'s intervals, whose origin lies ``shift`` seconds after this one's.

        Widths are the same base doubled, so with a common origin (``shift`` 0) every interval
        lands whole in one of ours: the sum is exact.
        """
        while self.width < other.width:
            self._coarsen()
        for slot in other.slots:
            start = slot.start + shift
            index = int(max(start, 0.0) // self.width)
            while index >= self.points:
                self._coarsen()
                index = int(max(start, 0.0) // self.width)
            while len(self.slots) <= index:
                self.slots.append(Slot(start=len(self.slots) * self.width))
            self.slots[index].merge(slot)

    def to_dict(self) -> dict:
        return {"width": self.width, "points": self.points, "slots": [slot.to_dict() for slot in self.slots]}

    @classmethod
    def from_dict(cls, data: dict) -> "Timeline":
        width, points = read_number(data["width"], "the timeline's width"), read_count(data["points"], "points")
        if width <= 0 or not 1 <= points <= MAX_TIMELINE_POINTS or len(data["slots"]) > points:
            raise ValueError(f"a timeline of {len(data['slots'])} slots {width:g} s wide in {points} points")
        timeline = cls(width=width, points=points)
        timeline.slots = [Slot.from_dict(slot) for slot in data["slots"]]
        return timeline

    def rows(self) -> List[dict]:
        return [{"start_s": slot.start, "width_s": self.width, "attempted": slot.attempted,
                 "succeeded": slot.succeeded, "failed": slot.failed, "not_sent": slot.not_sent, "bytes": slot.bytes,
                 "p95_ms": _ms(slot.latency.percentile(0.95))} for slot in self.slots]


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value * 1000, 3)


@dataclass
class JobStats:
    """Everything counted for one job; merge() adds another job's (or process's) figures."""

    name: str
    protocol: str = ""
    mode: str = ""
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    not_sent: int = 0  # fire mode: dropped at max_in_flight (attempted = succeeded + failed + not_sent)
    late: int = 0  # sends that started more than LATE_AFTER after their intended time
    bytes: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0  # merged across processes as a sum: an upper bound
    scheduled: float = 0.0  # sends the schedule called for (the target)
    errors: Counter = field(default_factory=Counter)
    latency: Histogram = field(default_factory=Histogram)  # from the intended send time
    service: Histogram = field(default_factory=Histogram)  # from the actual send time
    lateness: Histogram = field(default_factory=Histogram)
    phases: Dict[str, Histogram] = field(default_factory=dict)
    first_start: Optional[float] = None
    last_end: Optional[float] = None

    def merge(self, other: "JobStats") -> None:
        for name in ("attempted", "succeeded", "failed", "not_sent", "late", "bytes", "in_flight", "peak_in_flight",
                     "scheduled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.update(other.errors)
        self.latency.merge(other.latency)
        self.service.merge(other.service)
        self.lateness.merge(other.lateness)
        for phase, hist in other.phases.items():
            self.phases.setdefault(phase, Histogram()).merge(hist)
        starts = [t for t in (self.first_start, other.first_start) if t is not None]
        ends = [t for t in (self.last_end, other.last_end) if t is not None]
        self.first_start = min(starts) if starts else None
        self.last_end = max(ends) if ends else None

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in (
            "name", "protocol", "mode", "attempted", "succeeded", "failed", "not_sent", "late", "bytes",
            "in_flight", "peak_in_flight", "scheduled", "first_start", "last_end")}
        data["errors"] = dict(self.errors)
        for name in ("latency", "service", "lateness"):
            data[name] = getattr(self, name).to_dict()
        data["phases"] = {phase: hist.to_dict() for phase, hist in self.phases.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "JobStats":
        stats = cls(name=read_text(data["name"], "a job's name"), protocol=read_text(data["protocol"], "protocol"),
                    mode=read_text(data["mode"], "mode"), scheduled=read_number(data["scheduled"], "scheduled"))
        for name in ("attempted", "succeeded", "failed", "not_sent", "late", "bytes", "in_flight", "peak_in_flight"):
            setattr(stats, name, read_count(data[name], name))
        for name in ("first_start", "last_end"):
            setattr(stats, name, None if data[name] is None else read_number(data[name], name))
        accounted(stats, f"job {stats.name}")
        stats.errors = Counter({read_text(kind, "a fault kind"): read_count(count, f"the count of {kind}")
                                for kind, count in data["errors"].items()})
        for name in ("latency", "service", "lateness"):
            setattr(stats, name, Histogram.from_dict(data[name]))
        stats.phases = {phase: Histogram.from_dict(hist) for phase, hist in data["phases"].items()}
        return stats


MAX_COUNT = 2 ** 62  # more transfers than any run makes: a document claiming more is damaged
MAX_TIMELINE_POINTS = 100_000
MAX_SECONDS = 1e12  # about 31,700 years: any time or sum of times a document holds
_MAX_BUCKET = 10_000  # bucket_of(a year) is about 1,600
_SLOT_COUNTS = ("attempted", "succeeded", "failed", "bytes", "not_sent", "harness")


def read_count(value: object, name: str) -> int:
    """A count read back from a figures document: a whole number from 0 (not true, 2.5, NaN or 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{name} is {_shown(value)}, not a count")
    return value


def read_number(value: object, name: str) -> float:
    """A time or an amount read back from a figures document: a finite number (not true, NaN or 10**400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -MAX_SECONDS <= value <= MAX_SECONDS:
        raise ValueError(f"{name} is {_shown(value)}, not a finite number")
    return float(value)


def read_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is {_shown(value)}, not a text")
    return value


def _shown(value: object) -> str:
    """A damaged value as the message names it: a text in quotes, anything cut at 40 characters."""
    return repr(value)[:40]


def _bucket_index(key: object) -> int:
    index = int(read_text(key, "a bucket"))
    if not 0 <= index <= _MAX_BUCKET:
        raise ValueError(f"bucket {index} is out of range")
    return index


def accounted(figures: object, what: str) -> None:
    """Every attempt is exactly one of: succeeded, failed, not sent (a document that says otherwise is damaged)."""
    attempted, parts = figures.attempted, (figures.succeeded, figures.failed, figures.not_sent)  # type: ignore[attr-defined]
    if attempted != sum(parts):
        raise ValueError(f"{what}: attempted {attempted} is not succeeded + failed + not sent ({sum(parts)})")


def merge_all(name: str, parts: Iterable[JobStats]) -> JobStats:
    total = JobStats(name=name)
    for part in parts:
        total.merge(part)
    return total
