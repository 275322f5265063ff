"""CSV of raw rows, streamed line by line, with spreadsheet formulas neutralised."""

import csv
import io
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, Sequence

from fth.report.render import is_formula


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    text = str(value)
    if isinstance(value, str) and is_formula(text):
        return "'" + text
    return text


def csv_lines(fields: Sequence[str], rows: Iterable[Dict[str, Any]]) -> Iterator[str]:
    """The header line, then one line per row (a generator: constant memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(fields)
    yield flush()
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in fields])
        yield flush()
