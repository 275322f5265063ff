"""The one report engine: tracking databases + jobs + window → one :class:`Report`.

``fth-report``, ``fth --demo`` and fth-web's pair layout (its report form and its panels) call
:func:`build_report` (or :func:`report_from_config`, which opens the stores); nothing else pairs
rows or assembles figures, so every path gives the same document for the same rows.

Steps: read and pair the window's rows (:func:`fth.report.pairing.collect`), optionally re-query
until every ingress row has its partner or the settle time passes, cross-check fth's transfer
log, map usernames to jobs (jobs sharing a username form one group, "job-b + job-c"), compute
the statistics in one pass (:func:`fth.report.compute.summarize`) and build the HTML context
and the ``--summary-json`` document from that one result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, is_
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set

from fth.config.model import JobGroup, TrackingConfig, job_groups
from fth.errors import UsageError
from fth.report.compute import Record, Summary, summarize
from fth.report.full_list import FullListWriter
from fth.report.pairing import Pairing, collect
from fth.report.render import ReportContext, fmt_time, render_report_chunks, transaction_csv
from fth.report.summary_json import summary_dict
from fth.tracking import TrackingStore, open_store
from fth.units import format_duration

log = logging.getLogger(__name__)

SENT_OUTCOMES = ("ok",)
DEFAULT_TITLE = "File transfer test report"


@dataclass
class ReportRequest:
    """What to report on. ``start``/``end`` may be aware or naive (naive: this machine's local time)."""

    start: dt.datetime
    end: dt.datetime
    jobs: Sequence[Any] = ()  # JobConfig or anything with name, username, protocol
    username: Optional[str] = None  # only this user's rows
    poll: Optional[float] = None  # seconds between re-queries while ingress rows lack a partner
    settle: float = 600.0  # with poll: give up after this many seconds
    transfer_log: Optional[str] = None  # fth's JSON-lines log, cross-checked against ingress
    title: str = DEFAULT_TITLE
    max_rows: Optional[int] = None  # the HTML embeds at most this many transactions plus every exception
    full_list: Optional[str] = None  # name of the sibling file with every transaction, linked when cut
    full_list_path: Optional[str] = None  # write that file here when the list is cut (fth-report: see Report.finish)
    read_aside: bool = False  # a large egress window read in a forked child (fth-report only: see fth.tracking.aside)


@dataclass
class Report:
    """One report: the statistics, the pairing they come from, the HTML context and the JSON document."""

    summary: Summary
    pairing: Pairing
    context: ReportContext
    document: Dict[str, Any]
    sent: int = 0  # transfer-log lines sent in the window
    not_ingested: List[Dict[str, Any]] = field(default_factory=list)
    list_writer: Optional[FullListWriter] = None  # writing request.full_list_path meanwhile

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def finish(self) -> None:
        """Wait for the full list (``request.full_list_path``) to be written; its failure raised here."""
        if self.list_writer is not None:
            self.list_writer.finish()

    def close(self) -> None:
        """Stop writing the full list if it is not finished (an error elsewhere): no partial file is left."""
        if self.list_writer is not None:
            self.list_writer.stop()

    def html_chunks(self) -> Iterator[str]:
        return render_report_chunks(self.summary, self.context)

    @property
    def list_is_cut(self) -> bool:
        """Whether the HTML holds fewer transactions than the report has (the full list then goes elsewhere)."""
        return self.context.max_rows is not None and len(self.summary.records) > self.context.max_rows

    def full_list_chunks(self) -> Iterator[str]:
        """Every transaction as CSV (the sibling file the HTML links to when the list is cut)."""
        return transaction_csv(self.summary.records, bool(self.context.jobs))

    def json_text(self) -> str:
        """The ``--summary-json`` file's text (fth-web's ``format=json`` answers the same bytes)."""
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


def read_transfer_log(path: str, start: dt.datetime, end: dt.datetime) -> List[Dict[str, Any]]:
    """Lines of fth's transfer log that were sent successfully within the window."""
    lines: List[Dict[str, Any]] = []
    try:
        handle = open(path, "rb")  # noqa: SIM115  (closed below; each line decoded in turn: one not UTF-8 is named)
    except OSError as exc:
        raise UsageError(f"cannot read transfer log {path}: {exc.strerror}") from None
    start, end = _aware(start), _aware(end)
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw.decode("utf-8"))
                when = _aware(dt.datetime.fromisoformat(str(line["time"]).replace("Z", "+00:00")))
                str(line.get("uuid") or "").encode("utf-8")  # a lone surrogate (\\ud800) is no UUID
            except (ValueError, KeyError, TypeError, AttributeError):  # UnicodeError is a ValueError
                raise UsageError(f"{path}:{number}: not a transfer-log line",
                                 "expected JSON lines as written by fth --transfer-log") from None
            if line.get("outcome") in SENT_OUTCOMES and start <= when < end and line.get("uuid"):
                lines.append(line)
    return lines


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def not_ingested(sent: Sequence[Dict[str, Any]], pairing: Pairing, ingress: TrackingStore) -> List[Dict[str, Any]]:
    """Transfer-log lines whose UUID has no ingress row (looked up by UUID outside the window too)."""
    seen: Set[str] = {r.uuid for r in pairing.pairs if r.uuid} | {r.uuid for r in pairing.ingress_only if r.uuid}
    missing = [line for line in sent if str(line["uuid"]) not in seen]
    if not missing:
        return []
    found = ingress.rows_by_uuid(str(line["uuid"]) for line in missing)
    return [line for line in missing if str(line["uuid"]) not in found]


def gather(ingress: TrackingStore, egress: TrackingStore, request: ReportRequest) -> Pairing:
    """Pair once, or with ``request.poll`` re-query until every ingress row is paired or settled."""
    pairing = collect(ingress, egress, request.start, request.end, request.username, request.read_aside)
    if not request.poll:
        return pairing
    deadline = time.monotonic() + request.settle
    while pairing.ingress_only and time.monotonic() < deadline:
        total = len(pairing.pairs) + len(pairing.ingress_only)
        left = deadline - time.monotonic()
        log.info("waiting for egress: %d of %d ingress rows paired, %d outstanding; next check in %s "
                 "(giving up in %s)", len(pairing.pairs), total, len(pairing.ingress_only),
                 format_duration(min(request.poll, left)), format_duration(max(left, 0)))
        time.sleep(max(0.0, min(request.poll, left)))
        pairing = collect(ingress, egress, request.start, request.end, request.username, request.read_aside)
    if pairing.ingress_only:
        log.warning("%d ingress rows still have no egress partner after waiting %s",
                    len(pairing.ingress_only), format_duration(request.settle))
    else:
        log.info("every ingress row has its egress partner")
    return pairing


def build_report(ingress: TrackingStore, egress: TrackingStore, request: ReportRequest) -> Report:
    """Read, pair, settle, cross-check and compute: the one report of ``request`` (stores opened by the caller)."""
    sent = read_transfer_log(request.transfer_log, request.start, request.end) if request.transfer_log else []
    log.debug("window %s .. %s%s", request.start.isoformat(timespec="seconds"),
             request.end.isoformat(timespec="seconds"), f", user {request.username}" if request.username else "")
    pairing = gather(ingress, egress, request)
    lost_sends = not_ingested(sent, pairing, ingress) if sent else []
    groups = job_groups(request.jobs)
    jobs = {group.username: group.name for group in groups}
    with contextlib.ExitStack() as on_error:
        writer = None
        if request.full_list_path and request.max_rows is not None and len(pairing.records) > request.max_rows:
            # started once the egress reader is gone: with the helper started before the reading, one CI run hung
            # in the reader's join after a SIGTERM (gevent watching two children); the two now never overlap
            writer = FullListWriter(request.full_list_path, pairing.records, jobs, bool(groups))  # meanwhile
            on_error.callback(writer.stop)
        start, end = _aware(request.start).timestamp(), _aware(request.end).timestamp()
        summary = summarize(pairing.records, jobs=jobs, window=(start, end))
        context = ReportContext(
            title=request.title, jobs=[(group.name, group.username, group.protocol) for group in groups],
            ingress_only=pairing.ingress_only, egress_only=pairing.egress_only, issues=pairing.issues,
            not_ingested=lost_sends, notes=_notes(request, pairing, summary, groups, len(sent), len(lost_sends)),
            window_label=f"{fmt_time(start, False)} – {fmt_time(end, False)}",
            meta={"Ingress": ingress.db.describe().split(" ", 1)[1], "Egress": egress.db.describe().split(" ", 1)[1],
                  **({"User": request.username} if request.username else {})},
            unknown_rows=without_job(summary.records) if groups else [],
            max_rows=request.max_rows, full_list=request.full_list,
        )
        document = summary_dict(summary, pairing, [(g.name, g.username, g.jobs) for g in groups], lost_sends)
        on_error.pop_all()  # the writer goes on: Report.finish waits for it
    return Report(summary, pairing, context, document, len(sent), lost_sends, writer)


def without_job(records: Sequence[Record]) -> List[Record]:
    """The records whose username matches no job (column by column: a million records)."""
    return list(compress(records, map(is_, map(attrgetter("job"), records), repeat(None))))


def _notes(request: ReportRequest, pairing: Pairing, summary: Summary, groups: Sequence[JobGroup],
           sent: int, lost_sends: int) -> List[str]:
    notes = []
    for group in groups:
        if len(group.jobs) > 1:
            notes.append(f"Jobs {', '.join(group.jobs)} share username {group.username!r}: tracking rows name "
                         f"only the user, so their transfers are reported together as {group.name!r}.")
    if summary.unknown_included:
        notes.append(f"The totals include {summary.unknown_included} transfer(s) of users without a job "
                     "(listed row by row under Exceptions).")
    if pairing.partner_before_window:
        notes.append(f"{pairing.partner_before_window} egress row(s) in the window belong to ingress rows "
                     "outside it" + (" or of another user" if request.username else "")
                     + " and are not counted here.")
    if request.transfer_log:
        notes.append(f"Transfer log: {sent} file(s) sent in the window, {lost_sends} never reached ingress.")
    return notes


def report_from_config(tracking: TrackingConfig, request: ReportRequest) -> Report:
    """:func:`build_report` on freshly opened stores (checked first: a wrong table fails before any reading)."""
    with open_store(tracking.ingress) as ingress, open_store(tracking.egress) as egress:
        ingress.check()
        egress.check()
        return build_report(ingress, egress, request)
