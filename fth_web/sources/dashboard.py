"""The dashboard layout over one MySQL table, ``dashboard.transactions`` (seed 002).

Every query is parameterised and served by one of the seed's indexes:
``idx_ingress_time`` for the table (newest first, LIMIT) and the panels (a range
on ``ingress_time``), ``idx_username`` for the user list. When the database is
unreachable the source answers with the example rows, marked as examples, and
the status panel says why.
"""

import logging
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pymysql.cursors

from fth.config.model import DbConfig
from fth.config.web import RetryPolicy
from fth.tracking import mysql_connect
from fth_web.connections import ConnectionManager, DatabaseUnavailable
from fth_web.sources.base import DASHBOARD_FIELDS, Counts, Panels, Recent, Source, dashboard_panels, dashboard_row
from fth_web.sources.memory import example_rows

log = logging.getLogger(__name__)
_SELECT = ", ".join(DASHBOARD_FIELDS)


class DashboardSource(Source):
    layout = "dashboard"
    kind = "database"

    def __init__(self, db: DbConfig, retry: RetryPolicy, pool_size: int = 4) -> None:
        self.db = db  # database and table names were checked by fth.config (plain SQL names)
        self.table = f"`{db.database}`.`{db.table}`"
        self.manager = ConnectionManager("dashboard", db.describe(), lambda: mysql_connect(db), retry,
                                         pool_size=pool_size)

    # -- helpers ---------------------------------------------------------------------
    def _query(self, sql: str, params: tuple = ()) -> List[Dict[str, Any]]:
        def work(conn: Any) -> List[Dict[str, Any]]:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())

        return self.manager.run(work)

    def _examples_notice(self, exc: DatabaseUnavailable) -> str:
        return f"Database unavailable — showing example rows. {exc}"

    # -- Source ----------------------------------------------------------------------
    def recent_query(self, limit: int, username: Optional[str] = None,
                     status: Optional[str] = None) -> Tuple[str, Tuple[Any, ...]]:
        """Newest first: a backward scan of ``idx_ingress_time`` stopped by LIMIT, or a filter's index."""
        where: List[str] = []
        params: List[Any] = []
        if username:
            where.append("username = %s")
            params.append(username)
        if status:
            where.append("status = %s")
            params.append(status)
        sql = f"SELECT {_SELECT} FROM {self.table}"  # noqa: S608 - names validated, values parameterised
        if where:
            # the optimizer picks idx_username / idx_status (ref) or a backward scan of idx_ingress_time
            sql += " WHERE " + " AND ".join(where)
        else:
            # small tables tempt the optimizer into a full scan + filesort; the index is right at any size
            sql += " FORCE INDEX (idx_ingress_time)"
        sql += " ORDER BY ingress_time DESC LIMIT %s"
        params.append(int(limit))
        return sql, tuple(params)

    def panels_query(self, window_min: int) -> Tuple[str, Tuple[Any, ...]]:
        """Per-status counts and bytes of a range on ``idx_ingress_time`` (the server's clock decides)."""
        sql = (f"SELECT status, COUNT(*) AS n, COALESCE(SUM(file_size), 0) AS bytes FROM {self.table} "  # noqa: S608
               "WHERE ingress_time >= NOW(3) - INTERVAL %s SECOND GROUP BY status")
        return sql, (int(window_min) * 60,)

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        try:
            raws = self._query(*self.recent_query(limit, username, status))
        except DatabaseUnavailable as exc:
            rows = [dict(dashboard_row(r), example=True) for r in reversed(example_rows(self.layout, datetime.now()))]
            return Recent(rows=rows[:limit], examples=True, notice=self._examples_notice(exc))
        return Recent(rows=[dashboard_row(raw) for raw in raws])

    def panels(self, window_min: int) -> Panels:
        counts = Counts()
        try:
            for row in self._query(*self.panels_query(window_min)):
                counts.add(str(row["status"]), int(row["bytes"]), n=int(row["n"]))
        except DatabaseUnavailable as exc:
            for raw in example_rows(self.layout, datetime.now()):
                counts.add(raw["status"], raw["file_size"])
            return Panels(window_min, dashboard_panels(counts, window_min), examples=True,
                          notice=self._examples_notice(exc))
        return Panels(window_min, dashboard_panels(counts, window_min))

    def connections(self) -> List[Dict[str, Any]]:
        return [self.manager.status().as_dict()]

    def usernames(self) -> List[str]:
        sql = f"SELECT DISTINCT username FROM {self.table} ORDER BY username LIMIT 5000"  # noqa: S608
        return [str(row["username"]) for row in self._query(sql)]

    def report_rows(self, start: datetime, end: datetime, username: Optional[str]) -> Iterator[Dict[str, Any]]:
        """Streams the rows with an unbuffered cursor (constant memory whatever the range)."""
        sql = f"SELECT {_SELECT} FROM {self.table} WHERE ingress_time >= %s AND ingress_time < %s"  # noqa: S608
        params: List[Any] = [start, end]
        if username:
            sql += " AND username = %s"
            params.append(username)
        sql += " ORDER BY ingress_time, transaction_id"
        with self.manager.connection() as conn, conn.cursor(pymysql.cursors.SSDictCursor) as cur:
            cur.execute(sql, tuple(params))
            yield from cur

    @property
    def writable(self) -> bool:
        return True

    def clear(self) -> int:
        def work(conn: Any) -> int:
            with conn.cursor() as cur:
                removed = cur.execute(f"DELETE FROM {self.table}")  # noqa: S608 - validated name
                conn.commit()
                return int(removed)

        with self.manager.connection() as conn:
            return work(conn)

    def close(self) -> None:
        self.manager.close()
