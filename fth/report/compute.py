"""Records in, statistics out: the generic core shared by ``fth-report`` and ``fth-web``'s report form.

A :class:`Record` is one transfer as seen end to end, whatever table it came from. Callers decide
``passed`` (``fth-report``: egress status SUCCESS; ``fth-web`` dashboard: status COMPLETE).
:func:`summarize` groups records (by job via a username→job mapping, else by username) and
computes a :class:`GroupStats` for the total and for each group. All times are epoch seconds
(floats); percentiles interpolate linearly between ranks; the standard deviation is the
population one (n in the denominator).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, is_not
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

PASS, FAIL, TIMEOUT, PENDING = "pass", "fail", "timeout", "pending"
OUTCOMES = (PASS, FAIL, TIMEOUT, PENDING)
PAIR, INGRESS_ONLY, EGRESS_ONLY = "pair", "ingress_only", "egress_only"
MAX_BUCKETS = 60
HISTOGRAM_BINS = 20


class Record:
    """One transfer. ``start``/``end`` are epoch seconds (None when unknown).

    ``status`` is the deciding status (egress); ``ingress_status`` the other stage's, if any.
    ``passed`` says whether the transfer counts as a pass; ``outcome`` refines a non-pass into
    ``timeout`` (status contains TIMEOUT), ``pending`` (no status yet, or ``in_progress``: e.g.
    the dashboard's SUBMITTED) or ``fail``.
    ``kind`` is ``pair``, ``ingress_only`` or ``egress_only``; ``job`` is filled by :func:`summarize`.
    """

    __slots__ = ("end", "filename", "ingress_status", "job", "kind", "outcome", "passed", "size", "start",
                 "status", "username", "uuid")

    def __init__(self, username: Optional[str], filename: Optional[str], start: Optional[float],
                 end: Optional[float], status: Optional[str], passed: bool, *, size: Optional[int] = None,
                 uuid: Optional[str] = None, ingress_status: Optional[str] = None, kind: str = PAIR,
                 job: Optional[str] = None, in_progress: bool = False) -> None:
        self.username = username
        self.filename = filename
        self.start = start
        self.end = end
        self.status = status
        self.passed = passed
        self.size = size
        self.uuid = uuid
        self.ingress_status = ingress_status
        self.kind = kind
        self.job = job
        self.outcome = PENDING if in_progress and not passed else outcome_of(status, passed)

    @property
    def transit(self) -> Optional[float]:
        """``end - start`` in seconds, or None when either is unknown."""
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def __repr__(self) -> str:
        return (f"Record(uuid={self.uuid!r}, username={self.username!r}, status={self.status!r}, "
                f"outcome={self.outcome!r}, kind={self.kind!r}, transit={self.transit!r})")


def outcome_of(status: Optional[str], passed: bool) -> str:
    if passed:
        return PASS
    if not status:
        return PENDING
    return TIMEOUT if "TIMEOUT" in status.upper() else FAIL


@dataclass
class Distribution:
    """Summary of a sample of floats; every figure is None for an empty sample."""

    count: int = 0
    min: Optional[float] = None
    max: Optional[float] = None
    avg: Optional[float] = None
    median: Optional[float] = None
    p95: Optional[float] = None
    p99: Optional[float] = None
    stddev: Optional[float] = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        count = len(values)
        if not count:
            return cls()
        ordered = sorted(values)
        mean = math.fsum(ordered) / count
        variance = math.fsum((value - mean) ** 2 for value in ordered) / count
        return cls(count, ordered[0], ordered[-1], mean, percentile(ordered, 50), percentile(ordered, 95),
                   percentile(ordered, 99), math.sqrt(variance))

    def as_dict(self, digits: int = 3, keys: Sequence[str] = ("min", "avg", "median", "p95", "p99", "max",
                                                               "stddev")) -> Dict[str, Optional[float]]:
        return {key: _round(getattr(self, key), digits) for key in keys}


def percentile(ordered: Sequence[float], pct: float) -> Optional[float]:
    """Linear interpolation between closest ranks of an ascending sequence."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: Optional[float], digits: int) -> Optional[float]:
    return None if value is None else round(value, digits)


@dataclass
class Bucket:
    """One interval of the throughput timeline (by start time)."""

    start: float
    files: int = 0
    passed: int = 0
    failed: int = 0
    bytes: int = 0


@dataclass
class GroupStats:
    """Statistics of a set of records (the whole run, one job or one username)."""

    name: str
    username: Optional[str] = None
    files: int = 0  # paired transfers
    lost: int = 0  # ingress rows with no egress partner (after settling)
    outcomes: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    by_status: Dict[str, int] = field(default_factory=dict)
    by_pair_status: Dict[Tuple[str, str], int] = field(default_factory=dict)
    bytes: int = 0
    sized_files: int = 0
    transit: Distribution = field(default_factory=Distribution)
    rate: Distribution = field(default_factory=Distribution)  # bytes/s of each file with size and transit
    first_start: Optional[float] = None
    last_end: Optional[float] = None

    @property
    def passed(self) -> int:
        return self.outcomes[PASS]

    @property
    def failed(self) -> int:
        return self.outcomes[FAIL]

    @property
    def timeout(self) -> int:
        return self.outcomes[TIMEOUT]

    @property
    def pending(self) -> int:
        return self.outcomes[PENDING]

    @property
    def pass_rate(self) -> Optional[float]:
        """passed / (paired + lost) × 100; None when there are neither."""
        attempted = self.files + self.lost
        return 100.0 * self.passed / attempted if attempted else None

    @property
    def files_per_s(self) -> Optional[float]:
        if self.first_start is None or self.last_end is None or self.last_end <= self.first_start:
            return None
        return self.files / (self.last_end - self.first_start)

    @property
    def bytes_per_s(self) -> Optional[float]:
        if self.first_start is None or self.last_end is None or self.last_end <= self.first_start:
            return None
        return self.bytes / (self.last_end - self.first_start)


def group_stats(name: str, records: Iterable[Record], username: Optional[str] = None) -> GroupStats:
    """Counts, status breakdowns, transit and data-rate distributions of ``records``."""
    return _group_stats(name, records, username)[0]


def _group_stats(name: str, records: Iterable[Record], username: Optional[str] = None) -> Tuple[GroupStats, array]:
    """:func:`group_stats`, and the transits (for the histogram: kept compact, not as a list of floats).

    Counted column by column (``map``, ``filter`` and ``Counter`` run in C), with nothing a record long
    held but the transits' array: a million records are counted in a fraction of a loop's time.
    Statuses that are None or empty count as "—", in the place where the first of them came.
    """
    records = records if isinstance(records, list) else list(records)
    stats = GroupStats(name=name, username=username, files=len(records))
    for outcome, count in Counter(map(_OUTCOME, records)).items():
        stats.outcomes[outcome] += count
    stats.by_status = _dashed(Counter(map(_STATUS, records)), lambda status: status or "—")
    stats.by_pair_status = _dashed(Counter(zip(map(_INGRESS_STATUS, records), map(_STATUS, records))),
                                   lambda pair: (pair[0] or "—", pair[1] or "—"))
    transits = array("d", (transit for transit in map(_TRANSIT, records) if transit is not None and transit >= 0))
    rates = array("d")
    if any(map(_IS_SOMETHING, map(_SIZE, records))):
        for record in records:
            if record.size is not None:
                stats.bytes += record.size
                stats.sized_files += 1
                transit = record.transit
                if transit is not None and transit > 0:
                    rates.append(record.size / transit)
    stats.transit = Distribution.of(transits)
    stats.rate = Distribution.of(rates)
    stats.first_start = min(filter(_IS_SOMETHING, map(_START, records)), default=None)
    stats.last_end = max(filter(_IS_SOMETHING, map(_END, records)), default=None)
    return stats, transits


_OUTCOME, _STATUS, _INGRESS_STATUS = attrgetter("outcome"), attrgetter("status"), attrgetter("ingress_status")
_START, _END, _SIZE, _TRANSIT = attrgetter("start"), attrgetter("end"), attrgetter("size"), attrgetter("transit")
_IS_SOMETHING = partial(is_not, None)  # x is not None, in C


def _dashed(counts: Mapping[Any, int], key: Callable[[Any], Any]) -> Dict[Any, int]:
    """``counts`` with each key replaced by ``key(key)``, merged counts keeping the first one's place."""
    merged: Dict[Any, int] = {}
    for value, count in counts.items():
        value = key(value)
        merged[value] = merged.get(value, 0) + count
    return merged


def nice_step(span: float, target: int) -> float:
    """A round interval (1, 2, 5 × 10^n seconds, or whole minutes/hours) giving at most ~target steps."""
    raw = max(span / max(target, 1), 1e-3)
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if step >= raw:
            return float(step)
    return math.ceil(raw / 86400) * 86400.0


def data_span(records: Sequence[Record], window: Tuple[float, float]) -> Tuple[float, float]:
    """The part of ``window`` the records' start times cover (the whole window when none has one):
    the timeline's span, so a 20 s run in a 15 min window is charted over its 20 s, not as two
    bars at the edge."""
    starts = [r.start for r in records if r.start is not None and window[0] <= r.start < window[1]]
    if not starts:
        return window
    return min(starts), min(window[1], math.nextafter(max(starts), math.inf))


def timeline(records: Iterable[Record], start: float, end: float, max_buckets: int = MAX_BUCKETS) -> List[Bucket]:
    """Files, passes, failures and bytes per interval of start time, ``start <= t < end``."""
    step = nice_step(max(end - start, 1.0), max_buckets)
    origin = math.floor(start / step) * step
    count = max(1, math.ceil((end - origin) / step))
    buckets = [Bucket(origin + index * step) for index in range(count)]
    for record in records:
        if record.start is None:
            continue
        index = int((record.start - origin) // step)
        if 0 <= index < count:
            bucket = buckets[index]
            bucket.files += 1
            if record.outcome == PASS:
                bucket.passed += 1
            elif record.outcome in (FAIL, TIMEOUT):
                bucket.failed += 1
            bucket.bytes += record.size or 0
    return buckets


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> List[Tuple[float, float, int]]:
    """``(low, high, count)`` bins of equal width covering ``values`` (empty for no values)."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high <= low:
        return [(low, low, len(values))]
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return [(low + index * width, low + (index + 1) * width, counts[index]) for index in range(bins)]


@dataclass
class Summary:
    """Everything a report shows, computed by :func:`summarize`."""

    total: GroupStats
    groups: List[GroupStats]
    records: List[Record]  # as given (a list is kept, not copied)
    window_start: Optional[float] = None
    window_end: Optional[float] = None
    timeline: List[Bucket] = field(default_factory=list)
    transit_histogram: List[Tuple[float, float, int]] = field(default_factory=list)
    unknown_users: List[Tuple[str, int]] = field(default_factory=list)  # (username, rows), most rows first
    unknown_included: int = 0  # transfers (paired + lost) of unknown users counted in the total
    group_timelines: Dict[str, List[Bucket]] = field(default_factory=dict)


def summarize(records: Iterable[Record], *, jobs: Optional[Mapping[str, str]] = None,
              window: Optional[Tuple[float, float]] = None, max_buckets: int = MAX_BUCKETS,
              total_name: str = "All transfers") -> Summary:
    """Statistics of ``records`` overall and per group, in one pass over the records.

    ``jobs`` maps username → group name (a job, or "job-b + job-c" for jobs sharing a username):
    records get ``job`` set, groups are the mapping's groups in order (empty ones included), and
    usernames not in the mapping are listed in ``unknown_users`` (rows of every kind counted);
    their transfers stay in the total, which says how many (``unknown_included``). Without
    ``jobs``, groups are the usernames. ``pair`` records are the statistics; ``ingress_only``
    records count as ``lost`` (pass rate = passed / (paired + lost)); ``egress_only`` records
    are carried in ``records`` for the lists only.
    """
    if not isinstance(records, list):  # read once below and kept: an iterator too
        records = list(records)
    unknown: Dict[str, int] = {}
    grouped: Dict[str, List[Record]] = {}
    lost: Dict[str, int] = {}
    group_users: Dict[str, Optional[str]] = {}
    if jobs is not None:
        for username, job in jobs.items():
            grouped.setdefault(job, [])
            group_users.setdefault(job, username)
    paired: List[Record] = []
    total_lost = unknown_included = 0
    for record in records:
        if jobs is not None:
            record.job = jobs.get(record.username or "")
            if record.job is None:
                key = record.username if record.username is not None else "(NULL)"
                unknown[key] = unknown.get(key, 0) + 1
                unknown_included += record.kind != EGRESS_ONLY
        if record.kind == EGRESS_ONLY:
            continue
        group = record.job if jobs is not None else (record.username or "(NULL)")
        if record.kind == INGRESS_ONLY:
            total_lost += 1
            if group is not None:
                lost[group] = lost.get(group, 0) + 1
                grouped.setdefault(group, [])
                group_users.setdefault(group, record.username)
            continue
        paired.append(record)
        if group is None:
            continue
        grouped.setdefault(group, []).append(record)
        group_users.setdefault(group, record.username)
    total, transits = _group_stats(total_name, paired)
    total.lost = total_lost
    names = list(grouped) if jobs is not None else sorted(grouped)
    groups = [group_stats(name, grouped[name], group_users.get(name)) for name in names]
    for stats in groups:
        stats.lost = lost.get(stats.name, 0)
    if window is None:
        window = (total.first_start or 0.0, (total.last_end or total.first_start or 0.0) + 1.0)
    span = data_span(paired, window)
    summary = Summary(total=total, groups=groups, records=records, window_start=window[0],
                      window_end=window[1], timeline=timeline(paired, span[0], span[1], max_buckets),
                      transit_histogram=histogram(transits),
                      unknown_users=sorted(unknown.items(), key=lambda item: (-item[1], item[0])),
                      unknown_included=unknown_included)
    for name in names:
        summary.group_timelines[name] = timeline(grouped[name], span[0], span[1], max_buckets)
    return summary
