"""fth → the built-in target writing to a real MariaDB (both tracking databases and dashboard.transactions)
→ fth-report and fth-web over the same databases: every count agrees with what fth sent and the target recorded.
"""

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests
import yaml

from fth.config.model import DbConfig
from fth.main import report_main
from fth.target import Target, TargetSettings
from fth.target.settings import parse_mix
from tests.fixtures.files import make_files
from tests.target.conftest import wait_for

WRITER_PW = "e2e-writer-pw"
READER_PW = "e2e-reader-pw"
PER_JOB = 25


@pytest.fixture
def databases(mariadb) -> Iterator[Dict[str, str]]:
    if not mariadb.running:
        mariadb.start()
    names = {"ingress": "e2e_ingress", "egress": "e2e_egress", "dashboard": "e2e_dashboard"}
    for name in names.values():
        mariadb.create_database(name)
    mariadb.create_user("e2e_writer", WRITER_PW, [f"GRANT SELECT, INSERT, UPDATE, CREATE ON `{name}`.* TO {{user}}"
                                                  for name in names.values()])
    mariadb.create_user("e2e_reader", READER_PW, [f"GRANT SELECT ON `{name}`.* TO {{user}}"
                                                  for name in names.values()])
    yield names
    mariadb.execute(*[f"DROP DATABASE IF EXISTS `{name}`" for name in names.values()])


def writer_db(mariadb, role: str, database: str, table: str) -> DbConfig:
    return DbConfig(role=role, host=mariadb.host, port=mariadb.port, user="e2e_writer", password=WRITER_PW,
                    database=database, table=table)


def reader_db(mariadb, database: str) -> dict:
    return {"host": mariadb.host, "port": mariadb.port, "user": "e2e_reader", "password_env": "FTH_E2E_READER_PW",
            "database": database, "table": "transfers"}


def query(mariadb, database: str, sql: str) -> list:
    conn = mariadb.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


@pytest.mark.slow
def test_fth_to_target_to_mariadb_to_report_and_web(mariadb, databases, tmp_path, fth_cli, monkeypatch):
    monkeypatch.setenv("FTH_E2E_READER_PW", READER_PW)
    settings = TargetSettings(
        http=("127.0.0.1", 0), sftp=("127.0.0.1", 0), store=None, create_tables=True,
        ingress_db=writer_db(mariadb, "ingress", databases["ingress"], "transfers"),
        egress_db=writer_db(mariadb, "egress", databases["egress"], "transfers"),
        dashboard_db=writer_db(mariadb, "dashboard", databases["dashboard"], "transactions"),
        delay=(0.05, 0.4), mix=parse_mix("70/20/10"), seed=11, flush_interval=0.05,
    )
    with Target(settings) as target:
        job_file = tmp_path / "e2e.yml"
        job_file.write_text(yaml.safe_dump({
            "jobs": [
                {"name": "orders-http", "protocol": "http", "username": "orders", "password": "any",
                 "source": str(make_files(tmp_path / "orders", 6, 3000)), "rate": "40/s", "count": PER_JOB,
                 "url": target.http_url, "headers": {"X-Transaction-ID": "{uuid}"}},
                {"name": "partner-sftp", "protocol": "sftp", "username": "partner", "password": "demo",
                 "host": "127.0.0.1", "port": target.sftp_port, "host_key_policy": "accept-new",
                 "known_hosts": str(tmp_path / "known_hosts"), "remote_dir": "/",
                 "remote_name": "{uuid}_{filename}", "temp_name": ".{uuid}.part",  # fire mode: one per transfer
                 "source": str(make_files(tmp_path / "partner", 4, 70000)), "rate": "40/s", "mode": "fire",
                 "count": PER_JOB},
            ],
            "tracking": {"ingress": reader_db(mariadb, databases["ingress"]),
                         "egress": reader_db(mariadb, databases["egress"])},
        }, sort_keys=False))
        sent_json = tmp_path / "fth.json"
        transfer_log = tmp_path / "transfers.jsonl"
        fth_cli("-c", job_file, "--summary-json", sent_json, "--transfer-log", transfer_log, "-q")
        assert target.wait_idle(60)
        counters = target.counters
    sent = json.loads(sent_json.read_text())
    assert sent["total"]["attempted"] == sent["total"]["succeeded"] == 2 * PER_JOB
    assert counters.accepted == counters.ingress_rows == counters.egress_rows == 2 * PER_JOB
    assert counters.write_errors == 0

    # what the target recorded, read back as root
    ingress = query(mariadb, databases["ingress"], "SELECT UUID, username, status FROM transfers")
    egress = query(mariadb, databases["egress"], "SELECT UUID, username, status FROM transfers")
    sent_uuids = {json.loads(line)["uuid"] for line in transfer_log.read_text().splitlines()}
    assert {row[0] for row in ingress} == {row[0] for row in egress} == sent_uuids
    assert Counter(row[1] for row in ingress) == {"orders": PER_JOB, "partner": PER_JOB}
    egress_status = Counter(row[2] for row in egress)
    dashboard = Counter(row[0] for row in query(mariadb, databases["dashboard"],
                                                "SELECT status FROM transactions"))
    assert dashboard == {"COMPLETE": egress_status["SUCCESS"], "EP_UNAVAILABLE": egress_status["FAILED"],
                         "TIMEOUT": egress_status["TIMEOUT"]}
    assert egress_status["SUCCESS"] and egress_status["FAILED"]  # the mix is exercised (seeded)

    # fth-report as a SELECT-only account
    report_json = tmp_path / "report.json"
    report_main(["-c", str(job_file), "--since", "1h", "-o", str(tmp_path / "report.html"),
                 "--summary-json", str(report_json), "--transfer-log", str(transfer_log), "-q"])
    report = json.loads(report_json.read_text())
    total = report["total"]
    assert total["paired"] == 2 * PER_JOB
    assert (total["passed"], total["failed"], total["timeout"]) == (
        egress_status["SUCCESS"], egress_status["FAILED"], egress_status["TIMEOUT"])
    assert report["ingress_only"] == report["egress_only"] == report["unknown_users"] == []
    assert {job["name"]: job["paired"] for job in report["jobs"]} == {"orders-http": PER_JOB,
                                                                     "partner-sftp": PER_JOB}
    assert report.get("not_ingested", []) == []
    assert (tmp_path / "report.html").stat().st_size > 0

    # fth-web's pair layout over the same databases
    from fth_web import create_app
    from fth_web.settings import load_settings

    web = load_settings(str(job_file), environ={})  # tracking: and no dashboard database: the pair layout
    assert web.layout == "pair"
    client = create_app(dataclasses.replace(web, cache_s=0.0)).test_client()
    rows = client.get("/api/transactions?limit=1000").get_json()["rows"]
    assert {row["uuid"] for row in rows} == sent_uuids
    assert Counter(row["status"] for row in rows) == egress_status
    assert client.get("/api/usernames").get_json()["usernames"] == ["orders", "partner"]


def test_dashboard_rows_stay_submitted_while_processing(mariadb, databases, tmp_path):
    settings = TargetSettings(http=("127.0.0.1", 0), sftp=None, store=str(tmp_path / "t.sqlite"),
                              dashboard_db=writer_db(mariadb, "dashboard", databases["dashboard"], "transactions"),
                              create_tables=True, delay=(60.0, 60.0), flush_interval=0.02)
    with Target(settings) as target:
        answer = requests.post(target.http_url, data=b"q" * 1234, auth=("dash", "x"),
                               headers={"X-Transaction-ID": "11111111-2222-4333-8444-555555555555",
                                        "X-Filename": "d.bin"}, timeout=10)
        assert answer.status_code == 201
        assert wait_for(lambda: target.counters.ingress_rows == 1)
        rows = query(mariadb, databases["dashboard"], "SELECT transaction_id, username, file_name, file_size, "
                                                       "ingress_server, status, egress_time FROM transactions")
        assert rows == [("11111111-2222-4333-8444-555555555555", "dash", "d.bin", 1234, "fth-target-ingress",
                         "SUBMITTED", None)]
    # stopped before the 60 s delay: processing abandoned, the row stays SUBMITTED (a file stuck in the cd stage)
    assert query(mariadb, databases["dashboard"], "SELECT status FROM transactions") == [("SUBMITTED",)]
    assert Path(tmp_path / "t.sqlite").exists()
