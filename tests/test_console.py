"""What fth shows: the live view on a terminal, plain lines otherwise, the summary tables."""

import json
import os
import pty
import re
import signal
import subprocess
import sys

import gevent
import pytest

from fth.console import Style, render_summary, table
from fth.summary import fell_behind
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


COLOUR = re.compile(r"\033\[[0-9;]*m")


def _on_terminal(*argv: str, interrupt_after: float = 0.0, **env_changes: str) -> subprocess.CompletedProcess:
    """Run fth on a pseudo-terminal (optionally sending SIGINT after a while): exit status and output."""
    primary, secondary = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TERM="xterm")
    env.pop("NO_COLOR", None)
    env.update(env_changes)
    process = subprocess.Popen([sys.executable, "-m", "fth", *argv],
                               stdin=secondary, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    reader = gevent.get_hub().threadpool.spawn(_read_all, primary)  # the server runs in this process
    with gevent.Timeout(60):
        if interrupt_after:
            gevent.sleep(interrupt_after)
            process.send_signal(signal.SIGINT)
        while process.poll() is None:
            gevent.sleep(0.1)
        output = reader.get().decode(errors="replace")
    os.close(primary)
    return subprocess.CompletedProcess(argv, process.returncode, output)


def _screen(output: str) -> list:
    """What the terminal shows at the end: lines, cursor-up (ESC[nF), erase below (ESC[J); colours dropped."""
    rows, row, fresh = [""], 0, True
    for token in re.split(r"(\033\[\d*[A-Za-z]|\r?\n)", output):
        code = re.fullmatch(r"\033\[(\d*)([A-Za-z])", token)
        if token in ("\n", "\r\n"):
            row, fresh = row + 1, True
            rows += [""] * (row + 1 - len(rows))
        elif code and code[2] == "F":
            row, fresh = max(0, row - int(code[1] or 1)), True
        elif code and code[2] == "J":
            del rows[row + 1:]
            rows[row], fresh = "", True
        elif token and not code:
            rows[row], fresh = (token if fresh else rows[row] + token), False
    return rows


def test_live_view_redraws_about_once_a_second_on_a_terminal(write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("tty", http_server.url, source_dir, rate="10/s")]})
    result = _on_terminal("-c", str(config), "--duration", "4s")
    output = result.stdout
    assert result.returncode == 0
    frames = output.count(" / 4s")  # the progress line heads every frame
    redraws = len(re.findall(r"\033\[\d+F", output))  # cursor up to the first line of the previous frame
    assert frames >= 3, output  # ~one frame a second over 4 s (and the last one)
    assert redraws == frames - 1  # every frame but the first is drawn over the one before
    assert COLOUR.search(output)
    assert "tty" in output and "http/wait" in output and "Run summary" in output
    assert "--poll 5s --settle 2m -o report.html" in output  # the printed fth-report waits for late egress rows
    bars = [line for line in _screen(output) if "░" in line or "█" in line]
    assert len(bars) == 1 and re.fullmatch("fth █{20} [34][.0-9]*s / 4s · (duration reached|all jobs finished)",
                                           bars[0]), bars  # the last frame: complete (it ended at 19/20)


def test_log_lines_during_the_live_view_stay_on_screen_and_the_frame_is_drawn_once(write_config,
                                                                                  make_http_server, source_dir):
    """Ctrl-C: the "stopping" line used to be overwritten by the next frame, an old frame left above it."""
    slow = make_http_server(delay=0.3)
    config = write_config({"stop_timeout": "5s",
                           "jobs": [http_job("tty", slow.url, source_dir, rate="5/s"),
                                    http_job("closed", "http://127.0.0.1:9/x", source_dir, rate="1/s")]})
    result = _on_terminal("-c", str(config), "--duration", "30s", interrupt_after=3.5)
    assert result.returncode == 0
    screen = _screen(result.stdout)
    assert any("job closed: refused" in line for line in screen)  # logged while the view was on screen
    assert any(line.endswith("stopping: SIGINT received") for line in screen)
    bars = [line for line in screen if "░" in line or "█" in line]
    assert len(bars) == 1 and bars[0].endswith("/ 30s · SIGINT received"), bars
    assert screen.index(bars[0]) > max(i for i, line in enumerate(screen) if "stopping: SIGINT" in line)
    assert sum("in flight" in line for line in screen) == 1


def test_no_color_keeps_the_live_view_and_drops_the_colours(write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("tty", http_server.url, source_dir, rate="10/s")]})
    result = _on_terminal("-c", str(config), "--duration", "4s", NO_COLOR="1")
    assert result.returncode == 0
    assert not COLOUR.search(result.stdout), repr(result.stdout[:500])
    assert re.search(r"\033\[\d+F", result.stdout)  # still a live view, only without colour
    assert "Run summary" in result.stdout


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


def test_a_summary_row_shows_target_and_achieved_in_one_unit():
    job = {"name": "slow", "protocol": "http", "mode": "wait", "attempted": 3, "succeeded": 3, "failed": 0,
           "not_sent": 0, "target_rate_per_s": 0.82, "achieved_rate_per_s": 1.2, "active_s": 2.5, "bytes": 10,
           "errors": {},
           "latency_ms": {"min": 1, "avg": 2, "p50": 2, "p90": 3, "p95": 3, "p99": 4, "max": 5}}
    summary = {"duration_s": 10, "stop_reason": "duration reached", "jobs": [job],
               "total": {k: v for k, v in job.items() if k not in ("name", "protocol", "mode")}}
    row = next(line for line in render_summary(summary, Style(False)) if line.startswith("slow"))
    assert "0.82/s" in row and "1.2/s" in row and "/min" not in row


def test_summary_tables_show_errors_with_hints_and_no_colour_when_disabled():
    job = {"name": "a", "protocol": "http", "mode": "wait", "attempted": 10, "succeeded": 8, "failed": 2,
           "not_sent": 0, "target_rate_per_s": 10.0, "achieved_rate_per_s": 5.0, "active_s": 2.0, "bytes": 2048,
           "errors": {"refused": 2},
           "latency_ms": {"min": 1, "avg": 2, "p50": 2, "p90": 3, "p95": 3, "p99": 4, "max": 5}}
    summary = {"duration_s": 10, "stop_reason": "duration reached", "jobs": [job],
               "total": {k: v for k, v in job.items() if k not in ("name", "protocol", "mode")}}
    text = "\n".join(render_summary(summary, Style(False)))
    assert "fell behind the target for: a" in text
    assert "refused" in text and "check the host and port" in text and "\033[" not in text
    assert table(["x", "n"], [["a", "1"]], right=(1,))[2] == "a  1"


@pytest.mark.parametrize(("target", "achieved", "active", "behind"), [
    (10.0, 5.0, 2.0, True),  # ten sends short
    (10.0, 9.7, 100.0, True),  # 3 % and 30 sends short
    (10.0, 9.8, 100.0, False),  # 2 % short: within the margin
    (20.0, 0.0, 0.03, False),  # stopped before the first send: 0.6 of a send short
    (20.0, 18.2, 0.55, False),  # ten files, the schedule's first gap started late: 0.99 of a send short
    (20.0, 18.0, 0.5, True),  # a whole send short
    (0.0, 0.0, 5.0, False),  # no target
])
def test_fell_behind_needs_two_percent_and_a_whole_send(target, achieved, active, behind):
    assert fell_behind({"target_rate_per_s": target, "achieved_rate_per_s": achieved, "active_s": active}) is behind
