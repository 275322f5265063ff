"""Adapter from fth-web's report rows to the shared report engine of fth-report (:mod:`fth.report`).

Rows become :class:`fth.report.compute.Record` objects exactly as fth-report makes
them (start = ingress time, end = egress time, the deciding status, pass = COMPLETE
for the dashboard or SUCCESS for the pair layout), so both tools show the same
totals for the same rows. Groups are usernames.
"""

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional

from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, Record, summarize
from fth.report.render import render_report

PASS_STATUS = {"dashboard": "COMPLETE", "pair": "SUCCESS"}


def _epoch(moment: Optional[datetime]) -> Optional[float]:
    return moment.timestamp() if moment is not None else None


def to_records(rows: Iterable[Dict[str, Any]], layout: str) -> List[Record]:
    passed = PASS_STATUS[layout]
    records = []
    for row in rows:
        if layout == "dashboard":
            records.append(Record(row["username"], row["file_name"], _epoch(row["ingress_time"]),
                                  _epoch(row["egress_time"]), row["status"], row["status"] == passed,
                                  size=row["file_size"], uuid=row["transaction_id"]))
        else:
            kind = {"pair": PAIR, "ingress_only": INGRESS_ONLY}.get(row.get("pairing") or "", EGRESS_ONLY)
            records.append(Record(row["username"], row["filename"], _epoch(row["ingress_start"]),
                                  _epoch(row["egress_end"]), row["egress_status"], row["egress_status"] == passed,
                                  uuid=row["uuid"], ingress_status=row["ingress_status"], kind=kind))
    return records


def render_html_report(rows: List[Dict[str, Any]], layout: str, start: datetime, end: datetime,
                       username: Optional[str], title: str) -> str:
    """One self-contained HTML report of ``rows`` (the report form's window and user)."""
    records = to_records(rows, layout)
    summary = summarize(records, window=(start.timestamp(), end.timestamp()))
    ingress_only = [r for r in records if r.kind == INGRESS_ONLY]
    meta = {"Users": username or "all users", "Source": "dashboard.transactions" if layout == "dashboard"
            else "ingress and egress tracking databases", "Rows": f"{len(records):,}"}
    stages = ("Ingress", "Status") if layout == "dashboard" else ("Ingress", "Egress")
    return render_report(summary, title=f"{title} — transaction report",
                         window_label=f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}", meta=meta,
                         group_label="Username", stage_labels=stages, ingress_only=ingress_only)
