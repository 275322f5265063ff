"""Reports of the sources that are not the two tracking databases, on fth's report engine.

The dashboard layout's rows (seed 002: one row per transaction, its own statuses) become
:class:`fth.report.compute.Record` objects: start = ingress time, end = egress time, pass =
COMPLETE, SUBMITTED in progress (neither pass nor fail); figures are shown to 1 decimal.
The pair layout's in-memory rows (mock and example data) are served to
:func:`fth.report.engine.build_report` through :class:`RowStore`, so they are paired by the
same code as the databases.
"""

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

from fth.config.model import DbConfig
from fth.report.compute import Record, summarize
from fth.report.engine import Report, ReportRequest
from fth.report.pairing import Pairing
from fth.report.render import ReportContext, fmt_time
from fth.report.summary_json import summary_dict
from fth.tracking import TrackingRow

DASHBOARD_PASS, DASHBOARD_IN_PROGRESS = "COMPLETE", "SUBMITTED"


def _epoch(moment: Optional[datetime]) -> Optional[float]:
    return moment.timestamp() if moment is not None else None


def dashboard_record(row: Dict[str, Any]) -> Record:
    status = row["status"]
    return Record(row["username"], row["file_name"], _epoch(row["ingress_time"]), _epoch(row["egress_time"]),
                  status, status == DASHBOARD_PASS, size=row["file_size"], uuid=row["transaction_id"],
                  in_progress=status == DASHBOARD_IN_PROGRESS)


def dashboard_report(rows: Iterable[Dict[str, Any]], request: ReportRequest) -> Report:
    """The report of ``dashboard.transactions`` rows; groups are usernames."""
    records = [dashboard_record(row) for row in rows]
    start, end = request.start.timestamp(), request.end.timestamp()
    summary = summarize(records, window=(start, end))
    context = ReportContext(
        title=request.title, window_label=f"{fmt_time(start, False)} – {fmt_time(end, False)}",
        meta={"Users": request.username or "all users", "Source": "dashboard.transactions",
              "Rows": f"{len(records):,}"},
        group_label="Username", stage_labels=("Ingress", "Status"), decimals=1)
    return Report(summary, Pairing(), context, summary_dict(summary))


def raw_rows(raw: Dict[str, Any]) -> Tuple[TrackingRow, Optional[TrackingRow]]:
    """A pair-layout row held in memory as its ingress row and (once it exists) its egress row."""
    ingress = TrackingRow(raw["uuid"], raw["username"], raw["filename"], _aware(raw["ingress_start"]),
                          _aware(raw["ingress_end"]), raw["ingress_status"])
    if not (raw.get("egress_status") or raw.get("egress_end")):
        return ingress, None
    return ingress, TrackingRow(raw["uuid"], raw["username"], raw["filename"], _aware(raw["egress_start"]),
                                _aware(raw["egress_end"]), raw["egress_status"])


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    return None if moment is None else moment.astimezone(timezone.utc)


class RowStore:
    """Tracking rows held in memory, answering the reads of :func:`fth.report.pairing.collect`."""

    def __init__(self, role: str, rows: List[TrackingRow], label: str) -> None:
        self.db = DbConfig(role=role, driver="sqlite", path=label, table=role)
        self.rows = sorted(rows, key=lambda row: row.start or datetime.min.replace(tzinfo=timezone.utc))

    def rows_in_window(self, start: datetime, end: datetime, ordered: bool = True) -> List[TrackingRow]:
        """The rows of the window, by start time (held sorted: ``ordered`` changes nothing)."""
        low, high = _aware_bound(start), _aware_bound(end)
        return [row for row in self.rows if row.start is not None and low <= row.start < high]

    def rows_by_uuid(self, uuids: Iterable[str]) -> Dict[str, List[TrackingRow]]:
        wanted = set(uuids)
        found: Dict[str, List[TrackingRow]] = {}
        for row in self.rows:
            if row.uuid in wanted:
                found.setdefault(row.uuid, []).append(row)
        return found


def _aware_bound(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def memory_stores(raws: Iterable[Dict[str, Any]], label: str) -> Tuple[RowStore, RowStore]:
    ingress: List[TrackingRow] = []
    egress: List[TrackingRow] = []
    for raw in raws:
        in_row, out_row = raw_rows(raw)
        ingress.append(in_row)
        if out_row is not None:
            egress.append(out_row)
    return RowStore("ingress", ingress, label), RowStore("egress", egress, label)
