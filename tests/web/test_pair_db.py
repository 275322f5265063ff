"""The pair layout against real MariaDB tracking databases (the known-answer set of the fth-report tests)."""

import csv
import dataclasses
import io
import time
from datetime import datetime, timedelta, timezone

import pytest

from fth.config.model import DbConfig, TrackingConfig
from fth_web.settings import WebSettings, load_settings
from tests.report import dataset
from tests.report.dataset import READER_PW, create_tables, load
from tests.web.conftest import FAST_RETRY


@pytest.fixture(scope="module")
def pair_db(mariadb, tmp_path_factory):
    if not mariadb.running:
        mariadb.start()
    return load(mariadb, tmp_path_factory.mktemp("webpair"), prefix="webpair")


@pytest.fixture
def pair_settings(pair_db, monkeypatch) -> WebSettings:
    monkeypatch.setenv("FTH_TEST_READER_PW", READER_PW)
    settings = load_settings(str(pair_db.config_path), environ={}, flags={"layout": "pair"})
    return dataclasses.replace(settings, cache_s=0.0, retry=FAST_RETRY)


def local_input(hour: int, minute: int = 0) -> str:
    moment = datetime(2026, 1, 10, hour, minute, tzinfo=timezone.utc).astimezone().replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_settings_from_the_job_yaml(pair_settings, pair_db):
    assert pair_settings.layout == "pair" and pair_settings.tracking.ingress.database == pair_db.ingress
    assert pair_settings.limits.row_default == 100 and pair_settings.limits.refresh_min == 5


def test_recent_pairs_newest_first_with_both_statuses(pair_settings, make_app):
    client = make_app(pair_settings).test_client()
    rows = client.get("/api/transactions").get_json()["rows"]
    assert [r["uuid"] for r in rows[:3]] == ["u-b2", "u-io2", "u-io1"]
    first = rows[0]
    assert (first["ingress_status"], first["status"], first["duration_s"]) == ("SUCCESS", "SUCCESS", 120.0)
    assert rows[1]["status"] == "PENDING" and rows[1]["end"] is None
    a4 = next(r for r in rows if r["uuid"] == "u-a4")
    assert (a4["ingress_status"], a4["status"]) == ("FAILED", "TIMEOUT")
    pending = client.get("/api/transactions?status=PENDING").get_json()["rows"]
    assert [r["uuid"] for r in pending] == ["u-io2", "u-io1"]
    failed = client.get("/api/transactions?status=FAILED").get_json()["rows"]
    assert [r["uuid"] for r in failed] == ["u-a3"]
    bob = client.get("/api/transactions?username=bob").get_json()["rows"]
    assert [r["uuid"] for r in bob] == ["u-b2", "u-b1"]
    assert client.get("/api/usernames").get_json()["usernames"] == ["alice", "bob", "carol", "dave"]
    status = client.get("/api/status").get_json()
    assert [c["name"] for c in status["connections"]] == ["ingress", "egress"] and status["healthy"]


def test_report_form_uses_fth_reports_engine(pair_settings, pair_db, make_app):
    from fth.report.engine import ReportRequest, report_from_config
    from tests.report.dataset import PASSED

    app = make_app(pair_settings)
    client = app.test_client()
    query = {"from": local_input(10), "to": local_input(11)}
    response = client.get("/reports/generate", query_string={**query, "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0][:3] == ["uuid", "username", "filename"]
    assert len(lines) - 1 == 10  # the window's 9 ingress rows (7 pairs + 2 ingress-only), 1 egress-only row

    start = datetime(2026, 1, 10, 10, tzinfo=timezone.utc)
    end = datetime(2026, 1, 10, 11, tzinfo=timezone.utc)
    ours = client.get("/reports/generate", query_string={**query, "format": "json"}).get_json()
    theirs = report_from_config(pair_settings.tracking, ReportRequest(start, end, pair_settings.jobs)).document
    assert ours == theirs and ours["total"]["passed"] == PASSED
    by_kind = {kind: sorted(line[0] for line in lines[1:] if line[-1] == kind)
               for kind in ("pair", "ingress_only", "egress_only")}
    assert by_kind["ingress_only"] == sorted(ours["ingress_only"]) == sorted(dataset.INGRESS_ONLY)
    assert by_kind["egress_only"] == sorted(ours["egress_only"]) == sorted(dataset.EGRESS_ONLY)
    assert len(by_kind["pair"]) == ours["total"]["paired"] and lines[-1][0] == "u-eo1"

    html = client.get("/reports/generate", query_string={**query, "format": "html"}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "\\u003cscript" in html
    assert "<script>alert(1)</script>" not in html


def test_the_report_forms_csv_lists_each_row_as_fth_report_pairs_it(mariadb, make_app):
    """Duplicates, rows without a UUID, egress-only rows, an egress row of another window's ingress row and an
    ingress partner without a start time: each transfer once, labelled as the engine counts it."""
    from fth.report.engine import ReportRequest, report_from_config
    from tests.report.dataset import insert_rows

    def at(minute, second=0):
        return datetime(2026, 1, 10, 10) + timedelta(minutes=minute, seconds=second)

    rows = {
        "csvpair_ingress": [("p-1", "alice", "p1", at(1), at(1, 1), "SUCCESS"),
                            ("p-1", "alice", "p1-again", at(2), at(2, 1), "SUCCESS"),  # a duplicate
                            ("", "alice", "blank", at(3), at(3, 1), "SUCCESS"),
                            ("lost", "bob", "l", at(4), None, "SUCCESS"),
                            ("before", "bob", "b", at(-30), at(-30, 1), "SUCCESS"),  # another window's
                            ("timeless", "bob", "t", None, None, "SUCCESS")],
        "csvpair_egress": [("p-1", "alice", "p1", at(1, 5), at(1, 9), "SUCCESS"),
                           ("p-1", "alice", "p1", at(1, 6), at(1, 7), "FAILED"),  # a duplicate egress row
                           ("eo", "carol", "e", at(5), at(5, 2), "SUCCESS"),
                           ("eo", "carol", "e", at(6), at(6, 2), "SUCCESS"),
                           ("", "carol", "blank-out", at(7), at(7, 1), "SUCCESS"),
                           ("before", "bob", "b", at(8), at(8, 1), "SUCCESS"),
                           ("timeless", "bob", "t", at(9), at(9, 4), "FAILED")],
    }
    for database, stored in rows.items():  # startTime may be NULL here
        mariadb.create_database(database)
        mariadb.execute("CREATE TABLE transfers (id INT AUTO_INCREMENT PRIMARY KEY, UUID VARCHAR(64), "
                        "username VARCHAR(64), filename VARCHAR(255), startTime DATETIME(3) NULL, "
                        "endTime DATETIME(3) NULL, status VARCHAR(32))", database=database)
        insert_rows(mariadb, database, stored)
    mariadb.create_user("csvpair_reader", "pw-csv", ["GRANT SELECT ON `csvpair_ingress`.* TO {user}",
                                                     "GRANT SELECT ON `csvpair_egress`.* TO {user}"])
    dbs = {role: DbConfig(role=role, host=mariadb.host, port=mariadb.port, user="csvpair_reader", password="pw-csv",
                          database=f"csvpair_{role}", timezone="UTC", connect_timeout=2.0)
           for role in ("ingress", "egress")}
    settings = WebSettings(layout="pair", tracking=TrackingConfig(**dbs), cache_s=0, retry=FAST_RETRY)
    start, end = datetime(2026, 1, 10, 10, tzinfo=timezone.utc), datetime(2026, 1, 10, 11, tzinfo=timezone.utc)
    query = {"from": local_input(10), "to": local_input(11), "format": "csv"}
    text = make_app(settings).test_client().get("/reports/generate", query_string=query).get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text)))
    header, body = lines[0], [dict(zip(lines[0], line)) for line in lines[1:]]
    assert header[-1] == "pairing"
    assert [(row["uuid"], row["filename"], row["pairing"]) for row in body] == [
        ("p-1", "p1", "pair"), ("p-1", "p1-again", "duplicate"), ("", "blank", "no_uuid"),
        ("lost", "l", "ingress_only"), ("eo", "e", "egress_only"), ("eo", "e", "duplicate"),
        ("", "blank-out", "no_uuid"), ("timeless", "t", "pair")]
    assert (body[0]["egress_status"], body[0]["transit_s"]) == ("SUCCESS", "9.0")  # the earliest egress row
    assert all(row["transit_s"] == "" and row["egress_status"] == "" for row in body[1:3])
    report = report_from_config(settings.tracking, ReportRequest(start, end)).pairing
    assert sorted(row["uuid"] for row in body if row["pairing"] == "pair") == sorted(r.uuid for r in report.pairs)
    assert [row["uuid"] for row in body if row["pairing"] == "ingress_only"] == [r.uuid for r in report.ingress_only]
    assert [row["uuid"] for row in body if row["pairing"] == "egress_only"] == [r.uuid for r in report.egress_only]


def test_panels_outage_and_recovery(mariadb, make_app):
    for role in ("ingress", "egress"):
        create_tables(mariadb, f"webnow_{role}")
    conn = mariadb.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT NOW(3)")
            now = cur.fetchone()[0]
            sql = ("INSERT INTO {}.transfers (UUID, username, filename, startTime, endTime, status)"
                   " VALUES (%s, %s, %s, %s, %s, %s)")
            ingress = [("n1", "alice", 60, 59, "SUCCESS"), ("n2", "alice", 50, 49, "SUCCESS"),
                       ("n3", "bob", 40, 39, "FAILED"), ("old", "bob", 7200, 7199, "SUCCESS")]
            egress = [("n1", "alice", 58, 56, "SUCCESS"), ("n3", "bob", 38, 36, "TIMEOUT")]
            for db, rows in (("webnow_ingress", ingress), ("webnow_egress", egress)):
                for uuid, user, start_ago, end_ago, status in rows:
                    cur.execute(sql.format(db), (uuid, user, uuid, now - timedelta(seconds=start_ago),
                                                 now - timedelta(seconds=end_ago), status))
    finally:
        conn.close()
    mariadb.create_user("webnow_reader", "pw-now", ["GRANT SELECT ON `webnow_ingress`.* TO {user}",
                                                    "GRANT SELECT ON `webnow_egress`.* TO {user}"])
    dbs = {role: DbConfig(role=role, host=mariadb.host, port=mariadb.port, user="webnow_reader", password="pw-now",
                          database=f"webnow_{role}", connect_timeout=2.0)
           for role in ("ingress", "egress")}
    client = make_app(WebSettings(layout="pair", tracking=TrackingConfig(**dbs), cache_s=0,
                                  retry=FAST_RETRY)).test_client()
    stages = client.get("/api/panels?window=10").get_json()["stages"]
    got = {(s["key"], f["label"]): f["value"] for s in stages for f in s["figures"]}
    assert got[("ingress", "Received")] == 3 and got[("ingress", "Failed")] == 1
    assert got[("cd", "Pending")] == 1
    assert got[("egress", "Success")] == 1 and got[("egress", "Timeout")] == 1
    assert got[("egress", "Pass rate")] == 33.3  # passed / (paired + no egress yet) = 1 / 3, as fth-report
    assert got[("egress", "Avg transit")] == 4.0  # (4 s + 4 s) / 2

    mariadb.stop()
    try:
        assert client.get("/api/transactions").get_json()["examples"] is True
        states = {c["name"]: c for c in client.get("/api/status").get_json()["connections"]}
        assert states["ingress"]["state"] == "down" and states["ingress"]["last_error"]
        assert "pw-now" not in states["ingress"]["last_error"]
    finally:
        mariadb.start()
    deadline = time.monotonic() + 30
    while client.get("/api/transactions").get_json()["examples"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get("/api/transactions").get_json()["examples"] is False
    assert {c["state"] for c in client.get("/api/status").get_json()["connections"]} == {"up"}


def test_admin_page_names_the_tracking_databases_not_example_rows(pair_settings, pair_db, make_app):
    html = make_app(pair_settings).test_client().get("/admin/").get_data(as_text=True)
    assert "example rows" not in html
    assert pair_db.ingress in html and pair_db.egress in html
    assert "read-only" in html
