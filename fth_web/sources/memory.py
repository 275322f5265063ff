"""Sources that keep their rows in memory: the mock generator and the hard-coded examples."""

import threading
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional

from fth.report.engine import Report, ReportRequest, build_report
from fth_web.reporting import memory_stores
from fth_web.sources.base import (
    Panels,
    Recent,
    Source,
    count_dashboard,
    dashboard_panels,
    dashboard_row,
    pair_panels,
    pair_report_row,
    pair_row,
)


def _time_key(layout: str) -> str:
    return "ingress_time" if layout == "dashboard" else "ingress_start"


class MemorySource(Source):
    """Rows held in a list, newest last; subclasses fill it in :meth:`_refresh`."""

    examples = False
    notice: Optional[str] = None

    def __init__(self, layout: str) -> None:
        self.layout = layout
        self._rows: List[Dict[str, Any]] = []
        self._lock = threading.RLock()

    def _refresh(self, now: datetime) -> None:
        """Bring the rows up to ``now`` (the mock generates here)."""

    def _now(self) -> datetime:
        return datetime.now()

    def _snapshot(self) -> List[Dict[str, Any]]:
        with self._lock:
            self._refresh(self._now())
            return list(self._rows)

    def _display(self, raw: Dict[str, Any]) -> Dict[str, Any]:
        row = dashboard_row(raw) if self.layout == "dashboard" else pair_row(raw)
        if self.examples:
            row["example"] = True
        return row

    def _status_of(self, raw: Dict[str, Any]) -> str:
        if self.layout == "dashboard":
            return raw["status"]
        return raw.get("egress_status") or "PENDING"

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        rows: List[Dict[str, Any]] = []
        for raw in reversed(self._snapshot()):
            if username and raw["username"] != username:
                continue
            if status and self._status_of(raw) != status:
                continue
            rows.append(self._display(raw))
            if len(rows) >= limit:
                break
        return Recent(rows=rows, examples=self.examples, notice=self.notice)

    def _window(self, window_min: int) -> List[Dict[str, Any]]:
        since = self._now() - timedelta(minutes=window_min)
        key = _time_key(self.layout)
        return [raw for raw in self._snapshot() if raw[key] >= since]

    def panels(self, window_min: int) -> Panels:
        if self.layout == "dashboard":
            stages = dashboard_panels(count_dashboard(self._window(window_min)), window_min)
        else:
            now = self._now()  # rows are never in the future: the window ends just after now
            request = ReportRequest(now - timedelta(minutes=window_min), now + timedelta(seconds=1))
            stages = pair_panels(self.pair_report(request), window_min)
        return Panels(window_min=window_min, stages=stages, examples=self.examples, notice=self.notice)

    def pair_report(self, request: ReportRequest) -> Report:
        return build_report(*memory_stores(self._snapshot(), f"{self.kind} data"), request)

    def usernames(self) -> List[str]:
        return sorted({raw["username"] for raw in self._snapshot()})

    def report_rows(self, start: datetime, end: datetime, username: Optional[str]) -> Iterator[Dict[str, Any]]:
        key = _time_key(self.layout)
        for raw in self._snapshot():
            if start <= raw[key] < end and (not username or raw["username"] == username):
                yield {name: raw.get(name) for name in self.fields()} if self.layout == "dashboard" \
                    else pair_report_row(raw)


class ExampleSource(MemorySource):
    """Up to three hard-coded rows, marked as examples: the page works with no database and no mock."""

    kind = "example"
    examples = True

    def __init__(self, layout: str, notice: str = "No database configured: showing example rows",
                 connections: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(layout)
        self.notice = notice
        self._connections = connections or []

    def _refresh(self, now: datetime) -> None:
        self._rows = example_rows(self.layout, now)

    def connections(self) -> List[Dict[str, Any]]:
        return self._connections


def example_rows(layout: str, now: datetime) -> List[Dict[str, Any]]:
    """Three demo transactions, times relative to ``now`` (seed 002: hard-coded, at most 3 rows)."""
    def ago(seconds: float) -> datetime:
        return (now - timedelta(seconds=seconds)).replace(microsecond=(now.microsecond // 1000) * 1000)

    if layout == "dashboard":
        return [
            {"transaction_id": "00000000-0000-4000-8000-000000000001", "username": "example-alice",
             "file_name": "EXAMPLE invoice_0001.pdf", "file_size": 482133, "ingress_server": "ingress-01",
             "ingress_time": ago(95), "egress_server": "egress-01", "egress_time": ago(93.6), "status": "COMPLETE"},
            {"transaction_id": "00000000-0000-4000-8000-000000000002", "username": "example-bob",
             "file_name": "EXAMPLE orders 2026-11.csv", "file_size": 1048576, "ingress_server": "ingress-02",
             "ingress_time": ago(40), "egress_server": None, "egress_time": None, "status": "SUBMITTED"},
            {"transaction_id": "00000000-0000-4000-8000-000000000003", "username": "example-carol",
             "file_name": "EXAMPLE scan.tiff", "file_size": 73400320, "ingress_server": "ingress-01",
             "ingress_time": ago(12), "egress_server": "egress-02", "egress_time": ago(2.5),
             "status": "EP_UNAVAILABLE"},
        ]
    return [
        {"uuid": "00000000-0000-4000-8000-000000000001", "username": "example-alice",
         "filename": "EXAMPLE invoice_0001.pdf", "ingress_start": ago(95), "ingress_end": ago(94.8),
         "ingress_status": "SUCCESS", "egress_start": ago(94), "egress_end": ago(93.6), "egress_status": "SUCCESS"},
        {"uuid": "00000000-0000-4000-8000-000000000002", "username": "example-bob",
         "filename": "EXAMPLE orders 2026-11.csv", "ingress_start": ago(40), "ingress_end": ago(39.7),
         "ingress_status": "SUCCESS", "egress_start": None, "egress_end": None, "egress_status": None},
        {"uuid": "00000000-0000-4000-8000-000000000003", "username": "example-carol",
         "filename": "EXAMPLE scan.tiff", "ingress_start": ago(12), "ingress_end": ago(11.5),
         "ingress_status": "SUCCESS", "egress_start": ago(8), "egress_end": ago(2.5), "egress_status": "FAILED"},
    ]
