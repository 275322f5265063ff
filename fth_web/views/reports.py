"""The report form: a datetime range (default the last 24 h), a user or all, CSV, HTML and/or JSON.

CSV is the raw rows with headers, streamed from the database. HTML and JSON come from one
:class:`fth.report.engine.Report` (the pair layout: fth-report's engine on the tracking
databases, so ``format=json`` is byte for byte the ``fth-report --summary-json`` document of the
same window and user). Bad input is shown on the form, never as an error page.
"""

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for

from fth.report.engine import Report, ReportRequest
from fth.timespan import FIRST_MOMENT, LAST_MOMENT, in_calendar
from fth_web import web_state
from fth_web.connections import DatabaseUnavailable
from fth_web.csvout import csv_lines
from fth_web.security import policy_for
from fth_web.views.api import MAX_USERNAME, exact_username

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/reports")

FORMATS = ("csv", "html", "json")
MAX_RANGE = timedelta(days=400)
_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


@dataclass
class ReportForm:
    start_text: str
    end_text: str
    username: str = ""
    formats: List[str] = field(default_factory=lambda: ["csv", "html"])
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    errors: List[str] = field(default_factory=list)

    def query(self, fmt: str) -> Dict[str, Any]:
        return {"from": self.start_text, "to": self.end_text, "username": self.username, "format": fmt}


def _fmt_input(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def parse_moment(text: str) -> Optional[datetime]:
    text = text.strip()
    for pattern in _INPUT_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def default_form() -> ReportForm:
    now = datetime.now().replace(second=0, microsecond=0)
    return ReportForm(_fmt_input(now - timedelta(hours=24)), _fmt_input(now + timedelta(minutes=1)))


def read_form(args: Any) -> ReportForm:
    defaults = default_form()
    form = ReportForm(
        start_text=(args.get("from") or defaults.start_text).strip()[:40],
        end_text=(args.get("to") or defaults.end_text).strip()[:40],
        username=exact_username(args.get("username")) or "",
        formats=[f.strip().lower() for f in args.getlist("format") if f.strip()],
    )
    form.start = parse_moment(form.start_text)
    form.end = parse_moment(form.end_text)
    if form.start is None:
        form.errors.append(f"From: {form.start_text!r} is not a date and time (expected YYYY-MM-DD HH:MM).")
    if form.end is None:
        form.errors.append(f"To: {form.end_text!r} is not a date and time (expected YYYY-MM-DD HH:MM).")
    for label, moment in (("From", form.start), ("To", form.end)):
        if moment is not None and not in_calendar(moment):
            form.errors.append(f"{label}: reports cover dates from {FIRST_MOMENT.date().isoformat()} to "
                               f"{LAST_MOMENT.date().isoformat()}.")
    if form.start and form.end and not form.errors:
        if form.start >= form.end:
            form.errors.append("From must be earlier than To.")
        elif form.end - form.start > MAX_RANGE:
            form.errors.append(f"The range may span at most {MAX_RANGE.days} days.")
    if len(form.username) > MAX_USERNAME:
        form.errors.append(f"Username must be at most {MAX_USERNAME} characters.")
        form.username = form.username[:MAX_USERNAME]
    unknown = [f for f in form.formats if f not in FORMATS]
    if unknown:
        form.errors.append(f"Unknown format {unknown[0][:20]!r}: choose CSV, HTML and/or JSON.")
    if not form.formats:
        form.errors.append("Choose at least one format: CSV, HTML or JSON.")
    return form


def _usernames() -> Tuple[List[str], Optional[str]]:
    try:
        return web_state().source.usernames(), None
    except DatabaseUnavailable as exc:
        return [], f"The user list is unavailable: {exc}"


def _render(form: ReportForm, status: int = 200, links: Optional[Dict[str, str]] = None) -> Tuple[str, int]:
    names, warning = _usernames()
    return render_template("reports/form.html", form=form, usernames=names, warning=warning, links=links,
                           source_kind=web_state().source.kind), status


@bp.get("/")
def form() -> Tuple[str, int]:
    return _render(default_form())


@bp.get("/generate")
def generate() -> Any:
    form = read_form(request.args)
    if form.errors:
        return _render(form, 400)
    if len(form.formats) > 1:
        links = {fmt: url_for("reports.generate", **form.query(fmt)) for fmt in form.formats}
        return _render(form, 200, links)
    assert form.start is not None and form.end is not None
    try:
        if form.formats[0] == "csv":
            return _csv_response(form)
        return _report_response(form, form.formats[0])
    except DatabaseUnavailable as exc:
        form.errors.append(f"The report could not be read from the database: {exc}")
        return _render(form, 503)


def _filename(form: ReportForm, ext: str) -> str:
    assert form.start and form.end
    # ASCII only: an HTTP header cannot carry other characters (a Cyrillic username made this a 500)
    who = "".join(ch for ch in form.username if ch.isascii() and (ch.isalnum() or ch in "-_.")) or "user"
    who = who if form.username else "all-users"
    return f"fth-report_{who}_{form.start:%Y%m%d-%H%M}_{form.end:%Y%m%d-%H%M}.{ext}"


def _csv_response(form: ReportForm) -> Response:
    source = web_state().source
    rows = source.report_rows(form.start, form.end, form.username or None)
    # Pull the first row now, so an unreachable database is reported on the form, not mid-download.
    first = list(itertools.islice(rows, 1))
    log.info("report: CSV %s .. %s user %s", form.start, form.end, form.username or "(all)")
    body = csv_lines(source.fields(), itertools.chain(first, rows))
    headers = {"Content-Disposition": f'attachment; filename="{_filename(form, "csv")}"'}
    return Response(stream_with_context(body), mimetype="text/csv", headers=headers)


def _report_response(form: ReportForm, fmt: str) -> Response:
    assert form.start is not None and form.end is not None
    state = web_state()
    request = ReportRequest(form.start, form.end, state.settings.jobs, username=form.username or None,
                            title=f"{state.settings.title} — transaction report")
    report: Report = state.source.report(request)
    log.info("report: %s %s .. %s user %s, %d transfers", fmt.upper(), form.start, form.end,
             form.username or "(all)", report.summary.total.files + report.summary.total.lost)
    disposition = {"Content-Disposition": f'inline; filename="{_filename(form, fmt)}"'}
    if fmt == "json":
        return Response(report.json_text(), mimetype="application/json", headers=disposition)
    html = "".join(report.html_chunks())
    return Response(html, mimetype="text/html", headers={**disposition, "Content-Security-Policy": policy_for(html)})
