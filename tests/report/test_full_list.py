"""The full list written by a helper process while the report is computed: the same bytes, whole or not at all."""

import csv
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from fth.errors import FthError
from fth.report import full_list
from fth.report.compute import PAIR, Record, summarize
from fth.report.full_list import FullListWriter
from fth.report.render import transaction_csv
from tests.report.dataset import SPAN, embedded_rows
from tests.report.test_cli import run_report
from tests.report.test_max_rows import EVERY_ROW
from tests.report.test_transaction_csv import _records

JOBS = {"user0": "job-0", "user,9": 'job "nine"', "\r\n": "job\nnl"}  # as test_transaction_csv's summarize


def _many(count):
    return [Record(f"user{number % 3}", f"file-{number}.dat", 1_769_904_000 + number * 0.01,
                   1_769_904_001 + number * 0.01, "SUCCESS", True, uuid=f"uuid-{number:09d}", kind=PAIR)
            for number in range(count)]


def _leftovers(directory):
    return sorted(path.name for path in directory.iterdir())


@pytest.mark.parametrize("known_jobs", [True, False])
def test_the_helper_writes_what_transaction_csv_writes(tmp_path, monkeypatch, known_jobs):
    monkeypatch.setattr(full_list, "CHUNK", 7)  # many frames
    records = _records() * 3
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), records, JOBS, known_jobs) as writer:
        assert writer.process is not None and writer.process.pid != os.getpid()
        summarize(records, jobs=JOBS)  # meanwhile, as the report does; sets each record's job for the reference
        writer.finish()
    assert target.read_bytes() == "".join(transaction_csv(records, known_jobs)).encode("utf-8")
    assert _leftovers(tmp_path) == ["list.csv"]


def test_without_an_interpreter_to_start_the_list_is_written_here(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    records = _records()
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), records, JOBS, True) as writer:
        assert writer.process is None
        summarize(records, jobs=JOBS)
        writer.finish()
    assert target.read_bytes() == "".join(transaction_csv(records, True)).encode("utf-8")


def test_the_helper_imports_this_fth_not_the_working_directorys(tmp_path, monkeypatch):
    (tmp_path / "fth").mkdir()
    (tmp_path / "fth" / "__init__.py").write_text("raise ImportError('the fth of the working directory')\n")
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), _many(10), {}, False) as writer:
        writer.finish()
    assert len(target.read_text(encoding="utf-8").splitlines()) == 11


def test_the_helper_writes_while_this_process_computes(tmp_path):
    """Once started, the helper needs nothing more from this process: it finishes while this process computes
    without yielding (under gevent's monkey-patching, a thread feeding it would be a greenlet that never runs)."""
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), _many(60_000), {}, False) as writer:
        deadline = time.monotonic() + 60
        while writer.process.poll() is None and time.monotonic() < deadline:
            sum(range(10_000))  # computing: no greenlet switch
        assert writer.process.poll() == 0
        writer.finish()
    assert len(target.read_text(encoding="utf-8").splitlines()) == 60_001


def test_the_records_are_read_before_the_helper_starts_and_no_frame_file_is_seen(tmp_path, monkeypatch):
    """The helper's input is whole when the writer is made (the report then computes undisturbed: no thread of
    this process feeds it), in a temporary file without a name: nothing is left whoever ends first."""
    monkeypatch.setattr(full_list, "CHUNK", 1000)
    records = _many(5_000)
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), records, {}, False) as writer:
        assert threading.active_count() == 1 and all(name.startswith(".list.csv.") for name in _leftovers(tmp_path))
        for record in records:
            record.filename = "changed afterwards"
        writer.finish()
    text = target.read_text(encoding="utf-8")
    assert "changed afterwards" not in text and "file-4999.dat" in text
    assert _leftovers(tmp_path) == ["list.csv"]


def test_a_list_that_cannot_be_written_is_a_one_line_error(tmp_path):
    target = tmp_path / "missing-dir" / "list.csv"
    with FullListWriter(str(target), _many(50_000), {}, False) as writer, \
            pytest.raises(FthError, match=r"^cannot write transaction list .*missing-dir/list\.csv: "):
        writer.finish()
    assert _leftovers(tmp_path) == []


def test_stopping_leaves_no_file_and_no_process(tmp_path):
    target = tmp_path / "list.csv"
    writer = FullListWriter(str(target), _many(300_000), {}, False)
    deadline = time.monotonic() + 60
    while not _leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _leftovers(tmp_path)[0].startswith(".list.csv.")  # the helper is writing its temporary file
    writer.stop()
    assert writer.process.poll() is not None
    assert _leftovers(tmp_path) == []


def test_a_killed_helper_is_an_error_and_leaves_no_list(tmp_path):
    target = tmp_path / "list.csv"
    with FullListWriter(str(target), _many(300_000), {}, False) as writer:
        writer.process.send_signal(signal.SIGKILL)
        with pytest.raises(FthError, match="its process ended with exit status -9"):
            writer.finish()
    assert not target.exists()


def test_an_interrupt_while_the_records_are_read_leaves_no_helper_and_no_file(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started.append(args))

    def interrupted(*args):
        yield [["u-1"], ["user0"], ["f.dat"], [1.0], [2.0], [(PAIR, "pass", None, "SUCCESS")], [None]]
        raise KeyboardInterrupt

    monkeypatch.setattr(full_list, "record_columns", interrupted)
    with pytest.raises(KeyboardInterrupt):
        FullListWriter(str(tmp_path / "list.csv"), _many(10), {}, False)
    assert started == [] and _leftovers(tmp_path) == []


def test_a_helper_whose_input_ends_early_removes_its_file(tmp_path):
    """The report's process killed (no cleanup ran there): the helper's input ends before the end frame."""
    target = tmp_path / "list.csv"
    helper = subprocess.Popen([sys.executable, "-c", full_list._BOOT, full_list._ROOT], stdin=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    full_list._send(helper.stdin, (str(target), False, {}))
    full_list._send(helper.stdin, [["u-1"], ["user0"], ["f.dat"], [1.0], [2.0], [(PAIR, "pass", None, "SUCCESS")],
                                   [None]])
    helper.stdin.close()
    assert helper.wait(timeout=60) == 1
    assert "ended before the transaction list was complete" in helper.stderr.read().decode()
    assert _leftovers(tmp_path) == []


def test_no_report_links_a_list_that_could_not_be_written(tmp_path, tracking_db, capsys):
    (tmp_path / "report.transactions.csv").mkdir()  # the list cannot be renamed into place, as on a full disk
    code, out, summary = run_report(tmp_path, tracking_db, "--max-rows", "3")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("fth-report: error: cannot write transaction list") and "Traceback" not in err
    assert not out.exists() and not summary.exists()
    assert _leftovers(tmp_path) == ["report.transactions.csv"]


def test_the_cli_list_holds_every_transaction(tmp_path, tracking_db):
    code, out, _ = run_report(tmp_path, tracking_db, "--max-rows", "3")
    assert code == 0
    with (tmp_path / "report.transactions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["uuid"] for row in rows) == sorted(EVERY_ROW)
    assert len(embedded_rows(out.read_text(encoding="utf-8"))) < len(EVERY_ROW)


def test_sigterm_while_the_list_is_written_leaves_nothing_behind(tmp_path, tracking_db):
    """fth-report takes SIGTERM as Ctrl-C while the helper writes: exit status 130, the helper ended, neither
    the list, the report nor a temporary file left."""
    output = tmp_path / "out" / "report.html"
    output.parent.mkdir()
    script = tmp_path / "terminated.py"
    script.write_text(
        "import os, signal\n"
        "from fth.report import engine, full_list\n"
        "from fth.main import report_main\n"
        "real_init, real_summarize = full_list.FullListWriter.__init__, engine.summarize\n"
        "def started(self, *args):\n"
        "    real_init(self, *args)\n"
        "    print('helper', self.process.pid, flush=True)\n"
        "def terminated(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real_summarize(*args, **kwargs)\n"
        "full_list.FullListWriter.__init__, engine.summarize = started, terminated\n"
        f"raise SystemExit(report_main(['-c', {str(tracking_db.config_path)!r}, '--span', {SPAN!r},\n"
        f"                              '--max-rows', '3', '-o', {str(output)!r}]))\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 130 and "fth-report: error: interrupted" in done.stderr, done.stderr
    helper = int(done.stdout.split()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(helper, 0)
    assert _leftovers(output.parent) == []
