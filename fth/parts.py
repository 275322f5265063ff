"""The mergeable figures of a run: what ``--summary-json`` carries under ``"mergeable"``.

A :class:`RunParts` holds, per job, the raw counters and histograms (:class:`JobStats`), the
timeline with a latency histogram per interval, and the sends the target rate called for,
plus the run's schedule origin, its segment and a hash of the job file. Every figure of a
summary document is computed from a RunParts (:func:`fth.summary.summary_document`), for one
process and for ``fth merge`` alike; merging adds counts and histogram buckets, so the merged
percentiles carry the same error bound as one process (``fth.stats``).
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fth.engine.runner import Breakpoint, Runner
from fth.errors import UsageError
from fth.stats import JobStats, Timeline, read_count, read_number, read_text

FORMAT = "fth-run-parts"
VERSION = 1
MAX_SEGMENTS = 1_000_000
LAST_MOMENT = 253402300799.0  # 9999-12-31 23:59:59 UTC: the last time a summary can name


def job_file_sha256(path: Optional[str], overrides: Sequence[str] = ()) -> Optional[str]:
    """Hash of the job file's bytes and the ``--set`` overrides: segments of one run share it."""
    if not path:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        digest.update(source.read())
    for override in overrides:
        digest.update(b"\0" + override.encode("utf-8"))
    return digest.hexdigest()


@dataclass
class JobPart:
    stats: JobStats
    username: str
    timeline: Timeline
    target_sends: float  # sends the target rate called for while the job was active
    active_s: float  # seconds the job was scheduling, from the run's origin

    def to_dict(self) -> Dict[str, Any]:
        return {"username": self.username, "target_sends": self.target_sends, "active_s": self.active_s,
                "stats": self.stats.to_dict(), "timeline": self.timeline.to_dict()}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "JobPart":
        return cls(JobStats.from_dict(data["stats"]), read_text(data["username"], "username"),
                   Timeline.from_dict(data["timeline"]), _from_zero(data["target_sends"], "target_sends"),
                   _from_zero(data["active_s"], "active_s"))


def _from_zero(value: Any, name: str) -> float:
    """A finite number from 0 (a time since the epoch or the origin, a count of sends)."""
    number = read_number(value, name)
    if number < 0:
        raise ValueError(f"{name} is {number:g}, less than 0")
    return number


def _segments(data: Any) -> Tuple[int, List[int]]:
    """The segment count and this document's indexes: whole numbers, each index below the count, each once."""
    count = read_count(data["count"], "the segment count")
    indexes = [read_count(index, "a segment index") for index in data["indexes"]]
    if not 1 <= count <= MAX_SEGMENTS or not indexes or len(set(indexes)) < len(indexes) or max(indexes) >= count:
        raise ValueError(f"segments {indexes} of {count}")
    return count, indexes


def _texts(value: Any, name: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} is {value!r}, not a list of texts")
    return list(value)


def _breakpoint(value: Any) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(Breakpoint.__dataclass_fields__):
        raise TypeError(f"breakpoint is {repr(value)[:80]}, not null or a breakpoint")
    for name in ("elapsed_s", "target_rate_per_s", "achieved_rate_per_s"):
        _from_zero(value[name], f"breakpoint.{name}")
    read_text(value["job"], "breakpoint.job")
    read_text(value["condition"], "breakpoint.condition")
    return value


@dataclass
class RunParts:
    origin: float  # epoch seconds where the schedules start (--start-at, else the start)
    elapsed_s: float  # from the origin to the end (or to now while running)
    finished: bool
    segment_count: int = 1
    segments: List[int] = field(default_factory=lambda: [0])
    job_file_sha256: Optional[str] = None
    stop_reasons: List[str] = field(default_factory=list)
    breakpoint: Optional[Dict[str, Any]] = None
    jobs: Dict[str, JobPart] = field(default_factory=dict)

    @classmethod
    def from_runner(cls, runner: Runner, job_file_hash: Optional[str] = None) -> "RunParts":
        segment = next(iter(runner.states.values())).config.segment
        origin = runner.started_at.timestamp() if runner.started_at else 0.0
        finished = runner.ended_at is not None
        elapsed = runner.ended_at.timestamp() - origin if finished else runner.elapsed
        parts = cls(origin=origin, elapsed_s=elapsed, finished=finished, segment_count=segment.count,
                    segments=[segment.index], job_file_sha256=job_file_hash,
                    stop_reasons=[runner.stop_reason] if runner.stop_reason else [],
                    breakpoint=dict(runner.breakpoint.__dict__) if runner.breakpoint else None)
        for name, state in runner.states.items():
            parts.jobs[name] = JobPart(state.stats, state.config.username, state.timeline,
                                       runner.target_sends(name), runner.active_seconds(name))
        return parts

    def to_dict(self) -> Dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "origin": self.origin, "elapsed_s": self.elapsed_s,
                "finished": self.finished, "segment": {"count": self.segment_count, "indexes": self.segments},
                "job_file_sha256": self.job_file_sha256, "stop_reasons": self.stop_reasons,
                "breakpoint": self.breakpoint,
                "jobs": [dict(part.to_dict(), name=name) for name, part in self.jobs.items()]}

    @classmethod
    def from_dict(cls, data: Dict[str, Any], where: str) -> "RunParts":
        """Read the ``"mergeable"`` part of a summary document; ``where`` names it in errors. Every number is
        checked (counts whole and from 0, each job's attempts accounted for, times finite, segments in range):
        a damaged document is refused, never merged into wrong totals."""
        from fth.summary import summary_document  # fth.summary reads this module
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UsageError(f"{where}: not an fth summary with mergeable figures",
                             hint="write summaries with fth --summary-json (fth 0.1 or later)")
        if data.get("version") != VERSION:
            raise UsageError(f"{where}: mergeable figures of version {data.get('version')}, "
                             f"this fth reads version {VERSION}", hint="merge with the fth version that wrote them")
        try:
            count, indexes = _segments(data["segment"])
            digest = data["job_file_sha256"]
            if not isinstance(data["finished"], bool) or not (digest is None or isinstance(digest, str)):
                raise TypeError(f"finished {data['finished']!r} or job_file_sha256 {str(digest)[:80]} is damaged")
            parts = cls(origin=_from_zero(data["origin"], "origin"),
                        elapsed_s=_from_zero(data["elapsed_s"], "elapsed_s"), finished=data["finished"],
                        segment_count=count, segments=indexes,
                        job_file_sha256=digest, stop_reasons=_texts(data["stop_reasons"], "stop_reasons"),
                        breakpoint=_breakpoint(data["breakpoint"]))
            if parts.origin + parts.elapsed_s > LAST_MOMENT:
                raise ValueError(f"origin {parts.origin:g} + {parts.elapsed_s:g} s is after the year 9999")
            if not data["jobs"]:
                raise ValueError("it holds no job")
            for job in data["jobs"]:
                name = read_text(job["name"], "a job's name")
                if name in parts.jobs:
                    raise ValueError(f"job {name} is in it twice")
                parts.jobs[name] = JobPart.from_dict(job)
            trial = cls(origin=parts.origin, elapsed_s=0.0, finished=True, segment_count=parts.segment_count,
                        segments=[])
            trial.merge(parts)  # every figure a merge reads, read once here: damage is named with its document
            summary_document(trial)  # and every figure a summary computes from them
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
            raise UsageError(f"{where}: damaged mergeable figures ({type(exc).__name__}: {str(exc)[:200]})") from None
        return parts

    def merge(self, other: "RunParts") -> None:
        """Add ``other`` (another segment of the same run): counts and buckets summed, timelines aligned."""
        origin = min(self.origin, other.origin)
        mine, theirs = self.origin - origin, other.origin - origin  # each origin after the common one
        for name in list(self.jobs) + [name for name in other.jobs if name not in self.jobs]:
            part = other.jobs.get(name)
            own = self.jobs.get(name) or self._empty_job(name, part)
            timeline = Timeline(own.timeline.width, own.timeline.points)
            timeline.absorb(own.timeline, mine)
            own.timeline = timeline
            own.active_s += mine
            if part is not None:
                timeline.absorb(part.timeline, theirs)
                own.stats.merge(part.stats)
                own.target_sends += part.target_sends
                own.active_s = max(own.active_s, part.active_s + theirs)
        self.elapsed_s = max(self.elapsed_s + mine, other.elapsed_s + theirs)
        self.origin = origin
        self.finished = self.finished and other.finished
        self.segments = sorted(self.segments + other.segments)
        self.stop_reasons += [reason for reason in other.stop_reasons if reason not in self.stop_reasons]
        candidates = [dict(bp, elapsed_s=round(bp["elapsed_s"] + shift, 3))
                      for bp, shift in ((self.breakpoint, mine), (other.breakpoint, theirs)) if bp]
        self.breakpoint = min(candidates, key=lambda bp: bp["elapsed_s"]) if candidates else None

    def _empty_job(self, name: str, like: JobPart) -> JobPart:
        part = JobPart(JobStats(name=name, protocol=like.stats.protocol, mode=like.stats.mode), like.username,
                       Timeline(like.timeline.width, like.timeline.points), 0.0, 0.0)
        self.jobs[name] = part
        return part
