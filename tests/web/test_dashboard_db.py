"""The dashboard layout against a real MariaDB holding seed 002's table: figures, table, outage, recovery."""

import time
from typing import Any, Callable, Dict, List

import pytest

from fth.config.web import dashboard_db
from fth_web.settings import WebSettings
from tests.web.conftest import FAST_RETRY
from tests.web.polling import poll_concurrently

KNOWN: List[Dict[str, Any]] = (
    [{"age_s": 60, "status": "BAD_REQUEST"}] * 3
    + [{"age_s": 61, "status": "CD_UNAVAILABLE"}] * 2
    + [{"age_s": 62, "status": "SUBMITTED"}] * 4
    + [{"age_s": 63, "status": "COMPLETE", "file_size": 2_000_000, "transit_s": 2.0, "username": "bob"}] * 125
    + [{"age_s": 64, "status": "EP_UNAVAILABLE", "file_size": 1_000_000, "transit_s": 5.0}]
    + [{"age_s": 65, "status": "TIMEOUT"}] * 2
    + [{"age_s": 20 * 60, "status": "BAD_REQUEST"}]
    + [{"age_s": 20 * 60, "status": "COMPLETE", "file_size": 3_000_000, "transit_s": 1.0}] * 10
    + [{"age_s": 45 * 60, "status": "SUBMITTED"}] * 2
    + [{"age_s": 45 * 60, "status": "EP_UNAVAILABLE", "file_size": 500_000, "transit_s": 1.0}] * 2
    + [{"age_s": 2 * 3600, "status": "COMPLETE", "file_size": 9_999_999, "transit_s": 1.0}] * 7
)


def figures(client, window: int) -> Dict[str, Any]:
    data = client.get(f"/api/panels?window={window}").get_json()
    assert data["examples"] is False, data["notice"]
    return {f["label"]: (f["value"], f["unit"]) for stage in data["stages"] for f in stage["figures"]}


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.mark.parametrize("window, expected", [
    (10, {"Bad request": 3, "CD unavailable": 2, "Submitted": 4, "Complete": 125, "EP unavailable": 1,
          # (125 × 2,000,000 + 1,000,000) B / 600 s = 418,333.3 B/s; 126 tx / 600 s = 0.21 tx/s
          "Data rate": (418.3, "KB/s"), "Transactions/s": (0.2, "tx/s")}),
    (30, {"Bad request": 4, "CD unavailable": 2, "Submitted": 4, "Complete": 135, "EP unavailable": 1,
          # (251,000,000 + 30,000,000) / 1800 = 156,111.1 B/s; 136 / 1800 = 0.0756
          "Data rate": (156.1, "KB/s"), "Transactions/s": (0.1, "tx/s")}),
    (60, {"Bad request": 4, "CD unavailable": 2, "Submitted": 6, "Complete": 135, "EP unavailable": 3,
          # (281,000,000 + 1,000,000) / 3600 = 78,333.3 B/s; 138 / 3600 = 0.0383
          "Data rate": (78.3, "KB/s"), "Transactions/s": (0.0, "tx/s")}),
])
@pytest.mark.parametrize("cache_s", [0.0, 60.0])  # every request queries / background lanes, shared
def test_panels_count_a_known_data_set(dashboard_table, make_app, window, expected, cache_s):
    dashboard_table.insert(KNOWN)
    client = make_app(dashboard_table.settings(cache_s=cache_s)).test_client()
    got = figures(client, window)
    for label, want in expected.items():
        if isinstance(want, tuple):
            assert got[label] == want, label
        else:
            assert got[label] == (float(want), ""), label


def test_table_is_newest_first_with_filters(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": 30 - i, "status": s, "username": u, "file_name": f"f{i}.bin",
                             "file_size": 1000 + i, "transit_s": 0.5 if s == "COMPLETE" else None}
                            for i, (s, u) in enumerate([("COMPLETE", "alice"), ("TIMEOUT", "bob"),
                                                        ("COMPLETE", "bob"), ("BAD_REQUEST", "alice")])])
    client = make_app(dashboard_table.settings()).test_client()
    rows = client.get("/api/transactions").get_json()["rows"]
    assert [r["file_name"] for r in rows] == ["f3.bin", "f2.bin", "f1.bin", "f0.bin"]
    assert rows[1]["transit_s"] == 0.5 and rows[0]["transit_s"] is None
    assert set(rows[0]) >= {"transaction_id", "ingress_server", "egress_server", "egress_time"}
    bob = client.get("/api/transactions?username=bob").get_json()["rows"]
    assert [r["file_name"] for r in bob] == ["f2.bin", "f1.bin"]
    done = client.get("/api/transactions?status=COMPLETE&username=alice").get_json()["rows"]
    assert [r["file_name"] for r in done] == ["f0.bin"]
    assert [r["file_name"] for r in client.get("/api/transactions?limit=1").get_json()["rows"]] == ["f3.bin"]
    assert client.get("/api/usernames").get_json()["usernames"] == ["alice", "bob"]


def test_queries_use_the_seed_indexes(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": i * 300, "status": "COMPLETE", "transit_s": 1.0} for i in range(3000)])
    dashboard_table.server.execute("ANALYZE TABLE transactions", database=dashboard_table.database)
    source = make_app(dashboard_table.settings()).extensions["fth_web"].source.inner
    for sql, params in (source.recent_query(50), source.panels_query(10), source.recent_query(50, status="TIMEOUT")):
        conn = dashboard_table.server.connect(dashboard_table.database)
        try:
            with conn.cursor() as cur:
                cur.execute("EXPLAIN " + sql.replace(source.table, "transactions"), params)
                plan = cur.fetchall()
        finally:
            conn.close()
        assert all(row[3] != "ALL" for row in plan), (sql, plan)  # no full table scan
        assert plan[0][5] in ("idx_ingress_time", "idx_status"), (sql, plan)


def test_outage_turns_status_red_and_recovers_by_itself(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": 5, "status": "COMPLETE", "file_name": "real.bin", "transit_s": 1.0}])
    client = make_app(dashboard_table.settings()).test_client()
    assert client.get("/api/transactions").get_json()["rows"][0]["file_name"] == "real.bin"
    status = client.get("/api/status").get_json()
    assert status["healthy"] and status["connections"][0]["state"] == "up"
    last_success = status["connections"][0]["last_success"]

    dashboard_table.server.stop()
    data = client.get("/api/transactions").get_json()
    assert data["examples"] is True and "unavailable" in data["notice"].lower()
    assert client.get("/api/panels").get_json()["examples"] is True
    conn = client.get("/api/status").get_json()["connections"][0]
    assert conn["state"] == "down" and conn["last_error"] and conn["last_success"] == last_success
    assert "Traceback" not in conn["last_error"] and dashboard_table.password not in conn["last_error"]
    for url in ("/", "/reports/", "/admin/"):
        assert client.get(url).status_code == 200, url

    dashboard_table.server.start()
    assert wait_for(lambda: client.get("/api/transactions").get_json()["examples"] is False)
    assert client.get("/api/status").get_json()["connections"][0]["state"] == "up"
    assert client.get("/api/transactions").get_json()["rows"][0]["file_name"] == "real.bin"


def test_backoff_spaces_attempts(dashboard_table, make_app):
    from fth_web.settings import RetryPolicy

    dead = dashboard_db(host="127.0.0.1", port=dashboard_table.server.port, user="nobody", password="wrong",
                        connect_timeout=2.0)
    client = make_app(WebSettings(database=dead, cache_s=0, retry=RetryPolicy(initial=30, max=60))).test_client()
    client.get("/api/transactions")
    first = client.get("/api/status").get_json()["connections"][0]
    client.get("/api/transactions")  # within the backoff: refused without trying
    second = client.get("/api/status").get_json()["connections"][0]
    assert first["state"] == second["state"] == "down"
    assert first["failures"] == second["failures"] == 1
    assert 0 < second["retry_in_s"] <= 30
    assert "Access denied" in first["last_error"]


def test_unreachable_database_shows_examples(make_app):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = dashboard_db(host="127.0.0.1", port=port, user="monitor", password="pw", connect_timeout=1.0)
    client = make_app(WebSettings(database=db, cache_s=0, retry=FAST_RETRY)).test_client()
    data = client.get("/api/transactions").get_json()
    assert data["examples"] is True and 1 <= len(data["rows"]) <= 3
    conn = client.get("/api/status").get_json()["connections"][0]
    assert conn["state"] == "down" and conn["last_success"] is None and "pw" not in conn["target"]
    assert client.get("/").status_code == 200
    response = client.get("/api/usernames")
    assert response.status_code == 503 and "unavailable" in response.get_json()["error"]


def test_requests_are_answered_while_a_panel_query_is_held(dashboard_table, make_app):
    """A table lock holds the lane's panel query (the 60-minute panel at 10 million rows a day takes seconds):
    meanwhile every request is answered from the last result, and all of them share that one computation."""
    dashboard_table.insert(KNOWN)
    app = make_app(dashboard_table.settings(cache_s=0.2))
    client = app.test_client()
    panels = app.extensions["fth_web"].source.inner.lanes["panels"]
    assert figures(client, 10)["Bad request"] == (3.0, "")
    assert len(client.get("/api/transactions").get_json()["rows"]) == 50
    assert panels.computations == 1
    dashboard_table.insert([{"age_s": 30, "status": "BAD_REQUEST"}] * 5)

    lock = dashboard_table.server.connect(dashboard_table.database)
    try:
        with lock.cursor() as cur:
            cur.execute("LOCK TABLES transactions WRITE")
        time.sleep(0.3)  # the results are now older than the refresh interval
        assert figures(client, 10)["Bad request"] == (3.0, "")  # starts the recomputation, answered at once
        held = ("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%%'"
                " AND INFO LIKE %s")
        assert wait_for(lambda: dashboard_table.fetch(held, ("%GROUP BY status%",))[0][0] == 1, interval=0.05)

        # refresh intervals pass between the rounds while the query is held
        bodies = poll_concurrently(client, ["/api/panels?window=10"] * 20 + ["/api/transactions", "/api/status"],
                                   rounds=3, pause_s=0.3, timeout=20)
        assert len(bodies) == 3 * 22
        bad = {figure["value"] for body in bodies if "stages" in body
               for figure in body["stages"][0]["figures"] if figure["label"] == "Bad request"}
        assert bad == {3.0} and all(b.get("examples") is False for b in bodies if "healthy" not in b)
        assert panels.computations == 2  # one shared computation in progress, not one per client
    finally:
        with lock.cursor() as cur:
            cur.execute("UNLOCK TABLES")
        lock.close()
    assert wait_for(lambda: figures(client, 10)["Bad request"] == (8.0, ""))
