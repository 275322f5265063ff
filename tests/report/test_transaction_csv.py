"""The full list's CSV: every transaction read back as it was, whatever its text holds."""

import csv
import io
import itertools
import unicodedata

from fth.report import render
from fth.report.compute import EGRESS_ONLY, INGRESS_ONLY, PAIR, Record, summarize
from fth.report.render import TX_COLUMNS, csv_field, transaction_csv
from tests.report.reference import transaction_rows

HOSTILE = ["", "plain", "a,b", 'say "hi"', "line\nbreak", "car\rriage", "\r\n", '",', " lead", "trail ",
           "tab\there", "ünïcödé ✓", "\u2028sep", "semi;colon", "'quote'", "nul\x00byte", "x" * 300,
           '=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", " =lead", "\tTAB", "\uff1dfull", "\ufe62small", "a=b"]
TEXT_COLUMNS = (0, 1, 2, 3, 6, 7)  # uuid, username, job, filename, both statuses


def _spreadsheet_safe(text):
    """A text cell as the list must hold it: behind a ' when a spreadsheet would run it (= + - @ first, also after
    blanks and in full-width or small forms; a tab, CR or LF first)."""
    first = unicodedata.normalize("NFKC", text.lstrip()[:1])
    return "'" + text if text[:1] in ("\t", "\r", "\n") or first in ("=", "+", "-", "@") else text


def _records():
    records = []
    for number, (text, kind) in enumerate(itertools.product(HOSTILE, (PAIR, INGRESS_ONLY, EGRESS_ONLY))):
        start = 1_769_904_000 + number * 0.1234
        end = None if number % 7 == 0 else start + number * 0.0101
        status = [None, "", "SUCCESS", "FAILED", "TIME,OUT", 'BAD "ONE"', text][number % 7]
        records.append(Record(username=[None, "user0", text, "user,9"][number % 4], filename=text or None,
                              start=None if number % 11 == 0 else start, end=end, status=status,
                              passed=status == "SUCCESS", uuid=text or None, kind=kind,
                              ingress_status=[None, "RECEIVED", text][number % 3],
                              size=[None, 0, 12345, 7.5][number % 4]))
    summarize(records, jobs={"user0": "job-0", "user,9": 'job "nine"', "\r\n": "job\nnl"})  # sets each record's job
    return records


def _as_text(value):
    return "" if value is None else str(value).replace("\x00", NUL_STAND_IN)


def _read(text):
    """csv.reader's rows of ``text``; a NUL stands in as U+E000 (Python's reader takes NUL only from 3.11)."""
    return list(csv.reader(io.StringIO(text.replace("\x00", NUL_STAND_IN), newline="")))


NUL_STAND_IN = "\ue000"


def test_every_row_reads_back_as_written_whatever_its_text():
    records = _records()
    for known_jobs in (True, False):
        text = "".join(transaction_csv(records, known_jobs))
        rows = _read(text)
        assert tuple(rows[0]) == TX_COLUMNS
        assert rows[1:] == [[_as_text(_spreadsheet_safe(value) if column in TEXT_COLUMNS else value)
                             for column, value in enumerate(row)] for row in transaction_rows(records, known_jobs)]
        assert "'=HYPERLINK(\"\"http://x\"\")" in text and "'-2," in text and "'\uff1dfull" in text


def test_plain_rows_are_what_the_csv_module_writes():
    records = [record for record in _records() if not any(mark in str(record.uuid) + str(record.username)
                                                          + str(record.status) + str(record.ingress_status)
                                                          for mark in ',"\r\n\x00')
               and all(_spreadsheet_safe(text) == text for text in (record.uuid, record.username, record.filename,
                                                                    record.status, record.ingress_status) if text)]
    assert len(records) > 10
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TX_COLUMNS)
    writer.writerows(transaction_rows(records, True))
    assert "".join(transaction_csv(records, True)) == buffer.getvalue()


def test_fields_are_quoted_only_when_they_must_be():
    assert csv_field("plain text; tab\t") == "plain text; tab\t"
    assert csv_field("a,b") == '"a,b"'
    assert csv_field('say "hi"') == '"say ""hi"""'
    assert csv_field("car\rriage") == '"car\rriage"'
    assert csv_field("line\n") == '"line\n"'
    assert csv_field("=1+1") == "'=1+1" and csv_field('=HYPERLINK("x")') == '"\'=HYPERLINK(""x"")"'
    assert csv_field("-") == "'-" and csv_field("a-b") == "a-b" and csv_field("") == ""


def test_csv_comes_in_pieces_of_whole_lines():
    records = _records() * 200  # more than one piece
    pieces = list(transaction_csv(records, True))
    assert len(pieces) > 2
    assert all(piece.endswith("\n") for piece in pieces)
    assert len(_read("".join(pieces))) == len(records) + 1


def _pairs(count, transit_of, text_of=lambda number: f"u-{number:08d}"):
    records = [Record(username="user0", filename=f"{text_of(number)}.dat", start=1_769_904_000 + number * 0.25,
                      end=1_769_904_000 + number * 0.25 + transit_of(number), status="SUCCESS", passed=True,
                      uuid=text_of(number), ingress_status="RECEIVED") for number in range(count)]
    summarize(records, jobs={"user0": "job-0"})
    return records


def _matches_the_reference(records):
    rows = _read("".join(transaction_csv(records, True)))
    assert rows[1:] == [[_as_text(_spreadsheet_safe(value) if column in TEXT_COLUMNS else value)
                         for column, value in enumerate(row)] for row in transaction_rows(records, True)]


def test_transits_written_a_column_at_a_time_are_round_to_the_millisecond():
    """A chunk of pairs has its transits written a column at a time ("%.3f" without its trailing zeros): the text
    must be round(transit, 3)'s, at half milliseconds, at -0, at whole seconds and beyond 2**40 s (where the
    rounding goes back to round())."""
    edges = [0.0005, 0.0015, 0.0025, 1.0005, 2.0, 0.0, -0.0004, -1.5, 1e-9, 59.9995, 123456.789, 2.0 ** 40 + 0.25,
             -(2.0 ** 41), 0.1 + 0.2, 1 / 3]
    records = _pairs(6000, lambda number: edges[number] if number < len(edges) else (number * 7919 % 100003) / 997)
    _matches_the_reference(records)
    pair = (PAIR, "pass", "RECEIVED", "SUCCESS")
    for exact in ([*edges[:11], 2.0 ** 39 + 0.0005, 1e6 + 0.0125], edges):  # end − 0: the transit is the edge
        cells = render._transits([pair] * len(exact), [0.0] * len(exact), exact)
        assert [str(cell) for cell in cells] == [str(round(transit, 3)) for transit in exact]
        assert cells[4:7] in (["2.0", "0.0", "-0.0"], [2.0, 0.0, -0.0])


def test_one_cell_that_needs_quoting_in_a_chunk_of_plain_ones_is_quoted():
    """A chunk whose UUIDs and file names are all plain is written as it is; one cell that is not (anywhere in the
    chunk, any of the reasons) must still be neutralised and quoted."""
    for hostile in ["=1+1", "a,b", 'q"q', "line\nbreak", "", " -x", "\uff1dfull", "é-first", "\tTAB", "nul\x00"]:
        for position in (0, 2500, 4999):
            records = _pairs(5000, lambda number: 1.5,
                             lambda number: hostile if number == position else f"u-{number:08d}")  # noqa: B023
            _matches_the_reference(records)
