"""The figures of a finished (or running) run, as the dict behind --summary-json."""

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from fth.engine.runner import Runner
from fth.faults import is_harness_fault
from fth.parts import RunParts
from fth.stats import JobStats, merge_all


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 3) if seconds > 0 else 0.0


def job_figures(stats: JobStats, target_sends: float, active: float) -> Dict[str, Any]:
    """One job's (or the total's) figures; rates are over ``active`` seconds of scheduling."""
    return {
        "name": stats.name,
        "protocol": stats.protocol,
        "mode": stats.mode,
        "attempted": stats.attempted,
        "succeeded": stats.succeeded,
        "failed": stats.failed,
        "not_sent": stats.not_sent,
        "late": stats.late,
        "in_flight": stats.in_flight,
        "peak_in_flight": stats.peak_in_flight,
        "errors": dict(sorted(stats.errors.items())),
        # failures of fth's side (local files, the run stopping), not of the system under test
        "harness_failed": sum(count for kind, count in stats.errors.items() if is_harness_fault(kind)),
        "active_s": round(active, 3),
        "target_rate_per_s": _rate(target_sends, active),
        "achieved_rate_per_s": _rate(stats.attempted - stats.not_sent, active),
        "bytes": stats.bytes,
        "latency_ms": stats.latency.summary_ms(),
        "service_time_ms": stats.service.summary_ms(),
        "lateness_ms": stats.lateness.summary_ms(),
        "phases_ms": {phase: hist.summary_ms() for phase, hist in sorted(stats.phases.items())},
    }


def fell_behind(figures: Dict[str, Any]) -> bool:
    """Whether a job's (or the total's) achieved rate fell short of its target: by more than 2 %, and by at least
    one whole send over its active time (a job stopped before its first send, or one of a few sends whose
    schedule started late in its first gap, is short of its target by a fraction of a send: not behind)."""
    target, achieved = figures["target_rate_per_s"], figures["achieved_rate_per_s"]
    return target > 0 and achieved < 0.98 * target and (target - achieved) * figures["active_s"] >= 1.0


def build_summary(runner: Runner, job_file_hash: Optional[str] = None) -> Dict[str, Any]:
    return summary_document(RunParts.from_runner(runner, job_file_hash))


def summary_document(parts: RunParts) -> Dict[str, Any]:
    """The summary of a run (one process, or merged segments): every figure from ``parts``."""
    jobs: List[Dict[str, Any]] = []
    for part in parts.jobs.values():
        figures = job_figures(part.stats, part.target_sends, part.active_s)
        figures["username"] = part.username
        figures["timeline"] = part.timeline.rows()
        jobs.append(figures)
    active = max(part.active_s for part in parts.jobs.values())
    total = job_figures(merge_all("total", (part.stats for part in parts.jobs.values())),
                        sum(part.target_sends for part in parts.jobs.values()), active)
    for key in ("name", "protocol", "mode"):
        total.pop(key)
    return {
        "started": _iso(parts.origin),
        "ended": _iso(parts.origin + parts.elapsed_s) if parts.finished else None,
        "duration_s": round(parts.elapsed_s, 3),
        "stop_reason": "; ".join(parts.stop_reasons) or None,
        "breakpoint": parts.breakpoint,
        "segment": f"{'+'.join(map(str, parts.segments))}/{parts.segment_count}",
        "jobs": jobs,
        "total": total,
        "mergeable": parts.to_dict(),
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")
