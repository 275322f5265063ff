import pytest

from fth.templates import TransferContext, check_template, compile_template


def _context(**changes):
    values = {"uuid": "u-1", "filename": "report.final.csv", "job": "j", "username": "alice", "seq": 7,
              "timestamp": "2026-11-23T10:00:00.000Z", "epoch": 1, "date": "2026-11-23"}
    values.update(changes)
    return TransferContext(**values).values()


def test_fields_render_and_share_the_uuid():
    render = compile_template("{uuid}/{username}/{seq:05d}_{stem}.{ext}")
    assert render(_context()) == "u-1/alice/00007_report.final.csv"
    assert compile_template("plain")(_context()) == "plain"
    assert compile_template("{{literal}}")(_context()) == "{literal}"


@pytest.mark.parametrize("text, words", [("{uid}", "unknown template field {uid}"), ("{uuid", "not a valid template"),
                                         ("{uuid!r}", "conversions")])
def test_bad_templates(text, words):
    with pytest.raises(ValueError, match=words.replace("{", r"\{").replace("}", r"\}")):
        check_template(text)
