"""Settings of the built-in target and the forgiving parsers behind its flags."""

import re
from dataclasses import dataclass, field
from typing import Optional, Tuple

from fth.config.model import DbConfig
from fth.config.reader import as_rate
from fth.units import parse_duration

DEFAULT_HTTP = ("127.0.0.1", 8880)
DEFAULT_SFTP = ("127.0.0.1", 8822)
DEFAULT_STORE = "./fth-target.sqlite"
DEFAULT_PASSWORD = "demo"  # noqa: S105  (the documented demo password of a loopback test server)
DEFAULT_UUID_HEADER = "X-Transaction-ID"
DEFAULT_UUID_PATTERN = r"(?P<uuid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
# Names an SFTP client uploads under before renaming them to the final name: recorded at the rename.
DEFAULT_TEMP_PATTERN = r"(^\.|\.(part|tmp|filepart|partial)$)"
INGRESS_TABLE = "ingress_transfers"
EGRESS_TABLE = "egress_transfers"
STATUSES = ("SUCCESS", "FAILED", "TIMEOUT")


@dataclass
class Mix:
    """Shares of the egress statuses (fractions adding up to 1)."""

    success: float = 0.9
    failed: float = 0.07
    timeout: float = 0.03


@dataclass
class TargetSettings:
    """Everything the target does; ``None`` for a listener means it is off. Port 0 picks a free port."""

    http: Optional[Tuple[str, int]] = DEFAULT_HTTP
    sftp: Optional[Tuple[str, int]] = DEFAULT_SFTP
    store: Optional[str] = DEFAULT_STORE  # the SQLite file; None when writing only to MySQL
    store_tables: Tuple[str, str] = (INGRESS_TABLE, EGRESS_TABLE)
    ingress_db: Optional[DbConfig] = None  # MySQL pair tables (both or neither)
    egress_db: Optional[DbConfig] = None
    dashboard_db: Optional[DbConfig] = None  # MySQL dashboard.transactions
    create_tables: bool = False  # CREATE TABLE IF NOT EXISTS in MySQL (SQLite tables are always created)
    delay: Tuple[float, float] = (0.5, 3.0)  # processing delay range, seconds
    mix: Mix = field(default_factory=Mix)
    drop: float = 0.0  # fraction of arrivals that never get an egress row
    capacity: Optional[float] = None  # accepted uploads per second (token bucket, one second of burst)
    password: Optional[str] = None  # HTTP basic auth: None accepts any password
    sftp_password: str = DEFAULT_PASSWORD
    authorized_keys: Optional[str] = None  # SFTP public keys: None accepts any key
    host_key: Optional[str] = None  # SFTP host key file; generated (and saved there if it does not exist)
    upload_dir: Optional[str] = None  # None: data is discarded
    uuid_header: str = DEFAULT_UUID_HEADER
    uuid_pattern: str = DEFAULT_UUID_PATTERN
    temp_pattern: str = DEFAULT_TEMP_PATTERN
    idle_timeout: float = 60.0  # seconds an HTTP connection may send nothing (a stalled upload or TLS handshake,
    # an idle keep-alive) before it is closed
    tls_cert: Optional[str] = None  # HTTPS when both are given
    tls_key: Optional[str] = None
    ingress_server: str = "fth-target-ingress"
    egress_server: str = "fth-target-egress"
    state_dir: Optional[str] = None  # fth-target's state directory (shown at start; see fth.paths)
    seed: Optional[int] = None  # for a repeatable status mix
    batch: int = 500  # rows per INSERT batch
    flush_interval: float = 0.2  # seconds the writer waits to fill a batch


def parse_delay(text: str) -> Tuple[float, float]:
    """``2s``, ``0.5s..3s``, ``500ms-2s``, ``0`` → (low, high) seconds."""
    parts = [p for p in re.split(r"\s*(?:\.\.|–|to)\s*", str(text).strip()) if p]
    if len(parts) == 1 and re.match(r"^[\d.]+\s*\w*\s*-\s*[\d.]+\s*\w*$", parts[0]):
        parts = [p.strip() for p in parts[0].split("-")]
    if not 1 <= len(parts) <= 2:
        raise ValueError("is not a delay or a range")
    low, high = (_seconds(parts[0]), _seconds(parts[-1]))
    if high < low:
        raise ValueError("the range ends before it starts")
    return (low, high)


def _seconds(text: str) -> float:
    text = text.strip()
    if re.match(r"^\d+(\.\d*)?$", text):
        return float(text)
    value = parse_duration(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def parse_mix(text: str) -> Mix:
    """``90/7/3`` (percent or any proportions) → Mix of SUCCESS/FAILED/TIMEOUT."""
    parts = [p.strip().rstrip("%") for p in re.split(r"[/,:\s]+", str(text).strip()) if p.strip()]
    if len(parts) != 3:
        raise ValueError("needs three shares: SUCCESS/FAILED/TIMEOUT")
    values = [float(p) for p in parts]
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError("shares must be non-negative and not all zero")
    total = sum(values)
    return Mix(*(v / total for v in values))


def parse_fraction(text: str) -> float:
    """``1%``, ``0.01`` → 0.01."""
    raw = str(text).strip()
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be between 0% and 100%")
    return value


def parse_idle_timeout(text: str) -> float:
    """``60s``, ``2min`` → seconds; longer than zero (a zero timeout would close every connection at once)."""
    value = parse_duration(str(text).strip())
    if value <= 0:
        raise ValueError("must be longer than zero")
    return value


def parse_capacity(text: str) -> Optional[float]:
    """``50/s``, ``600/min``, ``0``/``none`` (unlimited) → files per second or None."""
    raw = str(text).strip().lower()
    if raw in ("", "0", "none", "off", "unlimited"):
        return None
    return as_rate(raw)
