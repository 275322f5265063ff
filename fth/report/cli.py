"""``fth-report``: read the tracking databases for a window and write the HTML test report.

Exit status: 0 report written · 1 a database or I/O error (no report written) · 2 usage or
configuration error. The report is written atomically: on any error no file at the output path
is left looking complete.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from fth import __version__
from fth.cli import add_logging_options, duration_arg, new_parser
from fth.config.loader import load_run_config
from fth.config.model import RunConfig
from fth.errors import ConfigError, FthError, UsageError
from fth.log import setup_logging
from fth.report.compute import summarize
from fth.report.pairing import Pairing, collect
from fth.report.render import ReportContext, fmt_time, render_report_chunks, write_atomic
from fth.report.summary_json import summary_dict
from fth.status import ExitStatus
from fth.timespan import EXAMPLES, parse_timespan
from fth.tracking import TrackingStore, open_store
from fth.units import format_duration

log = logging.getLogger(__name__)

EPILOG = f"""\
timespans: {EXAMPLES}.
exit status: 0 report written · 1 database or I/O error (no report written) · 2 usage or configuration error.
Only SELECT statements are sent, in read-only transactions."""
SENT_OUTCOMES = ("ok",)


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
    out.add_argument("-o", "--output", metavar="FILE", env_var="FTH_REPORT_OUTPUT", default="report.html",
                     help="the HTML report to write (default report.html)")
    out.add_argument("--summary-json", metavar="FILE", env_var="FTH_REPORT_SUMMARY_JSON",
                     help="also write the figures as JSON to FILE")
    out.add_argument("--transfer-log", metavar="FILE", env_var="FTH_TRANSFER_LOG",
                     help="fth's JSON-lines transfer log: list files sent that never reached ingress")
    out.add_argument("--title", metavar="TEXT", env_var="FTH_REPORT_TITLE", default="File transfer test report",
                     help="the report's title")
    add_logging_options(parser)
    return parser


def _tracking(config: RunConfig) -> Any:
    if config.tracking is None:
        raise ConfigError("has no tracking: section", file=config.path, key="tracking",
                          expected="tracking: with ingress: and egress: databases (see example-config.yml)")
    return config.tracking


def read_transfer_log(path: str, start: dt.datetime, end: dt.datetime) -> List[Dict[str, Any]]:
    """Lines of fth's transfer log that were sent successfully within the window."""
    lines: List[Dict[str, Any]] = []
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise UsageError(f"cannot read transfer log {path}: {exc.strerror}") from None
    with handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
                when = dt.datetime.fromisoformat(str(line["time"]).replace("Z", "+00:00"))
            except (ValueError, KeyError, TypeError):
                raise UsageError(f"{path}:{number}: not a transfer-log line",
                                 "expected JSON lines as written by fth --transfer-log") from None
            if when.tzinfo is None:
                when = when.astimezone()
            if line.get("outcome") in SENT_OUTCOMES and start <= when < end and line.get("uuid"):
                lines.append(line)
    return lines


def not_ingested(sent: Sequence[Dict[str, Any]], pairing: Pairing, ingress: TrackingStore) -> List[Dict[str, Any]]:
    """Transfer-log lines whose UUID has no ingress row (looked up by UUID outside the window too)."""
    seen: Set[str] = {r.uuid for r in pairing.pairs if r.uuid} | {r.uuid for r in pairing.ingress_only if r.uuid}
    missing = [line for line in sent if str(line["uuid"]) not in seen]
    if not missing:
        return []
    found = ingress.rows_by_uuid(str(line["uuid"]) for line in missing)
    return [line for line in missing if str(line["uuid"]) not in found]


def gather(ingress: TrackingStore, egress: TrackingStore, start: dt.datetime, end: dt.datetime,
           poll: Optional[float], settle: float) -> Pairing:
    """Pair once, or with ``poll`` re-query until every ingress row is paired or ``settle`` passes."""
    pairing = collect(ingress, egress, start, end)
    if not poll:
        return pairing
    deadline = time.monotonic() + settle
    while pairing.ingress_only and time.monotonic() < deadline:
        total = len(pairing.pairs) + len(pairing.ingress_only)
        left = deadline - time.monotonic()
        log.info("waiting for egress: %d of %d ingress rows paired, %d outstanding; next check in %s "
                 "(giving up in %s)", len(pairing.pairs), total, len(pairing.ingress_only),
                 format_duration(min(poll, left)), format_duration(max(left, 0)))
        time.sleep(max(0.0, min(poll, left)))
        pairing = collect(ingress, egress, start, end)
    if pairing.ingress_only:
        log.warning("%d ingress rows still have no egress partner after waiting %s",
                    len(pairing.ingress_only), format_duration(settle))
    else:
        log.info("every ingress row has its egress partner")
    return pairing


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    start, end = parse_timespan(args.since, args.from_, args.to, args.span)
    config = load_run_config(args.config, args.overrides, check_paths=False)
    tracking = _tracking(config)
    jobs: List[Tuple[str, str, str]] = [(job.name, job.username, job.protocol) for job in config.jobs]
    sent = read_transfer_log(args.transfer_log, start, end) if args.transfer_log else []
    log.info("window %s .. %s", start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"))
    with open_store(tracking.ingress) as ingress, open_store(tracking.egress) as egress:
        ingress.check()
        egress.check()
        pairing = gather(ingress, egress, start, end, args.poll, args.settle)
        lost = not_ingested(sent, pairing, ingress) if sent else []
    user_to_job: Dict[str, str] = {}
    for name, username, _protocol in jobs:
        user_to_job.setdefault(username, name)
    summary = summarize(pairing.records, jobs=user_to_job, window=(start.timestamp(), end.timestamp()))
    notes = []
    if pairing.partner_before_window:
        notes.append(f"{pairing.partner_before_window} egress row(s) in the window belong to ingress rows "
                     "that started before it and are not counted here.")
    if args.transfer_log:
        notes.append(f"Transfer log: {len(sent)} file(s) sent in the window, {len(lost)} never reached ingress.")
    context = ReportContext(
        title=args.title, jobs=jobs, ingress_only=pairing.ingress_only, egress_only=pairing.egress_only,
        issues=pairing.issues, not_ingested=lost, notes=notes,
        window_label=f"{fmt_time(start.timestamp(), False)} – {fmt_time(end.timestamp(), False)}",
        meta={"Ingress": tracking.ingress.describe().split(" ", 1)[1],
              "Egress": tracking.egress.describe().split(" ", 1)[1]},
    )
    document = summary_dict(summary, pairing, [(name, username) for name, username, _ in jobs], lost)
    try:
        write_atomic(args.output, render_report_chunks(summary, context))
        if args.summary_json:
            write_atomic(args.summary_json, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise FthError(f"cannot write {exc.filename or args.output}: {exc.strerror}",
                       "check the directory exists and is writable") from None
    _print_result(args, summary, pairing)
    return int(ExitStatus.SUCCESS)


def _print_result(args: argparse.Namespace, summary: Any, pairing: Pairing) -> None:
    total = summary.total
    rate = "—" if total.pass_rate is None else f"{total.pass_rate:.1f}%"
    lines = [f"report: {args.output}",
             f"  {total.files} pairs · {total.passed} passed · {total.failed} failed · {total.timeout} timed out · "
             f"pass rate {rate}",
             f"  {len(pairing.ingress_only)} ingress-only · {len(pairing.egress_only)} egress-only · "
             f"{len(summary.unknown_users)} unknown user(s)"]
    if args.summary_json:
        lines.append(f"summary: {args.summary_json}")
    if not args.quiet:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
