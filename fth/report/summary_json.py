"""The ``fth-report --summary-json`` document (keys fixed by SPEC.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fth.report.compute import GroupStats, Summary

TRANSIT_KEYS = ("min", "avg", "max", "p95", "stddev")


def _iso(value: Optional[float]) -> Optional[str]:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value).astimezone().isoformat(timespec="seconds")


def _pct(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 2)


def group_dict(stats: GroupStats) -> Dict[str, Any]:
    return {
        "paired": stats.files, "passed": stats.passed, "failed": stats.failed, "timeout": stats.timeout,
        "pending": stats.pending, "lost": stats.lost, "pass_rate": _pct(stats.pass_rate),
        "transit_s": stats.transit.as_dict(3, TRANSIT_KEYS),
        "by_status": dict(sorted(stats.by_status.items())),
    }


def summary_dict(summary: Summary, pairing: Any = None, jobs: Sequence[Tuple[str, str, Sequence[str]]] = (),
                 not_ingested: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """``{"window", "total", "jobs", "ingress_only", "egress_only", "unknown_users", "data_quality", ...}``.

    ``jobs``: (group name, username, job names) as :func:`fth.config.model.job_groups` makes them;
    a group of several jobs also lists ``job_names``. ``total.from_unknown_users`` is how many of
    the total's transfers (paired + lost) belong to users without a job.
    """
    known = {name: (username, names) for name, username, names in jobs}
    job_list: List[Dict[str, Any]] = []
    for group in summary.groups:
        username, names = known.get(group.name, (group.username, (group.name,)))
        entry: Dict[str, Any] = {"name": group.name, "username": username}
        if len(names) > 1:
            entry["job_names"] = list(names)
        entry.update(group_dict(group))
        job_list.append(entry)
    total = group_dict(summary.total)
    total["from_unknown_users"] = summary.unknown_included
    document: Dict[str, Any] = {
        "window": {"from": _iso(summary.window_start), "to": _iso(summary.window_end)},
        "total": total,
        "jobs": job_list,
        "ingress_only": sorted(r.uuid for r in getattr(pairing, "ingress_only", ())),
        "egress_only": sorted(r.uuid for r in getattr(pairing, "egress_only", ())),
        "unknown_users": [{"username": name, "rows": rows} for name, rows in summary.unknown_users],
    }
    if pairing is not None:
        document["data_quality"] = pairing.issue_counts()
    if not_ingested:
        document["not_ingested"] = [line.get("uuid") for line in not_ingested]
    return document
