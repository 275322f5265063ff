"""Fixtures for fth-web: ``app``/``client`` from the factory (flaskr style) and a real dashboard table."""


import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pytest

from fth.config.model import DbConfig
from fth.config.web import Features, RetryPolicy, dashboard_db
from fth_web import create_app
from fth_web.settings import WebSettings

REPO = Path(__file__).resolve().parents[2]
SCHEMA_SQL = (REPO / "contrib" / "sql" / "dashboard_transactions.sql").read_text(encoding="utf-8")
FAST_RETRY = RetryPolicy(initial=0.2, max=0.5, multiplier=2.0)


def schema_statement(database: str = "dashboard") -> str:
    """The seed's CREATE TABLE from contrib/sql, without its comments, in ``database``."""
    body = "\n".join(line for line in SCHEMA_SQL.splitlines() if not line.lstrip().startswith("--"))
    return body.strip().rstrip(";").replace("dashboard.transactions", f"`{database}`.transactions")


@pytest.fixture
def settings() -> WebSettings:
    return WebSettings(mock=True, mock_rate=20.0, cache_s=0.0, secret_key="test-secret-key-not-for-production")


@pytest.fixture
def app(settings: WebSettings):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["fth_web"].source.close()


@pytest.fixture
def client(app):
    return app.test_client()


class DashboardTable:
    """The seed's table in a real MariaDB, with helpers to fill it relative to the server's clock."""

    def __init__(self, server: Any, database: str) -> None:
        self.server = server
        self.database = database
        self.password = "monitor-pw-" + uuid.uuid4().hex[:8]
        self.user = "fthweb_" + uuid.uuid4().hex[:6]
        server.create_database(database)
        server.execute(schema_statement(database))
        server.create_user(self.user, self.password,
                           [f"GRANT SELECT, DELETE ON `{database}`.* TO {{user}}"])

    def db(self) -> DbConfig:
        return dashboard_db(host=self.server.host, port=self.server.port, user=self.user, password=self.password,
                           database=self.database, connect_timeout=2.0, read_timeout=10.0)

    def settings(self, **extra: Any) -> WebSettings:
        values: Dict[str, Any] = {"layout": "dashboard", "database": self.db(), "retry": FAST_RETRY,
                                  "cache_s": 0.0, "secret_key": "test-secret"}
        values.update(extra)
        return WebSettings(**values)

    def insert(self, rows: Sequence[Dict[str, Any]]) -> List[str]:
        """Rows with ``age_s`` (ingress this many seconds before the server's NOW(3)) and optional
        ``transit_s``; other keys default. Returns the transaction ids."""
        ids = []
        conn = self.server.connect(self.database)
        try:
            with conn.cursor() as cur:
                for row in rows:
                    tid = row.get("transaction_id") or str(uuid.uuid4())
                    ids.append(tid)
                    transit = row.get("transit_s")
                    cur.execute(
                        "INSERT INTO transactions (transaction_id, username, file_name, file_size, ingress_server,"
                        " ingress_time, egress_server, egress_time, status) VALUES (%s, %s, %s, %s, %s,"
                        " NOW(3) - INTERVAL %s MICROSECOND, %s,"
                        " IF(%s IS NULL, NULL, NOW(3) - INTERVAL %s MICROSECOND + INTERVAL %s MICROSECOND), %s)",
                        (tid, row.get("username", "alice"), row.get("file_name", "file.bin"),
                         row.get("file_size", 1000), row.get("ingress_server", "in-1"),
                         int(row["age_s"] * 1e6), row.get("egress_server"),
                         transit, int(row["age_s"] * 1e6), int((transit or 0) * 1e6), row["status"]))
        finally:
            conn.close()
        return ids

    def count(self) -> int:
        conn = self.server.connect(self.database)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM transactions")
                return int(cur.fetchone()[0])
        finally:
            conn.close()

    def truncate(self) -> None:
        self.server.execute("DELETE FROM transactions", database=self.database)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> List[tuple]:
        conn = self.server.connect(self.database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()


@pytest.fixture
def dashboard_table(mariadb) -> Iterator[DashboardTable]:
    """A fresh ``dashboard``-schema table in the session's MariaDB (the server is restarted if a test stopped it)."""
    if not mariadb.running:
        mariadb.start()
    table = DashboardTable(mariadb, "dashboard")
    yield table
    if not mariadb.running:
        mariadb.start()


@pytest.fixture
def make_app() -> Iterator[Callable[..., Any]]:
    """Build apps from settings; every source is closed at the end of the test."""
    made: List[Any] = []

    def make(settings: WebSettings, live_provider: Optional[Callable[[], Dict[str, Any]]] = None, **kw: Any):
        app = create_app(settings, live_provider, **kw)
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["fth_web"].source.close()


__all__ = ["FAST_RETRY", "DashboardTable", "Features", "schema_statement"]
