"""Forgiving time windows for ``fth-report`` and ``fth-web``: ``30m``, ``yesterday 14:00 .. 15:30``, ...

:func:`parse_timespan` turns the ``--since``/``--from``/``--to``/``--span`` values into
``(start, end)``: timezone-aware datetimes in this machine's local zone (unless the input
carried its own offset), with ``start < end``. Accepted points in time:

- ``now``, ``today``, ``yesterday`` (midnight), ``today 10:00``, ``yesterday 14:00``;
- ISO ``2026-11-22T10:00:00``, ``2026-11-22 10:00``, ``2026-11-22``, ``2026/11/22 10:00``,
  optionally with ``Z`` or ``+02:00``; ``22 Nov 2026 09:00``, ``Nov 22, 2026 9am``;
- a bare time ``10:00`` / ``10:00:30`` / ``9am`` / ``2:30pm``: today, or, as the end of a span,
  the start's date (the next day if that would end before the start and the window stays within
  :data:`MIDNIGHT_CROSSING`: ``23:00 .. 01:00``; ``10:00 .. 09:00`` is an error, not 23 hours);
- a duration ``2h`` / ``2h ago`` / ``-2h``: that long before now.

Spans: ``A .. B``, ``A to B``, ``A until B``, ``A - B`` (spaced) and ``10:00-11:00`` (two times).
A lone duration (``--since 30m``) means the last 30 minutes. Bad input, and a window that ends
before it starts, raise :class:`fth.errors.UsageError` saying what was understood, with examples.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional, Tuple

from fth.errors import UsageError
from fth.units import parse_duration

EXAMPLES = ('--since 30m, --since 2d, --from "2026-11-22 09:00" --to 11:30, '
            '--span "yesterday 14:00 .. 15:30" or --span "2026-11-22T09:00 to 2026-11-22T12:00"')
POINT_EXAMPLES = ("now, 10:00, 9am, yesterday 14:00, 2026-11-22 10:00, 22 Nov 2026 09:00, "
                  "2026-11-22T10:00:00+01:00 or 2h ago")
#: The longest window a bare end time makes by rolling over to the next day (``23:00 .. 01:00``).
MIDNIGHT_CROSSING = dt.timedelta(hours=12)
_SPAN_SEPARATOR = re.compile(r"\s*(?:\.\.|\s+to\s+|\s+until\s+|\s+-\s+|–|—)\s*", re.IGNORECASE)
_CLOCK = r"\d{1,2}(?::\d{2}(?::\d{2}(?:\.\d{1,6})?)?\s*(?:[ap]\.?m\.?)?|\s*[ap]\.?m\.?)"  # 10:00, 9am
_TIME_RANGE = re.compile(rf"^({_CLOCK})\s*-\s*({_CLOCK})$", re.IGNORECASE)  # 10:00-11:00, 9am-11am
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(?:([ap])\.?m\.?)?$", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"([a-z]{3,9})\.?"
_DAY_MONTH_YEAR = re.compile(rf"^(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})(?:,?\s+(?:at\s+)?(.+))?$", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"^{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})(?:,?\s+(?:at\s+)?(.+))?$", re.IGNORECASE)
_DAY_WORD = re.compile(r"^(today|yesterday|tomorrow)(?:\s+(?:at\s+)?(.+))?$", re.IGNORECASE)
_AGO = re.compile(r"^(?:-\s*(.+)|(.+?)\s+ago)$", re.IGNORECASE)

Window = Tuple[dt.datetime, dt.datetime]


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _aware(value: dt.datetime, now: dt.datetime, local: bool = False) -> dt.datetime:
    """``value`` with a zone: its own; this machine's local time on that date when ``local`` (a July date typed in
    winter gets the summer offset); else the fixed zone of ``now`` (a ``now`` given to the parsers, as tests do)."""
    if value.tzinfo is not None:
        return value
    try:
        if local or not now.tzinfo:
            return value.astimezone()
        return value.replace(tzinfo=now.tzinfo).astimezone()
    except ValueError:  # year 1 west of UTC is year 0: parse_point says the calendar ends there
        raise OverflowError(f"{value} has no local time") from None


def _parse_time(text: str) -> Optional[dt.time]:
    """``10:00``, ``10:00:30.5``, ``9am``, ``2:30 pm`` → a time of day, or None."""
    found = _TIME.match(text.strip())
    if not found:
        return None
    hour_text, minute, second, fraction, half = found.groups()
    hour = int(hour_text)
    if half is None and minute is None:
        return None  # a bare number is not a time ("10" could be anything)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    try:
        return dt.time(hour, int(minute or 0), int(second or 0), int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None


def _named_month_date(source: str) -> Optional[Tuple[dt.date, Optional[str]]]:
    """``22 Nov 2026 [09:00]`` or ``Nov 22, 2026 [9am]`` → (date, the time part or None)."""
    found = _DAY_MONTH_YEAR.match(source)
    if found:
        day, month, year, clock = found.groups()
    else:
        found = _MONTH_DAY_YEAR.match(source)
        if not found:
            return None
        month, day, year, clock = found.groups()
    names = [index for index, name in enumerate(_MONTHS, 1) if month.lower().startswith(name)]
    if not names:
        return None
    try:
        return dt.date(int(year), names[0], int(day)), clock
    except ValueError:
        return None


def _point_error(text: str, what: str) -> UsageError:
    return UsageError(f"cannot read {what} {text!r} as a point in time", f"examples: {POINT_EXAMPLES}")


def parse_point(text: str, now: Optional[dt.datetime] = None, *, base: Optional[dt.datetime] = None,
                what: str = "time", local: Optional[bool] = None) -> dt.datetime:
    """One point in time (see the module docstring); ``base`` dates a bare time (the start of a span). Times
    without a zone are this machine's local time on their date (``local``: the default when ``now`` is not given)."""
    local = now is None if local is None else local
    now = _aware(now, local_now()) if now is not None else local_now()
    source = " ".join(str(text).split())
    try:
        return _parse_point(source, now, base, what, local)
    except OverflowError:
        raise UsageError(f"{what} {source!r} falls outside the calendar (years 1 to 9999)",
                         f"examples: {POINT_EXAMPLES}") from None


def _parse_point(source: str, now: dt.datetime, base: Optional[dt.datetime], what: str, local: bool) -> dt.datetime:
    if not source:
        raise UsageError(f"{what} is empty", f"examples: {POINT_EXAMPLES}")
    lowered = source.lower()
    if lowered == "now":
        return now
    day_match = _DAY_WORD.match(source)
    if day_match:
        word, clock = day_match.groups()
        day = now.date() + dt.timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[word.lower()])
        time_of_day = _parse_time(clock) if clock else dt.time(0, 0)
        if time_of_day is None:
            raise _point_error(source, what)
        return _aware(dt.datetime.combine(day, time_of_day), now, local)
    named = _named_month_date(source)
    if named is not None:
        day, clock = named
        time_of_day = _parse_time(clock) if clock else dt.time(0, 0)
        if time_of_day is None:
            raise _point_error(source, what)
        return _aware(dt.datetime.combine(day, time_of_day), now, local)
    time_of_day = _parse_time(source)
    if time_of_day is not None:
        anchor = base.astimezone(None if local else now.tzinfo) if base is not None else now
        day = anchor.date()

        def on(date: dt.date) -> dt.datetime:  # local: the offset of that date and time
            moment = dt.datetime.combine(date, time_of_day)
            return moment.astimezone() if local else moment.replace(tzinfo=anchor.tzinfo)

        value = on(day)
        if base is not None and value <= base and value + dt.timedelta(days=1) - base <= MIDNIGHT_CROSSING:
            value = on(day + dt.timedelta(days=1))
        return value
    ago = _AGO.match(source)
    duration_text = (ago.group(1) or ago.group(2)) if ago else source
    try:
        return now - dt.timedelta(seconds=parse_duration(duration_text))
    except ValueError:
        pass
    iso = source.replace("/", "-")
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}:\d{2})", r"\1T\2", iso)
    iso = re.sub(r"^(\d{4})-(\d{1,2})-(\d{1,2})", lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", iso)
    iso = re.sub(r"T(\d):", r"T0\1:", iso)
    iso = re.sub(r"\s+([+-]\d{2}:?\d{2})$", r"\1", iso)
    try:
        value = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise _point_error(source, what) from None
    return _aware(value, now, local)


def _ago(now: dt.datetime, seconds: float, source: str) -> dt.datetime:
    """``seconds`` before ``now``; a duration reaching past the calendar's start is a usage error."""
    try:
        return now - dt.timedelta(seconds=seconds)
    except OverflowError:
        raise UsageError(f"{source} reaches back before the year 1", f"examples: {EXAMPLES}") from None


# A window lies a day inside the calendar in UTC, so that every zone can show its bounds as a local time (year 1
# is year 0 west of UTC) and the stored times a report reads around them exist.
FIRST_MOMENT = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
LAST_MOMENT = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)


def in_calendar(moment: dt.datetime) -> bool:
    """Whether ``moment`` (naive: this machine's local time) lies from :data:`FIRST_MOMENT` to :data:`LAST_MOMENT`."""
    try:
        return FIRST_MOMENT <= (moment if moment.tzinfo is not None else moment.astimezone()) <= LAST_MOMENT
    except (ValueError, OverflowError, OSError):  # a local time the zone cannot place
        return False


def _check(start: dt.datetime, end: dt.datetime, source: str) -> Window:
    if not (in_calendar(start) and in_calendar(end)):
        raise UsageError(f"the timespan {source} reaches the edge of the calendar: a window lies from "
                         f"{FIRST_MOMENT.date().isoformat()} to {LAST_MOMENT.date().isoformat()} (UTC)",
                         f"examples: {EXAMPLES}")
    if start >= end:
        raise UsageError(f"the timespan {source} ends before it starts: understood "
                         f"{start.isoformat(' ', 'seconds')} .. {end.isoformat(' ', 'seconds')}",
                         "a bare end time takes the start's date (the next day only for windows up to "
                         f"{MIDNIGHT_CROSSING.total_seconds() / 3600:g} h, such as 23:00 .. 01:00): give both dates, "
                         "e.g. --from '2026-11-22 22:00' --to '2026-11-23 09:00'")
    return start, end


def parse_span(text: str, now: Optional[dt.datetime] = None, local: Optional[bool] = None) -> Window:
    """``A .. B`` / ``A to B``, or a lone duration meaning the last X."""
    local = now is None if local is None else local
    now = _aware(now, local_now()) if now is not None else local_now()
    source = " ".join(str(text).split())
    times = _TIME_RANGE.match(source)
    parts = list(times.groups()) if times else _SPAN_SEPARATOR.split(source, maxsplit=1)
    if len(parts) == 1:
        try:
            seconds = parse_duration(source)
        except ValueError:
            raise UsageError(f"cannot read the timespan {source!r}: expected 'A .. B' or a duration such as 30m",
                             f"examples: {EXAMPLES}") from None
        return _check(_ago(now, seconds, repr(source)), now, repr(source))
    start = parse_point(parts[0], now, what="span start", local=local)
    end = parse_point(parts[1], now, base=start, what="span end", local=local)
    return _check(start, end, repr(source))


def parse_timespan(since: Optional[str] = None, from_: Optional[str] = None, to: Optional[str] = None,
                   span: Optional[str] = None, now: Optional[dt.datetime] = None) -> Window:
    """The window selected by ``--since``, ``--from``/``--to`` or ``--span`` (exactly one form)."""
    local = now is None
    now = _aware(now, local_now()) if now is not None else local_now()
    forms = [name for name, value in (("--since", since), ("--span", span), ("--from/--to", from_ or to))
             if value]
    if not forms:
        raise UsageError("no timespan given", f"give one of: {EXAMPLES}")
    if len(forms) > 1:
        raise UsageError(f"give only one timespan form, not {' and '.join(forms)}", f"examples: {EXAMPLES}")
    if since:
        try:
            seconds = parse_duration(since)
        except ValueError as exc:
            raise UsageError(f"--since {since!r} {exc}: expected how far back, such as 30m, 1h or 2d",
                             f"examples: {EXAMPLES}") from None
        if seconds <= 0:
            raise UsageError(f"--since {since!r} must be longer than zero", f"examples: {EXAMPLES}")
        return _check(_ago(now, seconds, f"--since {since!r}"), now, f"--since {since!r}")
    if span:
        return parse_span(span, now, local)
    if not from_:
        raise UsageError("--to needs --from", f"examples: {EXAMPLES}")
    start = parse_point(from_, now, what="--from", local=local)
    end = parse_point(to, now, base=start, what="--to", local=local) if to else now
    return _check(start, end, f"--from {from_!r} --to {to or 'now'!r}")
