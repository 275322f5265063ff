"""Statistics → one self-contained HTML file (Jinja2, autoescape on; inline CSS, JS and SVG).

Entry point: :func:`render_report`. Nothing in the output is fetched at view time. The
transaction list is embedded once as JSON in a ``<script type="application/json">`` block
(escaped by :func:`script_json`) and drawn by a small inline table script with paging, filter
and sort. Beyond ``ReportContext.max_rows`` transactions the embedded list keeps every exception
(failed, timed out, no status, unpaired, unknown user, data-quality) and the first passed pairs up
to the limit; the full list then goes to a sibling CSV file (:func:`transaction_csv`) that the
report names and links.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from itertools import compress, islice, repeat
from operator import add, attrgetter, floordiv, getitem, is_, mul, or_, sub
from pathlib import Path
from typing import AbstractSet, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import jinja2
from markupsafe import Markup

import fth
from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, PASS, Bucket, GroupStats, Record, Summary
from fth.units import format_bytes

TEMPLATES = Path(__file__).parent / "templates"
EXCEPTION_LIST_LIMIT = 500  # rows per exception list drawn as markup; all rows stay in the transaction list
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass
class ReportContext:
    """What surrounds the statistics: header facts and exception lists (all optional)."""

    title: str = "File transfer test report"
    window_label: Optional[str] = None
    generated_at: Optional[dt.datetime] = None
    meta: Mapping[str, str] = field(default_factory=dict)  # extra header facts, label → value
    jobs: Sequence[Tuple[str, str, str]] = ()  # (name, username, protocol)
    ingress_only: Sequence[Record] = ()
    egress_only: Sequence[Record] = ()
    issues: Sequence[Any] = ()  # objects with .kind, .uuid, .detail
    not_ingested: Sequence[Mapping[str, Any]] = ()  # transfer-log lines that never reached ingress
    group_label: str = "Job"
    stage_labels: Tuple[str, str] = ("Ingress", "Egress")
    notes: Sequence[str] = ()
    unknown_rows: Sequence[Record] = ()  # rows whose username matches no job, listed as warnings
    decimals: Optional[int] = None  # seconds shown to this many decimals (seed 002's dashboard: 1)
    max_rows: Optional[int] = None  # embed at most this many transactions plus every exception (None: all)
    full_list: Optional[str] = None  # the sibling file holding every transaction, as linked from the report


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028 and U+2029 are \\u-escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704  (every markup-significant character is escaped above)


def fmt_time(epoch: Optional[float], millis: bool = True) -> str:
    """Epoch seconds as this machine's local time, ``YYYY-MM-DD HH:MM:SS[.mmm]``; — for None. A time the
    calendar cannot show here (year 1 west of UTC is year 0) is shown as the calendar's first or last second."""
    if epoch is None:
        return "—"
    try:
        return _fmt_time(epoch, millis)
    except (ValueError, OverflowError, OSError):
        if epoch != epoch:  # NaN: no time at all
            raise
        text, fraction = ("0001-01-01 00:00:00", ".000") if epoch < 0 else ("9999-12-31 23:59:59", ".999")
        return text + fraction if millis else text


def _fmt_time(epoch: float, millis: bool) -> str:
    if epoch >= 0:  # a million rows share a few thousand seconds: each is formatted once
        second = int(epoch)
        micro = round((epoch - second) * 1e6)  # as datetime.fromtimestamp rounds (half to even)
        if micro == 1_000_000:
            second, micro = second + 1, 0
        text = _SECONDS.get(second)
        if text is None:
            text = _second_texts([second])[0]
    else:
        value = dt.datetime.fromtimestamp(epoch)
        text, micro = value.strftime("%Y-%m-%d %H:%M:%S"), value.microsecond
    return f"{text}.{micro // 1000:03d}" if millis else text


def fmt_times(epochs: Sequence[Optional[float]]) -> List[str]:
    """``[fmt_time(epoch) for epoch in epochs]``, column by column in C where it can be (a chunk of a million-row
    list): the same steps as :func:`fmt_time`, whose own path takes a column with a None, a negative time or a
    time that rounds up to the next second."""
    try:
        if not epochs or min(epochs) < 0:  # type: ignore[type-var]  # a None: TypeError
            return list(map(fmt_time, epochs))
        seconds = list(map(int, epochs))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return list(map(fmt_time, epochs))
    micros = list(map(round, map(mul, map(sub, epochs, seconds), repeat(1e6))))  # type: ignore[arg-type]
    if 1_000_000 in micros:
        return list(map(fmt_time, epochs))
    try:
        texts = _second_texts(seconds)
    except (ValueError, OverflowError, OSError):  # a time past the calendar
        return list(map(fmt_time, epochs))
    return list(map(add, texts, map(_MILLIS.__getitem__, map(floordiv, micros, repeat(1000)))))


def _second_texts(seconds: Sequence[int]) -> List[str]:
    """The local time text of each whole epoch second, from :data:`_SECONDS` (filled with the missing ones)."""
    missing = set(seconds).difference(_SECONDS)
    if missing:
        if len(_SECONDS) + len(missing) > SECOND_TEXTS:
            _SECONDS.clear()
            missing = set(seconds)
        for second in missing:
            _SECONDS[second] = dt.datetime.fromtimestamp(second).strftime("%Y-%m-%d %H:%M:%S")
    return list(map(_SECONDS.__getitem__, seconds))


SECOND_TEXTS = 100_000  # seconds' texts kept (a day has 86,400)
_MILLIS = tuple(f".{millis:03d}" for millis in range(1000))
_SECONDS: Dict[int, str] = {}  # epoch second → its local time text (the time zone is the process's)


def fmt_seconds(value: Optional[float], decimals: Optional[int] = None) -> str:
    if value is None:
        return "—"
    if decimals is not None and abs(value) < 120:
        return f"{value:.{decimals}f} s"
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    if abs(value) < 120:
        return f"{value:.3f} s"
    minutes, seconds = divmod(value, 60)
    if minutes < 120:
        return f"{int(minutes)} min {seconds:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def fmt_pct(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.1f} %"


def fmt_rate(value: Optional[float]) -> str:
    return "—" if value is None else f"{format_bytes(value)}/s"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for factor in (1, 2, 4, 8, 10):  # quarters of these are round
        if magnitude * factor >= value:
            return magnitude * factor
    return value


def bar_chart(values: Sequence[Tuple[str, Sequence[float]]], width: int = 760, height: int = 200,
              x_labels: int = 6) -> Dict[str, Any]:
    """Geometry of a stacked bar chart: ``values`` are (label, [stack values...]) per bar."""
    left, bottom, top = 48, 24, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = _nice_max(max((sum(stack) for _, stack in values), default=0))
    count = max(len(values), 1)
    slot = plot_w / count
    bars = []
    for index, (label, stack) in enumerate(values):
        y = top + plot_h
        for layer, amount in enumerate(stack):
            h = plot_h * amount / peak
            y -= h
            if h > 0:
                bars.append({"x": round(left + index * slot + slot * 0.1, 2), "y": round(y, 2),
                             "w": round(max(slot * 0.8, 0.5), 2), "h": round(h, 2), "layer": layer,
                             "title": f"{label}: {', '.join(_num(v) for v in stack)}"})
    every = max(1, round(count / x_labels))
    labels = [{"x": round(left + i * slot + slot / 2, 2), "text": values[i][0]} for i in range(0, len(values), every)]
    ticks = [{"y": round(top + plot_h - plot_h * f, 2), "text": _num(peak * f)} for f in (0, 0.25, 0.5, 0.75, 1)]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bars": bars, "labels": labels, "ticks": ticks, "base": top + plot_h}


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def bucket_label_format(buckets: Sequence[Bucket]) -> str:
    """Labels that tell the buckets apart: seconds when they are shorter than a minute, the date
    when they span more than one day."""
    first, last = (dt.datetime.fromtimestamp(buckets[i].start) for i in (0, -1))
    step = buckets[1].start - buckets[0].start if len(buckets) > 1 else 60.0
    clock = "%H:%M:%S" if step % 60 else "%H:%M"
    return clock if first.date() == last.date() else "%m-%d " + clock


def throughput_chart(buckets: Sequence[Bucket]) -> Dict[str, Any]:
    fmt = bucket_label_format(buckets)
    rows = [(dt.datetime.fromtimestamp(b.start).strftime(fmt), [b.passed, b.failed, b.files - b.passed - b.failed])
            for b in buckets]
    return bar_chart(rows)


def bytes_chart(buckets: Sequence[Bucket]) -> Optional[Dict[str, Any]]:
    if not any(b.bytes for b in buckets):
        return None
    fmt = bucket_label_format(buckets)
    return bar_chart([(dt.datetime.fromtimestamp(b.start).strftime(fmt), [b.bytes / 1e6]) for b in buckets])


def histogram_chart(bins: Sequence[Tuple[float, float, int]]) -> Optional[Dict[str, Any]]:
    if not bins:
        return None
    return bar_chart([(fmt_seconds(low), [count]) for low, _high, count in bins], x_labels=5)


TX_CHUNK = 5000  # rows per json.dumps call while embedding the transaction list


TX_COLUMNS = ("uuid", "username", "job", "filename", "start", "transit_s", "ingress_status", "egress_status",
              "result", "kind", "unknown_user", "size")


TX_FIELDS = ("uuid", "username", "job", "filename", "start", "end", "verdict", "size")  # a record's, for the CSV
TxColumns = Sequence[Sequence[Any]]  # a chunk of transactions: one column per name of TX_FIELDS


def transaction_csv(records: Iterable[Record], known_jobs: bool) -> Iterator[str]:
    """Every transaction as CSV text in pieces (header first; the columns of the embedded list): see
    :func:`transaction_csv_of`, given the records' :data:`TX_FIELDS` in chunks of :data:`TX_CHUNK`."""
    return transaction_csv_of(record_columns(records), known_jobs)


def record_columns(records: Iterable[Record], size: int = TX_CHUNK,
                   fields: Sequence[str] = TX_FIELDS) -> Iterator[TxColumns]:
    """The records' ``fields``, column by column, in chunks of ``size`` records."""
    getters = [attrgetter(name) for name in fields]
    rows = iter(records)
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield [list(map(getter, chunk)) for getter in getters]


def transaction_csv_of(chunks: Iterable[TxColumns], known_jobs: bool) -> Iterator[str]:
    """The CSV of transactions given in chunks of columns (:data:`TX_FIELDS`, a record's job set as
    :func:`fth.report.compute.summarize` sets it), a piece of whole lines per chunk, header first.

    Fields are quoted as RFC 4180 says, by :func:`csv_field` (not by ``csv.writer``, which leaves a carriage
    return unquoted up to Python 3.12: a filename holding one would split its row), lines end in ``\\n``; a text
    cell that a spreadsheet would run as a formula gets a leading ``'`` (SPEC: CSV injection).
    Written for a million rows, a column at a time (each step a ``map`` in C, not a loop of Python lines): the
    columns with few distinct values (usernames, jobs, statuses, result, kind) are quoted once per distinct
    combination, a column of UUIDs or file names is checked as a whole and used as it is when no cell needs
    quoting, the start times are formatted by :func:`fmt_times` and the transits by :func:`_transits`.
    """
    yield ",".join(map(csv_field, TX_COLUMNS)) + "\n"
    who: Dict[Tuple[Optional[str], Optional[str]], str] = {}
    verdicts: Dict[Tuple[Any, bool], str] = {}
    for uuids, usernames, jobs, filenames, starts, ends, chunk_verdicts, sizes in chunks:
        people = list(zip(usernames, jobs))
        for username, job in set(people).difference(who):
            who[username, job] = f"{csv_field(username or '')},{csv_field(job or '')}"
        unknown = map(is_, jobs, repeat(None)) if known_jobs else repeat(False)
        keys = list(zip(chunk_verdicts, unknown))
        for key in set(keys).difference(verdicts):
            verdicts[key] = _verdict_cells(*key)
        yield "".join([f"{uuid},{names},{filename},{when},{transit},{text},{size}\n"
                       for uuid, names, filename, when, transit, text, size in zip(
                           _csv_texts(uuids), map(who.__getitem__, people), _csv_texts(filenames), fmt_times(starts),
                           _transits(chunk_verdicts, starts, ends), map(verdicts.__getitem__, keys),
                           map(_size_cell, sizes))])


def _verdict_cells(verdict: Tuple[str, str, Optional[str], Optional[str]], unknown: bool) -> str:
    """The cells ingress_status, egress_status, result, kind and unknown_user of a verdict."""
    kind, outcome, ingress_status, status = verdict
    return ",".join((csv_field(ingress_status or ""), csv_field((status or "") if kind != INGRESS_ONLY else ""),
                     outcome if kind == PAIR else "unpaired", kind, "1" if unknown else "0"))


def _transits(verdicts: Sequence[Tuple[Any, ...]], starts: Sequence[Optional[float]],
              ends: Sequence[Optional[float]]) -> Sequence[Any]:
    """The transit cells: end − start rounded to the millisecond (as ``round(transit, 3)`` shows) for a pair with
    both times, else empty."""
    if None not in starts and None not in ends and all(verdict[0] == PAIR for verdict in set(verdicts)):
        transits = list(map(sub, ends, starts))  # every row a pair with both times: in C
        if transits and min(transits) > -_EXACT_MILLIS and max(transits) < _EXACT_MILLIS:
            # "%.3f" rounds as round(x, 3) does (both correctly, half to even); below 2**40 s floats are finer than
            # half a millisecond, so without its trailing zeros it is the text of round(x, 3): "1.500" → "1.5"
            texts = list(map(str.rstrip, map("%.3f".__mod__, transits), repeat("0")))
            return [text + "0" if text[-1] == "." else text for text in texts]  # "2." → "2.0"
        return list(map(round, transits, repeat(3)))
    return [round(end - start, 3) if verdict[0] == PAIR and start is not None and end is not None else ""
            for verdict, start, end in zip(verdicts, starts, ends)]


_EXACT_MILLIS = 2.0 ** 40  # seconds (35,000 years): below it "%.3f" without trailing zeros is round(x, 3)'s text


def _size_cell(size: Optional[int]) -> Any:
    return "" if size is None else size


def _csv_texts(cells: Sequence[Optional[str]]) -> Sequence[str]:
    """:func:`_csv_text` of each cell ("" for None): the column as it is when every cell starts with a plain
    character and none holds a comma, a quote or a line break (a chunk of UUIDs: no cell is looked at alone)."""
    if None not in cells and set(map(getitem, cells, repeat(_FIRST))) <= _PLAIN_START:
        joined = "".join(cells)
        if not any(map(joined.__contains__, _CSV_SPECIALS)):
            return cells
    return ["" if cell is None else _csv_text(cell) for cell in cells]


_FIRST = slice(0, 1)


def csv_field(text: str) -> str:
    """``text`` as a CSV field: a spreadsheet formula (:func:`is_formula`) behind a ``'``, then in double quotes
    (each doubled) when it holds a comma, a quote or a line break."""
    if is_formula(text):
        text = "'" + text
    if _CSV_SPECIAL.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


_CSV_SPECIALS = (",", '"', "\r", "\n")
_CSV_SPECIAL = re.compile("[" + "".join(_CSV_SPECIALS) + "]")
# A cell whose first visible character is one of these is run as a formula by spreadsheet programs (CSV
# injection), also after leading blanks or line breaks, and in the full-width (＝＋－＠) and small forms, which
# NFKC folds to these; a leading tab, CR or LF is neutralised whatever follows.
FORMULA_START = ("=", "+", "-", "@")
CONTROL_START = ("\t", "\r", "\n")
_PLAIN_START = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_./")  # never a formula


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text``, a CSV cell, as a formula (SPEC: such cells are neutralised)."""
    if text[:1] in _PLAIN_START:
        return False
    if text.startswith(CONTROL_START):
        return True
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.normalize("NFKC", first).startswith(FORMULA_START)


def _csv_text(text: str) -> str:
    """:func:`csv_field` of a cell that is mostly plain (a UUID, a file name: a million of them)."""
    return csv_field(text) if text[:1] not in _PLAIN_START or _CSV_SPECIAL.search(text) else text


def embedded_records(records: Sequence[Record], max_rows: Optional[int], known_jobs: bool,
                     flagged: AbstractSet[str]) -> Sequence[Record]:
    """``records`` when they are at most ``max_rows``; else every exception (see :func:`exceptions`) and the
    first other records up to it."""
    if max_rows is None or len(records) <= max_rows:
        return records
    keep = exceptions(records, known_jobs, flagged)
    room = max(0, max_rows - keep.count(True))
    for index, shown in enumerate(keep):  # the first passed pairs, up to the room left
        if not room:
            break
        if not shown:
            keep[index] = True
            room -= 1
    return list(compress(records, keep))


def exceptions(records: Sequence[Record], known_jobs: bool, flagged: AbstractSet[str]) -> List[bool]:
    """Whether each record is a row the report must always show: not a passed pair, of an unknown user
    (with ``known_jobs``), or of a UUID in ``flagged`` (the data-quality issues'). Column by column, in C."""
    verdicts = {verdict: verdict[0] != PAIR or verdict[1] != PASS for verdict in set(map(_VERDICT, records))}
    shown = map(verdicts.__getitem__, map(_VERDICT, records))
    if known_jobs:
        shown = map(or_, shown, map(is_, map(_JOB, records), repeat(None)))
    flagged = {uuid for uuid in flagged if uuid}  # an empty or NULL UUID is never flagged
    if flagged:
        shown = map(or_, shown, map(flagged.__contains__, map(_UUID, records)))
    return list(shown)


_VERDICT, _JOB, _UUID = attrgetter("verdict"), attrgetter("job"), attrgetter("uuid")


def transaction_json_chunks(records: Sequence[Record], known_jobs: bool) -> Iterator[str]:
    """The list as script-safe JSON ``{"rows": [...], "strings": [...]}``, in pieces of :data:`TX_CHUNK` rows.

    A row holds the columns of :data:`TX_COLUMNS` (see the template's script): the uuid, username, job,
    filename, start time, transit (paired records with both times), the ingress and egress statuses (an
    ingress-only record has none of egress), the result (the outcome of a pair, else ``unpaired``), the kind,
    whether the user is of no job (with ``known_jobs``) and the size, left off when unknown. The username,
    job, statuses, result and kind hold an index into ``strings``, in order of first appearance (the page's
    script puts the text back): a fifth less HTML for a large list. The pieces go straight to the output: a
    million-row list is never held whole as one string. Each distinct (username, job) and verdict is turned
    into its indexes once, and the start times are formatted a chunk at a time.
    """
    strings: Dict[str, int] = {}
    who: Dict[Tuple[Optional[str], Optional[str]], Tuple[int, int, int]] = {}
    verdicts: Dict[Tuple[Any, ...], Tuple[int, int, int, int, bool]] = {}
    separator = ""
    yield '{"rows":['
    for uuids, usernames, jobs, filenames, starts, ends, chunk_verdicts, sizes in record_columns(records):
        rows: List[List[Any]] = []
        for uuid, username, job, filename, when, start, end, verdict, size in zip(
                uuids, usernames, jobs, filenames, fmt_times(starts), starts, ends, chunk_verdicts, sizes):
            names = who.get((username, job))
            if names is None:  # its strings in the order a row lists them, as every later row finds them
                names = who[username, job] = (_index(strings, username or ""), _index(strings, job or ""),
                                              1 if known_jobs and job is None else 0)
            codes = verdicts.get(verdict)
            if codes is None:
                kind, outcome, ingress_status, status = verdict
                codes = verdicts[verdict] = (
                    _index(strings, ingress_status or ""),
                    _index(strings, (status or "") if kind != INGRESS_ONLY else ""),
                    _index(strings, outcome if kind == PAIR else "unpaired"), _index(strings, kind), kind == PAIR)
            row = [uuid or "", names[0], names[1], filename or "", when,
                   round(end - start, 3) if codes[4] and start is not None and end is not None else None,
                   codes[0], codes[1], codes[2], codes[3], names[2]]
            if size is not None:
                row.append(size)
            rows.append(row)
        yield separator + str(script_json(rows))[1:-1]
        separator = ","
    yield '],"strings":' + str(script_json(list(strings))) + "}"


def _index(strings: Dict[str, int], text: str) -> int:
    """The index of ``text`` in ``strings``, added at the end when new."""
    return strings.setdefault(text, len(strings))


def _splice(chunks: Iterable[str], mark: str, pieces: Iterable[str]) -> Iterator[str]:
    """``chunks`` with the one chunk holding ``mark`` split around ``pieces``."""
    for chunk in chunks:
        if mark in chunk:
            before, after = chunk.split(mark, 1)
            yield before
            yield from pieces
            yield after
        else:
            yield chunk


def fmt_datetime(value: Optional[dt.datetime]) -> str:
    """A tracking row's time as local time, or — (the row's own datetime, for the data-quality list)."""
    return "—" if value is None else fmt_time(value.timestamp())


def _environment(decimals: Optional[int] = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(time=fmt_time, dtime=fmt_datetime, seconds=lambda v: fmt_seconds(v, decimals), pct=fmt_pct,
                       bytes=format_bytes, rate=fmt_rate, num=lambda v: "—" if v is None else f"{v:,}")
    return env


def render_report(summary: Summary, context: Optional[ReportContext] = None, **overrides: Any) -> str:
    """The complete HTML document for ``summary`` as one string; see :func:`render_report_chunks`."""
    return "".join(render_report_chunks(summary, context, **overrides))


def render_report_chunks(summary: Summary, context: Optional[ReportContext] = None,
                         **overrides: Any) -> Iterator[str]:
    """The HTML document for ``summary`` in pieces (for streaming to a file or a response).

    ``context`` (or keyword overrides of its fields, e.g. ``title=...``) supplies the header and
    the exception lists. ``fth-web`` calls ``render_report(summary, title=..., window_label=...,
    group_label="Username")``.
    """
    ctx = context or ReportContext()
    for key, value in overrides.items():
        setattr(ctx, key, value)
    generated = ctx.generated_at or dt.datetime.now().astimezone()
    known_jobs = bool(ctx.jobs)
    has_sizes = summary.total.sized_files > 0
    flagged = {issue.uuid for issue in ctx.issues if issue.uuid}
    embedded = embedded_records(summary.records, ctx.max_rows, known_jobs, flagged)
    template = _environment(ctx.decimals).get_template("report.html.j2")
    mark = f"fth-transactions-{secrets.token_hex(16)}"  # where the list goes; no row can guess it
    chunks = template.generate(
        s=summary, ctx=ctx, version=fth.__version__, generated=generated.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        window_label=ctx.window_label or f"{fmt_time(summary.window_start, False)} – "
                                         f"{fmt_time(summary.window_end, False)}",
        throughput=throughput_chart(summary.timeline) if summary.timeline else None,
        data_chart=bytes_chart(summary.timeline) if (summary.timeline and has_sizes) else None,
        transit_chart=histogram_chart(summary.transit_histogram),
        has_sizes=has_sizes, groups=summary.groups, limit=EXCEPTION_LIST_LIMIT,
        ingress_only=list(ctx.ingress_only)[:EXCEPTION_LIST_LIMIT],
        egress_only=list(ctx.egress_only)[:EXCEPTION_LIST_LIMIT],
        issues=list(ctx.issues)[:EXCEPTION_LIST_LIMIT], issue_total=len(ctx.issues),
        not_ingested=list(ctx.not_ingested)[:EXCEPTION_LIST_LIMIT],
        unknown_rows=list(ctx.unknown_rows)[:EXCEPTION_LIST_LIMIT],
        tx_json=mark, tx_total=len(summary.records), tx_shown=len(embedded),
        kinds={INGRESS_ONLY: "ingress only", EGRESS_ONLY: "egress only"},
    )
    return _splice(chunks, mark, transaction_json_chunks(embedded, known_jobs))


def group_rows(groups: Sequence[GroupStats]) -> List[GroupStats]:
    return list(groups)
