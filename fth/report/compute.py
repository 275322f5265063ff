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
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, repeat
from operator import attrgetter, floordiv, is_not, itemgetter, le, sub, truediv
from typing import Any, Collection, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from fth.report.selection import ranked

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

    Eight slots, 96 bytes (reports hold millions): ``kind``, ``outcome``, ``ingress_status`` and ``status``
    are one shared tuple, :attr:`verdict` (a report has a few dozen distinct ones), and ``passed`` is
    ``outcome == "pass"``.
    """

    __slots__ = ("end", "filename", "job", "size", "start", "username", "uuid", "verdict")

    def __init__(self, username: Optional[str], filename: Optional[str], start: Optional[float],
                 end: Optional[float], status: Optional[str], passed: bool, *, size: Optional[int] = None,
                 uuid: Optional[str] = None, ingress_status: Optional[str] = None, kind: str = PAIR,
                 job: Optional[str] = None, in_progress: bool = False) -> None:
        self.username = username
        self.filename = filename
        self.start = start
        self.end = end
        self.size = size
        self.uuid = uuid
        self.job = job
        self.verdict = verdict_of(kind, PENDING if in_progress and not passed else outcome_of(status, passed),
                                  ingress_status, status)

    @property
    def kind(self) -> str:
        return self.verdict[0]

    @property
    def outcome(self) -> str:
        return self.verdict[1]

    @property
    def ingress_status(self) -> Optional[str]:
        return self.verdict[2]

    @property
    def status(self) -> Optional[str]:
        return self.verdict[3]

    @property
    def passed(self) -> bool:
        return self.verdict[1] == PASS

    @property
    def transit(self) -> Optional[float]:
        """``end - start`` in seconds, or None when either is unknown."""
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def __repr__(self) -> str:
        return (f"Record(uuid={self.uuid!r}, username={self.username!r}, status={self.status!r}, "
                f"outcome={self.outcome!r}, kind={self.kind!r}, transit={self.transit!r})")


Verdict = Tuple[str, str, Optional[str], Optional[str]]  # (kind, outcome, ingress_status, status)
VERDICT_CACHE = 10_000


def verdict_of(kind: str, outcome: str, ingress_status: Optional[str], status: Optional[str]) -> Verdict:
    """The shared ``(kind, outcome, ingress_status, status)`` tuple (a new one once :data:`VERDICT_CACHE`
    distinct ones are held: hostile data can have any number of statuses)."""
    key = (kind, outcome, ingress_status, status)
    shared = _VERDICTS.get(key)
    if shared is None:
        if len(_VERDICTS) >= VERDICT_CACHE:
            return key
        shared = _VERDICTS[key] = key
    return shared


_VERDICTS: Dict[Verdict, Verdict] = {}


class Chained(SequenceABC):
    """Lists one after the other, read as one sequence without copying them (a report's millions of records:
    pairs, then ingress-only, then egress-only)."""

    def __init__(self, *parts: Sequence[Record]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    def __iter__(self) -> Iterator[Record]:
        return chain.from_iterable(self.parts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        place = index + len(self) if index < 0 else index
        for part in self.parts:
            if 0 <= place < len(part):
                return part[place]
            place -= len(part)
        raise IndexError(index)


def job_of(jobs: Mapping[str, str], username: Optional[str]) -> Optional[str]:
    """The group of ``username`` by ``jobs`` (username → group name), None for a user of no job: the rule of
    :func:`summarize`, which sets each record's ``job`` by it."""
    return jobs.get(username or "")


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
        ordered = ranked(values, [rank for pct in PERCENTILES for rank in _ranks(count, pct)])
        mean = math.fsum(values) / count  # exact whatever the order
        variance = math.fsum(map(pow, map(sub, values, repeat(mean)), repeat(2))) / count  # (v - mean) ** 2, in C
        return cls(count, min(values), max(values), mean, *(percentile(ordered, pct) for pct in PERCENTILES),
                   math.sqrt(variance))

    def as_dict(self, digits: int = 3, keys: Sequence[str] = ("min", "avg", "median", "p95", "p99", "max",
                                                               "stddev")) -> Dict[str, Optional[float]]:
        return {key: _round(getattr(self, key), digits) for key in keys}


PERCENTILES = (50, 95, 99)  # median, p95, p99


def _ranks(count: int, pct: float) -> Tuple[int, int]:
    """The two ranks :func:`percentile` reads for ``pct`` of ``count`` values."""
    low = math.floor((count - 1) * pct / 100.0)
    return low, min(low + 1, count - 1)


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
    return _Columns(records if isinstance(records, list) else list(records)).stats(name, username)


class _Columns:
    """What the figures of a set of paired records are computed from, taken in a few passes over them.

    At a million records each pass is a million cache misses (the records and their times lie all over
    the heap), so each column is read once, as compactly as it goes: the times into arrays, the outcomes
    into bytes, the records' verdicts counted in one ``Counter`` (its order is each status's first
    appearance). ``map``, ``filter`` and ``Counter`` run in C. Records without both times (rare: broken
    or unfinished rows) are kept aside as ``loose``. :meth:`stats` also leaves the group's data rates in
    ``rates``, for the total's.
    """

    def __init__(self, records: List[Record]) -> None:
        self.records = records
        self.keys = Counter(map(_VERDICT, records))
        try:  # a record without both times makes it fail
            timed = records
            self.starts, ends = array("d", map(_START, records)), array("d", map(_END, records))
            self.loose: List[Record] = []
        except TypeError:
            timed = [record for record in records if record.start is not None and record.end is not None]
            self.loose = [record for record in records if record.start is None or record.end is None]
            self.starts, ends = array("d", map(_START, timed)), array("d", map(_END, timed))
        self.outcomes = bytes(map(_OUTCOME_CODE.__getitem__, map(_OUTCOME_OF_VERDICT, map(_VERDICT, timed))))
        self.sized = any(map(_IS_SOMETHING, map(_SIZE, records)))
        self.transits = array("d", filter(_NOT_NEGATIVE, map(sub, ends, self.starts)))  # end - start
        self.last_timed_end = max(ends, default=None)
        self.rates = array("d")  # bytes/s of each sized record with a positive transit, by stats()

    @property
    def first_start(self) -> Optional[float]:
        return self.start_range()[0]

    @property
    def last_end(self) -> Optional[float]:
        return _most(self.last_timed_end, *(record.end for record in self.loose))

    def drop_times(self) -> None:
        """Let the times' columns go (the transits and rates stay)."""
        self.starts, self.outcomes, self.loose = array("d"), b"", []

    def start_range(self) -> Tuple[Optional[float], Optional[float]]:
        """The least and the greatest start time (None, None without any)."""
        loose = [record.start for record in self.loose if record.start is not None]
        return _least(min(self.starts, default=None), *loose), _most(max(self.starts, default=None), *loose)

    def starts_within(self, window: Tuple[float, float]) -> List[float]:
        return [start for starts in (self.starts, (record.start for record in self.loose if record.start is not None))
                for start in starts if window[0] <= start < window[1]]

    def stats(self, name: str, username: Optional[str] = None) -> GroupStats:
        stats = _counted(GroupStats(name=name, username=username, files=len(self.records)), self.keys)
        self.rates = rates = array("d")
        if self.sized:
            for record in self.records:
                if record.size is not None:
                    stats.bytes += record.size
                    stats.sized_files += 1
                    transit = record.transit
                    if transit is not None and transit > 0:
                        rates.append(record.size / transit)
        stats.transit = Distribution.of(self.transits)
        stats.rate = Distribution.of(rates)
        stats.first_start, stats.last_end = self.first_start, self.last_end
        return stats

    def timeline(self, start: float, end: float, max_buckets: int = MAX_BUCKETS) -> List[Bucket]:
        origin, step, count = _grid(start, end, max_buckets)
        buckets = [Bucket(origin + index * step) for index in range(count)]
        slots = map(floordiv, map(sub, self.starts, repeat(origin)), repeat(step))  # (start - origin) // step
        for (slot, code), files in Counter(zip(slots, self.outcomes)).items():  # in C
            _add(buckets, int(slot), files, OUTCOMES[code])
        for record in self.loose:
            if record.start is not None:
                _add(buckets, int((record.start - origin) // step), 1, record.outcome)
        if self.sized:
            for record in self.records:
                if record.start is not None:
                    index = int((record.start - origin) // step)
                    if 0 <= index < count:
                        buckets[index].bytes += record.size or 0
        return buckets


def _counted(stats: GroupStats, verdicts: Mapping[Verdict, int]) -> GroupStats:
    """``stats`` with its outcome and status counts from the records' ``verdicts``; statuses that are None or
    empty count as "—", in the place where the first of them came."""
    for (_kind, outcome, ingress_status, status), count in verdicts.items():
        stats.outcomes[outcome] += count
        status = status or "—"
        stats.by_status[status] = stats.by_status.get(status, 0) + count
        pair = (ingress_status or "—", status)
        stats.by_pair_status[pair] = stats.by_pair_status.get(pair, 0) + count
    return stats


def _add(buckets: List[Bucket], index: int, files: int, outcome: str) -> None:
    if 0 <= index < len(buckets):
        bucket = buckets[index]
        bucket.files += files
        if outcome == PASS:
            bucket.passed += files
        elif outcome in (FAIL, TIMEOUT):
            bucket.failed += files


def _least(*values: Optional[float]) -> Optional[float]:
    return min(filter(_IS_SOMETHING, values), default=None)


def _most(*values: Optional[float]) -> Optional[float]:
    return max(filter(_IS_SOMETHING, values), default=None)


_VERDICT, _START, _END, _SIZE = attrgetter("verdict"), attrgetter("start"), attrgetter("end"), attrgetter("size")
_OUTCOME_OF_VERDICT = itemgetter(1)
_OUTCOME_CODE = {outcome: code for code, outcome in enumerate(OUTCOMES)}
_IS_SOMETHING = partial(is_not, None)  # x is not None, in C
_NOT_NEGATIVE = partial(le, 0.0)  # 0.0 <= x, in C


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
    return _span([_Columns(records if isinstance(records, list) else list(records))], window)


def _span(parts: Sequence[_Columns], window: Tuple[float, float]) -> Tuple[float, float]:
    """:func:`data_span` of the records of ``parts``."""
    ranges = [part.start_range() for part in parts]
    first, last = _least(*(low for low, _high in ranges)), _most(*(high for _low, high in ranges))
    if first is None or last is None or first < window[0] or last >= window[1]:  # some outside: those inside
        inside = [start for part in parts for start in part.starts_within(window)]
        if not inside:
            return window
        first, last = min(inside), max(inside)
    return first, min(window[1], math.nextafter(last, math.inf))


def _grid(start: float, end: float, max_buckets: int) -> Tuple[float, float, int]:
    """The timeline's first bucket start, bucket width and number of buckets for ``start <= t < end``."""
    step = nice_step(max(end - start, 1.0), max_buckets)
    origin = math.floor(start / step) * step
    return origin, step, max(1, math.ceil((end - origin) / step))


def timeline(records: Iterable[Record], start: float, end: float, max_buckets: int = MAX_BUCKETS) -> List[Bucket]:
    """Files, passes, failures and bytes per interval of start time, ``start <= t < end``."""
    return _Columns(records if isinstance(records, list) else list(records)).timeline(start, end, max_buckets)


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> List[Tuple[float, float, int]]:
    """``(low, high, count)`` bins of equal width covering ``values`` (empty for no values)."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high <= low:
        return [(low, low, len(values))]
    width = (high - low) / bins
    counts = [0] * bins
    indexes = map(min, map(int, map(truediv, map(sub, values, repeat(low)), repeat(width))), repeat(bins - 1))
    for index, count in Counter(indexes).items():  # min(int((value - low) / width), bins - 1) of each, in C
        counts[index] += count
    return [(low + index * width, low + (index + 1) * width, counts[index]) for index in range(bins)]


@dataclass
class Summary:
    """Everything a report shows, computed by :func:`summarize`."""

    total: GroupStats
    groups: List[GroupStats]
    records: Sequence[Record]  # as given (a list or other sequence is kept, not copied)
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

    Each paired record is read by the columns of its group (:class:`_Columns`; the records of unknown
    users form one more part) and the total is put together from the parts: only the order of its
    statuses takes one more pass.
    """
    if not isinstance(records, SequenceABC):  # read more than once and kept: an iterator is listed
        records = list(records)
    unknown: Dict[str, int] = {}
    grouped: Dict[Optional[str], List[Record]] = {}
    lost: Dict[str, int] = {}
    group_users: Dict[str, Optional[str]] = {}
    if jobs is not None:
        for username, job in jobs.items():
            grouped.setdefault(job, [])
            group_users.setdefault(job, username)
    total_lost = unknown_included = 0
    job_by_user = None if jobs is None else jobs.get
    for record in records:
        username, kind = record.username, record.verdict[0]
        if job_by_user is None:
            group = username or "(NULL)"
        else:
            group = record.job = job_by_user(username or "")  # job_of, in line: a million records
            if group is None:
                key = username if username is not None else "(NULL)"
                unknown[key] = unknown.get(key, 0) + 1
                unknown_included += kind != EGRESS_ONLY
        if kind == EGRESS_ONLY:
            continue
        members = grouped.get(group)
        if members is None:
            members = grouped[group] = []
            if group is not None:
                group_users.setdefault(group, username)
        if kind == INGRESS_ONLY:
            total_lost += 1
            if group is not None:
                lost[group] = lost.get(group, 0) + 1
            continue
        members.append(record)
    others = grouped.pop(None, [])  # unknown users' pairs: in the total only
    names = list(grouped) if jobs is not None else sorted(grouped)  # type: ignore[type-var]
    parts = {name: _Columns(grouped[name]) for name in names}
    rest = _Columns(others)
    every = [*parts.values(), rest]
    groups = []
    for name in names:
        stats = parts[name].stats(name, group_users.get(name))
        stats.lost = lost.get(name, 0)
        groups.append(stats)
    total = _total(total_name, records, [*groups, rest.stats("")], every)
    total.lost = total_lost
    if window is None:
        window = (total.first_start or 0.0, (total.last_end or total.first_start or 0.0) + 1.0)
    span = _span(every, window)
    group_timelines = {name: parts[name].timeline(span[0], span[1], max_buckets) for name in names}
    total_timeline = _merged([*group_timelines.values(), rest.timeline(span[0], span[1], max_buckets)])
    transits = array("d")
    for part in every:
        part.drop_times()
        transits.extend(part.transits)
        part.transits = array("d")  # each value held once at a time
    total.transit = Distribution.of(transits)
    return Summary(total=total, groups=groups, records=records, window_start=window[0], window_end=window[1],
                   timeline=total_timeline, transit_histogram=histogram(transits),
                   unknown_users=sorted(unknown.items(), key=lambda item: (-item[1], item[0])),
                   unknown_included=unknown_included, group_timelines=group_timelines)


def _total(name: str, records: Sequence[Record], parts: Sequence[GroupStats],
           columns: Sequence[_Columns]) -> GroupStats:
    """The total's statistics from its parts' (all but the transits, which the caller adds); its statuses are
    the parts' counts in their order of first appearance among all ``records``."""
    counts: Counter = Counter()
    for part in columns:
        counts.update(part.keys)
    total = _counted(GroupStats(name=name, files=sum(part.files for part in parts)),
                     {verdict: counts[verdict] for verdict in _first_seen(map(_VERDICT, records), counts)})
    total.bytes = sum(part.bytes for part in parts)
    total.sized_files = sum(part.sized_files for part in parts)
    rates = array("d")
    for part in columns:
        rates.extend(part.rates)
    total.rate = Distribution.of(rates)
    total.first_start = _least(*(part.first_start for part in parts))
    total.last_end = _most(*(part.last_end for part in parts))
    return total


def _first_seen(values: Iterable[Any], wanted: Collection[Any]) -> List[Any]:
    """The distinct ``values`` that are ``wanted``, in their order of first appearance, read no further than
    the last of them (a million records' verdicts: the few there are all come in the first few rows)."""
    seen: Dict[Any, None] = {}
    left = len(wanted)
    for value in values:
        if value not in seen and value in wanted:
            seen[value] = None
            left -= 1
            if not left:
                break
    return list(seen)


def _merged(timelines: Sequence[List[Bucket]]) -> List[Bucket]:
    """Bucket by bucket sums of timelines on one grid."""
    merged = [Bucket(bucket.start) for bucket in timelines[0]]
    for buckets in timelines:
        for into, bucket in zip(merged, buckets):
            into.files += bucket.files
            into.passed += bucket.passed
            into.failed += bucket.failed
            into.bytes += bucket.bytes
    return merged
