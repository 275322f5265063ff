"""The one interface every data source implements, and what the layouts look like.

A source answers the monitor's questions (recent rows, stage panels, connection
states, usernames) and the report form's (a :class:`fth.report.engine.Report` for a
window, and the raw rows for CSV). Rows are plain dicts ready for JSON; the layout
decides their keys (:data:`COLUMNS`) and statuses (:data:`STATUSES`). Panels are
computed by :func:`dashboard_panels` (per-status counts) and :func:`pair_panels`
(fth's report engine), so every source rounds the same way.
"""

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Tuple

from fth.report.engine import Report, ReportRequest

STATUSES: Dict[str, Tuple[str, ...]] = {
    "dashboard": ("BAD_REQUEST", "CD_UNAVAILABLE", "SUBMITTED", "COMPLETE", "TIMEOUT", "EP_UNAVAILABLE"),
    # pair: the egress status decides; PENDING means no egress row yet
    "pair": ("SUCCESS", "FAILED", "TIMEOUT", "PENDING"),
}

COLUMNS: Dict[str, List[Dict[str, str]]] = {
    "dashboard": [
        {"key": "username", "label": "Username", "kind": "text"},
        {"key": "file_name", "label": "File name", "kind": "text"},
        {"key": "file_size", "label": "File size", "kind": "bytes"},
        {"key": "ingress_time", "label": "Ingress time", "kind": "time"},
        {"key": "egress_time", "label": "Egress time", "kind": "time"},
        {"key": "transit_s", "label": "Transit", "kind": "seconds"},
        {"key": "status", "label": "Status", "kind": "status"},
    ],
    "pair": [
        {"key": "uuid", "label": "UUID", "kind": "uuid"},
        {"key": "username", "label": "Username", "kind": "text"},
        {"key": "filename", "label": "Filename", "kind": "text"},
        {"key": "start", "label": "Start", "kind": "time"},
        {"key": "end", "label": "End", "kind": "time"},
        {"key": "duration_s", "label": "Duration", "kind": "seconds"},
        {"key": "ingress_status", "label": "Ingress", "kind": "status"},
        {"key": "status", "label": "Egress", "kind": "status"},
    ],
}

# Raw columns of the dashboard table, in the order of seed 002's CREATE TABLE (CSV output).
DASHBOARD_FIELDS = ("transaction_id", "username", "file_name", "file_size", "ingress_server", "ingress_time",
                    "egress_server", "egress_time", "status")
PAIR_FIELDS = ("uuid", "username", "filename", "ingress_start", "ingress_end", "ingress_status",
               "egress_start", "egress_end", "egress_status", "transit_s")

# Report/CSV columns of the pair layout: one line per row of the window, an ingress row with its egress partner
# beside it, or an egress row alone; "pairing" says which, as fth-report pairs them.
PAIR_REPORT_FIELDS = (*PAIR_FIELDS, "pairing")

WINDOWS_MIN = (10, 30, 60)


class ReadOnlySource(Exception):
    """The source cannot be modified (the pair layout reads tracking databases only)."""


@dataclass
class Recent:
    rows: List[Dict[str, Any]]
    examples: bool = False
    notice: Optional[str] = None
    computed_at: Optional[str] = None  # when a background computation finished (UTC ISO); None: just now


@dataclass
class Panels:
    window_min: int
    stages: List[Dict[str, Any]]
    examples: bool = False
    notice: Optional[str] = None
    computed_at: Optional[str] = None  # when a background computation finished (UTC ISO); None: just now


@dataclass
class Counts:
    """Per-status figures of one window: count, bytes; plus total transit seconds of finished rows."""

    count: Dict[str, int] = field(default_factory=dict)
    bytes: Dict[str, int] = field(default_factory=dict)
    transit_sum: Dict[str, float] = field(default_factory=dict)
    transit_n: Dict[str, int] = field(default_factory=dict)

    def add(self, status: str, size: int = 0, transit: Optional[float] = None, n: int = 1) -> None:
        self.count[status] = self.count.get(status, 0) + n
        self.bytes[status] = self.bytes.get(status, 0) + int(size or 0)
        if transit is not None:
            self.transit_sum[status] = self.transit_sum.get(status, 0.0) + transit
            self.transit_n[status] = self.transit_n.get(status, 0) + 1


class Source(ABC):
    """What the monitor, the report form and the admin page need from data."""

    layout: str = "dashboard"
    kind: str = "database"  # database | mock | example

    def statuses(self) -> Tuple[str, ...]:
        return STATUSES[self.layout]

    def columns(self) -> List[Dict[str, str]]:
        return COLUMNS[self.layout]

    def fields(self) -> Tuple[str, ...]:
        """The columns of :meth:`report_rows` (the CSV header)."""
        return DASHBOARD_FIELDS if self.layout == "dashboard" else PAIR_REPORT_FIELDS

    @abstractmethod
    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent: ...

    @abstractmethod
    def panels(self, window_min: int) -> Panels: ...

    @abstractmethod
    def connections(self) -> List[Dict[str, Any]]: ...

    @abstractmethod
    def usernames(self) -> List[str]: ...

    @abstractmethod
    def report_rows(self, start: datetime, end: datetime, username: Optional[str]) -> Iterator[Dict[str, Any]]:
        """Raw rows (keys :meth:`fields`) with ingress/start time in [start, end), oldest first."""

    def report(self, request: ReportRequest) -> Report:
        """The report of ``request``'s window and user: the pair layout pairs through fth's report
        engine (:meth:`pair_report`); the dashboard layout summarises its rows."""
        if self.layout == "dashboard":
            from fth_web.reporting import dashboard_report

            return dashboard_report(self.report_rows(request.start, request.end, request.username), request)
        return self.pair_report(request)

    def pair_report(self, request: ReportRequest) -> Report:
        raise NotImplementedError(f"{type(self).__name__} has no pair layout")

    def clear(self) -> int:
        """Delete every row; returns how many were removed."""
        raise ReadOnlySource("this source is read-only")

    @property
    def writable(self) -> bool:
        return False

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


# -- shared formatting ----------------------------------------------------------------------

def r1(value: float) -> float:
    """Round a figure to one decimal place (seed 002: every statistic)."""
    return round(float(value) + 0.0, 1)


def iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(sep=" ", timespec="milliseconds") if moment else None


def seconds_between(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def human_rate(bytes_per_s: float) -> Tuple[float, str]:
    value = float(bytes_per_s)
    for unit in ("B/s", "KB/s", "MB/s", "GB/s"):
        if abs(value) < 1000 or unit == "GB/s":
            return r1(value), unit
        value /= 1000.0
    return r1(value), "GB/s"  # pragma: no cover


def _figure(label: str, value: Optional[float], unit: str = "", status: Optional[str] = None,
            hint: str = "") -> Dict[str, Any]:
    """One figure; counts (no unit) are whole numbers, everything else is shown to 1 decimal."""
    return {"label": label, "value": None if value is None else r1(value), "unit": unit, "status": status,
            "hint": hint, "decimals": 1 if unit else 0}


def dashboard_panels(counts: Counts, window_min: int) -> List[Dict[str, Any]]:
    """Seed 002's three stages: ingress left, cd middle, egress right; figures to 1 decimal."""
    window_s = window_min * 60.0
    c = counts.count
    egress_statuses = ("COMPLETE", "EP_UNAVAILABLE")
    egress_n = sum(c.get(s, 0) for s in egress_statuses)
    egress_bytes = sum(counts.bytes.get(s, 0) for s in egress_statuses)
    rate, rate_unit = human_rate(egress_bytes / window_s)
    per_min = f"per minute over the last {window_min} min"
    return [
        {"key": "ingress", "title": "Ingress", "subtitle": "rejected at the ingress servers", "figures": [
            _figure("Bad request", c.get("BAD_REQUEST", 0), status="BAD_REQUEST",
                    hint=f"{r1(c.get('BAD_REQUEST', 0) / window_min)} {per_min}"),
            _figure("CD unavailable", c.get("CD_UNAVAILABLE", 0), status="CD_UNAVAILABLE",
                    hint=f"{r1(c.get('CD_UNAVAILABLE', 0) / window_min)} {per_min}"),
        ]},
        {"key": "cd", "title": "CD", "subtitle": "submitted, awaiting delivery", "figures": [
            _figure("Submitted", c.get("SUBMITTED", 0), status="SUBMITTED",
                    hint=f"{r1(c.get('SUBMITTED', 0) / window_min)} {per_min}"),
        ]},
        {"key": "egress", "title": "Egress", "subtitle": "COMPLETE and EP_UNAVAILABLE", "figures": [
            _figure("Complete", c.get("COMPLETE", 0), status="COMPLETE"),
            _figure("EP unavailable", c.get("EP_UNAVAILABLE", 0), status="EP_UNAVAILABLE"),
            _figure("Data rate", rate, rate_unit, hint="bytes of these transactions / window"),
            _figure("Transactions/s", egress_n / window_s, "tx/s",
                    hint=f"these transactions / window; {r1(sum(c.values()) / window_s)}/s of every status"),
        ]},
    ]


def pair_panels(report: Report, window_min: int) -> List[Dict[str, Any]]:
    """Ingress / in flight / egress of the window, every figure from fth's report engine; 1 decimal."""
    window_s = window_min * 60.0
    total = report.summary.total
    ingress = Counter(record.ingress_status for record in report.pairing.pairs + report.pairing.ingress_only)
    return [
        {"key": "ingress", "title": "Ingress", "subtitle": "rows in the ingress database", "figures": [
            _figure("Received", total.files + total.lost),
            _figure("Failed", ingress.get("FAILED", 0), status="FAILED"),
            _figure("Timeout", ingress.get("TIMEOUT", 0), status="TIMEOUT"),
        ]},
        {"key": "cd", "title": "In flight", "subtitle": "no egress row yet", "figures": [
            _figure("Pending", total.lost, status="PENDING"),
        ]},
        {"key": "egress", "title": "Egress", "subtitle": "the egress status decides", "figures": [
            _figure("Success", total.passed, status="SUCCESS"),
            _figure("Failed", total.failed, status="FAILED"),
            _figure("Timeout", total.timeout, status="TIMEOUT"),
            _figure("Pass rate", total.pass_rate, "%", hint="passed / (paired + no egress yet)"),
            _figure("Avg transit", total.transit.avg, "s"),
            _figure("Files/s", total.files / window_s, "files/s"),
        ]},
    ]


def dashboard_row(raw: Dict[str, Any]) -> Dict[str, Any]:
    """A raw ``dashboard.transactions`` row as the table shows it (every column kept for copying)."""
    row = {name: raw.get(name) for name in DASHBOARD_FIELDS}
    row["transit_s"] = seconds_between(raw.get("ingress_time"), raw.get("egress_time"))
    row["ingress_time"] = iso(raw.get("ingress_time"))
    row["egress_time"] = iso(raw.get("egress_time"))
    row["file_size"] = int(raw["file_size"]) if raw.get("file_size") is not None else None
    return row


def pair_row(raw: Dict[str, Any]) -> Dict[str, Any]:
    """A paired ingress/egress record as the table shows it: start = ingress start, end = egress end."""
    row = {name: raw.get(name) for name in PAIR_FIELDS}
    for name in ("ingress_start", "ingress_end", "egress_start", "egress_end"):
        row[name] = iso(raw.get(name))
    row["transit_s"] = seconds_between(raw.get("ingress_start"), raw.get("egress_end"))
    row["start"] = row["ingress_start"]
    row["end"] = row["egress_end"]
    row["duration_s"] = row["transit_s"]
    row["status"] = raw.get("egress_status") or "PENDING"
    return row


def count_dashboard(raws: List[Dict[str, Any]]) -> Counts:
    counts = Counts()
    for raw in raws:
        counts.add(raw["status"], raw.get("file_size") or 0)
    return counts


def pair_report_row(raw: Dict[str, Any], pairing: Optional[str] = None) -> Dict[str, Any]:
    """A raw pair (datetimes kept) with its transit time and its ``pairing``: given by the caller that paired it
    (``pair``, ``ingress_only``, ``egress_only``, ``duplicate``, ``no_uuid``), else ``pair`` when the egress
    stage has a status or an end (generated rows: an egress stage not reached has neither)."""
    row = {name: raw.get(name) for name in PAIR_FIELDS}
    row["transit_s"] = seconds_between(raw.get("ingress_start"), raw.get("egress_end"))
    if pairing is None:
        pairing = "pair" if raw.get("egress_status") or raw.get("egress_end") else "ingress_only"
    row["pairing"] = pairing
    return row
