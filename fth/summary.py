"""The figures of a finished (or running) run, as the dict behind --summary-json."""

from typing import Any, Dict, List, Optional

from fth.engine.runner import Runner
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
        "active_s": round(active, 3),
        "target_rate_per_s": _rate(target_sends, active),
        "achieved_rate_per_s": _rate(stats.attempted - stats.not_sent, active),
        "bytes": stats.bytes,
        "latency_ms": stats.latency.summary_ms(),
        "service_time_ms": stats.service.summary_ms(),
        "lateness_ms": stats.lateness.summary_ms(),
        "phases_ms": {phase: hist.summary_ms() for phase, hist in sorted(stats.phases.items())},
    }


def build_summary(runner: Runner) -> Dict[str, Any]:
    elapsed = _elapsed(runner)
    jobs: List[Dict[str, Any]] = []
    target_total = 0.0
    for name, state in runner.states.items():
        target = runner.target_sends(name)
        target_total += target
        figures = job_figures(state.stats, target, runner.active_seconds(name))
        figures["username"] = state.config.username
        figures["timeline"] = state.timeline.rows()
        jobs.append(figures)
    active = max(runner.active_seconds(name) for name in runner.states)
    total = job_figures(merge_all("total", (s.stats for s in runner.states.values())), target_total, active)
    for key in ("name", "protocol", "mode"):
        total.pop(key)
    breakpoint_: Optional[Dict[str, Any]] = runner.breakpoint.__dict__ if runner.breakpoint else None
    return {
        "started": runner.started_at.isoformat(timespec="milliseconds") if runner.started_at else None,
        "ended": runner.ended_at.isoformat(timespec="milliseconds") if runner.ended_at else None,
        "duration_s": round(elapsed, 3),
        "stop_reason": runner.stop_reason,
        "breakpoint": breakpoint_,
        "jobs": jobs,
        "total": total,
    }


def _elapsed(runner: Runner) -> float:
    if runner.started_at and runner.ended_at:
        return (runner.ended_at - runner.started_at).total_seconds()
    return runner.elapsed
