"""CSV of raw rows, streamed line by line, with spreadsheet formulas neutralised."""

import csv
import io
import unicodedata
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, Sequence

# A cell whose first visible character is one of these is run as a formula by spreadsheet programs
# (CSV injection), also after leading blanks or line breaks, and in the full-width (＝＋－＠) and small
# forms, which NFKC folds to these; a leading tab, CR or LF is neutralised whatever follows.
FORMULA_START = ("=", "+", "-", "@")
CONTROL_START = ("\t", "\r", "\n")


def is_formula(text: str) -> bool:
    if text.startswith(CONTROL_START):
        return True
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.normalize("NFKC", first).startswith(FORMULA_START)


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
