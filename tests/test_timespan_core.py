"""fth.timespan beside its module: every point form, span separators and errors, at a fixed 'now'."""

import datetime as dt

import pytest

from fth.errors import UsageError
from fth.timespan import parse_point, parse_span, parse_timespan

PLUS1 = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 3, 10, 12, 30, 15, tzinfo=PLUS1)


def at(*parts, tz=PLUS1):
    return dt.datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize("text, expected", [
    ("now", NOW), ("NOW", NOW), ("today", at(2026, 3, 10)), ("yesterday", at(2026, 3, 9)),
    ("Tomorrow 08:15", at(2026, 3, 11, 8, 15)), ("yesterday at 23:59:30", at(2026, 3, 9, 23, 59, 30)),
    ("today 10:00:01.5", at(2026, 3, 10, 10, 0, 1, 500000)), ("9:05", at(2026, 3, 10, 9, 5)),
    ("2h", at(2026, 3, 10, 10, 30, 15)), ("2h ago", at(2026, 3, 10, 10, 30, 15)),
    ("- 90s", at(2026, 3, 10, 12, 28, 45)),
    ("2026-03-01", at(2026, 3, 1)), ("2026/3/1 7:05", at(2026, 3, 1, 7, 5)),
    ("2026-03-01T07:05:09Z", at(2026, 3, 1, 7, 5, 9, tz=dt.timezone.utc)),
    ("2026-03-01 07:05 +02:00", at(2026, 3, 1, 7, 5, tz=dt.timezone(dt.timedelta(hours=2)))),
    ("  2026-03-01   07:05  ", at(2026, 3, 1, 7, 5)),
])
def test_points(text, expected):
    value = parse_point(text, NOW)
    assert value == expected and value.tzinfo is not None


def test_a_bare_time_takes_the_base_date_and_rolls_over_midnight():
    base = at(2026, 3, 9, 22, 0)
    assert parse_point("23:30", NOW, base=base) == at(2026, 3, 9, 23, 30)
    assert parse_point("01:30", NOW, base=base) == at(2026, 3, 10, 1, 30)


@pytest.mark.parametrize("text, message", [
    ("", "time is empty"), ("soon", "cannot read time 'soon' as a point in time"),
    ("today 25:00", "cannot read time 'today 25:00' as a point in time"),
    ("24:00", "cannot read time '24:00' as a point in time"),
    ("2026-13-01", "cannot read time '2026-13-01' as a point in time"),
])
def test_bad_points_say_what_is_wrong(text, message):
    with pytest.raises(UsageError) as raised:
        parse_point(text, NOW)
    assert str(raised.value) == message and "examples:" in raised.value.hint


@pytest.mark.parametrize("text", ["yesterday 14:00 .. 15:30", "yesterday 14:00 to 15:30",
                                  "yesterday 14:00 UNTIL 15:30", "yesterday 14:00–15:30"])
def test_span_separators(text):
    assert parse_span(text, NOW) == (at(2026, 3, 9, 14), at(2026, 3, 9, 15, 30))


def test_a_lone_duration_is_the_last_stretch_up_to_now():
    assert parse_span("30m", NOW) == (at(2026, 3, 10, 12, 0, 15), NOW)


@pytest.mark.parametrize("text, message", [
    ("nonsense", "cannot read the timespan 'nonsense': expected 'A .. B' or a duration such as 30m"),
    ("today 10:00 .. yesterday", "the timespan 'today 10:00 .. yesterday' ends before it starts"),
    ("1000000w", "'1000000w' reaches back before the year 1"),
])
def test_bad_spans(text, message):
    with pytest.raises(UsageError) as raised:
        parse_span(text, NOW)
    assert str(raised.value).startswith(message)


def test_timespan_forms():
    assert parse_timespan(since="1h", now=NOW) == (at(2026, 3, 10, 11, 30, 15), NOW)
    assert parse_timespan(span="9:00 .. 10:00", now=NOW) == (at(2026, 3, 10, 9), at(2026, 3, 10, 10))
    assert parse_timespan(from_="2026-03-10 11:00", now=NOW) == (at(2026, 3, 10, 11), NOW)
    assert parse_timespan(from_="23:00", to="01:00", now=NOW) == (at(2026, 3, 10, 23), at(2026, 3, 11, 1))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "no timespan given"),
    ({"since": "1h", "span": "30m"}, "give only one timespan form, not --since and --span"),
    ({"since": "1h", "to": "10:00"}, "give only one timespan form, not --since and --from/--to"),
    ({"since": "0s"}, "--since '0s' must be longer than zero"),
    ({"since": "lots"}, "--since 'lots' is not a duration: expected how far back, such as 30m, 1h or 2d"),
    ({"to": "10:00"}, "--to needs --from"),
    ({"from_": "now", "to": "yesterday"}, "the timespan --from 'now' --to 'yesterday' ends before it starts"),
    ({"span": "0001-01-02 .. 0001-01-03"}, "the timespan '0001-01-02 .. 0001-01-03' reaches the edge of the calendar: "
                                           "a window lies from 0001-01-02 to 9999-12-30 (UTC)"),  # 01-01 23:00 UTC
    ({"from_": "9999-12-30 12:00", "to": "9999-12-31"}, "the timespan --from '9999-12-30 12:00' --to '9999-12-31' "
                                                        "reaches the edge of the calendar"),
    ({"since": "739684d"}, "the timespan --since '739684d' reaches the edge of the calendar"),  # 0001-01-01 12:30
])
def test_timespan_errors(kwargs, message):
    with pytest.raises(UsageError) as raised:
        parse_timespan(now=NOW, **kwargs)
    assert str(raised.value).startswith(message)


@pytest.fixture
def berlin(monkeypatch):
    """This machine's local zone is Europe/Berlin (+01:00 in winter, +02:00 in summer) for the test."""
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_date_without_a_zone_takes_the_local_offset_of_that_date_not_of_today(berlin):
    summer, winter = dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=1))
    assert parse_timespan(span="2026-07-01 10:00 .. 10:30") == (at(2026, 7, 1, 10, tz=summer),
                                                                at(2026, 7, 1, 10, 30, tz=summer))
    assert parse_timespan(span="2026-12-24 23:00 .. 01:00") == (at(2026, 12, 24, 23, tz=winter),
                                                                at(2026, 12, 25, 1, tz=winter))
    start, end = parse_timespan(from_="2026-03-29 01:30", to="03:30")  # the clocks go forward at 02:00
    assert (start, end) == (at(2026, 3, 29, 1, 30, tz=winter), at(2026, 3, 29, 3, 30, tz=summer))
    assert end - start == dt.timedelta(hours=1)
    assert parse_timespan(from_="1 Jul 2026 09:00", to="2026-07-01T10:00:00+00:00")[0] == at(2026, 7, 1, 9, tz=summer)
