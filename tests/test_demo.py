"""``fth --demo``: the built-in target, both protocols, the summary and a report matching the target's rows."""

import json
import sqlite3

import pytest


@pytest.mark.slow
def test_demo_runs_both_protocols_and_reports_what_the_target_recorded(fth_cli, tmp_path, monkeypatch):
    work = tmp_path / "demo dir"
    monkeypatch.setenv("FTH_DEMO_DIR", str(work))
    result = fth_cli("--demo", "--duration", "8s", "--no-color")

    out = result.stdout
    assert "Run summary" in out
    for name, kind in (("orders-http", "http/wait"), ("partner-sftp", "sftp/fire"), ("sensors-ramp", "http/fire")):
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert kind in line
    assert f"fth-web -c '{work / 'demo-job.yml'}'" in out
    report = work / "report.html"
    assert f"Report:   {report}" in out
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")

    summary = json.loads((work / "report-summary.json").read_text())
    conn = sqlite3.connect(f"file:{work / 'tracking.sqlite'}?mode=ro", uri=True)
    try:
        success = conn.execute("SELECT COUNT(*) FROM egress_transfers WHERE status = 'SUCCESS'").fetchone()[0]
        egress = conn.execute("SELECT COUNT(*) FROM egress_transfers").fetchone()[0]
        ingress = conn.execute("SELECT COUNT(*) FROM ingress_transfers").fetchone()[0]
        users = {row[0] for row in conn.execute("SELECT DISTINCT username FROM ingress_transfers")}
    finally:
        conn.close()
    assert success > 0
    assert summary["total"]["passed"] == success
    assert summary["total"]["paired"] == egress
    assert summary["total"]["paired"] + len(summary["ingress_only"]) == ingress
    assert users == {"orders", "partner1", "sensors"}
    assert {job["name"] for job in summary["jobs"]} == {"orders-http", "partner-sftp", "sensors-ramp"}
    assert summary.get("not_ingested", []) == []  # every file fth sent successfully reached the target

    # the follow-up command the demo prints: fth-web -c demo-job.yml (no layout given) shows these rows
    from fth_web import create_app
    from fth_web.settings import load_settings

    settings = load_settings(str(work / "demo-job.yml"), environ={})
    assert settings.layout == "pair" and not settings.layout_given
    client = create_app(settings).test_client()
    page = client.get("/api/transactions?limit=1000").get_json()
    assert page["source"] == "database" and not page["examples"]
    conn = sqlite3.connect(f"file:{work / 'tracking.sqlite'}?mode=ro", uri=True)
    try:
        uuids = {row[0] for row in conn.execute("SELECT UUID FROM ingress_transfers")}
    finally:
        conn.close()
    assert 0 < len(uuids) <= 1000 and {row["uuid"] for row in page["rows"]} == uuids


def test_demo_job_file_is_a_valid_config_for_the_other_tools(tmp_path):
    from fth.config import load_run_config
    from fth.demo import job_file, make_samples, write_job_file
    from fth.target import Target, TargetSettings

    sources = make_samples(tmp_path)
    assert {path.name for path in sources.values()} == {"orders", "partner", "sensors"}
    with Target(TargetSettings(http=("127.0.0.1", 0), sftp=("127.0.0.1", 0),
                               store=str(tmp_path / "t.sqlite"))) as target:
        path = tmp_path / "job.yml"
        write_job_file(path, job_file(tmp_path, target, sources, 12.0))
        config = load_run_config(str(path))
    assert [job.protocol for job in config.jobs] == ["http", "sftp", "http"]
    assert config.jobs[2].ramp is not None and config.jobs[2].ramp.total_duration == 12.0
    assert config.tracking is not None and config.tracking.ingress.driver == "sqlite"
    assert config.tracking.ingress.path == config.tracking.egress.path == str(tmp_path / "t.sqlite")
