"""The pair layout: the ingress and egress tracking databases of fth-report, read through fth.tracking.

Each database has its own :class:`~fth_web.connections.ConnectionManager` (a small
pool of read-only ``TrackingStore`` connections, reconnecting with backoff), so one
database can be down while the other is shown as up. Rows are paired by fth's report
engine (:mod:`fth.report.pairing`: which row partners which, duplicates, NULL UUIDs);
the panels and the report form are :func:`fth.report.engine.build_report` itself.
"""

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional

from fth.config.model import DbConfig, TrackingConfig
from fth.config.web import RetryPolicy
from fth.report.engine import Report, ReportRequest, build_report
from fth.report.pairing import QualityIssue, partners
from fth.tracking import TrackingError, TrackingRow, open_store
from fth_web.connections import DB_ERRORS, ConnectionManager, DatabaseUnavailable
from fth_web.sources.base import Panels, Recent, Source, pair_panels, pair_report_row, pair_row
from fth_web.sources.memory import ExampleSource

log = logging.getLogger(__name__)
PARTNER_BATCH = 1000
PENDING_OVERFETCH = 5  # PENDING filter: read this many times the limit of newest ingress rows
SKEW_ALLOWANCE = timedelta(minutes=5)  # panels: rows stamped a little ahead of this machine's clock count too


def _local(moment: Optional[datetime]) -> Optional[datetime]:
    """An aware tracking time as this machine's naive local time (what the page and the CSV show)."""
    if moment is None:
        return None
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def _raw(ingress: Optional[TrackingRow], egress: Optional[TrackingRow]) -> Dict[str, Any]:
    first = ingress or egress
    assert first is not None
    return {
        "uuid": first.uuid, "username": first.username, "filename": first.filename,
        "ingress_start": _local(ingress.start) if ingress else None,
        "ingress_end": _local(ingress.end) if ingress else None,
        "ingress_status": ingress.status if ingress else None,
        "egress_start": _local(egress.start) if egress else None,
        "egress_end": _local(egress.end) if egress else None,
        "egress_status": egress.status if egress else None,
    }


class PairSource(Source):
    layout = "pair"
    kind = "database"

    def __init__(self, tracking: TrackingConfig, retry: RetryPolicy, pool_size: int = 2) -> None:
        self.managers = {role: self._manager(getattr(tracking, role), retry, pool_size)
                         for role in ("ingress", "egress")}
        self.examples = ExampleSource("pair")

    @staticmethod
    def _manager(db: DbConfig, retry: RetryPolicy, pool_size: int) -> ConnectionManager:
        return ConnectionManager(db.role, db.describe(), lambda: open_store(db).open(), retry,
                                 pool_size=pool_size, errors=(TrackingError, *DB_ERRORS))

    # -- helpers ---------------------------------------------------------------------
    def _partners(self, role: str, rows: List[TrackingRow]) -> Dict[str, TrackingRow]:
        uuids = [row.uuid for row in rows if row.uuid.strip()]
        issues: List[QualityIssue] = []  # the table shows rows; the report lists the issues
        return self.managers[role].run(lambda store: partners(store, uuids, role, issues)) if uuids else {}

    def _pairs(self, ingress_rows: List[TrackingRow]) -> List[Dict[str, Any]]:
        egress = self._partners("egress", ingress_rows)
        return [_raw(row, egress.get(row.uuid)) for row in ingress_rows]

    # -- Source ----------------------------------------------------------------------
    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        try:
            if status in ("SUCCESS", "FAILED", "TIMEOUT"):
                egress_rows = self.managers["egress"].run(lambda s: s.recent(limit, username=username, status=status))
                ingress = self._partners("ingress", egress_rows)
                raws = [_raw(ingress.get(row.uuid), row) for row in egress_rows]
                raws.sort(key=lambda r: r["ingress_start"] or r["egress_start"] or datetime.min, reverse=True)
            else:
                fetch = limit * PENDING_OVERFETCH if status == "PENDING" else limit
                ingress_rows = self.managers["ingress"].run(lambda s: s.recent(fetch, username=username))
                raws = self._pairs(ingress_rows)
                if status == "PENDING":
                    raws = [r for r in raws if not r["egress_status"]][:limit]
        except DatabaseUnavailable as exc:
            rows = self.examples.recent(limit).rows
            return Recent(rows=rows, examples=True, notice=f"Database unavailable — showing example rows. {exc}")
        return Recent(rows=[pair_row(raw) for raw in raws])

    def pair_report(self, request: ReportRequest) -> Report:
        """fth-report's report of the window, on pooled connections (raises DatabaseUnavailable)."""
        return self.managers["ingress"].run(
            lambda ingress: self.managers["egress"].run(lambda egress: build_report(ingress, egress, request)))

    def panels(self, window_min: int) -> Panels:
        end = datetime.now(timezone.utc)
        request = ReportRequest(end - timedelta(minutes=window_min), end + SKEW_ALLOWANCE)
        try:
            return Panels(window_min, pair_panels(self.pair_report(request), window_min))
        except DatabaseUnavailable as exc:
            stages = self.examples.panels(window_min).stages
            return Panels(window_min, stages, examples=True, notice=f"Database unavailable — example figures. {exc}")

    def connections(self) -> List[Dict[str, Any]]:
        return [manager.status().as_dict() for manager in self.managers.values()]

    def usernames(self) -> List[str]:
        return self.managers["ingress"].run(lambda s: s.usernames())

    def report_rows(self, start: datetime, end: datetime, username: Optional[str]) -> Iterator[Dict[str, Any]]:
        """Ingress rows of the window (oldest first) with their egress partners, wherever those fall."""
        rows = self.managers["ingress"].run(lambda s: list(s.rows_in_window(start, end)))
        if username:
            rows = [row for row in rows if row.username == username]
        for offset in range(0, len(rows), PARTNER_BATCH):
            for raw in self._pairs(rows[offset:offset + PARTNER_BATCH]):
                yield pair_report_row(raw)

    def close(self) -> None:
        for manager in self.managers.values():
            manager.close()
