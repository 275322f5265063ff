"""Where the target writes its tracking rows: an embedded SQLite file, MySQL pair tables, dashboard.transactions.

A sink is written by one greenlet only (the tracker's writer), in batches. Ingress rows are
inserted at arrival; egress rows are inserted (pair layout) or the dashboard row is updated
after processing. Table and column names come from validated configuration (``DbConfig``);
values are always parameters.
"""

import datetime as dt
import logging
import os
import sqlite3
from typing import Any, List, Optional, Sequence

from fth.config import sql_name
from fth.config.model import DEFAULT_COLUMNS, DbConfig
from fth.errors import FthError
from fth.target.records import Arrival, Outcome
from fth.target.settings import EGRESS_TABLE, INGRESS_TABLE
from fth.tracking import mysql_connect, resolve_zone, session_zone

log = logging.getLogger(__name__)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
DASHBOARD_STATUS = {"SUCCESS": "COMPLETE", "FAILED": "EP_UNAVAILABLE", "TIMEOUT": "TIMEOUT"}


def _ident(name: str) -> str:
    try:
        return sql_name(name)
    except ValueError as exc:
        raise FthError(f"{name!r} {exc}") from None


def _columns(db: Optional[DbConfig]) -> List[str]:
    mapping = db.columns if db is not None else DEFAULT_COLUMNS
    return [_ident(mapping[key]) for key in ("uuid", "username", "filename", "start", "end", "status")]


def ingress_values(arrival: Arrival) -> tuple:
    return (arrival.uuid, arrival.username, arrival.filename, arrival.start, arrival.end, "SUCCESS")


def egress_values(outcome: Outcome) -> tuple:
    arrival = outcome.arrival
    return (arrival.uuid, arrival.username, arrival.filename, arrival.end, outcome.end, outcome.status)


class Sink:
    """The interface of a sink."""

    name = "sink"

    def open(self) -> None:
        """Connect (and create the tables where this sink may)."""

    def write(self, arrivals: Sequence[Arrival], outcomes: Sequence[Outcome]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""


class SqliteSink(Sink):
    """One SQLite file with the tables ``ingress_transfers`` and ``egress_transfers`` (default columns).

    WAL journal while the target runs (readers never block the writer), switched back to a plain
    rollback journal at close so read-only openers (fth-report, fth-web) need no -wal/-shm files.
    Times are stored as ``YYYY-MM-DD HH:MM:SS.ffffff`` text in this machine's local time zone,
    which is what :mod:`fth.tracking`'s SQLite driver assumes by default.
    """

    def __init__(self, path: str, ingress_table: str = INGRESS_TABLE, egress_table: str = EGRESS_TABLE) -> None:
        self.path = path
        self.tables = (_ident(ingress_table), _ident(egress_table))
        self.name = f"sqlite:{path}"
        self.conn: Optional[sqlite3.Connection] = None

    def open(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        cols = _columns(None)
        for table in self.tables:
            self.conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (id INTEGER PRIMARY KEY AUTOINCREMENT, '
                f'"{cols[0]}" TEXT NOT NULL, "{cols[1]}" TEXT, "{cols[2]}" TEXT, "{cols[3]}" TEXT NOT NULL, '
                f'"{cols[4]}" TEXT, "{cols[5]}" TEXT, file_size INTEGER)')
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "ix_{table}_start" ON "{table}" ("{cols[3]}")')
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "ix_{table}_uuid" ON "{table}" ("{cols[0]}")')

    def write(self, arrivals: Sequence[Arrival], outcomes: Sequence[Outcome]) -> None:
        assert self.conn is not None
        cols = ", ".join(f'"{c}"' for c in _columns(None)) + ", file_size"
        sql = 'INSERT INTO "{}" (' + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if arrivals:
                self.conn.executemany(sql.format(self.tables[0]),
                                      [(*_text_times(ingress_values(a)), a.size) for a in arrivals])
            if outcomes:
                self.conn.executemany(sql.format(self.tables[1]),
                                      [(*_text_times(egress_values(o)), o.arrival.size) for o in outcomes])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error as exc:  # a reader holds it open: stays WAL, still readable
                log.debug("sqlite store stays in WAL mode: %s", exc)
            conn.close()


def _text_times(values: tuple) -> tuple:
    return tuple(v.strftime(TIME_FORMAT) if hasattr(v, "strftime") else v for v in values)


class _MySQLSink(Sink):
    def __init__(self, db: DbConfig, create: bool) -> None:
        self.db = db
        self.create = create
        self.name = db.describe()
        self.conn: Any = None
        self.zone: dt.tzinfo = dt.timezone.utc

    def connect(self) -> Any:
        import pymysql

        try:
            return mysql_connect(self.db)
        except (pymysql.MySQLError, OSError) as exc:
            raise FthError(f"cannot connect to {self.name}: {exc}",
                           "check host, port, user, password and that the database exists") from None

    def open(self) -> None:
        self.conn = self.connect()
        self.zone = self.write_zone()
        if self.create:
            with self.conn.cursor() as cur:
                cur.execute(self.ddl())

    def write_zone(self) -> dt.tzinfo:
        """The zone of the DATETIME values: ``DbConfig.timezone``, else the server's session time zone
        (its UTC offset now), which is what fth-report and fth-web assume when reading them."""
        zone = resolve_zone(self.db.timezone)
        if zone is not None:
            return zone
        with self.conn.cursor() as cur:
            return session_zone(cur)

    def local(self, value: dt.datetime) -> dt.datetime:
        """A naive local time as the naive wall-clock time of the database's zone."""
        return value.astimezone(self.zone).replace(tzinfo=None)

    def ddl(self) -> str:
        raise NotImplementedError

    def run(self, statements: Sequence[tuple]) -> None:
        """Execute ``(sql, rows)`` pairs in one transaction; reconnect once on a lost connection."""
        import pymysql

        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = self.connect()
                self.conn.begin()  # the connection autocommits; a batch is one transaction
                try:
                    with self.conn.cursor() as cur:
                        for sql, rows in statements:
                            if rows:
                                cur.executemany(sql, rows)
                except pymysql.MySQLError:
                    self.conn.rollback()
                    raise
                self.conn.commit()
                return
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                self.close()
                if attempt == 2:
                    raise FthError(f"writing to {self.name} failed: {exc}") from None
                log.warning("writing to %s failed (%s); reconnecting", self.name, exc)

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: S110  (already broken)
                pass


class MySQLPairSink(_MySQLSink):
    """The two tracking tables of seed 000, one in the ingress and one in the egress database."""

    def __init__(self, db: DbConfig, role: str, create: bool = False) -> None:
        super().__init__(db, create)
        self.role = role  # ingress | egress

    def ddl(self) -> str:
        c = _columns(self.db)
        return (f"CREATE TABLE IF NOT EXISTS `{_ident(self.db.table)}` ("
                f"`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, `{c[0]}` CHAR(36) NOT NULL, "
                f"`{c[1]}` VARCHAR(255) NULL, `{c[2]}` VARCHAR(1024) NULL, `{c[3]}` DATETIME(3) NOT NULL, "
                f"`{c[4]}` DATETIME(3) NULL, `{c[5]}` ENUM('SUCCESS', 'FAILED', 'TIMEOUT') NULL, "
                f"PRIMARY KEY (`id`), KEY `ix_{self.db.table}_start` (`{c[3]}`), "
                f"KEY `ix_{self.db.table}_uuid` (`{c[0]}`)) "
                "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")

    def write(self, arrivals: Sequence[Arrival], outcomes: Sequence[Outcome]) -> None:
        cols = ", ".join(f"`{c}`" for c in _columns(self.db))
        sql = f"INSERT INTO `{_ident(self.db.table)}` ({cols}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608
        rows = [ingress_values(a) for a in arrivals] if self.role == "ingress" else \
            [egress_values(o) for o in outcomes]
        self.run([(sql, [(u, n, f, self.local(start), self.local(end), st) for u, n, f, start, end, st in rows])])


class DashboardSink(_MySQLSink):
    """``dashboard.transactions`` of seed 002: SUBMITTED at arrival, then COMPLETE/EP_UNAVAILABLE/TIMEOUT."""

    def __init__(self, db: DbConfig, ingress_server: str, egress_server: str, create: bool = False) -> None:
        super().__init__(db, create)
        self.ingress_server = ingress_server
        self.egress_server = egress_server

    def ddl(self) -> str:
        return (f"CREATE TABLE IF NOT EXISTS `{_ident(self.db.table)}` ("
                "transaction_id CHAR(36) NOT NULL, username VARCHAR(50) NOT NULL, file_name VARCHAR(255) NOT NULL, "
                "file_size BIGINT NOT NULL, ingress_server VARCHAR(100) NOT NULL, ingress_time DATETIME(3) NOT NULL, "
                "egress_server VARCHAR(100), egress_time DATETIME(3), status ENUM('BAD_REQUEST', 'SUBMITTED', "
                "'COMPLETE', 'TIMEOUT', 'EP_UNAVAILABLE', 'CD_UNAVAILABLE') NOT NULL, PRIMARY KEY (transaction_id), "
                "INDEX idx_username (username), INDEX idx_status (status), INDEX idx_ingress_time (ingress_time)"
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")

    def write(self, arrivals: Sequence[Arrival], outcomes: Sequence[Outcome]) -> None:
        table = _ident(self.db.table)
        insert = (f"INSERT INTO `{table}` (transaction_id, username, file_name, file_size, ingress_server, "  # noqa: S608
                  "ingress_time, status) VALUES (%s, %s, %s, %s, %s, %s, 'SUBMITTED') "
                  "ON DUPLICATE KEY UPDATE username = VALUES(username), file_name = VALUES(file_name), "
                  "file_size = VALUES(file_size), ingress_time = VALUES(ingress_time), status = 'SUBMITTED', "
                  "egress_server = NULL, egress_time = NULL")
        update = (f"UPDATE `{table}` SET status = %s, egress_server = %s, egress_time = %s "  # noqa: S608
                  "WHERE transaction_id = %s")
        self.run([
            (insert, [(a.uuid, a.username[:50], a.filename[:255], a.size, self.ingress_server, self.local(a.start))
                      for a in arrivals]),
            (update, [(DASHBOARD_STATUS[o.status], self.egress_server, self.local(o.end), o.arrival.uuid)
                      for o in outcomes]),
        ])
