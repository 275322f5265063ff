"""The egress window read in a child process (fth.tracking.aside) pairs exactly as when read in place;
its failures are TrackingErrors; the child and its file never outlive the report."""

import datetime as dt
import glob
import multiprocessing
import os
import tempfile

import pytest

from fth.config.model import DbConfig
from fth.report.pairing import collect
from fth.tracking import TrackingError, aside, open_store
from tests.report.dataset import READER, READER_PW, load

UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
END = dt.datetime(2026, 1, 10, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def known(mariadb, tmp_path_factory):
    """The known-answer tables, plus egress rows that raise every issue a streamed egress row can."""
    tables = load(mariadb, tmp_path_factory.mktemp("aside"), prefix="as")
    mariadb.execute(
        "SET SESSION sql_mode = ''",
        "INSERT INTO transfers (UUID, username, filename, startTime, endTime, status) VALUES "
        "('u-a1', 'alice', 'a1.dat', '2026-01-10 10:30:00', '2026-01-10 10:30:01', 'FAILED'), "
        "(NULL, 'alice', 'nouuid.dat', '2026-01-10 10:31:00', '2026-01-10 10:31:01', 'SUCCESS'), "
        "('x-orphan', 'bob', 'orphan.dat', '2026-01-10 10:32:00', '2026-01-10 10:32:01', 'SUCCESS'), "
        "('x-orphan', 'bob', 'orphan.dat', '2026-01-10 10:33:00', '2026-01-10 10:33:01', 'SUCCESS'), "
        "('x-zero', 'bob', 'zero.dat', '2026-01-10 10:34:00', '0000-00-00 00:00:00', 'SUCCESS')",
        database=tables.egress)
    return tables


def _config(known, role):
    return DbConfig(role=role, host="127.0.0.1", port=known.server.port, user=READER, password=READER_PW,
                    database=known.ingress if role == "ingress" else known.egress, table="transfers",
                    timezone="UTC")


def _pairing(known):
    with open_store(_config(known, "ingress")) as ingress, open_store(_config(known, "egress")) as egress:
        result = collect(ingress, egress, START, END, read_aside=True)
    return ([(r.kind, r.uuid, r.username, r.filename, r.start, r.end, r.status, r.outcome) for r in result.records],
            [(i.kind, i.uuid, i.detail, [(role, row.as_tuple()) for role, row in i.rows]) for i in result.issues],
            result.partner_before_window)


def _leftovers():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "fth-rows-*")))


def test_a_window_read_aside_pairs_as_one_read_in_place(known, monkeypatch):
    before = _leftovers()
    monkeypatch.setattr(aside, "ASIDE_MIN_ROWS", 10 ** 9)
    in_place = _pairing(known)
    started = []
    real_start = multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        lambda self: (started.append(self.name), real_start(self)))
    monkeypatch.setattr(aside, "ASIDE_MIN_ROWS", 1)
    read_aside = _pairing(known)
    assert started == ["fth-egress-reader"]
    assert read_aside == in_place and len(in_place[0]) > 5
    assert {issue[0] for issue in in_place[1]} >= {"duplicate_uuid", "null_uuid", "bad_time"}
    assert _leftovers() == before


def test_small_windows_and_sqlite_read_in_place(known, tmp_path):
    with open_store(_config(known, "egress")) as store:
        assert not aside._worth_a_child(store, START, END)  # a few rows
    sqlite = DbConfig(role="egress", driver="sqlite", path=str(tmp_path / "t.db"))
    assert not aside._worth_a_child(open_store(sqlite), START, END)


def test_a_window_is_judged_by_the_servers_estimate_without_counting_its_rows(mariadb, known, monkeypatch):
    """COUNT(*) reads every row of the window before the reading can start: the plan's estimate decides."""
    from fth.tracking.mysql import MySQLStore

    mariadb.create_database("aside_estimate")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32), KEY (startTime))",
        "INSERT INTO transfers SELECT CONCAT('e-', seq), 'alice', 'f', "
        "TIMESTAMP'2026-01-10 10:00:00' + INTERVAL seq * 10000 MICROSECOND, NULL, 'SUCCESS' FROM seq_1_to_150000",
        "ANALYZE TABLE transfers", database="aside_estimate")
    counted = []
    monkeypatch.setattr(MySQLStore, "count_in_window", lambda self, *window: counted.append(window) or 0)
    big = DbConfig(role="egress", host="127.0.0.1", port=mariadb.port, user="root", password=mariadb.root_password,
                   database="aside_estimate", table="transfers", timezone="UTC")
    with open_store(big) as store:
        assert aside._worth_a_child(store, START, END)
        assert store.estimate_in_window(START, START + dt.timedelta(seconds=1)) < aside.ASIDE_MIN_ROWS
    with open_store(_config(known, "egress")) as store:
        assert not aside._worth_a_child(store, START, END)
        assert counted == []
        assert store.estimate_in_window(END, START) == 0  # an impossible window: the plan names no rows, the count
    assert counted == [(END, START)]


def test_a_view_the_account_may_read_but_not_explain_is_counted(mariadb, monkeypatch):
    """EXPLAIN of a view needs rights on its tables (error 1345) that SELECT does not: the estimate counts."""
    mariadb.create_database("aside_view")
    mariadb.execute(
        "CREATE TABLE hidden (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
        "INSERT INTO hidden VALUES ('v-1', 'alice', 'f', '2026-01-10 10:30:00', NULL, 'SUCCESS')",
        "CREATE SQL SECURITY DEFINER VIEW transfers AS SELECT * FROM hidden", database="aside_view")
    mariadb.create_user("view_reader", "view-pw", ["GRANT SELECT ON `aside_view`.`transfers` TO {user}"])
    db = DbConfig(role="egress", host="127.0.0.1", port=mariadb.port, user="view_reader", password="view-pw",
                  database="aside_view", table="transfers", timezone="UTC")
    with open_store(db) as store:
        assert store.estimate_in_window(START, END) == 1
        assert [row.uuid for row in store.rows_in_window(START, END)] == ["v-1"]  # the connection still good


def test_the_childs_tracking_error_comes_back_as_it_was(known, tmp_path):
    path = str(tmp_path / "rows.pickle")
    wrong = _config(known, "egress")
    wrong.password = "not-the-password"
    aside._read_into(wrong, START, END, path, os.getppid())  # what the child runs
    process = _exited(0)
    with pytest.raises(TrackingError) as caught:
        list(aside._rows_from(process, path, wrong))
    assert "(1045)" in str(caught.value) and "not-the-password" not in str(caught.value)
    assert "user and password" in caught.value.hint


@pytest.mark.parametrize("written, torn", [(None, b""), ([("zone", UTC), ("rows", [])], b""),
                                           ([("zone", UTC)], b"\x40\0\0\0\0\0\0\0half a frame")])
def test_a_child_that_dies_is_an_error_naming_its_exit_status(known, tmp_path, written, torn):
    path = str(tmp_path / "rows.pickle")
    if written is not None:  # died after these frames (the last one torn), before "end"
        with open(path, "wb") as out:
            for frame in written:
                aside.write_frame(out, frame)
            out.write(torn)
    with pytest.raises(TrackingError) as caught:
        list(aside._rows_from(_exited(7), path, _config(known, "egress")))
    assert "egress" in str(caught.value) and "exit status 7" in str(caught.value)


def _write_slowly(path, go_on):
    """A child that writes one batch, then the rest only when told (or after 20 s)."""
    with open(path, "wb") as out:
        aside.write_frame(out, ("zone", UTC))
        aside.write_frame(out, ("rows", [("u-1", "alice", "f", 1.0, 2.0, "SUCCESS", None)]))
        go_on.wait(20)
        aside.write_frame(out, ("rows", [("u-2", "alice", "f", 3.0, 4.0, "SUCCESS", None)]))
        aside.write_frame(out, ("end", 2))


def test_the_rows_are_read_while_the_child_is_still_writing_them(known, tmp_path):
    """Pairing the rows already written overlaps the reading of the rest: the first batch comes before the
    child has finished."""
    context = multiprocessing.get_context("spawn")
    path, go_on = str(tmp_path / "rows.pickle"), context.Event()
    open(path, "wb").close()
    child = context.Process(target=_write_slowly, args=(path, go_on))
    child.start()
    rows = aside._rows_from(child, path, _config(known, "egress"))
    try:
        assert next(rows).uuid == "u-1" and child.is_alive()
    finally:
        go_on.set()
    assert [row.uuid for row in rows] == ["u-2"]
    child.join()


def test_the_child_and_its_file_are_gone_when_the_report_fails(known, monkeypatch):
    before = _leftovers()
    monkeypatch.setattr(aside, "ASIDE_MIN_ROWS", 1)
    seen = []
    with pytest.raises(RuntimeError, match="ingress failed"), \
            open_store(_config(known, "egress")) as store, aside.window_rows(store, START, END):
        seen.extend(p for p in multiprocessing.active_children() if p.name == "fth-egress-reader")
        raise RuntimeError("ingress failed")
    assert len(seen) == 1 and not seen[0].is_alive() and seen[0].exitcode is not None
    assert _leftovers() == before


def _exited(code):
    process = multiprocessing.get_context("spawn").Process(target=os._exit, args=(code,))
    process.start()
    process.join()
    return process


def test_a_script_without_a_main_guard_reports_through_a_child(known, tmp_path):
    """The child is forked: a spawned one would import this unguarded script again and fail."""
    import subprocess
    import sys

    output = tmp_path / "report.html"
    script = tmp_path / "report_now.py"
    script.write_text(
        "import fth.tracking.aside as aside\n"
        "from fth.main import report_main\n"
        "started = []\n"
        "real = aside.multiprocessing.process.BaseProcess.start\n"
        "aside.multiprocessing.process.BaseProcess.start = lambda self: (started.append(1), real(self))\n"
        "aside.ASIDE_MIN_ROWS = 1\n"
        f"code = report_main(['-c', {str(known.config_path)!r}, '--span', '2026-01-10 10:00 .. 11:00',\n"
        f"                    '-o', {str(output)!r}, '-q'])\n"
        "raise SystemExit(code if started == [1] else 9)\n", encoding="utf-8")
    env = {**os.environ, "TZ": "UTC", "PYTHONPATH": os.pathsep.join(sys.path), "FTH_TEST_READER_PW": READER_PW}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "u-a1" in output.read_text(encoding="utf-8")


def test_only_a_report_that_asks_reads_aside(known, monkeypatch):
    """fth-web and fth --demo serve from the process that builds their reports: a forked child would run
    their greenlets again, so only fth-report's request reads aside."""
    from fth.report.engine import ReportRequest, build_report

    started = []
    real_start = multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        lambda self: (started.append(self.name), real_start(self)))
    monkeypatch.setattr(aside, "ASIDE_MIN_ROWS", 1)
    with open_store(_config(known, "ingress")) as ingress, open_store(_config(known, "egress")) as egress:
        default = build_report(ingress, egress, ReportRequest(START, END)).document
        assert started == []
        asked = build_report(ingress, egress, ReportRequest(START, END, read_aside=True)).document
        assert started == ["fth-egress-reader"]
    assert asked == default


def test_sigterm_while_the_child_reads_leaves_nothing_behind(known, tmp_path):
    """fth-report takes SIGTERM as Ctrl-C: exit status 130, the child ended, its file and the report's
    temporary files gone, no report written."""
    import subprocess
    import sys

    output = tmp_path / "out" / "report.html"
    output.parent.mkdir()
    script = tmp_path / "terminated.py"
    rows_dir = tmp_path / "rows"
    rows_dir.mkdir()
    script.write_text(
        "import multiprocessing, os, signal, tempfile\n"
        f"tempfile.tempdir = {str(rows_dir)!r}\n"
        "import fth.tracking.aside as aside\n"
        "from fth.main import report_main\n"
        "aside.ASIDE_MIN_ROWS = 1\n"
        "real = aside._rows_from\n"
        "def terminated_first(process, path, db):\n"
        "    print('child', process.pid, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    yield from real(process, path, db)\n"
        "aside._rows_from = terminated_first\n"
        f"raise SystemExit(report_main(['-c', {str(known.config_path)!r}, '--span', '2026-01-10 10:00 .. 11:00',\n"
        f"                              '-o', {str(output)!r}]))\n", encoding="utf-8")
    env = {**os.environ, "TZ": "UTC", "PYTHONPATH": os.pathsep.join(sys.path), "FTH_TEST_READER_PW": READER_PW}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 130 and "fth-report: error: interrupted" in done.stderr, done.stderr
    child = int(done.stdout.split()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    assert list(rows_dir.iterdir()) == [] and list(output.parent.iterdir()) == []


def test_a_child_whose_parent_was_killed_removes_its_file_and_stops(mariadb, tmp_path):
    """SIGKILL runs no cleanup in the parent: the orphaned child notices at its next batch."""
    import subprocess
    import sys
    import time

    mariadb.create_database("aside_big")
    mariadb.execute(
        "CREATE TABLE transfers (UUID VARCHAR(64), username VARCHAR(64), filename VARCHAR(255), "
        "startTime DATETIME(6), endTime DATETIME(6), status VARCHAR(32))",
        "INSERT INTO transfers SELECT CONCAT('b-', seq), 'alice', CONCAT(REPEAT('b', 100), seq), "
        "TIMESTAMP'2026-01-10 10:00:00' + INTERVAL seq MICROSECOND, NULL, 'SUCCESS' FROM seq_1_to_300000",
        database="aside_big")
    rows_dir = tmp_path / "rows"
    rows_dir.mkdir()
    db = {"role": "egress", "host": "127.0.0.1", "port": mariadb.port, "user": "root",
          "password": mariadb.root_password, "database": "aside_big", "table": "transfers", "timezone": "UTC"}
    script = tmp_path / "killed.py"
    script.write_text(
        "import datetime as dt, os, signal, tempfile, time\n"
        f"tempfile.tempdir = {str(rows_dir)!r}\n"
        "from fth.config.model import DbConfig\n"
        "from fth.tracking import aside, open_store\n"
        "aside.ASIDE_MIN_ROWS = 1\n"
        "real = aside._read_into\n"
        "def late(*args):  # the parent is dead before the child looks: it must know its parent from before\n"
        "    time.sleep(1)\n"
        "    real(*args)\n"
        "aside._read_into = late\n"
        "utc = dt.timezone.utc\n"
        f"store = open_store(DbConfig(**{db!r})).open()\n"
        "with aside.window_rows(store, dt.datetime(2026, 1, 10, tzinfo=utc), dt.datetime(2026, 1, 11, tzinfo=utc)):\n"
        "    print(os.listdir(tempfile.tempdir)[0], flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9 and done.stdout.startswith("fth-rows-"), done.stderr
    deadline = time.monotonic() + 60
    while list(rows_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(rows_dir.iterdir()) == []
