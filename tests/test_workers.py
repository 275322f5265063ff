"""fth --processes N against a loopback sink: one summary, signals forwarded, a dead worker reported."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gevent
from gevent import pywsgi

from fth.cli import processes_arg
from tests.fixtures.cli import http_job
from tests.test_segment_run import phase_offset, segment_job


def fth_process(*args):
    return subprocess.Popen([sys.executable, "-m", "fth", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def arrivals_by_segment(received):
    """Requests from segment 0 and 1 of 2 (even and odd files of the source)."""
    odd = sum(int(request.headers["X-Filename"][-8:-4]) % 2 for request in received)
    return len(received) - odd, odd


def children(pid):
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_two_processes_write_one_summary_of_what_the_sink_received(write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--processes", "2", "--duration", "3s", "--summary-json", tmp_path / "s.json")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    summary = json.loads((tmp_path / "s.json").read_text())
    received = http_server.requests
    assert summary["segment"] == "0/1" and summary["mergeable"]["segment"] == {"count": 1, "indexes": [0]}
    assert summary["total"]["attempted"] == summary["total"]["succeeded"] == len(received)
    assert 590 <= len(received) <= 600
    uuids = [request.headers["X-Transaction-Id"] for request in received]
    assert len(set(uuids)) == len(uuids)
    assert 0.0035 < phase_offset(received) < 0.0065  # 5 ms: evenly spaced across the segments
    assert "2 worker processes (segments 0/2, 1/2)" in err
    assert out.count("Run summary") == 1


def test_processes_within_a_segment_run_that_segment(write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--segment", "1/2", "--processes", "2", "--duration", "2s",
                          "--summary-json", "-", "-q")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    summary = json.loads(out.strip().split("\n")[-1])
    assert summary["segment"] == "1/2"
    assert summary["total"]["attempted"] == len(http_server.requests) == 200  # half of 200/s for 2 s


def test_sigterm_is_forwarded_and_every_transfer_counted(write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--processes", "2", "--duration", "60s", "--summary-json", tmp_path / "s.json",
                          "-q")
    deadline = time.time() + 30
    while len(http_server.requests) < 200 and time.time() < deadline:
        gevent.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["stop_reason"] == "SIGTERM received"
    assert summary["total"]["attempted"] == summary["total"]["succeeded"] == len(http_server.requests)
    assert summary["duration_s"] < 30


def test_a_worker_that_dies_is_reported_and_its_figures_kept(write_config, http_server, source_dir, tmp_path):
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--processes", "2", "--duration", "6s", "--summary-json", tmp_path / "s.json",
                          "-q")
    deadline = time.time() + 30
    while min(arrivals_by_segment(http_server.requests)) < 150 and time.time() < deadline:
        gevent.sleep(0.1)
    gevent.sleep(1.5)  # a report (one a second) from after that point
    os.kill(max(children(process.pid)), signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "ended with exit status -9 before its summary: its figures up to its last report" in err
    summary = json.loads((tmp_path / "s.json").read_text())
    survivor = 600  # half of 200/s for 6 s
    assert summary["total"]["attempted"] >= survivor + 150  # the dead worker's reported share is in
    assert summary["total"]["attempted"] <= len(http_server.requests)


def test_processes_auto_is_the_cpu_count_and_zero_is_a_usage_error(fth_cli):
    assert processes_arg("auto") == (os.cpu_count() or 1)
    assert processes_arg(" 3 ") == 3
    result = fth_cli("--processes", "0", "-c", "x.yml", expect=2)
    assert "expected a whole number >= 1 or auto" in result.stderr


def test_live_monitor_is_refused_with_processes(fth_cli, write_config, http_server, source_dir):
    config = segment_job(write_config, http_server, source_dir)
    result = fth_cli("-c", config, "--processes", "2", "--web", "127.0.0.1:0", expect=2)
    assert "--web is not available with --processes" in result.stderr


def test_a_stop_condition_in_one_worker_stops_them_all(write_config, source_dir, tmp_path):
    """Segment 0 sends the even files, which this sink refuses: only worker 0 trips its condition."""
    def app(environ, start_response):
        even = int(environ.get("HTTP_X_FILENAME", "0")[-5:-4]) % 2 == 0
        start_response("500 Refused" if even else "201 Created", [("Content-Length", "0")])
        return [b""]

    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None)
    server.start()
    try:
        config = write_config({"jobs": [http_job("orders", f"http://127.0.0.1:{server.server_port}/", source_dir,
                                                 rate="100/s", headers={"X-Filename": "{filename}"},
                                                 stop_on=[{"failure_rate": "50%", "window": "2s", "min_count": 10}])]})
        process = fth_process("-c", config, "--processes", "2", "--duration", "60s", "--summary-json",
                              tmp_path / "s.json")
        _, err = process.communicate(timeout=60)
    finally:
        server.stop()
    assert process.returncode == 3, err
    assert "worker 0/2: a stop condition tripped; stopping the other workers" in err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["breakpoint"]["job"] == "orders"
    assert "SIGTERM received" in summary["stop_reason"] and "stop condition" in summary["stop_reason"]
    assert summary["duration_s"] < 30


def _processes_running(marker: str):
    """Live processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_workers_that_cannot_all_start_are_stopped_and_the_error_is_one_line(write_config, http_server, source_dir):
    import resource

    config = segment_job(write_config, http_server, source_dir)
    process = subprocess.Popen(  # 40 open files: room for some workers' pipes, not for 60
        [sys.executable, "-m", "fth", "-c", str(config), "--processes", "60", "--duration", "30s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40)))
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    last = err.strip().splitlines()
    assert any(line.startswith("fth: error: cannot start worker process ") and " of 60: " in line
               and "started were stopped" in line for line in last), err
    assert "Traceback" not in err
    assert _processes_running(str(config)) == []  # no worker left sending on its own
    sent = len(http_server.requests)
    gevent.sleep(1.5)
    assert len(http_server.requests) == sent


def test_processes_are_bounded():
    import argparse

    import pytest

    assert processes_arg("1024") == 1024
    with pytest.raises(argparse.ArgumentTypeError, match="more than 1024 processes"):
        processes_arg("100000")


def test_an_interrupt_while_the_workers_start_up_ends_the_countdown_cleanly(write_config, http_server, source_dir,
                                                                          tmp_path):
    """Ctrl-C just as the workers were started: the parent could be interrupted between starting a worker and
    knowing it, which then ran its job with no parent (a probe saw it send at the start time, 30 s later), and a
    worker still starting Python printed a KeyboardInterrupt traceback. Now no worker outlives the parent, nothing
    is sent, and the run ends as a countdown interrupted in one process does (a summary of nothing sent, exit 0),
    or with 130 when no worker had begun."""
    config = segment_job(write_config, http_server, source_dir)
    process = fth_process("-c", config, "--processes", "2", "--start-at", time.time() + 30, "--duration", "5s",
                          "--summary-json", tmp_path / "s.json")
    deadline = time.time() + 20
    while len(children(process.pid)) < 2 and time.time() < deadline:
        time.sleep(0.005)
    workers = children(process.pid)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=25)  # well before the start time
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # no worker outlives the parent
    assert http_server.requests == []
    if process.returncode == 130:
        assert "interrupted before the start" in err
    else:
        assert process.returncode == 0, err
        assert json.loads((tmp_path / "s.json").read_text())["total"]["attempted"] == 0
