"""The ``fth`` program: load the config, run the jobs, show and write the results."""

import argparse
import json
import logging
import resource
import signal
import sys
import time
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

import gevent

from fth.atomicfile import write_atomic
from fth.config import RunConfig, load_run_config
from fth.console import LiveView, Style, render_summary, report_command, write_lines
from fth.engine.recorder import Recorder
from fth.engine.runner import Runner
from fth.engine.source import FileSource
from fth.engine.transferlog import TransferLog
from fth.errors import UsageError
from fth.log import colour_wanted, setup_logging
from fth.parts import job_file_sha256
from fth.segment import split_config
from fth.startat import wait_until
from fth.status import ExitStatus
from fth.stream import stream_figures
from fth.summary import build_summary
from fth.units import format_duration, format_rate, format_rates

log = logging.getLogger(__name__)


def resolve_config(args: argparse.Namespace) -> RunConfig:
    """The file's settings with flags and FTH_* variables on top."""
    if not args.config:
        raise UsageError("no configuration given", hint="fth -c job.yml (see example-config.yml), or set FTH_CONFIG")
    config = load_run_config(args.config, args.overrides)
    if args.segment:
        config = split_config(config, args.segment)
    for name in ("duration", "stop_timeout", "summary_json", "transfer_log", "log_file"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(config, name, value)
    start_at = getattr(args, "start_at", None)
    if start_at is not None and config.duration is not None and start_at + config.duration <= time.time():
        raise UsageError(f"--start-at was {format_duration(time.time() - start_at)} ago and the run lasts "
                         f"{format_duration(config.duration)}: it would be over before it started",
                         hint="a later --start-at, or a longer --duration")
    if args.jobs:
        known = [job.name for job in config.jobs]
        unknown = [name for name in args.jobs if name not in known]
        if unknown:
            raise UsageError(f"--job {unknown[0]}: no such job in {args.config}", hint="jobs: " + ", ".join(known))
        config.jobs = [job for job in config.jobs if job.name in args.jobs]
    return config


def describe_plan(config: RunConfig) -> List[str]:
    lines = [f"{len(config.jobs)} job(s), duration {format_duration(config.duration) if config.duration else 'open'}"]
    segment = config.jobs[0].segment if config.jobs else None
    if segment and segment.count > 1:
        lines.append(f"segment {segment} of the run: the rates below are this segment's share")
    for job in config.jobs:
        rate = "ramp {} → {} over {}".format(*format_rates(job.ramp.start, job.ramp.peak),
                                             format_duration(job.ramp.total_duration)) if job.ramp \
            else format_rate(job.rate)
        target = getattr(job, "url", "") or f"{getattr(job, 'host', '')}:{getattr(job, 'port', '')}"
        lines.append(f"  {job.name}: {job.protocol} {job.mode} {rate} as {job.username} → {target}")
    return lines


def run_fth(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    if args.demo:
        from fth.demo import run_demo

        return run_demo(args)
    config = resolve_config(args)
    if config.log_file and config.log_file != args.log_file:
        setup_logging(args.verbose, args.quiet, config.log_file, args.no_color)
    if args.check:
        for job in config.jobs:  # a source without files is refused here as the run would refuse it
            FileSource(job.source, job.name, job.segment)
        write_lines(["configuration OK: " + (config.path or ""), *describe_plan(config)])
        return ExitStatus.SUCCESS
    if args.processes and args.processes > 1 and not args.stream_figures:
        from fth.workers import run_workers

        return run_workers(config, args)
    status, _ = run_config(config, args)
    return status


def raise_file_limit() -> None:
    """Each transfer in flight needs a socket: allow as many open files as the system lets us."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1_048_576)
    if soft != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            log.debug("could not raise the open-file limit from %d", soft)
            return
        log.debug("open-file limit raised from %d to %d", soft, hard)


def run_config(config: RunConfig, args: argparse.Namespace) -> Tuple[int, Dict[str, Any]]:
    """Run a validated config with the display options of ``args``; (exit status, summary)."""
    raise_file_limit()
    job_file_hash = job_file_sha256(config.path, getattr(args, "overrides", ()))
    tty = sys.stdout.isatty()
    style = Style(colour_wanted(sys.stdout, args.no_color))
    transfer_log = TransferLog(config.transfer_log) if config.transfer_log else None
    runner = Runner(config, config.jobs, recorder=Recorder(transfer_log))
    for line in describe_plan(config):
        log.info("%s", line)
    web = _start_web(args, config, runner)
    view = LiveView(runner, sys.stdout, style, tty and not args.quiet, config.interval)
    interrupts = _install_signal_handlers(runner)
    stream = None
    try:
        start_at = getattr(args, "start_at", None)
        if start_at is not None:
            wait_until(start_at, runner.stopping)
            if not runner.stopping.is_set():  # interrupted during the countdown: nothing to align
                runner.origin = start_at
        if getattr(args, "stream_figures", False):
            stream = gevent.spawn(stream_figures, runner, job_file_hash)
        view.start()
        runner.run(config.duration)
    finally:
        if stream is not None:
            stream.kill()
        view.stop()
        for handler in interrupts:
            handler.cancel()
        if transfer_log:
            transfer_log.close()
        if web is not None:
            web.stop()
    summary = build_summary(runner, job_file_hash)
    show_results(summary, config, args, style)
    if runner.breakpoint:
        return ExitStatus.STOP_CONDITION, summary
    if runner.stop_reason == "internal error":
        return ExitStatus.ERROR, summary
    return ExitStatus.SUCCESS, summary


def show_results(summary: Dict[str, Any], config: RunConfig, args: argparse.Namespace, style: Style) -> None:
    """The summary tables, the JSON document and the fth-report command; with ``--summary-json -``
    the document is the last line of stdout (one line), for whatever collects it (fth merge -)."""
    write_lines(render_summary(summary, style))  # -q too: quiet means no live view and no INFO lines
    if config.summary_json and config.summary_json != "-":
        write_atomic(config.summary_json, json.dumps(summary, indent=2) + "\n", what="summary JSON")
        log.info("summary written to %s", config.summary_json)
    if summary["started"] and summary["ended"] and not args.quiet:
        started, ended = (datetime.fromisoformat(summary[key]) for key in ("started", "ended"))
        write_lines(["", "Report on this run's transfers with:", "  " + report_command(config.path, started, ended)])
    if config.summary_json == "-":
        write_lines([json.dumps(summary, separators=(",", ":"))])


def _install_signal_handlers(runner: Runner) -> list:
    """First SIGINT/SIGTERM: stop gracefully; a second one: stop now."""
    return install_signal_handlers(lambda name: runner.stop(f"{name} received"), lambda name: runner.abort())


def install_signal_handlers(first: Callable[[str], None], again: Callable[[str], None]) -> list:
    """Call ``first(signal name)`` on the first SIGINT/SIGTERM, ``again(signal name)`` on any later one."""
    count = {"n": 0}

    def on_signal(name: str) -> None:
        count["n"] += 1
        if count["n"] == 1:
            first(name)
        else:
            again(name)

    handlers = []
    for signum, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        try:
            handlers.append(gevent.signal_handler(signum, on_signal, name))
        except ValueError:  # not the main thread (embedded use): no handlers
            break
    return handlers


def _start_web(args: argparse.Namespace, config: RunConfig, runner: Runner) -> Optional[object]:
    if not args.web:
        return None
    from fth.live import live_figures
    from fth.metrics import run_registry
    from fth_web import create_app
    from fth_web.server import start_in_background
    from fth_web.settings import load_env_file, load_settings
    from fth_web.views.metrics import attach

    load_env_file(None)  # a .env in the working directory, as fth-web reads it
    host, port = args.web
    settings = load_settings(run_config=config, flags={"host": host, "port": port})
    app = create_app(settings, live_provider=lambda: live_figures(runner))
    attach(app, run_registry(runner))
    try:
        server = start_in_background(app, host, port)
    except UsageError as exc:  # its hint names fth-web's --port, which fth does not have
        raise UsageError(str(exc), hint=f"give another port with --web [HOST:]PORT (--web {host}:0 picks a free one), "
                                        f"or stop whatever is using {port}") from None
    log.info("live monitor on %s", server.url)
    return server
