"""fth-report end to end against the known-answer databases (real MariaDB, SELECT-only account)."""

import json
import os
import re
import stat
import statistics

import pytest

from fth.main import report_main
from tests.report import dataset
from tests.report.dataset import SPAN


def run_report(tmp_path, tracking_db, *extra):
    out, summary = tmp_path / "report.html", tmp_path / "summary.json"
    code = report_main(["-c", str(tracking_db.config_path), "--span", SPAN, "-o", str(out),
                        "--summary-json", str(summary), "--no-color", *extra])
    return code, out, summary


@pytest.fixture(scope="module")
def known(tmp_path_factory, tracking_db):
    tmp = tmp_path_factory.mktemp("known")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FTH_TEST_READER_PW", dataset.READER_PW)
        code, out, summary = run_report(tmp, tracking_db)
    assert code == 0
    return json.loads(summary.read_text(encoding="utf-8")), out.read_text(encoding="utf-8")


def test_summary_totals_are_exact(known):
    doc, _ = known
    values = list(dataset.TRANSITS.values())
    total = doc["total"]
    assert (total["paired"], total["passed"], total["failed"], total["timeout"]) == (
        len(values), dataset.PASSED, dataset.FAILED, dataset.TIMED_OUT)
    assert total["lost"] == len(dataset.INGRESS_ONLY) == 2
    assert total["pass_rate"] == round(100 * dataset.PASSED / (len(values) + 2), 2) == 55.56  # passed/(paired+lost)
    assert total["from_unknown_users"] == 2  # carol's pair and dave's lost file
    transit = total["transit_s"]
    assert transit["min"] == min(values) == 1.0
    assert transit["max"] == max(values) == 120.0
    assert transit["avg"] == round(sum(values) / len(values), 3) == 20.857
    assert transit["p95"] == 87.0  # linear interpolation between ranks of [1, 2, 3, 4, 6, 10, 120]
    assert transit["stddev"] == round(statistics.pstdev(values), 3)
    assert set(doc["window"]) == {"from", "to"}


def test_summary_lists_unpaired_and_unknown_users(known):
    doc, _ = known
    assert doc["ingress_only"] == dataset.INGRESS_ONLY
    assert doc["egress_only"] == dataset.EGRESS_ONLY  # u-early's ingress row started before the window
    assert doc["unknown_users"] == dataset.UNKNOWN_USERS


def test_summary_per_job(known):
    doc, _ = known
    jobs = {job["name"]: job for job in doc["jobs"]}
    assert list(jobs) == ["orders-http", "partner-sftp"]
    alice, bob = jobs["orders-http"], jobs["partner-sftp"]
    assert (alice["username"], alice["paired"], alice["passed"], alice["lost"], alice["pass_rate"]) == (
        "alice", 4, 2, 1, 40.0)
    assert (alice["transit_s"]["min"], alice["transit_s"]["avg"], alice["transit_s"]["max"]) == (2.0, 5.5, 10.0)
    assert (bob["username"], bob["paired"], bob["passed"], bob["lost"], bob["pass_rate"]) == ("bob", 2, 2, 0, 100.0)
    assert bob["transit_s"]["max"] == 120.0  # egress row after the window end, fetched by UUID


def test_html_shows_the_same_figures(known):
    doc, html = known
    overall = html.split('id="overall"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'data-kpi="pass_rate">55\.6 %<', overall)
    assert "= passed / (paired + lost)" in overall
    assert re.search(r'data-kpi="lost">2<', overall)
    assert re.search(r'data-kpi="paired">7<', overall)
    assert re.search(r'data-kpi="passed">5<', overall)
    assert re.search(r'data-kpi="failed">1<', overall)
    assert re.search(r'data-kpi="timeout">1<', overall)
    assert 'data-transit="min">1.000 s<' in overall
    assert 'data-transit="avg">20.857 s<' in overall
    assert 'data-transit="max">2 min 0 s<' in overall
    exceptions = html.split('id="exceptions"', 1)[1]
    for uuid in doc["ingress_only"] + doc["egress_only"]:
        assert f">{uuid}<" in exceptions
    assert ">carol<" in exceptions and ">dave<" in exceptions
    assert "orders-http" in html and "partner-sftp" in html


def test_html_is_self_contained_and_escaped(known):
    _, html = known
    assert "<script>alert(1)</script>" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    data = html.split('id="tx-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and "\u2028" not in data
    rows = dataset.embedded_rows(html)
    assert len(rows) == 10  # 7 pairs, 2 ingress-only, 1 egress-only
    assert {row[9] for row in rows} == {"pair", "ingress_only", "egress_only"}
    assert json.loads(data)["strings"].count("SUCCESS") == 1  # statuses, users, jobs, kinds: each text once
    assert any(row[3] == dataset.SCRIPT_NAME for row in rows)
    assert any(row[3] == dataset.UNICODE_NAME for row in rows)


def test_stdout_summary(tmp_path, tracking_db, capsys):
    code, out, _ = run_report(tmp_path, tracking_db)
    assert code == 0
    stdout = capsys.readouterr().out
    assert "7 pairs · 5 passed · 1 failed · 1 timed out · 2 lost · pass rate 55.6% (passed / (paired + lost))" in stdout
    assert str(out) in stdout


def test_missing_table_fails_without_report(tmp_path, tracking_db, capsys):
    code, out, summary = run_report(tmp_path, tracking_db, "--set", "tracking.egress.table=no_such_table")
    assert code == 1
    err = capsys.readouterr().err
    assert "egress fth_reader@127.0.0.1" in err and "no_such_table" in err
    assert "1146" in err and "wrong table?" in err
    assert dataset.READER_PW not in err
    assert not out.exists() and not summary.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temp file left behind either


def test_wrong_column_mapping_names_the_mapping(tmp_path, tracking_db, capsys):
    code, out, _ = run_report(tmp_path, tracking_db, "--set", "tracking.ingress.columns.filename=fileName2")
    assert code == 1
    err = capsys.readouterr().err
    assert "ingress" in err and "fileName2" in err and "column mapping" in err
    assert not out.exists()


def test_no_grant_fails_clearly(tmp_path, tracking_db, capsys):
    code, out, _ = run_report(tmp_path, tracking_db, "--set", "tracking.ingress.database=mysql",
                              "--set", "tracking.ingress.table=user")
    assert code == 1
    err = capsys.readouterr().err
    assert "grants?" in err or "denied" in err
    assert not out.exists()


def test_existing_report_is_not_replaced_on_error(tmp_path, tracking_db):
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")
    code = report_main(["-c", str(tracking_db.config_path), "--span", SPAN, "-o", str(out),
                        "--set", "tracking.egress.table=no_such_table"])
    assert code == 1
    assert out.read_text(encoding="utf-8") == "old report"


def test_outputs_take_the_umask_mode_and_a_failed_write_keeps_the_old_files(tmp_path, tracking_db, capsys):
    old_umask = os.umask(0o022)
    try:
        code, out, summary = run_report(tmp_path, tracking_db)
    finally:
        os.umask(old_umask)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(summary.stat().st_mode) == 0o644  # not a temp file's 0600
    out.write_text("old report", encoding="utf-8")
    summary.unlink()
    summary.mkdir()  # the summary cannot be renamed into place, as on a full disk
    capsys.readouterr()
    code, _, _ = run_report(tmp_path, tracking_db)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"fth-report: error: cannot write summary JSON {summary}") and "Traceback" not in err
    assert {p.name for p in tmp_path.iterdir()} == {"report.html", "summary.json"}  # no temp file left behind


@pytest.mark.parametrize("argv, message", [
    (["--since", "soon"], "--since 'soon'"),
    (["--span", "yesterday 25:00 .. now"], "cannot read span start"),
    (["--from", "11:00", "--to", "2020-01-01 10:00"], "ends before it starts"),
    ([], "no timespan given"),
    (["--since", "1h", "--span", "1h"], "only one timespan form"),
])
def test_bad_timespan_is_a_usage_error(tmp_path, tracking_db, capsys, argv, message):
    code = report_main(["-c", str(tracking_db.config_path), "-o", str(tmp_path / "r.html"), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_config_without_tracking_section(tmp_path, capsys):
    config = tmp_path / "job.yml"
    config.write_text("jobs:\n  - {name: a, protocol: http, username: u, source: ., rate: 1/s, url: http://x/}\n",
                      encoding="utf-8")
    code = report_main(["-c", str(config), "--since", "1h", "-o", str(tmp_path / "r.html")])
    assert code == 2
    assert "tracking" in capsys.readouterr().err


def test_poll_waits_then_reports_what_is_missing(tmp_path, tracking_db, capsys):
    code, _out, summary = run_report(tmp_path, tracking_db, "--poll", "0.1s", "--settle", "0.3s")
    assert code == 0
    err = capsys.readouterr().err
    assert "waiting for egress: 7 of 9 ingress rows paired, 2 outstanding" in err
    assert "2 ingress rows still have no egress partner" in err
    assert json.loads(summary.read_text(encoding="utf-8"))["ingress_only"] == dataset.INGRESS_ONLY


def test_transfer_log_lists_files_that_never_reached_ingress(tmp_path, tracking_db):
    log_file = tmp_path / "transfers.jsonl"
    lines = [
        {"time": "2026-01-10T10:00:00.100+00:00", "job": "orders-http", "username": "alice", "uuid": "u-a1",
         "file": "a1.dat", "remote_name": "a1.dat", "outcome": "ok", "latency_ms": 12.0},
        {"time": "2026-01-10T10:01:00.000+00:00", "job": "orders-http", "username": "alice", "uuid": "u-lost",
         "file": "<b>x</b>.dat", "remote_name": "x.dat", "outcome": "ok", "latency_ms": 9.5},
        {"time": "2026-01-10T10:02:00.000+00:00", "job": "orders-http", "username": "alice", "uuid": "u-refused",
         "file": "r.dat", "remote_name": "r.dat", "outcome": "refused", "latency_ms": 1.0},
        {"time": "2026-01-10T09:59:30.000+00:00", "job": "orders-http", "username": "alice", "uuid": "u-before",
         "file": "b.dat", "remote_name": "b.dat", "outcome": "ok", "latency_ms": 1.0},
    ]
    log_file.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    code, out, summary = run_report(tmp_path, tracking_db, "--transfer-log", str(log_file))
    assert code == 0
    assert json.loads(summary.read_text(encoding="utf-8"))["not_ingested"] == ["u-lost"]
    html = out.read_text(encoding="utf-8")
    assert 'id="not-ingested"' in html and ">u-lost<" in html and "&lt;b&gt;x&lt;/b&gt;.dat" in html


@pytest.mark.parametrize("text", [b"not json\n", b"\xff\xfe\n",
                                  b'{"time": "0001-01-01T00:00:00", "uuid": "u", "outcome": "ok"}\n',
                                  b'{"time": "2026-01-10T10:00:00Z", "uuid": "\\ud800", "outcome": "ok"}\n'])
def test_bad_transfer_log_is_a_usage_error(tmp_path, tracking_db, capsys, text):
    log_file = tmp_path / "transfers.jsonl"
    log_file.write_bytes(b'{"time": "2026-01-10T10:00:00Z", "uuid": "u-a1", "outcome": "ok"}\n' + text)
    code, out, _ = run_report(tmp_path, tracking_db, "--transfer-log", str(log_file))
    assert code == 2
    assert "transfers.jsonl:2: not a transfer-log line" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["-o", ""], "argument -o/--output: an empty name is no file"),
    (["--summary-json", " "], "argument --summary-json: an empty name is no file"),
    (["--set", "tracking.ingress.timezone=-99:00"], "time zone offset '-99:00' is out of range"),
    (["--set", "*.username=x\ud800"], "holds a lone surrogate"),
])
def test_inputs_that_cannot_be_used_are_one_line_errors(tmp_path, tracking_db, capsys, args, message):
    code = report_main(["-c", str(tracking_db.config_path), "--span", SPAN, "--no-color",
                        *(["-o", str(tmp_path / "r.html")] if "-o" not in args else []), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "unexpected" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_summary_json_to_stdout_leaves_stdout_to_the_document(tmp_path, tracking_db, capsys):
    code = report_main(["-c", str(tracking_db.config_path), "--span", SPAN, "-o", str(tmp_path / "r.html"),
                        "--summary-json", "-", "--no-color"])
    captured = capsys.readouterr()
    assert code == 0 and json.loads(captured.out)["total"]["paired"] == len(dataset.TRANSITS)
    assert "pairs ·" in captured.err and not (tmp_path / "-").exists()


def test_the_report_is_built_without_the_cycle_collector(tmp_path, tracking_db, monkeypatch):
    """Its passes over a million records cost seconds; it is back on afterwards."""
    import gc

    from fth.report import cli

    seen = []
    build = cli.report_from_config
    monkeypatch.setattr(cli, "report_from_config", lambda *args: seen.append(gc.isenabled()) or build(*args))
    monkeypatch.setenv("FTH_TEST_READER_PW", dataset.READER_PW)
    assert gc.isenabled()
    code, out, _ = run_report(tmp_path, tracking_db)
    assert (code, seen, gc.isenabled()) == (0, [False], True)
    assert out.stat().st_size > 0


def test_the_terminal_line_counts_pairs_without_a_status_so_its_parts_add_up(capsys):
    import argparse

    from fth.report.cli import _print_result
    from fth.report.compute import Record, summarize
    from fth.report.engine import Report
    from fth.report.pairing import Pairing
    from fth.report.render import ReportContext
    from fth.report.summary_json import summary_dict

    records = [Record("u", "f", 1.0, 2.0, "SUCCESS", True), Record("u", "f", 1.0, 2.0, "FAILED", False),
               Record("u", "f", 1.0, None, None, False), Record("u", "f", 1.0, None, "", False)]
    summary = summarize(records)
    report = Report(summary, Pairing(), ReportContext(title="t", window_label="w"), summary_dict(summary))
    _print_result(argparse.Namespace(output="r.html", summary_json=None, quiet=False), report)
    line = capsys.readouterr().out.splitlines()[1]
    assert line == "  4 pairs · 1 passed · 1 failed · 0 timed out · 2 no status · 0 lost · pass rate 25.0% " \
                   "(passed / (paired + lost))"


@pytest.mark.parametrize("names, message", [
    ({"-o": "r.html", "--summary-json": "r.html"}, "--summary-json and -o name the same file"),
    ({"-o": "r.html", "--summary-json": "r.transactions.csv"}, "the full list and --summary-json name the same file"),
    ({"-o": "job.yml"}, "-o and -c name the same file"),
    ({"-o": "sent.jsonl", "--transfer-log": "sent.jsonl"}, "-o and --transfer-log name the same file"),
])
def test_an_output_that_is_another_file_of_the_report_is_refused_and_nothing_is_written(
        tmp_path, capsys, names, message):
    """-o r.html --summary-json r.html kept the JSON alone; -o job.yml would replace the job file."""
    job = tmp_path / "job.yml"
    job.write_text("jobs: []\n")
    (tmp_path / "sent.jsonl").write_text("")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    argv = ["-c", str(job), "--since", "1h"]
    for flag, name in names.items():
        argv += [flag, str(tmp_path / name)]
    assert report_main(argv) == 2
    assert message in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
