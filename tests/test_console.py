"""What fth shows: the live view on a terminal, plain lines otherwise, the summary tables."""

import json
import os
import pty
import subprocess
import sys

import gevent

from fth.console import Style, render_summary, table
from tests.fixtures.cli import http_job


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_live_view_redraws_about_once_a_second_on_a_terminal(write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("tty", http_server.url, source_dir, rate="10/s")]})
    primary, secondary = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TERM="xterm")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "fth", "-c", str(config), "--duration", "4s"],
                               stdin=secondary, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    reader = gevent.get_hub().threadpool.spawn(_read_all, primary)  # the server runs in this process
    with gevent.Timeout(60):
        while process.poll() is None:
            gevent.sleep(0.1)
        output = reader.get().decode(errors="replace")
    os.close(primary)
    assert process.returncode == 0
    redraws = output.count("\033[")  # cursor-up sequences between frames
    frames = output.count("in flight")
    assert frames >= 3, output  # ~one frame a second over 4 s (and the last one)
    assert redraws > frames
    assert "tty" in output and "http/wait" in output and "Run summary" in output


def test_plain_progress_lines_when_not_a_terminal(fth_cli, write_config, http_server, source_dir):
    config = write_config({"interval": "1s", "jobs": [http_job("plain", http_server.url, source_dir, rate="10/s")]})
    result = fth_cli("-c", config, "--duration", "3.5s")
    lines = [line for line in result.stderr.splitlines() if "plain: target 10.0/s achieved" in line]
    assert len(lines) >= 2
    assert "\033[" not in result.stdout  # no colour or cursor movement into a pipe


def test_in_flight_transfers_past_the_stop_timeout_are_counted_as_aborted(fth_cli, write_config, make_http_server,
                                                                          source_dir, tmp_path):
    slow = make_http_server(delay=30.0)
    config = write_config({"stop_timeout": "1s", "jobs": [http_job("stuck", slow.url, source_dir, rate="10/s",
                                                                   mode="fire")]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "1s", "--summary-json", out, "-q")
    job = json.loads(out.read_text())["jobs"][0]
    assert job["attempted"] >= 8
    assert job["errors"] == {"aborted": job["attempted"]}
    assert job["attempted"] == job["succeeded"] + job["failed"] + job["not_sent"]
    assert job["in_flight"] == 0


def test_summary_tables_show_errors_with_hints_and_no_colour_when_disabled():
    job = {"name": "a", "protocol": "http", "mode": "wait", "attempted": 10, "succeeded": 8, "failed": 2,
           "not_sent": 0, "target_rate_per_s": 10.0, "achieved_rate_per_s": 5.0, "bytes": 2048,
           "errors": {"refused": 2},
           "latency_ms": {"min": 1, "avg": 2, "p50": 2, "p90": 3, "p95": 3, "p99": 4, "max": 5}}
    summary = {"duration_s": 10, "stop_reason": "duration reached", "jobs": [job],
               "total": {k: v for k, v in job.items() if k not in ("name", "protocol", "mode")}}
    text = "\n".join(render_summary(summary, Style(False)))
    assert "fell behind the target for: a" in text
    assert "refused" in text and "check the host and port" in text and "\033[" not in text
    assert table(["x", "n"], [["a", "1"]], right=(1,))[2] == "a  1"
