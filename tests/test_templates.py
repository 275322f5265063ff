import uuid

import pytest

from fth.templates import TransferContext, check_template, compile_template, new_uuid


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


def test_new_uuid_is_a_random_version_4_uuid_in_canonical_form():
    made = [new_uuid() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text  # lower-case hex, dashes at 8-4-4-4-12
    assert len({text[0] for text in made}) == 16  # the random part does vary
