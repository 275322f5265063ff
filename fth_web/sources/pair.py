"""The pair layout: the ingress and egress tracking databases of fth-report, read through fth.tracking.

Each database has its own :class:`~fth_web.connections.ConnectionManager` (a small
pool of read-only ``TrackingStore`` connections, reconnecting with backoff), so one
database can be down while the other is shown as up. Ingress rows are paired with
egress rows by UUID; the egress status decides, PENDING means no egress row yet.
"""

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional

from fth.config.model import DbConfig, TrackingConfig
from fth.tracking import TrackingError, TrackingRow, open_store
from fth_web.connections import DB_ERRORS, ConnectionManager, DatabaseUnavailable
from fth_web.settings import RetryPolicy
from fth_web.sources.base import (
    Counts,
    Panels,
    Recent,
    Source,
    pair_panels,
    pair_report_row,
    pair_row,
)
from fth_web.sources.memory import example_rows

log = logging.getLogger(__name__)
PARTNER_BATCH = 1000
PENDING_OVERFETCH = 5  # PENDING filter: read this many times the limit of newest ingress rows


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

    @staticmethod
    def _manager(db: DbConfig, retry: RetryPolicy, pool_size: int) -> ConnectionManager:
        return ConnectionManager(db.role, db.describe(), lambda: open_store(db).open(), retry,
                                 pool_size=pool_size, errors=(TrackingError, *DB_ERRORS))

    # -- helpers ---------------------------------------------------------------------
    def _partners(self, role: str, uuids: List[str]) -> Dict[str, TrackingRow]:
        if not uuids:
            return {}
        found = self.managers[role].run(lambda store: store.rows_by_uuid(uuids))
        return {uuid: rows[-1] for uuid, rows in found.items()}

    def _pairs(self, ingress_rows: Iterable[TrackingRow]) -> List[Dict[str, Any]]:
        ingress_rows = list(ingress_rows)
        egress = self._partners("egress", [row.uuid for row in ingress_rows])
        return [_raw(row, egress.get(row.uuid)) for row in ingress_rows]

    def _examples(self, exc: DatabaseUnavailable) -> List[Dict[str, Any]]:
        return list(reversed(example_rows(self.layout, datetime.now())))

    # -- Source ----------------------------------------------------------------------
    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        try:
            if status in ("SUCCESS", "FAILED", "TIMEOUT"):
                egress_rows = self.managers["egress"].run(lambda s: s.recent(limit, username=username, status=status))
                ingress = self._partners("ingress", [row.uuid for row in egress_rows])
                raws = [_raw(ingress.get(row.uuid), row) for row in egress_rows]
                raws.sort(key=lambda r: r["ingress_start"] or r["egress_start"] or datetime.min, reverse=True)
            else:
                fetch = limit * PENDING_OVERFETCH if status == "PENDING" else limit
                ingress_rows = self.managers["ingress"].run(lambda s: s.recent(fetch, username=username))
                raws = self._pairs(ingress_rows)
                if status == "PENDING":
                    raws = [r for r in raws if not r["egress_status"]][:limit]
        except DatabaseUnavailable as exc:
            rows = [dict(pair_row(r), example=True) for r in self._examples(exc)]
            return Recent(rows=rows[:limit], examples=True,
                          notice=f"Database unavailable — showing example rows. {exc}")
        return Recent(rows=[pair_row(raw) for raw in raws])

    def panels(self, window_min: int) -> Panels:
        end = datetime.now(timezone.utc)
        start = end - timedelta(minutes=window_min)
        ingress, egress, in_flight = Counts(), Counts(), 0
        try:
            rows = self.managers["ingress"].run(lambda s: list(s.rows_in_window(start, end + timedelta(minutes=5))))
            for raw in self._pairs(rows):
                ingress.add(raw["ingress_status"] or "UNKNOWN")
                if raw["egress_status"]:
                    transit = (raw["egress_end"] - raw["ingress_start"]).total_seconds() \
                        if raw["egress_end"] and raw["ingress_start"] else None
                    egress.add(raw["egress_status"], 0, transit)
                else:
                    in_flight += 1
        except DatabaseUnavailable as exc:
            from fth_web.sources.base import count_pair

            stages = pair_panels(*count_pair(self._examples(exc)), window_min=window_min)
            return Panels(window_min, stages, examples=True, notice=f"Database unavailable — example figures. {exc}")
        return Panels(window_min, pair_panels(ingress, egress, in_flight, window_min))

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
