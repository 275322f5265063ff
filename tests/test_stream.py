"""The figures a --processes worker streams: JSON lines its parent reads; their cost stays bounded."""

import io
import json

import gevent

from fth import stream
from fth.config import load_run_config
from fth.engine.runner import Runner
from tests.fixtures.cli import http_job


def _runner(write_config, source_dir):
    config = load_run_config(str(write_config({"jobs": [http_job("orders", "http://127.0.0.1:9/", source_dir)]})))
    return Runner(config, config.jobs)


def test_lines_carry_live_and_mergeable_figures_and_parse_back(write_config, source_dir, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_EVERY", 0.01)
    out = io.StringIO()
    greenlet = gevent.spawn(stream.stream_figures, _runner(write_config, source_dir), "abc", out)
    gevent.sleep(0.2)
    greenlet.kill()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 5
    document = stream.parse_line(lines[-1])
    assert document["live"]["jobs"][0]["name"] == "orders"
    assert document["mergeable"]["job_file_sha256"] == "abc"
    assert stream.parse_line("fth: a log line") is None and stream.parse_line('{"other": 1}') is None


def test_the_pause_after_a_line_grows_with_what_the_line_cost(write_config, source_dir, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_EVERY", 0.01)
    monkeypatch.setattr(stream, "MAX_SHARE", 1e-6)  # any line then costs far more than the share allows
    out = io.StringIO()
    greenlet = gevent.spawn(stream.stream_figures, _runner(write_config, source_dir), None, out)
    gevent.sleep(0.3)
    greenlet.kill()
    assert len(out.getvalue().splitlines()) == 1
    json.loads(out.getvalue())
