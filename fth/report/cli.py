"""``fth-report``: read the tracking databases for a window and write the HTML test report.

Exit status: 0 report written · 1 a database or I/O error (no report written) · 2 usage or
configuration error. The report is written atomically: on any error no file at the output path
is left looking complete.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

from fth import __version__
from fth.atomicfile import open_atomic, write_atomic
from fth.cli import add_logging_options, duration_arg, new_parser
from fth.config.loader import load_run_config
from fth.config.model import RunConfig
from fth.errors import ConfigError, UsageError
from fth.log import setup_logging
from fth.report.engine import Report, ReportRequest, report_from_config
from fth.status import ExitStatus
from fth.timespan import EXAMPLES, parse_timespan

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 50_000

EPILOG = f"""\
timespans: {EXAMPLES}.
exit status: 0 report written · 1 database or I/O error (no report written) · 2 usage or configuration error ·
130 interrupted (SIGINT or SIGTERM: nothing half-written is left).
Only SELECT statements are sent, in read-only transactions."""


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth-report", "Pair ingress and egress tracking rows by UUID and write an HTML test report.",
                        EPILOG)
    parser.add_argument("--version", action="version", version=f"fth-report {__version__}")
    src = parser.add_argument_group("source")
    src.add_argument("-c", "--config", metavar="FILE", env_var="FTH_CONFIG", required=True,
                     help="the YAML file with the jobs and the tracking: section (see example-config.yml)")
    src.add_argument("--set", action="append", metavar="KEY=VALUE", dest="overrides", default=[],
                     help="override a setting of the file, e.g. tracking.ingress.host=db1 (repeatable)")
    when = parser.add_argument_group("timespan (one form)")
    when.add_argument("--since", metavar="TIME", env_var="FTH_SINCE", help="the last TIME, e.g. 30m, 1h, 2d")
    when.add_argument("--from", dest="from_", metavar="WHEN", env_var="FTH_FROM",
                      help='start, e.g. "2026-11-22 09:00", 10:00, "yesterday 14:00"')
    when.add_argument("--to", metavar="WHEN", env_var="FTH_TO",
                      help="end (default now); a bare time takes --from's date")
    when.add_argument("--span", metavar="'A .. B'", env_var="FTH_SPAN",
                      help='both at once, e.g. "yesterday 14:00 .. 15:30" or "09:00 to 11:30"')
    wait = parser.add_argument_group("waiting for stragglers")
    wait.add_argument("--poll", type=duration_arg, metavar="TIME", env_var="FTH_POLL",
                      help="re-query every TIME until every ingress row has its egress partner; use it right "
                           "after a run (e.g. --poll 5s --settle 2m, as fth prints), else files still in "
                           "processing are listed as lost")
    wait.add_argument("--settle", type=duration_arg, metavar="TIME", env_var="FTH_SETTLE", default=600.0,
                      help="with --poll: give up waiting after TIME (default 10m)")
    out = parser.add_argument_group("results")
    out.add_argument("-o", "--output", type=_file_arg, metavar="FILE", env_var="FTH_REPORT_OUTPUT",
                     default="report.html", help="the HTML report to write (default report.html)")
    out.add_argument("--max-rows", type=_rows_arg, metavar="N", env_var="FTH_REPORT_MAX_ROWS", default=DEFAULT_MAX_ROWS,
                     help=f"embed at most N transactions in the HTML, plus every exception (default "
                          f"{DEFAULT_MAX_ROWS:,}; 0: all); beyond it every transaction goes to a CSV file next to "
                          "the report (report.html → report.transactions.csv), which the report names and links")
    out.add_argument("--summary-json", type=_file_arg, metavar="FILE", env_var="FTH_REPORT_SUMMARY_JSON",
                     help="also write the figures as JSON to FILE (-: to stdout, the result lines then to stderr)")
    src.add_argument("--username", metavar="NAME", env_var="FTH_REPORT_USERNAME",
                     help="report only this user's rows (as fth-web's report form does)")
    out.add_argument("--transfer-log", metavar="FILE", env_var="FTH_TRANSFER_LOG",
                     help="fth's JSON-lines transfer log: list files sent that never reached ingress")
    out.add_argument("--title", metavar="TEXT", env_var="FTH_REPORT_TITLE", default="File transfer test report",
                     help="the report's title")
    add_logging_options(parser)
    return parser


def _rows_arg(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of rows (0: no limit), got {text!r}")
    return value


def full_list_path(output: str) -> Path:
    """The sibling file of the full transaction list: ``report.html`` → ``report.transactions.csv``."""
    path = Path(output)
    return path.with_name(f"{path.stem}.transactions.csv")


def _distinct_files(args: argparse.Namespace) -> None:
    """Each file fth-report writes is a file of its own: not another it writes (-o report.html --summary-json
    report.html kept the JSON alone), and not one it reads (-o job.yml would replace the job file)."""
    written = [("-o", args.output), ("--summary-json", None if args.summary_json == "-" else args.summary_json),
               ("the full list", str(full_list_path(args.output)))]
    named = {}
    for flag, path in [("-c", args.config), ("--transfer-log", args.transfer_log), *written]:
        if not path:
            continue
        key = os.path.realpath(path)
        if key in named and flag in dict(written):
            raise UsageError(f"{flag} and {named[key]} name the same file, {path}",
                             "give each output a file of its own; the full list is the report's name with "
                             ".transactions.csv")
        named.setdefault(key, flag)


def _remove_stale_list(path: Path) -> None:
    """Remove the full list an earlier, cut report left beside this one, which holds all its transactions: kept,
    it would sit next to a report that does not link it, with other figures (the name is this report's own)."""
    if os.path.lexists(path) and not os.path.isdir(path):
        try:
            os.remove(path)
        except OSError as exc:
            log.warning("cannot remove %s, the full list of an earlier report: %s", path, exc.strerror)
        else:
            log.info("removed %s, the full list of an earlier report (this one holds every transaction)", path)


def _tracking(config: RunConfig) -> Any:
    if config.tracking is None:
        raise ConfigError("has no tracking: section", file=config.path, key="tracking",
                          expected="tracking: with ingress: and egress: databases (see example-config.yml)")
    return config.tracking


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    signal.signal(signal.SIGTERM, _interrupted)  # as Ctrl-C: the egress reader and temporary files go
    start, end = parse_timespan(args.since, args.from_, args.to, args.span)
    _distinct_files(args)
    config = load_run_config(args.config, args.overrides, check_paths=False)
    request = ReportRequest(start, end, config.jobs, username=args.username, poll=args.poll, settle=args.settle,
                            transfer_log=args.transfer_log, title=args.title, max_rows=args.max_rows or None,
                            full_list=full_list_path(args.output).name,
                            full_list_path=str(full_list_path(args.output)), read_aside=True)
    with cycle_collection_paused(), report_from_config(_tracking(config), request) as report:
        with open_atomic(args.output, what="report") as out:  # the full list is written meanwhile
            out.writelines(report.html_chunks())
            report.finish()  # no report that links to a list that could not be written
        if not report.list_is_cut:
            _remove_stale_list(full_list_path(args.output))
        if args.summary_json == "-":
            sys.stdout.write(report.json_text())
            sys.stdout.flush()
        elif args.summary_json:
            write_atomic(args.summary_json, report.json_text(), what="summary JSON")
    _print_result(args, report)
    return int(ExitStatus.SUCCESS)


def _file_arg(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name is no file")
    return text


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (on again after, if it was on).

    A report allocates millions of rows and records that form no cycles; the collector would still pass
    over all of them again and again as they accumulate: 3 s of a 30 s report at a million pairs. Only this
    command's process does it (it does nothing else meanwhile); reference counting frees as usual.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _print_result(args: argparse.Namespace, report: Report) -> None:
    summary, pairing = report.summary, report.pairing
    total = summary.total
    rate = "—" if total.pass_rate is None else f"{total.pass_rate:.1f}%"
    lines = [f"report: {args.output}" + (f" (every transaction: {full_list_path(args.output)})"
                                          if report.list_is_cut else ""),
             f"  {total.files} pairs · {total.passed} passed · {total.failed} failed · {total.timeout} timed out · "
             + (f"{total.pending} no status · " if total.pending else "")  # the rest of the pairs: they add up
             + f"{total.lost} lost · pass rate {rate} (passed / (paired + lost))",
             f"  {len(pairing.egress_only)} egress-only · {len(summary.unknown_users)} unknown user(s) · "
             f"{len(pairing.issues)} data-quality issue(s)"]
    if args.summary_json and args.summary_json != "-":
        lines.append(f"summary: {args.summary_json}")
    if not args.quiet:
        stream = sys.stderr if args.summary_json == "-" else sys.stdout  # stdout holds the JSON alone
        stream.write("\n".join(lines) + "\n")
        stream.flush()
