"""Live figures of a running run, for fth-web's "Live run" panel."""

from typing import Any, Dict

from fth.engine.runner import Runner

WINDOW = 10.0  # seconds over which achieved rate and p95 are measured


def live_figures(runner: Runner) -> Dict[str, Any]:
    now = runner.now()
    jobs = []
    for name, state in runner.states.items():
        recent = state.recent.total(now, WINDOW)
        p95 = recent.latency.percentile(0.95)
        jobs.append({
            "name": name,
            "protocol": state.config.protocol,
            "mode": state.config.mode,
            "target_rate_per_s": round(runner.schedules[name].rate_at(now), 3),
            "achieved_rate_per_s": round(state.recent.rate(now, WINDOW), 3),
            "succeeded": state.stats.succeeded,
            "failed": state.stats.failed,
            "not_sent": state.stats.not_sent,
            "p95_ms": None if p95 is None else round(p95 * 1000, 1),
            "in_flight": state.stats.in_flight,
        })
    return {"elapsed_s": round(now, 1), "stop_reason": runner.stop_reason, "jobs": jobs}
