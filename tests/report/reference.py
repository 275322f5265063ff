"""Reference forms of report computations done faster, column by column, in fth: each is the rule written
record by record, the oracle its fast form is tested against."""

from typing import Any, Iterable, Iterator, List

from fth.report.compute import INGRESS_ONLY, PAIR, Record
from fth.report.render import fmt_time, script_json


def transaction_rows(records: Iterable[Record], known_jobs: bool) -> Iterator[List[Any]]:
    """The list's rows (:data:`fth.report.render.TX_COLUMNS`), one record at a time."""
    for r in records:
        start, end = r.start, r.end
        kind, outcome, ingress_status, status = r.verdict
        paired = kind == PAIR
        yield [
            r.uuid or "", r.username or "", r.job or "", r.filename or "", fmt_time(start),
            round(end - start, 3) if paired and start is not None and end is not None else None,
            ingress_status or "", (status or "") if kind != INGRESS_ONLY else "",
            outcome if paired else "unpaired", kind, 1 if known_jobs and r.job is None else 0, r.size,
        ]


def transaction_json(records: Iterable[Record], known_jobs: bool) -> str:
    """The embedded list's JSON (:func:`fth.report.render.transaction_json_chunks`), one row at a time."""
    strings: dict = {}
    rows = []
    for row in transaction_rows(records, known_jobs):
        for column in (1, 2, 6, 7, 8, 9):  # username, job, both statuses, result, kind
            row[column] = strings.setdefault(row[column], len(strings))
        if row[-1] is None:
            row.pop()
        rows.append(row)
    return '{"rows":' + str(script_json(rows)) + ',"strings":' + str(script_json(list(strings))) + "}"
