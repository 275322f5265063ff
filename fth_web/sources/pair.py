"""The pair layout: the ingress and egress tracking databases of fth-report, read through fth.tracking.

Each database has its own :class:`~fth_web.connections.ConnectionManager` (a small
pool of read-only ``TrackingStore`` connections, reconnecting with backoff), so one
database can be down while the other is shown as up. Rows are paired by fth's report
engine (:mod:`fth.report.pairing`: which row partners which, duplicates, NULL UUIDs);
the panels and the report form are :func:`fth.report.engine.build_report` itself.
"""

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Set

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
        """Every row of the window as fth-report pairs them (:mod:`fth.report.pairing`): the ingress rows, oldest
        first, each beside the egress row it is paired with wherever that falls (``pair``) or alone
        (``ingress_only``); then the window's egress rows whose UUID has no ingress row anywhere (``egress_only``;
        one whose ingress row has no start time is that row's pair, counted in this window as fth-report counts
        it). A row without a UUID is ``no_uuid`` and a later row of a UUID already listed ``duplicate``: never
        paired (fth-report's data-quality issues). Egress rows of ingress rows in other windows are not listed."""
        rows = self.managers["ingress"].run(lambda s: list(s.rows_in_window(start, end)))
        if username:
            rows = [row for row in rows if row.username == username]
        listed: Set[str] = set()
        for offset in range(0, len(rows), PARTNER_BATCH):
            batch = rows[offset:offset + PARTNER_BATCH]
            egress = self._partners("egress", [row for row in batch if row.uuid not in listed])
            for row in batch:
                kind, partner = self._kind(row, listed), None
                if kind is None:
                    partner = egress.get(row.uuid)
                    kind = "pair" if partner is not None else "ingress_only"
                yield pair_report_row(_raw(row, partner), kind)
        yield from self._egress_only(start, end, username, listed)

    @staticmethod
    def _kind(row: TrackingRow, listed: Set[str]) -> Optional[str]:
        """``no_uuid`` or ``duplicate`` for a row that never pairs; else None (the UUID is now listed)."""
        if not row.uuid.strip():
            return "no_uuid"
        if row.uuid in listed:
            return "duplicate"
        listed.add(row.uuid)
        return None

    def _egress_only(self, start: datetime, end: datetime, username: Optional[str],
                     paired: Set[str]) -> Iterator[Dict[str, Any]]:
        rows = [row for row in self.managers["egress"].run(lambda s: list(s.rows_in_window(start, end)))
                if not row.uuid.strip() or row.uuid not in paired]  # not those of the window's ingress rows
        if username:
            rows = [row for row in rows if row.username == username]
        wanted = sorted({row.uuid for row in rows if row.uuid.strip()})  # looked up in batches by the store
        elsewhere = self.managers["ingress"].run(lambda s: s.rows_by_uuid(wanted)) if wanted else {}
        listed: Set[str] = set()
        for row in rows:
            ingress = elsewhere.get(row.uuid, [])
            if any(other.start_ts is not None for other in ingress):
                continue  # an ingress row of another window: that window's pair
            kind = self._kind(row, listed)
            if kind is None and ingress:  # its ingress row has no start time: in no window but this one
                yield pair_report_row(_raw(ingress[0], row), "pair")
            else:
                yield pair_report_row(_raw(None, row), kind or "egress_only")

    def close(self) -> None:
        for manager in self.managers.values():
            manager.close()
