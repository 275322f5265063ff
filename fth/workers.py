"""``fth --processes N``: one run as N worker processes on this machine, one live view, one summary.

Worker p of N runs ``fth … --segment p/N`` (within ``--segment I/M``: segment I + M·p of M·N,
whose union is segment I/M) with a common ``--start-at`` a few seconds ahead, and streams its
figures as JSON lines on stdout (:mod:`fth.stream`). The parent adds the latest figures of all
workers up for the live view and, at the end, merges them exactly (:mod:`fth.merge`) into the
summary. SIGINT and SIGTERM are forwarded to the workers, which run in their own sessions so a
terminal's Ctrl-C reaches them once, through the parent. A worker that dies is reported and its
figures up to its last line are counted.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import gevent
import gevent.event

from fth.config import RunConfig
from fth.config.model import Segment
from fth.console import LiveView, Style
from fth.errors import FthError, UsageError
from fth.log import colour_wanted
from fth.merge import merge_parts
from fth.run import install_signal_handlers, show_results
from fth.segment import WHOLE
from fth.startat import wait_until
from fth.status import ExitStatus
from fth.stream import parse_line
from fth.summary import summary_document

log = logging.getLogger(__name__)

START_DELAY = 3.0  # seconds between launching the workers and their common start
_CHILD_ENV_DROPPED = ("FTH_PROCESSES", "FTH_WEB", "FTH_SEGMENT", "FTH_START_AT", "FTH_SUMMARY_JSON",
                      "FTH_TRANSFER_LOG")
_SUMMED = ("target_rate_per_s", "achieved_rate_per_s", "succeeded", "failed", "not_sent", "in_flight")


@dataclass
class Worker:
    segment: Segment
    process: subprocess.Popen
    live: Optional[Dict[str, Any]] = None
    mergeable: Optional[Dict[str, Any]] = None
    finished: bool = False  # its summary document (last line) arrived

    def read(self) -> None:
        """Keep the latest figures the worker streams, until its stdout closes."""
        for line in self.process.stdout:
            document = parse_line(line)
            if document is None:
                continue
            self.mergeable = document["mergeable"]
            if "live" in document:
                self.live = document["live"]
            else:
                self.finished = True
                self._final_counts(document)
        self.process.wait()

    def _final_counts(self, summary: Dict[str, Any]) -> None:
        """The live view's last frame shows the summary's counts, not those of the last report."""
        jobs = {job["name"]: job for job in summary["jobs"]}
        for row in (self.live or {}).get("jobs", []):
            job = jobs.get(row["name"])
            if job is not None:
                row.update(succeeded=job["succeeded"], failed=job["failed"], not_sent=job["not_sent"],
                           in_flight=job["in_flight"])


class WorkerGroup:
    """What the live view needs of a run (``stopping``, ``config``, ``elapsed``, ``stop_reason``), for all workers."""

    def __init__(self, config: RunConfig, workers: List[Worker], origin: float):
        self.config = config
        self.workers = workers
        self.origin = origin
        self.stopping = gevent.event.Event()
        self.stopped_early = False  # interrupted during the countdown: the workers were stopped before the start

    @property
    def elapsed(self) -> float:
        return max(0.0, time.time() - self.origin)

    @property
    def stop_reason(self) -> Optional[str]:
        """Why the workers stopped, as far as they have said."""
        reasons: List[str] = []
        for worker in self.workers:
            reasons += [r for r in (worker.mergeable or {}).get("stop_reasons", []) if r not in reasons]
        return "; ".join(reasons) or None

    def live(self) -> Dict[str, Any]:
        """live_figures() of the whole run: rates and counts summed; p95 the highest worker's."""
        jobs: Dict[str, Dict[str, Any]] = {}
        for worker in self.workers:
            for row in (worker.live or {}).get("jobs", []):
                total = jobs.setdefault(row["name"], dict(row, **dict.fromkeys(_SUMMED, 0), p95_ms=None))
                for key in _SUMMED:
                    total[key] += row[key]
                if row["p95_ms"] is not None:
                    total["p95_ms"] = max(total["p95_ms"] or 0.0, row["p95_ms"])
        return {"elapsed_s": round(self.elapsed, 1), "jobs": list(jobs.values())}


def worker_command(config: RunConfig, args: argparse.Namespace, segment: Segment, start_at: float) -> List[str]:
    """The command line of the worker that runs ``segment``: the parent's run settings, resolved."""
    command = [sys.executable, "-m", "fth", "-c", config.path or "", "--segment", str(segment),
               "--start-at", repr(start_at), "--summary-json", "-", "--stream-figures", "--no-color",
               "--stop-timeout", f"{config.stop_timeout}s"]
    for override in args.overrides:
        command += ["--set", override]
    for name in args.jobs or ():
        command += ["--job", name]
    if config.duration is not None:
        command += ["--duration", f"{config.duration}s"]
    if config.transfer_log:  # one file per worker: concurrent appends could split lines
        command += ["--transfer-log", f"{config.transfer_log}.{segment.index}"]
    command += ["-v"] * args.verbose if args.verbose else ["-q"]
    return command


def _child_env() -> Dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in _CHILD_ENV_DROPPED}


def run_workers(config: RunConfig, args: argparse.Namespace) -> int:
    """Run ``config`` as ``args.processes`` workers; show and write one merged summary."""
    if args.web:
        raise UsageError("--web is not available with --processes", hint="run without --processes to watch it live")
    count = args.processes
    outer = args.segment or WHOLE
    segments = [Segment(outer.index + outer.count * p, outer.count * count) for p in range(count)]
    start_at = args.start_at if args.start_at is not None else time.time() + START_DELAY
    workers: List[Worker] = []
    group = WorkerGroup(config, workers, start_at)

    def forward(name: str) -> None:
        if time.time() < start_at:  # the countdown: a worker may still be starting Python, where a SIGINT is a
            # KeyboardInterrupt traceback; SIGTERM ends it quietly, and a worker that is ready takes it as SIGINT
            group.stopped_early = True
            log.info("%s: the workers are stopped before the start", name)
            _signal(workers, signal.SIGTERM)
            group.stopping.set()
            return
        log.info("%s: passed on to the workers", name)
        _signal(workers, getattr(signal, name))

    # the handlers come first: an interrupt between a worker's start and its place in ``workers`` left it running
    interrupts = install_signal_handlers(forward, forward)
    try:
        workers += _start_workers(config, args, segments, start_at)
        if group.stopped_early:  # interrupted while they were being started: those started since stop too
            _signal(workers, signal.SIGTERM)
        return _run_started(config, args, outer, group)
    except BaseException:  # the workers live in sessions of their own: nothing else would stop them
        _signal(workers, signal.SIGTERM)
        raise
    finally:
        for handler in interrupts:
            handler.cancel()


def _run_started(config: RunConfig, args: argparse.Namespace, outer: Segment, group: WorkerGroup) -> int:
    """The run once its workers have started: the live view, the workers read, the merged summary."""
    workers = group.workers
    log.info("%d worker processes (segments %s), starting together", len(workers),
             ", ".join(str(worker.segment) for worker in workers))
    if config.transfer_log:
        log.info("transfer log: one file per worker, %s.<segment index>", config.transfer_log)
    readers = [gevent.spawn(_watch, worker, workers) for worker in workers]
    style = Style(colour_wanted(sys.stdout, args.no_color))
    view = LiveView(group, sys.stdout, style, sys.stdout.isatty() and not args.quiet, config.interval,
                    figures=group.live)
    try:
        wait_until(group.origin, group.stopping)
        view.start()
        gevent.joinall(readers)
        group.stopping.set()
    finally:
        view.stop()
    return _finish(config, args, outer, workers, style, group.stopped_early)


def _start_workers(config: RunConfig, args: argparse.Namespace, segments: List[Segment],
                   start_at: float) -> List[Worker]:
    """One worker process per segment; if one cannot be started, those started are stopped before the error (they
    run in sessions of their own: nothing else would ever stop them)."""
    env = _child_env()
    workers: List[Worker] = []
    try:
        for segment in segments:
            workers.append(Worker(segment, subprocess.Popen(
                worker_command(config, args, segment, start_at), env=env, stdout=subprocess.PIPE, text=True,
                start_new_session=True)))
    except BaseException as exc:
        for worker in workers:
            worker.process.kill()
        for worker in workers:
            worker.process.wait()
            if worker.process.stdout is not None:
                worker.process.stdout.close()
        if isinstance(exc, OSError):
            raise FthError(f"cannot start worker process {len(workers) + 1} of {len(segments)}: "
                           f"{exc.strerror or exc}; the {len(workers)} started were stopped",
                           "fewer --processes, or raise the limit (ulimit -n for open files, ulimit -u for "
                           "processes)") from None
        raise
    return workers


def _signal(workers: List[Worker], signum: int) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signum)


def _watch(worker: Worker, workers: List[Worker]) -> None:
    """Read a worker to its end; a tripped stop condition ends the run for every worker."""
    worker.read()
    if worker.process.returncode == ExitStatus.STOP_CONDITION:
        log.warning("worker %s: a stop condition tripped; stopping the other workers", worker.segment)
        _signal(workers, signal.SIGTERM)


def _finish(config: RunConfig, args: argparse.Namespace, outer: Segment, workers: List[Worker], style: Style,
            stopped_early: bool = False) -> int:
    if stopped_early:  # a worker stopped while Python was still starting ends without a summary: nothing was sent
        workers = [worker for worker in workers if worker.mergeable is not None]
        if not workers:
            log.info("interrupted before the start: no worker had begun; nothing was sent")
            return ExitStatus.CTRL_C
    reported = [worker for worker in workers if worker.mergeable is not None]
    for worker in workers:
        if not worker.finished:
            log.error("worker %s ended with exit status %s before its summary: %s", worker.segment,
                      worker.process.returncode,
                      "its figures up to its last report are counted"
                      if worker.mergeable else "it reported no figures")
    if not reported:
        raise UsageError("no worker reported any figures", hint="run with -v to see the workers' messages")
    expected = [worker.segment.index for worker in workers]
    parts, warnings = merge_parts([(f"worker {w.segment}", {"mergeable": w.mergeable}) for w in reported], expected)
    if len(reported) == len(workers):  # together the workers are this process's segment
        parts.segment_count, parts.segments = outer.count, [outer.index]
    for warning in warnings:
        log.warning("%s", warning)
    summary = summary_document(parts)
    show_results(summary, config, args, style)
    codes = [worker.process.returncode for worker in workers]
    if any(not worker.finished for worker in workers) or ExitStatus.ERROR in codes:
        return ExitStatus.ERROR
    if ExitStatus.STOP_CONDITION in codes:
        return ExitStatus.STOP_CONDITION
    return ExitStatus.SUCCESS
