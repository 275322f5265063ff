"""Atomic output files: whole or not at all, with the mode a plain open() gives, failures in one line."""

import errno
import json
import os
import stat

import pytest

from fth import atomicfile
from fth.atomicfile import open_atomic, write_atomic
from fth.errors import FthError
from tests.fixtures.cli import http_job


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _no_space(_fd):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_new_file_gets_the_umask_mode_not_0600_and_an_old_one_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "summary.json"
    write_atomic(str(path), '{"a": 1}\n')
    assert path.read_text() == '{"a": 1}\n' and stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o640)
    write_atomic(str(path), b"bytes too")
    assert path.read_bytes() == b"bytes too" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]  # no temporary file left


def test_a_failed_write_is_one_line_and_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "summary.json"
    path.write_text("old and valid\n")
    monkeypatch.setattr(atomicfile.os, "fsync", _no_space)
    with pytest.raises(FthError) as caught:
        write_atomic(str(path), "new", what="summary JSON")
    assert str(caught.value) == (f"cannot write summary JSON {path}: No space left on device; "
                                 "the previous file, if any, is unchanged")
    assert path.read_text() == "old and valid\n" and os.listdir(tmp_path) == ["summary.json"]


def test_an_exception_inside_the_block_leaves_the_old_file(tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old")
    with pytest.raises(RuntimeError), open_atomic(str(path)) as out:
        out.write("half")
        raise RuntimeError("renderer failed")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["report.html"]


def test_summary_json_on_a_full_disk_keeps_the_previous_summary(fth_cli, write_config, http_server, source_dir,
                                                                  tmp_path, monkeypatch):
    out = tmp_path / "out.json"
    out.write_text('{"previous": true}\n')
    monkeypatch.setattr(atomicfile.os, "fsync", _no_space)
    config = write_config({"jobs": [http_job("full", http_server.url, source_dir, count=2, rate="50/s")]})
    result = fth_cli("-c", config, "--summary-json", out, "-q", expect=1)
    assert "Run summary" in result.stdout  # the run completed and says so
    assert result.stderr.strip().splitlines()[-1].startswith(f"fth: error: cannot write summary JSON {out}: No space")
    assert json.loads(out.read_text()) == {"previous": True}


def test_a_symbolic_link_stays_a_link_and_its_target_gets_the_text(tmp_path):
    target, link = tmp_path / "real.html", tmp_path / "latest.html"
    target.write_text("old")
    link.symlink_to(target.name)
    write_atomic(str(link), "new")
    assert link.is_symlink() and os.readlink(link) == "real.html" and target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["latest.html", "real.html"]


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    import subprocess

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)  # a process: opening a FIFO blocks
    write_atomic(str(fifo), "through the pipe\n")
    assert reader.communicate(timeout=10)[0] == b"through the pipe\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


def test_an_empty_path_is_a_one_line_error(tmp_path):
    with pytest.raises(FthError) as caught:
        write_atomic("", "x", what="HTML report")
    assert str(caught.value) == "cannot write HTML report: the path is empty"
