"""fth_web.csvout on its own: every spreadsheet formula prefix neutralised, streamed lines."""

import csv
import io
from datetime import datetime

import pytest

from fth_web.csvout import cell, csv_lines


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "\n", " =", "\r\n+", "＝", "＠"])
def test_every_formula_prefix_is_neutralised(prefix):
    assert cell(prefix + "SUM(A1)") == "'" + prefix + "SUM(A1)"
    assert cell("x" + prefix + "1") == "x" + prefix + "1"  # only a leading one is dangerous


@pytest.mark.parametrize("value, expected", [
    (None, ""), ("", ""), ("plain", "plain"), (" x", " x"), (12, "12"), (-5, "-5"), (-0.5, "-0.5"),
    (datetime(2026, 1, 2, 3, 4, 5, 678901), "2026-01-02 03:04:05.678"),
])
def test_other_values_are_written_as_they_are(value, expected):
    assert cell(value) == expected


def test_lines_stream_the_header_then_one_row_each_and_read_back():
    rows = [{"uuid": "a", "size": 3, "note": "=1+1"}, {"uuid": "b,c", "note": 'say "hi"\nthere'}, {}]
    lines = list(csv_lines(["uuid", "size", "note"], iter(rows)))
    assert lines[0] == "uuid,size,note\r\n"
    assert lines[1] == "a,3,'=1+1\r\n"
    assert len(lines) == 4 and lines[3] == ",,\r\n"
    read = list(csv.reader(io.StringIO("".join(lines))))
    assert read == [["uuid", "size", "note"], ["a", "3", "'=1+1"], ["b,c", "", 'say "hi"\nthere'], ["", "", ""]]
