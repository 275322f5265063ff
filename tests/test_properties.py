"""Property-based sweep of every user-facing parser: never a traceback, always a value or a clear error."""

import datetime as dt

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fth.config.loader import parse_run_config
from fth.config.reader import MarkedDict, load_yaml
from fth.errors import ConfigError, FthError
from fth.timespan import parse_span, parse_timespan
from fth.units import parse_duration, parse_rate, parse_size

UNIT_WORDS = st.sampled_from(["s", "sec", "m", "min", "h", "hour", "d", "day", "ms", "/", "per", " ", "files",
                              "1", "5", ".", "0", "-", "fortnight", "%", "e9", ":"])
UNIT_TEXT = st.one_of(st.text(max_size=20), st.lists(UNIT_WORDS, max_size=6).map("".join))
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


@settings(max_examples=400)
@given(UNIT_TEXT)
def test_unit_parsers_return_a_value_or_a_value_error(text):
    for parse in (parse_rate, parse_duration, parse_size):
        try:
            value = parse(text)
        except ValueError as exc:
            assert str(exc)  # a message, not an empty error
        else:
            assert value >= 0


TIME_WORDS = st.sampled_from(["2026-11-22", "10:00", "yesterday", "today", "now", "..", "to", " ", "14:30:15",
                              "2026-11-22T10:00:00", "Z", "+02:00", "25:99", "30m", "-", "tomorrow", "x",
                              "9am", "12:30pm", "13pm", "22 Nov 2026", "Feb 31, 2026", "at"])


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=30), st.lists(TIME_WORDS, max_size=5).map(" ".join)))
@example("64000000000")  # a duration reaching back past the year 1 (found by this test)
@example("64000000000s ago .. now")
@example("9999-12-31T23:00 .. 22:00")  # the next day does not exist
@example("0001-01-01T00:00+05:00 .. 10:00")
@example("1 Jan 0001 00:30 - 11:00pm")  # a bare end time rolled over at the calendar's end
@example("31 Dec 9999 23:30 - 00:10")
def test_timespans_return_a_window_or_a_clear_error(text):
    for attempt in (lambda: parse_span(text, now=NOW), lambda: parse_timespan(since=text, now=NOW)):
        try:
            start, end = attempt()
        except FthError as exc:
            assert str(exc)
        else:
            assert start <= end


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), UNIT_TEXT)
JOB_KEYS = st.sampled_from(["name", "protocol", "username", "source", "rate", "mode", "workers", "url", "host",
                            "password", "headers", "ramp", "stop_on", "count", "timeout", "spacing", "port",
                            "max_in_flight", "remote_name", "body", "form", "verify", "typo"])
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(JOB_KEYS, inner, max_size=4)), max_leaves=8)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(JOB_KEYS, VALUES, max_size=10), st.sampled_from(["http", "sftp"]))
def test_config_loader_never_raises_anything_but_config_errors(tmp_path, job, protocol):
    job.setdefault("protocol", protocol)
    path = tmp_path / "fuzz.yml"
    path.write_text(yaml.safe_dump({"duration": "1m", "jobs": [job]}))
    try:
        config = parse_run_config(load_yaml(str(path)), str(path))
    except ConfigError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert config.jobs[0].rate > 0 or config.jobs[0].ramp is not None
    assert isinstance(load_yaml(str(path)), MarkedDict)
