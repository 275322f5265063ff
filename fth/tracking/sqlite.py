"""SQLite driver of the tracking store: the built-in target's embedded file, opened read-only."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import quote

from fth.config.model import DbConfig
from fth.tracking.base import TrackingRow, TrackingStore, in_start_order, make_row, resolve_zone, wrap_error

log = logging.getLogger(__name__)


# startTime in the plain text form that sorts as it reads (no T, no offset): SQL compares it with the window's bounds
_PLAIN_TIME = ("(typeof({column}) = 'text' AND {column} GLOB "
               "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' "
               "AND substr({column}, 20) NOT GLOB '*[^0-9.]*')")


def _local_zone() -> dt.tzinfo:
    """This machine's zone with its rules (a stored 01:59 and 03:01 on the night the clocks go forward are two
    minutes apart): the zone TZ names, else /etc/localtime; the fixed offset of now when neither can be read."""
    from zoneinfo import ZoneInfo

    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as source:
            return ZoneInfo.from_file(source, key="localtime")
    except (OSError, ValueError, KeyError) as exc:  # no such zone (a POSIX TZ rule), no file: the offset of now
        log.debug("the local zone's rules cannot be read (%s); using the offset of now", exc)
        return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


class SQLiteStore(TrackingStore):
    """See :mod:`fth.tracking`. Times are stored as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` text (or epoch
    seconds); naive values are in ``DbConfig.timezone``, by default this machine's local zone."""

    placeholder = "?"

    def __init__(self, db: DbConfig) -> None:
        super().__init__(db)
        self.zone = resolve_zone(db.timezone) or _local_zone()
        self.conn: Optional[sqlite3.Connection] = None

    def open(self) -> SQLiteStore:
        if self.conn is not None:
            return self
        path = Path(str(self.db.path)).expanduser()
        try:
            if not path.is_file():
                raise sqlite3.OperationalError(f"no such file: {path}")
            uri = f"file:{quote(str(path.resolve()))}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, timeout=self.db.connect_timeout,
                                        check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            self.close()
            raise wrap_error(self.db, exc, "opening") from None
        return self

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()

    def bound(self, value: dt.datetime) -> Any:
        naive = super().bound(value)
        text = naive.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{naive.microsecond:06d}" if naive.microsecond else "")

    def _query(self, sql: str, params: Sequence[Any] = (), action: str = "query") -> Iterator[Tuple[Any, ...]]:
        if self.conn is None:
            self.open()
        assert self.conn is not None
        # identifiers stay in backquotes, which SQLite reads as identifiers: a misspelled column in double quotes
        # would be read as a string (every row's status the text "Status_"), never as an error
        try:
            cur = self.conn.execute("BEGIN")
            try:
                cur = self.conn.execute(sql, tuple(params))
                while True:
                    rows = cur.fetchmany(2000)
                    if not rows:
                        break
                    yield from rows
            finally:
                if self.conn is not None and self.conn.in_transaction:
                    self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise wrap_error(self.db, exc, action) from None

    def rows_in_window(self, start: dt.datetime, end: dt.datetime, ordered: bool = True) -> Iterator[TrackingRow]:
        """Rows whose startTime is in ``[start, end)``, in that order (``ordered=False``: as stored), however the
        time is stored: the plain text form (``YYYY-MM-DD HH:MM:SS[.ffffff]``, in :attr:`zone`) is compared in SQL,
        as it sorts as it reads; every other form the store reads (a ``T``, an offset, epoch seconds) is read and
        compared as a time (a text comparison left them out of their window or put them in another one)."""
        column, p = self.col("start"), self.placeholder
        plain = _PLAIN_TIME.format(column=column)
        sql = self._select(f"{self.select_list}, {plain}",
                           f"({column} >= {p} AND {column} < {p} AND {plain}) OR NOT ({plain})")
        low, high = start.timestamp(), end.timestamp()
        query_low, query_high = self.window_bounds(start, end)
        exact = (query_low, query_high) == (start, end)  # else near a clock change: plain rows kept by time too
        rows = []
        for *raw, is_plain in self._query(sql, (self.bound(query_low), self.bound(query_high)),
                                          "reading rows in the window"):
            row = make_row(raw, self.zone)
            in_time = row.start_ts is not None and low <= row.start_ts < high
            if in_time or (is_plain and (exact or row.start_ts is None)):
                rows.append(row)
        if ordered:
            in_start_order(rows)
        return iter(rows)

    def recent(self, limit: int = 100, username: Optional[str] = None,
               status: Optional[str] = None) -> List[TrackingRow]:
        """The ``limit`` newest rows however their time is stored: the newest in the plain text form sorted in SQL
        (it sorts as it reads), every other form read as a time (as text, '2026-01-10T09:00' sorted after any
        plain 2026-01-10 time and an epoch number before them all), the two merged by time."""
        column, limit = self.col("start"), int(max(0, limit))
        plain = _PLAIN_TIME.format(column=column)
        where, params = self._recent_filters(username, status)
        newest = self._select(self.select_list, " AND ".join([*where, plain]), f"ORDER BY {column} DESC LIMIT {limit}")
        others = self._select(self.select_list, " AND ".join([*where, f"NOT {plain}"]))
        rows = [make_row(raw, self.zone) for sql in (newest, others)
                for raw in self._query(sql, params, "reading recent rows")]
        rows.sort(key=lambda row: (row.start_ts is not None, row.start_ts or 0.0), reverse=True)  # no time: last
        return rows[:limit]

    def binary_uuids(self) -> bool:
        return True  # any column may hold a BLOB; an IN list of both forms still uses the UUID's index

    def count_in_window(self, start: dt.datetime, end: dt.datetime) -> int:
        return sum(1 for _row in self.rows_in_window(start, end))

    def ping(self) -> float:
        began = time.monotonic()
        list(self._query("SELECT 1", (), "ping"))
        return time.monotonic() - began
