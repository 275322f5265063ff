"""MySQL/MariaDB driver of the tracking store (pymysql, server-side cursors, read-only transactions)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from fth.config.model import DbConfig
from fth.tracking import wire
from fth.tracking.base import LOGICAL_COLUMNS, RowBuilder, TrackingRow, TrackingStore, make_row, offset_text, wrap_error

log = logging.getLogger(__name__)

FETCH_BATCH = 2000
UNKNOWN_TIME_ZONE = 1298
BINARY_CHARSET = 63  # MySQL's character set number of binary strings
# MariaDB sorts a window that is most of its table (ORDER BY startTime without the index) by row ids and then
# fetches each row again by id unless the columns' declared widths fit in max_length_for_sort_data (1024 bytes;
# the default schema's filename alone declares 4096): a million-row window took the server 2.7-3.3 s of CPU,
# and 1.4-1.6 s sorting the rows themselves. MySQL 8 always sorts the rows; a server without the variable
# refuses the SET, which changes nothing else.
SORT_ROWS_THEMSELVES = "SET SESSION max_length_for_sort_data = 65536"


def connect_kwargs(db: DbConfig) -> Dict[str, Any]:
    """pymysql arguments for ``db``: autocommit utf8mb4, its timeouts and TLS options."""
    kwargs: Dict[str, Any] = {
        "host": db.host, "port": db.port, "user": db.user, "password": db.password or "",
        "database": db.database, "charset": "utf8mb4", "autocommit": True,
        "connect_timeout": max(1, round(db.connect_timeout)),
        "read_timeout": max(1, round(db.read_timeout)),
        "write_timeout": max(1, round(db.connect_timeout)),
    }
    if db.ssl_ca or db.ssl_cert or db.ssl_key:
        kwargs.update(ssl_ca=db.ssl_ca, ssl_cert=db.ssl_cert, ssl_key=db.ssl_key,
                      ssl_verify_cert=db.ssl_verify, ssl_verify_identity=db.ssl_verify)
    return kwargs


def connect(db: DbConfig, raw_times: bool = False) -> Any:
    """One pymysql connection to ``db`` (the only place fth opens MySQL for reading); pymysql errors propagate.

    ``raw_times``: DATETIME and TIMESTAMP values come as their text (the tracking store parses it with
    ``datetime.fromisoformat``, several times faster than pymysql's converter on a million rows).
    """
    import pymysql

    kwargs = connect_kwargs(db)
    if raw_times:
        from pymysql.constants import FIELD_TYPE
        from pymysql.converters import conversions

        kwargs["conv"] = {key: value for key, value in conversions.items()
                          if key not in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP)}
    return pymysql.connect(**kwargs)


def session_zone(cur: Any) -> dt.timezone:
    """The UTC offset of the server's session time zone, as a fixed zone (the one probe)."""
    cur.execute("SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
    (minutes,) = cur.fetchone()
    return dt.timezone(dt.timedelta(minutes=int(minutes)))


class MySQLStore(TrackingStore):
    """See :mod:`fth.tracking`. One connection, opened by ``open()``/``with``."""

    def __init__(self, db: DbConfig) -> None:
        super().__init__(db)
        self.conn: Any = None
        self._binary_uuids: Optional[bool] = None

    def open(self) -> MySQLStore:
        import pymysql

        if self.conn is not None:
            return self
        log.debug("connecting to %s", self.db.describe())
        try:
            self.conn = connect(self.db, raw_times=True)
            with self.conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                self._sort_rows_themselves(cur)
                self._set_zone(cur)
        except (pymysql.MySQLError, OSError) as exc:
            self.close()
            raise wrap_error(self.db, exc, "connecting") from None
        return self

    def _sort_rows_themselves(self, cur: Any) -> None:
        """See :data:`SORT_ROWS_THEMSELVES`."""
        import pymysql

        try:
            cur.execute(SORT_ROWS_THEMSELVES)
        except pymysql.MySQLError as exc:
            log.debug("%s: %s refused (%s)", self.db.role, SORT_ROWS_THEMSELVES, exc)

    def _set_zone(self, cur: Any) -> None:
        import pymysql

        if self.db.timezone is None:
            self.zone = session_zone(cur)
            log.debug("%s: server session time zone is UTC%s", self.db.role, offset_text(self.zone))
            return
        try:
            cur.execute("SET time_zone = %s", (self.db.timezone,))
        except pymysql.MySQLError as exc:
            if exc.args and exc.args[0] == UNKNOWN_TIME_ZONE:  # named zones need the server's tz tables
                cur.execute("SET time_zone = %s", (offset_text(self.zone),))
            else:
                raise

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; nothing to release
                log.debug("closing %s failed", self.db.role, exc_info=True)

    def _require(self) -> Any:
        if self.conn is None:
            self.open()
        return self.conn

    def _query(self, sql: str, params: Sequence[Any] = (), action: str = "query") -> Iterator[Tuple[Any, ...]]:
        return self._stream(sql, params, action, as_rows=False)

    def _rows(self, sql: str, params: Sequence[Any] = (), action: str = "query") -> Iterator[TrackingRow]:
        """The rows decoded from the wire's bytes (:mod:`fth.tracking.wire`) when pymysql allows, else as
        the base class does."""
        return self._stream(sql, params, action, as_rows=True)

    def _stream(self, sql: str, params: Sequence[Any], action: str, as_rows: bool) -> Iterator[Any]:
        """One SELECT in a read-only transaction, streamed: result tuples, or tracking rows."""
        import pymysql

        conn = self._require()
        log.debug("%s: %s (%d parameters)", self.db.role, sql, len(params))
        try:
            with conn.cursor(pymysql.cursors.SSCursor) as cur:
                cur.execute("START TRANSACTION READ ONLY")
                cur.execute(sql, tuple(params))
                if as_rows and wire.usable(conn, cur):
                    yield from RowBuilder(self.zone, cur._result.converters).rows(
                        wire.raw_rows(conn, cur, len(LOGICAL_COLUMNS)))
                else:
                    while True:
                        rows = cur.fetchmany(FETCH_BATCH)
                        if not rows:
                            break
                        yield from ((make_row(raw, self.zone) for raw in rows) if as_rows else rows)
            conn.commit()
        except (pymysql.MySQLError, OSError) as exc:
            self.close()  # a failed streaming cursor leaves the connection unusable
            raise wrap_error(self.db, exc, action) from None

    def binary_uuids(self) -> bool:
        """Whether the UUID column is binary (BINARY(16), VARBINARY, BLOB: charset 63), asked once per store: a
        text column is not asked for bytes (the comparison would then be binary and could not use its index)."""
        import pymysql

        if self._binary_uuids is None:
            conn = self._require()
            try:
                with conn.cursor() as cur:
                    cur.execute(self._select(self.col("uuid"), "1 = 0"))
                    fields = getattr(cur._result, "fields", None) or ()
                    self._binary_uuids = bool(fields) and getattr(fields[0], "charsetnr", None) == BINARY_CHARSET
            except (pymysql.MySQLError, OSError) as exc:
                self.close()
                raise wrap_error(self.db, exc, "looking up rows by UUID") from None
        return self._binary_uuids

    def estimate_in_window(self, start: dt.datetime, end: dt.datetime) -> int:
        """The server's estimate of the window's rows, from ``EXPLAIN`` of :meth:`rows_in_window`'s query: a
        millisecond, where ``COUNT(*)`` reads every row (a quarter of a second at a million, before the
        reading can start). A plan that names no row count, or that the server will not show, falls back to
        the count."""
        import pymysql

        conn = self._require()
        names: List[str] = []
        plan: Sequence[Sequence[Any]] = ()
        try:
            with conn.cursor() as cur:
                cur.execute(f"EXPLAIN {self._window_rows_sql()}", (self.bound(start), self.bound(end)))
                names = [str(column[0]).lower() for column in cur.description or ()]
                plan = cur.fetchall()
        except OSError as exc:
            self.close()
            raise wrap_error(self.db, exc, "estimating the rows in the window") from None
        except pymysql.MySQLError as exc:  # e.g. a view whose tables the account may not see (1345): count
            log.debug("%s: EXPLAIN failed (%s); counting the rows instead", self.db.role, exc)
        rows = names.index("rows") if "rows" in names else None
        estimates = [int(step[rows]) for step in plan if rows is not None and str(step[rows]).isdigit()]
        return max(estimates) if estimates else self.count_in_window(start, end)

    def ping(self) -> float:
        import pymysql

        began = time.monotonic()
        conn = self._require()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchall()
        except (pymysql.MySQLError, OSError) as exc:
            self.close()
            raise wrap_error(self.db, exc, "ping") from None
        return time.monotonic() - began

    def server_version(self) -> Optional[str]:
        conn = self._require()
        return getattr(conn, "server_version", None)
