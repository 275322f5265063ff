"""Ctrl-C: before the run it ends fth with 130; during it, a second one stops at once, counting
what is still in flight as aborted (README, "Stopping" and "Exit statuses")."""

import json
import os
import signal
import subprocess
import sys

import gevent

from tests.fixtures.cli import http_job


def _fth(*argv: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    return subprocess.Popen([sys.executable, "-m", "fth", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def _wait_until(check, timeout: float = 60.0) -> None:
    """Poll cooperatively: the servers of these tests run in this process."""
    with gevent.Timeout(timeout):
        while not check():
            gevent.sleep(0.05)


def _blocked_opening_a_fifo(pid: int) -> bool:
    with open(f"/proc/{pid}/wchan", encoding="ascii") as wchan:
        return wchan.read() == "wait_for_partner"  # the kernel function open() of a FIFO sleeps in


def test_ctrl_c_before_the_run_starts_exits_130(tmp_path):
    fifo = tmp_path / "job.yml"
    os.mkfifo(fifo)  # reading the config blocks until a writer comes: fth is caught before its run
    process = _fth("-c", fifo)
    try:
        _wait_until(lambda: _blocked_opening_a_fifo(process.pid))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert stderr.decode().strip().endswith("interrupted") and b"Traceback" not in stderr
    assert b"Run summary" not in stdout


def test_a_second_ctrl_c_stops_at_once_and_counts_the_in_flight_as_aborted(write_config, make_http_server,
                                                                          source_dir, tmp_path):
    stalled = make_http_server(delay=120.0)
    config = write_config({"stop_timeout": "60s", "jobs": [
        http_job("stuck", stalled.url, source_dir, rate="20/s", mode="fire", max_in_flight=500)]})
    out = tmp_path / "out.json"
    process = _fth("-c", config, "--duration", "1h", "--summary-json", out)
    try:
        _wait_until(lambda: stalled.in_flight >= 10)
        process.send_signal(signal.SIGINT)
        gevent.sleep(0.5)  # the first interrupt only stops scheduling: all stay in flight for 60 s
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        with gevent.Timeout(30):  # far less than the stop timeout
            while process.poll() is None:
                gevent.sleep(0.1)
        stderr = process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == 0, stderr.decode()
    summary = json.loads(out.read_text())
    job = summary["jobs"][0]
    assert summary["stop_reason"] == "SIGINT received"
    assert job["errors"] == {"aborted": job["attempted"]} and job["attempted"] >= 10
    assert job["succeeded"] == 0 and job["in_flight"] == 0
    assert b"Traceback" not in stderr
