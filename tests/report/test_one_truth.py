"""One source of truth: fth-report and fth-web's report form give the same document for the same rows.

The data set holds every awkward case at once (duplicate egress rows, a username mismatch, a lost
file, an unknown user, a username shared by two jobs, NULL UUIDs, a zero date) in a real MariaDB;
the expected figures are worked out by hand below, not by the code under test.
"""

import dataclasses
import datetime as dt
import json
import math
import statistics

import pytest
import requests

from fth.main import report_main
from fth_web import create_app
from fth_web.server import start_in_background
from fth_web.settings import load_settings
from tests.report.dataset import create_tables
from tests.web.conftest import FAST_RETRY

UTC = dt.timezone.utc
USER, PASSWORD = "truth_reader", "truth-pw"
DAY = "2026-02-03"


def t(clock):
    return None if clock is None else f"{DAY} {clock}"


# (UUID, username, filename, startTime, endTime, status), UTC
INGRESS = [
    ("t-1", "alice", "a1.dat", t("10:00:00"), t("10:00:01"), "SUCCESS"),
    ("t-dup", "alice", "dup.dat", t("10:05:00"), t("10:05:01"), "SUCCESS"),
    ("t-mis", "alice", "mis.dat", t("10:10:00"), t("10:10:01"), "SUCCESS"),
    ("t-lost", "alice", "lost.dat", t("10:15:00"), t("10:15:01"), "SUCCESS"),
    ("t-unk", "zed", "unk.dat", t("10:20:00"), t("10:20:01"), "SUCCESS"),
    ("t-sh1", "shared", "s1.dat", t("10:25:00"), t("10:25:01"), "SUCCESS"),
    ("t-sh2", "shared", "s2.dat", t("10:30:00"), t("10:30:01"), "SUCCESS"),
    (None, "alice", "null.dat", t("10:35:00"), t("10:35:01"), "SUCCESS"),
    ("t-zero", "alice", "zero.dat", t("10:40:00"), t("10:40:01"), "SUCCESS"),
]
EGRESS = [
    ("t-1", "alice", "a1.dat", t("10:00:02"), t("10:00:04"), "SUCCESS"),  # transit 4
    ("t-dup", "alice", "dup.dat", t("10:05:02"), t("10:05:05"), "SUCCESS"),  # transit 5: the earlier row decides
    ("t-dup", "alice", "dup.dat", t("10:06:00"), t("10:06:10"), "FAILED"),  # the duplicate
    ("t-mis", "mallory", "mis.dat", t("10:10:02"), t("10:10:08"), "FAILED"),  # transit 8, other username
    ("t-unk", "zed", "unk.dat", t("10:20:02"), t("10:20:05"), "TIMEOUT"),  # transit 5, user of no job
    ("t-sh1", "shared", "s1.dat", t("10:25:02"), t("10:25:03"), "SUCCESS"),  # transit 3
    ("t-sh2", "shared", "s2.dat", t("10:30:02"), t("10:30:04"), "FAILED"),  # transit 4
    (None, "alice", "null.dat", t("10:35:02"), t("10:35:03"), "SUCCESS"),
    ("t-zero", "alice", "zero.dat", t("10:40:02"), "0000-00-00 00:00:00", "SUCCESS"),  # zero date: no transit
]
CONFIG = """\
jobs:
  - {{name: job-a, protocol: http, username: alice, source: ./nowhere, rate: 1/min, url: "http://127.0.0.1:9/"}}
  - {{name: job-b, protocol: http, username: shared, source: ./nowhere, rate: 1/min, url: "http://127.0.0.1:9/"}}
  - {{name: job-c, protocol: sftp, username: shared, source: ./nowhere, rate: 1/min, host: 127.0.0.1, password: x}}
tracking:
  timezone: UTC
  defaults: {{host: 127.0.0.1, port: {port}, user: {user}, password: {password}, table: transfers}}
  ingress: {{database: truth_ingress}}
  egress: {{database: truth_egress}}
"""


def transit_figures(values):
    """min/avg/max/p95/stddev worked out independently: p95 by linear interpolation between ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * 0.95
    low = math.floor(rank)
    p95 = ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (rank - low)
    return {"min": min(values), "avg": round(sum(values) / len(values), 3), "max": max(values),
            "p95": round(p95, 3), "stddev": round(statistics.pstdev(values), 3)}


@pytest.fixture(scope="module")
def truth_db(mariadb, tmp_path_factory):
    if not mariadb.running:
        mariadb.start()
    for role, rows in (("ingress", INGRESS), ("egress", EGRESS)):
        database = f"truth_{role}"
        create_tables(mariadb, database)
        mariadb.execute("ALTER TABLE transfers MODIFY `UUID` CHAR(36) NULL", database=database)
        conn = mariadb.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_mode = ''")  # the zero date is what a lax server lets in
                cur.executemany("INSERT INTO transfers (UUID, username, filename, startTime, endTime, status) "
                                "VALUES (%s, %s, %s, %s, %s, %s)", rows)
        finally:
            conn.close()
    mariadb.create_user(USER, PASSWORD, ["GRANT SELECT ON `truth_ingress`.* TO {user}",
                                         "GRANT SELECT ON `truth_egress`.* TO {user}"])
    path = tmp_path_factory.mktemp("truth") / "job.yml"
    path.write_text(CONFIG.format(port=mariadb.port, user=USER, password=PASSWORD), encoding="utf-8")
    return path


def window(hour_from, hour_to):
    """The same window as fth-report --from/--to and the report form take it: this machine's local time."""
    def local(hour):
        moment = dt.datetime.fromisoformat(f"{DAY}T{hour:02d}:00:00+00:00").astimezone().replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return local(hour_from), local(hour_to)


def fth_report_document(config, tmp_path, start, end, *extra):
    out = tmp_path / "summary.json"
    code = report_main(["-c", str(config), "--from", start.replace("T", " "), "--to", end.replace("T", " "),
                        "-o", str(tmp_path / "report.html"), "--summary-json", str(out), "-q", *extra])
    assert code == 0
    return out.read_text(encoding="utf-8"), (tmp_path / "report.html").read_text(encoding="utf-8")


def web_client(config):
    settings = load_settings(str(config), environ={})  # no layout given: tracking: means the pair layout
    assert settings.layout == "pair" and not settings.layout_given
    return create_app(dataclasses.replace(settings, cache_s=0.0, retry=FAST_RETRY)).test_client()


def web_document(client, start, end, username=""):
    response = client.get("/reports/generate", query_string={"from": start, "to": end, "username": username,
                                                             "format": "json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_data(as_text=True)


def test_fth_report_and_fth_web_give_one_document_matching_the_hand_figures(truth_db, tmp_path):
    start, end = window(10, 11)
    text, html = fth_report_document(truth_db, tmp_path, start, end)
    assert web_document(web_client(truth_db), start, end) == text  # byte for byte
    doc = json.loads(text)

    total = doc["total"]
    # paired: t-1, t-dup, t-mis, t-unk, t-sh1, t-sh2, t-zero; passed t-1, t-dup, t-sh1, t-zero; lost t-lost
    assert (total["paired"], total["passed"], total["failed"], total["timeout"], total["lost"]) == (7, 4, 2, 1, 1)
    assert total["pass_rate"] == 50.0  # 4 / (7 + 1)
    assert total["from_unknown_users"] == 1  # zed's transfer is in the total
    assert {k: total["transit_s"][k] for k in ("min", "avg", "max", "p95", "stddev")} == transit_figures(
        [4, 5, 8, 5, 3, 4])  # t-zero has no transit (zero date)

    jobs = {job["name"]: job for job in doc["jobs"]}
    assert list(jobs) == ["job-a", "job-b + job-c"]
    a, shared = jobs["job-a"], jobs["job-b + job-c"]
    assert (a["username"], a["paired"], a["passed"], a["failed"], a["lost"], a["pass_rate"]) == (
        "alice", 4, 3, 1, 1, 60.0)
    assert (a["transit_s"]["min"], a["transit_s"]["max"]) == (4.0, 8.0)
    assert (shared["username"], shared["job_names"], shared["paired"], shared["passed"], shared["pass_rate"]) == (
        "shared", ["job-b", "job-c"], 2, 1, 50.0)

    assert doc["ingress_only"] == ["t-lost"] and doc["egress_only"] == []
    assert doc["unknown_users"] == [{"username": "zed", "rows": 1}]
    assert doc["data_quality"] == {"bad_time": 1, "duplicate_uuid": 1, "null_uuid": 2, "username_mismatch": 1}

    overall = html.split('id="overall"', 1)[1].split("</section>", 1)[0]
    assert 'data-kpi="lost">1<' in overall and "= passed / (paired + lost)" in overall
    exceptions = html.split('id="exceptions"', 1)[1]
    unknown_rows = exceptions.split('id="unknown-rows"', 1)[1].split("</table>", 1)[0]
    assert ">t-unk<" in unknown_rows and ">unk.dat<" in unknown_rows and ">TIMEOUT<" in unknown_rows
    issues = exceptions.split('id="issues"', 1)[1].split("</table>", 1)[0]
    mismatch = issues.split('data-issue="username_mismatch"', 1)[1].split("</tr>", 1)[0]
    assert "ingress: t-mis · alice" in mismatch and "egress: t-mis · mallory" in mismatch
    assert "0000-00-00" in issues.split('data-issue="bad_time"', 1)[1].split("</tr>", 1)[0]
    assert "share username &#39;shared&#39;" in html and "job-b + job-c" in html


def test_one_user_gives_one_document(truth_db, tmp_path):
    start, end = window(10, 11)
    text, _ = fth_report_document(truth_db, tmp_path, start, end, "--username", "shared")
    assert web_document(web_client(truth_db), start, end, "shared") == text
    doc = json.loads(text)
    assert (doc["total"]["paired"], doc["total"]["passed"], doc["total"]["lost"]) == (2, 1, 0)
    assert doc["ingress_only"] == [] and doc["unknown_users"] == []


def test_any_stored_username_works_in_the_form_and_filters(truth_db, mariadb):
    name = "Ёжик über 文件"  # not Latin-1: it once made the form answer HTTP 500
    conn = mariadb.connect("truth_ingress")
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO transfers (UUID, username, filename, startTime, endTime, status) "
                        "VALUES ('t-name', %s, 'n.dat', %s, %s, 'SUCCESS')", (name, t("09:00:00"), t("09:00:01")))
    finally:
        conn.close()
    client = web_client(truth_db)
    start, end = window(9, 10)
    server = start_in_background(client.application)  # a real server: headers must be Latin-1 on the wire
    try:
        for fmt in ("csv", "html", "json"):
            response = requests.get(server.url + "/reports/generate", timeout=30, params={
                "from": start, "to": end, "username": name, "format": fmt})
            assert response.status_code == 200, fmt
            assert "t-name" in response.text
    finally:
        server.stop()
    assert json.loads(web_document(client, start, end, name))["ingress_only"] == ["t-name"]
    rows = client.get("/api/transactions", query_string={"username": name}).get_json()["rows"]
    assert [row["uuid"] for row in rows] == ["t-name"]
