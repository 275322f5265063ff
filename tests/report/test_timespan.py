"""fth.timespan: forgiving input, clear errors with examples."""

import datetime as dt

import pytest

from fth.errors import UsageError
from fth.timespan import parse_point, parse_span, parse_timespan

TZ = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=TZ)


def at(day, clock, tz=TZ):
    hour, minute = map(int, clock.split(":"))
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=tz)


@pytest.mark.parametrize("since, seconds", [("30m", 1800), ("1h", 3600), ("2d", 172800), (" 1H 30M ", 5400)])
def test_since(since, seconds):
    assert parse_timespan(since=since, now=NOW) == (NOW - dt.timedelta(seconds=seconds), NOW)


@pytest.mark.parametrize("span, expected", [
    ("yesterday 14:00 .. 15:30", (at(21, "14:00"), at(21, "15:30"))),
    ("2026-11-22 09:00 to 11:30", (at(22, "09:00"), at(22, "11:30"))),
    ("2026-11-22T09:00:00 .. 2026-11-22T10:00:00", (at(22, "09:00"), at(22, "10:00"))),
    ("09:00..now", (at(22, "09:00"), NOW)),
    ("23:00 .. 01:00", (at(22, "23:00"), at(23, "01:00"))),
    ("2h ago .. 1h ago", (at(22, "10:00"), at(22, "11:00"))),
    ("45m", (NOW - dt.timedelta(minutes=45), NOW)),
    ("2026/11/22 9:05 until today 10:00", (at(22, "09:05"), at(22, "10:00"))),
    ("2026-11-22 09:00 - 2026-11-22 10:00", (at(22, "09:00"), at(22, "10:00"))),
    ("10:00-11:00", (at(22, "10:00"), at(22, "11:00"))),
    ("9am-11:30am", (at(22, "09:00"), at(22, "11:30"))),
    ("9am .. 2:30 pm", (at(22, "09:00"), at(22, "14:30"))),
    ("22 Nov 2026 09:00 .. 22 Nov 2026 10:00", (at(22, "09:00"), at(22, "10:00"))),
    ("Nov 21, 2026 9pm to 1am", (at(21, "21:00"), at(22, "01:00"))),
])
def test_span(span, expected):
    assert parse_span(span, now=NOW) == expected
    assert parse_timespan(span=span, now=NOW) == expected


def test_from_to_bare_time_takes_the_start_date():
    assert parse_timespan(from_="2026-11-20 09:00", to="11:30", now=NOW) == (at(20, "09:00"), at(20, "11:30"))


def test_from_defaults_to_now_and_keeps_explicit_offsets():
    start, end = parse_timespan(from_="2026-11-22T08:00:00Z", now=NOW)
    assert start == dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.timezone.utc) and end == NOW


@pytest.mark.parametrize("text, expected", [
    ("now", NOW), ("today", at(22, "00:00")), ("yesterday", at(21, "00:00")), ("10:00", at(22, "10:00")),
    ("Yesterday  14:00", at(21, "14:00")), ("-30m", NOW - dt.timedelta(minutes=30)),
    ("9am", at(22, "09:00")), ("12am", at(22, "00:00")), ("12pm", at(22, "12:00")), ("11:15 PM", at(22, "23:15")),
    ("today 9am", at(22, "09:00")), ("22 Nov 2026 09:00", at(22, "09:00")), ("22 november 2026", at(22, "00:00")),
    ("Nov 20 2026 at 5:30pm", at(20, "17:30")),
])
def test_points(text, expected):
    assert parse_point(text, NOW) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({}, "no timespan given"),
    ({"since": "soon"}, "--since 'soon' is not a duration"),
    ({"since": "0s"}, "longer than zero"),
    ({"since": "1h", "from_": "10:00"}, "only one timespan form"),
    ({"to": "10:00"}, "--to needs --from"),
    ({"from_": "25:00"}, "cannot read --from '25:00'"),
    ({"span": "tomorrow-ish .. now"}, "cannot read span start"),
    ({"span": "10:00 .. banana"}, "cannot read span end 'banana'"),
    ({"span": "whenever"}, "cannot read the timespan 'whenever'"),
    ({"from_": "13pm"}, "cannot read --from '13pm'"),
    ({"from_": "31 Feb 2026"}, "cannot read --from '31 Feb 2026'"),
    ({"span": "10-11"}, "cannot read the timespan '10-11'"),
])
def test_errors_say_what_is_wrong_and_show_examples(kwargs, message):
    with pytest.raises(UsageError) as caught:
        parse_timespan(now=NOW, **kwargs)
    assert message in str(caught.value)
    assert "--since 30m" in caught.value.hint or "yesterday 14:00" in caught.value.hint


@pytest.mark.parametrize("kwargs, source", [
    ({"from_": "10:00", "to": "09:00"}, "--from '10:00' --to '09:00'"),
    ({"span": "10:00 - 09:00"}, "'10:00 - 09:00'"),
    ({"span": "2026-11-22T10:00+01:00 .. 2026-11-22T09:00+01:00"},
     "'2026-11-22T10:00+01:00 .. 2026-11-22T09:00+01:00'"),
])
def test_a_reversed_window_is_an_error_saying_what_it_understood(kwargs, source):
    """A bare end time before the start used to become a 23-hour window ending tomorrow."""
    with pytest.raises(UsageError) as caught:
        parse_timespan(now=NOW, **kwargs)
    assert str(caught.value) == (f"the timespan {source} ends before it starts: "
                                 "understood 2026-11-22 10:00:00+01:00 .. 2026-11-22 09:00:00+01:00")
    assert "give both dates" in caught.value.hint
