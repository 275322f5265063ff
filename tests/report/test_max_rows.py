"""fth-report --max-rows: the HTML keeps every exception, names and links the sibling CSV, which holds every pair."""

import csv
import json

import pytest

from fth.report.compute import INGRESS_ONLY, PAIR, Record
from fth.report.render import TX_COLUMNS, embedded_records
from tests.report import dataset
from tests.report.dataset import embedded_rows
from tests.report.test_cli import run_report

EXCEPTIONS = {"u-a3", "u-a4", "u-c1", "u-io1", "u-io2", "u-eo1"}  # failed, timed out, unknown user, lost, egress-only
PASSED = ["u-a1", "u-a2", "u-b1", "u-b2"]  # in start-time order
EVERY_ROW = EXCEPTIONS | set(PASSED)


@pytest.mark.parametrize(("max_rows", "passed_kept"), [(7, PASSED[:1]), (2, [])])
def test_cut_list_keeps_every_exception_and_links_the_full_list(tmp_path, tracking_db, capsys, max_rows, passed_kept):
    code, out, summary = run_report(tmp_path, tracking_db, "--max-rows", str(max_rows))
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert {row[0] for row in embedded_rows(html)} == EXCEPTIONS | set(passed_kept)
    full = tmp_path / "report.transactions.csv"
    note = html.split('id="tx-cut"', 1)[1].split("</p>", 1)[0]
    shown = len(EXCEPTIONS) + len(passed_kept)
    assert f"holds {shown} of 10 transactions" in note
    assert 'href="report.transactions.csv"' in note and ">report.transactions.csv</a>" in note
    exceptions = html.split('id="exceptions"', 1)[1]
    for uuid in dataset.INGRESS_ONLY + dataset.EGRESS_ONLY + ["u-c1"]:
        assert f">{uuid}<" in exceptions
    with full.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == TX_COLUMNS
    assert {row["uuid"] for row in rows} == EVERY_ROW and len(rows) == 10
    by_uuid = {row["uuid"]: row for row in rows}
    assert by_uuid["u-a3"]["result"] == "fail" and by_uuid["u-io1"]["kind"] == INGRESS_ONLY
    assert float(by_uuid["u-b2"]["transit_s"]) == dataset.TRANSITS["u-b2"]
    assert by_uuid["u-a3"]["filename"] == dataset.SCRIPT_NAME
    assert by_uuid["u-c1"]["unknown_user"] == "1"
    assert str(full) in capsys.readouterr().out
    doc = json.loads(summary.read_text(encoding="utf-8"))
    assert (doc["total"]["paired"], doc["total"]["passed"], doc["total"]["lost"]) == (7, 5, 2)  # figures: all rows


@pytest.mark.parametrize("extra", [(), ("--max-rows", "10"), ("--max-rows", "0")])
def test_a_list_within_the_limit_is_whole_and_writes_no_sibling(tmp_path, tracking_db, extra):
    code, out, _ = run_report(tmp_path, tracking_db, *extra)
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert {row[0] for row in embedded_rows(html)} == EVERY_ROW
    assert 'id="tx-cut"' not in html
    assert not (tmp_path / "report.transactions.csv").exists()


def test_negative_max_rows_is_a_usage_error(tmp_path, tracking_db, capsys):
    code, out, _ = run_report(tmp_path, tracking_db, "--max-rows", "-1")
    assert code == 2 and not out.exists()
    assert "whole number of rows" in capsys.readouterr().err


def test_rows_in_a_data_quality_issue_are_kept():
    records = [Record("alice", f"f{i}", 0.0, 1.0, "SUCCESS", True, uuid=f"u{i}", kind=PAIR, job="job")
               for i in range(5)]
    records.append(Record("alice", "lost", 0.0, None, None, False, uuid="u-lost", kind=INGRESS_ONLY, job="job"))
    kept = embedded_records(records, 3, True, {"u3"})  # 2 exceptions + 1 passed
    assert [r.uuid for r in kept] == ["u0", "u3", "u-lost"]
    assert embedded_records(records, 6, True, {"u3"}) == records
    assert embedded_records(records, None, True, set()) == records


def _embedded_by_loop(records, max_rows, known_jobs, flagged):
    def exception(r):
        return (r.kind != PAIR or r.outcome != "pass" or (known_jobs and r.job is None)
                or bool(r.uuid and r.uuid in flagged))

    if max_rows is None or len(records) <= max_rows:
        return records
    room = max(0, max_rows - sum(map(exception, records)))
    kept = []
    for record in records:
        if exception(record):
            kept.append(record)
        elif room:
            kept.append(record)
            room -= 1
    return kept


@pytest.mark.parametrize("seed", range(10))
def test_the_embedded_list_is_what_the_record_by_record_rule_keeps(seed):
    """Column by column, as the plain rule: failed, unpaired, unknown-user and flagged rows always, then
    the first others up to the limit (empty and NULL UUIDs never count as flagged)."""
    import random

    from fth.report.compute import EGRESS_ONLY

    rng = random.Random(seed)
    records = []
    for number in range(rng.randint(0, 300)):
        status = rng.choice(["SUCCESS"] * 6 + ["FAILED", None])
        records.append(Record(rng.choice(["alice", "bob"]), "f", 0.0, 1.0, status, status == "SUCCESS",
                              uuid=rng.choice([f"u{number}", "", None]), job=rng.choice(["job", "job", None]),
                              kind=rng.choice([PAIR] * 8 + [INGRESS_ONLY, EGRESS_ONLY])))
    flagged = {f"u{i}" for i in rng.sample(range(300), 20)} | {""}
    for max_rows in (None, 0, 5, 50, 400):
        for known_jobs in (True, False):
            assert (embedded_records(records, max_rows, known_jobs, flagged)
                    == _embedded_by_loop(records, max_rows, known_jobs, flagged))


def test_a_whole_report_removes_the_list_an_earlier_cut_one_left(tmp_path, tracking_db, caplog):
    """report.transactions.csv beside a report that holds every row and does not link it would be read as this
    report's list, with the earlier window's figures."""
    assert run_report(tmp_path, tracking_db, "--max-rows", "2")[0] == 0
    stale = tmp_path / "report.transactions.csv"
    assert stale.exists()
    code, out, _ = run_report(tmp_path, tracking_db)
    assert code == 0 and 'id="tx-cut"' not in out.read_text(encoding="utf-8")
    assert not stale.exists() and "full list of an earlier report" in caplog.text
