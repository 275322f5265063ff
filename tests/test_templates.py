import uuid

import pytest

from fth.templates import TransferContext, check_template, compile_template, header_escape, new_uuid, url_escape


def _context(**changes):
    values = {"uuid": "u-1", "filename": "report.final.csv", "job": "j", "username": "alice", "seq": 7,
              "timestamp": "2026-11-23T10:00:00.000Z", "epoch": 1, "date": "2026-11-23"}
    values.update(changes)
    return TransferContext(**values).values()


def test_fields_render_and_share_the_uuid():
    render = compile_template("{uuid}/{username}/{seq}_{stem}.{ext}")
    assert render(_context()) == "u-1/alice/7_report.final.csv"
    assert compile_template("plain")(_context()) == "plain"
    assert compile_template("{{literal}}")(_context()) == "{literal}"


@pytest.mark.parametrize("text, words", [("{uid}", "unknown template field {uid}"), ("{uuid", "not a valid template"),
                                         ("{uuid!r}", "conversions"), ("{uuid:d}", "format specs"),
                                         ("{filename:>500000000}", "format specs such as {filename:>500000000}")])
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


def test_url_escape_percent_encodes_every_reserved_byte_of_a_value():
    render = compile_template("http://h/up/{filename}?job={job}", url_escape)
    assert render(_context(filename="../x?admin=1#frag", job="a b")) == \
        "http://h/up/..%2Fx%3Fadmin%3D1%23frag?job=a%20b"
    assert render(_context(filename="caf\u00e9-\udcff.dat")) == "http://h/up/caf%C3%A9-%FF.dat?job=j"


def test_header_escape_keeps_printable_ascii_and_encodes_the_rest_so_unquote_restores_it():
    from urllib.parse import unquote, unquote_to_bytes

    render = compile_template('"{filename}"', header_escape)
    assert render(_context(filename="plain name (1).csv")) == '"plain name (1).csv"'
    injected = render(_context(filename="a\r\nDELETE /x HTTP/1.1\r\n\x00.csv"))
    assert injected == '"a%0D%0ADELETE /x HTTP/1.1%0D%0A%00.csv"'
    assert unquote(render(_context(filename="\u0416 100%.csv"))) == '"\u0416 100%.csv"'
    assert unquote_to_bytes(render(_context(filename="bad-\udcff"))) == b'"bad-\xff"'
