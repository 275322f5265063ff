"""What fth shows on the terminal: the live view while running, tables at the end."""

import logging
import re
import shlex
import sys
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

import gevent

from fth.engine.runner import Runner
from fth.faults import hint_for, is_harness_fault
from fth.live import WINDOW as LIVE_WINDOW
from fth.live import live_figures
from fth.log import ConsoleHandler, console_handler
from fth.summary import fell_behind
from fth.units import format_bytes, format_duration, format_rates

log = logging.getLogger(__name__)

LIVE_EVERY = 1.0  # seconds between live-view refreshes on a terminal
BAR_WIDTH = 20
COMPLETED = ("duration reached", "all jobs finished")  # stop reasons of a run that went to its end
_ANSI = re.compile(r"\033\[[0-9;]*m")


class Style:
    """ANSI styling, or none at all."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> List[str]:
    """Plain aligned columns; ``right`` lists the column indexes aligned right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(_plain(cell))) for w, cell in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for index, (cell, width) in enumerate(zip(cells, widths)):
            pad = " " * (width - len(_plain(cell)))
            out.append(pad + cell if index in right else cell + pad)
        return "  ".join(out).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(row) for row in rows]


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else (f"{value:.0f}" if value >= 100 else f"{value:.1f}")


class LiveView:
    """Redraws a compact per-job view about once a second (TTY), or logs plain lines."""

    def __init__(self, runner: Runner, stream: TextIO, style: Style, tty: bool, interval: float,
                 figures: Optional[Callable[[], Dict[str, Any]]] = None):
        """``figures`` gives what live_figures(runner) gives (fth --processes: the workers' figures added up)."""
        self.runner = runner
        self.figures = figures or (lambda: live_figures(runner))
        self.stream = stream
        self.style = style
        self.tty = tty
        self.interval = LIVE_EVERY if tty else interval
        self._lines_drawn = 0
        self._logs: Optional[ConsoleHandler] = None
        self._failed = False
        self._greenlet: Optional[gevent.Greenlet] = None

    def start(self) -> None:
        self._logs = console_handler() if self.tty else None
        if self._logs is not None:
            self._logs.clear_live = self._erase
        self._greenlet = gevent.spawn(self._loop)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        if self._logs is not None:
            self._logs.clear_live = None
            self._logs = None
        if self.tty:
            try:
                self._draw(final=True)  # the last state stays on screen above the summary
            except Exception:  # the view must never cost the summary
                log.debug("live view failed", exc_info=True)

    def _erase(self) -> None:
        """Take the frame off the screen (a log line is about to be written where it was)."""
        if self._lines_drawn:
            self.stream.write(f"\033[{self._lines_drawn}F\033[J")
            self.stream.flush()
            self._lines_drawn = 0

    def _loop(self) -> None:
        while not self.runner.stopping.wait(timeout=self.interval):
            try:
                self._draw() if self.tty else self._log_lines()
            except Exception:  # the view must never take the run down; say so once
                log.warning("live view failed; the run goes on", exc_info=not self._failed)
                self._failed = True

    def _progress(self, final: bool) -> str:
        """The bar; the final frame is full when the run went to its end, and says why it stopped."""
        duration = self.runner.config.duration
        elapsed = self.runner.elapsed
        reason = self.runner.stop_reason
        ending = f" · {reason}" if final and reason else ""
        if duration:
            done = 1.0 if final and reason in COMPLETED else min(1.0, elapsed / duration)
            filled = int(done * BAR_WIDTH)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            return f"{bar} {format_duration(elapsed)} / {format_duration(duration)}{ending}"
        return f"elapsed {format_duration(elapsed)}{ending or ' (Ctrl-C to stop)'}"

    def _draw(self, final: bool = False) -> None:
        style = self.style
        rows = [[r["name"], f"{r['protocol']}/{r['mode']}", *self._rates(r), style.green(str(r["succeeded"])),
                 style.red(str(r["failed"])) if r["failed"] else "0",
                 style.yellow(str(r["not_sent"])) if r["not_sent"] else "0", _ms(r["p95_ms"]), str(r["in_flight"])]
                for r in self.figures()["jobs"]]
        lines = [style.bold("fth ") + self._progress(final)]
        lines += table(["job", "kind", "target", "achieved", "ok", "failed", "not sent", "p95 ms", "in flight"], rows,
                       right=(2, 3, 4, 5, 6, 7, 8))
        out = []
        if self._lines_drawn:
            out.append(f"\033[{self._lines_drawn}F")
        out.extend(line + "\033[K\n" for line in lines)
        self.stream.write("".join(out))
        self.stream.flush()
        self._lines_drawn = len(lines)

    def _rates(self, row: Dict[str, Any]) -> List[str]:
        """Target and achieved in one unit; achieved in yellow when well behind."""
        target, achieved = row["target_rate_per_s"], row["achieved_rate_per_s"]
        target_text, achieved_text = format_rates(target, achieved)
        if target > 0 and achieved < 0.9 * target and self.runner.elapsed > LIVE_WINDOW:
            achieved_text = self.style.yellow(achieved_text)
        return [target_text, achieved_text]

    def _log_lines(self) -> None:
        for r in self.figures()["jobs"]:
            log.info("%s: target %s achieved %s ok %d failed %d not sent %d p95 %s ms in flight %d", r["name"],
                     *format_rates(r["target_rate_per_s"], r["achieved_rate_per_s"]), r["succeeded"],
                     r["failed"], r["not_sent"], _ms(r["p95_ms"]), r["in_flight"])


def render_summary(summary: Dict[str, Any], style: Style) -> List[str]:
    """The end-of-run tables: per job and total, then errors by kind."""
    lines = ["", style.bold(f"Run summary ({format_duration(summary['duration_s'])}, {summary['stop_reason']})")]
    rows = []
    for job in summary["jobs"] + [dict(summary["total"], name="TOTAL", protocol="", mode="")]:
        latency = job["latency_ms"]
        behind = fell_behind(job)
        target, achieved = format_rates(job["target_rate_per_s"], job["achieved_rate_per_s"])
        rows.append([
            job["name"], f"{job['protocol']}/{job['mode']}" if job["protocol"] else "",
            str(job["attempted"]), style.green(str(job["succeeded"])),
            style.red(str(job["failed"])) if job["failed"] else "0", str(job["not_sent"]),
            target, style.yellow(achieved + " ▼") if behind else achieved,
            format_bytes(job["bytes"]), _ms(latency["avg"]), _ms(latency["p50"]), _ms(latency["p95"]),
            _ms(latency["p99"]), _ms(latency["max"]),
        ])
    lines += table(["job", "kind", "attempted", "ok", "failed", "not sent", "target", "achieved", "data",
                    "avg ms", "p50", "p95", "p99", "max"], rows, right=tuple(range(2, 14)))
    behind = [job["name"] for job in summary["jobs"] if fell_behind(job)]
    if behind:
        lines.append(style.yellow("▼ achieved rate fell behind the target for: " + ", ".join(behind)
                                  + " (the server or the senders could not keep up)"))
    errors = [(job["name"], kind, count) for job in summary["jobs"] for kind, count in job["errors"].items()]
    if errors:
        lines += ["", style.bold("Errors by kind")]
        lines += table(["job", "kind", "count", "fault of", "what to check"],
                       [[name, style.red(kind), str(count), "fth (local)" if is_harness_fault(kind) else "the system",
                         hint_for(kind)] for name, kind, count in errors],
                       right=(2,))
    if summary.get("breakpoint"):
        bp = summary["breakpoint"]
        target, achieved = format_rates(bp["target_rate_per_s"], bp["achieved_rate_per_s"])
        lines += ["", style.red(f"Stop condition tripped: job {bp['job']}: {bp['condition']} after "
                                f"{format_duration(bp['elapsed_s'])}, at a target rate of {target} "
                                f"(achieved {achieved})")]
    return lines


#: Run right after a run, fth-report waits this way for the egress rows of the last transfers
#: (a system may take a while to process them): without it they would be listed as lost.
REPORT_WAIT = ("--poll", "5s", "--settle", "2m")


def report_command(config_path: Optional[str], started: datetime, ended: datetime) -> str:
    """The fth-report command covering this run's window (local time, a little margin), waiting
    for the egress rows still to come (:data:`REPORT_WAIT`)."""
    start = (started - timedelta(seconds=1)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    end = (ended + timedelta(minutes=1)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    parts = ["fth-report"]
    if config_path:
        parts += ["-c", config_path]
    parts += ["--from", start, "--to", end, *REPORT_WAIT, "-o", "report.html"]
    return " ".join(shlex.quote(part) for part in parts)


def write_lines(lines: List[str], stream: Optional[TextIO] = None) -> None:
    stream = stream or sys.stdout
    stream.write("\n".join(lines) + "\n")
    stream.flush()
