"""The list embedded in the HTML: the same JSON as the rule written record by record, whatever the records hold."""

import json

import pytest

from fth.report.compute import Record
from fth.report.render import TX_CHUNK, transaction_json_chunks
from tests.report.reference import transaction_json
from tests.report.test_transaction_csv import _records


@pytest.mark.parametrize("known_jobs", [True, False])
def test_the_embedded_list_is_the_record_by_record_rule(known_jobs):
    records = _records() * (TX_CHUNK // 40)  # over two chunks, each record's strings first seen in the first
    pieces = list(transaction_json_chunks(records, known_jobs))
    assert len(pieces) > 3
    assert "".join(pieces) == transaction_json(records, known_jobs)


def test_strings_are_indexed_in_order_of_first_appearance_across_columns():
    """A new job with a known username, and a new status with known names: each string gets the next index
    when a row first shows it, as the page's script expects."""
    records = [Record("u1", "f", 1.0, 2.0, "SUCCESS", True, uuid="a", ingress_status="IN"),
               Record("u1", "f", 1.0, 2.0, "FAILED", False, uuid="b", ingress_status="IN"),
               Record("u2", "f", 1.0, None, "SUCCESS", True, uuid="c", ingress_status="u1"),
               Record("u1", "f", None, 2.0, "SUCCESS", True, uuid="d", ingress_status="IN", size=7)]
    records[1].job, records[2].job = "j1", "u2"
    data = json.loads("".join(transaction_json_chunks(records, True)))
    assert data["strings"] == ["u1", "", "IN", "SUCCESS", "pass", "pair", "j1", "FAILED", "fail", "u2"]
    assert data["rows"][2][1:3] == [9, 9] and data["rows"][2][5] is None and data["rows"][2][10] == 0
    assert data["rows"][3][4] == "—" and data["rows"][3][-1] == 7 and len(data["rows"][0]) == 11
    assert "".join(transaction_json_chunks(records, True)) == transaction_json(records, True)


@pytest.mark.parametrize("text", ["back\\slash", "</script><script>", "&amp;", "a\u2029b", "del\x7f", "\x1f\x01",
                                  "lone \ud800 surrogate", "é\"\\\n"])
@pytest.mark.parametrize("size", [None, True, -0.0, 1e300, 2 ** 70, 7.25, 0])
def test_each_row_is_the_json_the_rule_writes_whatever_it_holds(text, size):
    """Rows are written as text, not through json: strings with anything json or the page escapes, and sizes
    of every type, give json's bytes."""
    records = [Record(text, text, 1_769_904_000.5, 1_769_904_001.25, "SUCCESS", True, uuid=text, size=size,
                      ingress_status=text),
               Record("u", None, 1_769_904_000.5, 1_769_904_000.5 + 1 / 3, "FAILED", False, uuid=None, size=size)]
    assert "".join(transaction_json_chunks(records, True)) == transaction_json(records, True)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_number_json_refuses_is_refused(value):
    records = [Record("u", "f", 1.0, 2.0, "SUCCESS", True, uuid="a", size=value)]
    with pytest.raises(ValueError):
        "".join(transaction_json_chunks(records, True))
    with pytest.raises(ValueError):
        transaction_json(records, True)
