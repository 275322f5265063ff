"""Log lines stay one line whatever the input: control characters in messages and arguments are escaped."""

import io
import logging

import pytest

from fth.log import setup_logging
from fth_web import create_app
from fth_web.settings import WebSettings

HOSTILE = "alice\r\nINFO    forged line\x1b[2K\u2028\x85end"


@pytest.fixture
def logged(tmp_path):
    """setup_logging onto a buffer and a log file; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    log_file = tmp_path / "fth.log"
    setup_logging(stream=stream, log_file=str(log_file), no_color=True)
    yield lambda: (stream.getvalue(), log_file.read_text(encoding="utf-8"))
    for handler in list(root.handlers):
        if getattr(handler, "_fth", False):
            root.removeHandler(handler)
            handler.close()
    root.handlers[:], root.level = saved[0], saved[1]


class Shouty:
    def __str__(self):
        return "two\nlines"


def test_messages_and_arguments_are_escaped(logged):
    log = logging.getLogger("fth.test")
    log.info("user %s did %s", HOSTILE, Shouty())
    log.warning(HOSTILE)
    log.error("%d%% of %r", 5, "x\ny")
    try:
        raise ValueError("boom\nsecond")
    except ValueError as exc:
        log.error("failed: %s", exc, exc_info=True)
    console, file_text = logged()
    lines = console.splitlines()
    assert " INFO " in lines[0] and " WARNING " in lines[1] and " ERROR " in lines[2]
    assert lines[0].endswith("user alice\\r\\nINFO    forged line\\x1b[2K\\u2028\\x85end did two\\nlines")
    assert lines[1].endswith("alice\\r\\nINFO    forged line\\x1b[2K\\u2028\\x85end")
    assert lines[2].endswith("5% of 'x\\ny'")
    assert lines[3].endswith("failed: boom\\nsecond")
    assert "Traceback (most recent call last)" in console  # a traceback stays a traceback
    assert "\x1b" not in console + file_text and "\u2028" not in console + file_text
    file_lines = [line for line in file_text.splitlines() if line[:4].isdigit()]
    assert len(file_lines) == 4


def test_report_form_username_with_crlf_is_one_log_line(logged):
    app = create_app(WebSettings(mock=True, mock_rate=20.0, cache_s=0.0, secret_key="k"))
    try:
        response = app.test_client().get("/reports/generate", query_string={"format": "json", "username": HOSTILE})
        assert response.status_code == 200
    finally:
        app.extensions["fth_web"].source.close()
    console, file_text = logged()
    for text in (console, file_text):
        report_lines = [line for line in text.splitlines() if "report: JSON" in line]
        assert len(report_lines) == 1 and "forged line" in report_lines[0]
        assert not any(line.startswith("INFO    forged") for line in text.splitlines())
