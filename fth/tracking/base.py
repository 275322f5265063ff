"""The store contract, the row type, time-zone handling and error wrapping shared by the drivers."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import operator
import re
import sys
import uuid as uuidlib
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from fth.config.model import DbConfig
from fth.errors import FthError, UsageError

log = logging.getLogger(__name__)

LOGICAL_COLUMNS = ("uuid", "username", "filename", "start", "end", "status")
UUID_BATCH = 1000  # UUIDs per IN (...) query
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")
_SHORT_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{1,5})((?:[+-]\d\d:?\d\d)?)$")


class TrackingError(FthError):
    """A tracking database could not be read; the message names the database, never the password."""


class TrackingRow:
    """One row of a tracking table.

    ``uuid`` is a string (``""`` for a NULL UUID); ``start``/``end`` are timezone-aware datetimes
    (``end`` may be None while the transfer is in progress, ``start`` None only in broken data);
    ``status`` is the stored text, stripped and upper-cased (``SUCCESS``, ``FAILED``, ``TIMEOUT``,
    ...) or None. ``bad`` says which stored time could not be read (a zero date, text that is no
    time, an epoch out of range); that time is None.

    The times are held as epoch seconds (``start_ts``/``end_ts``, what pairing computes with) and
    ``start``/``end`` build the datetimes on demand, in the row's zone: a float is half a datetime's
    size, which counts at millions of rows.
    """

    # Of the size of fth.report.compute.Record (eight slots): pairing releases an ingress row as it makes its
    # pair's record, which then reuses the row's memory block (of another size, the rows' blocks would be
    # held as well: 94 MB more at a million pairs). A test keeps the two sizes equal.
    __slots__ = ("bad", "end_ts", "filename", "start_ts", "status", "username", "uuid", "zone")

    def __init__(self, uuid: str, username: Optional[str], filename: Optional[str],
                 start: Optional[dt.datetime], end: Optional[dt.datetime], status: Optional[str],
                 bad: Optional[str] = None) -> None:
        self.uuid = uuid
        self.username = username
        self.filename = filename
        self.start_ts = None if start is None else start.timestamp()
        self.end_ts = None if end is None else end.timestamp()
        self.status = status
        self.bad = bad  # why a stored time could not be read (it is None above), e.g. a zero date
        moment = start if start is not None else end
        self.zone = (moment.tzinfo if moment is not None else None) or dt.timezone.utc

    @classmethod
    def of_epochs(cls, uuid: str, username: Optional[str], filename: Optional[str], start_ts: Optional[float],
                  end_ts: Optional[float], status: Optional[str], zone: dt.tzinfo,
                  bad: Optional[str] = None) -> TrackingRow:
        """A row from epoch seconds, its datetimes shown in ``zone`` (the store's reading path)."""
        row = cls.__new__(cls)
        row.uuid, row.username, row.filename, row.status, row.bad = uuid, username, filename, status, bad
        row.start_ts, row.end_ts, row.zone = start_ts, end_ts, zone
        return row

    @property
    def start(self) -> Optional[dt.datetime]:
        return None if self.start_ts is None else _in_zone(self.start_ts, self.zone)

    @property
    def end(self) -> Optional[dt.datetime]:
        return None if self.end_ts is None else _in_zone(self.end_ts, self.zone)

    def as_tuple(self) -> Tuple[Any, ...]:
        return (self.uuid, self.username, self.filename, self.start, self.end, self.status)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrackingRow) and self.as_tuple() == other.as_tuple()

    def __hash__(self) -> int:
        return hash(self.uuid)

    def __repr__(self) -> str:
        return (f"TrackingRow(uuid={self.uuid!r}, username={self.username!r}, filename={self.filename!r}, "
                f"start={self.start!r}, end={self.end!r}, status={self.status!r})")


def _in_zone(seconds: float, zone: dt.tzinfo) -> dt.datetime:
    """Epoch seconds as a datetime in ``zone``; at the calendar's edges (year 1 at +02:00 is year 0 in UTC,
    and a float rounds 9999-12-31 23:59:59.999999 up) the first or last datetime there is."""
    try:
        return dt.datetime.fromtimestamp(seconds, zone)
    except (OverflowError, ValueError, OSError):
        return (dt.datetime.min if seconds < 0 else dt.datetime.max).replace(tzinfo=zone)


_EPOCH_NAIVE = dt.datetime(1970, 1, 1)


def resolve_zone(name: Optional[str]) -> Optional[dt.tzinfo]:
    """``UTC``/``Z``, ``+02:00``/``-0530`` or an IANA name → tzinfo; None → None."""
    if name is None or not str(name).strip():
        return None
    text = str(name).strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    found = _OFFSET.match(text)
    if found:
        sign, hours, minutes = found.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= dt.timedelta(hours=24) or int(minutes) >= 60:
            raise UsageError(f"time zone offset {text!r} is out of range",
                             "an offset lies between -23:59 and +23:59, such as +02:00 or -05:30")
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except Exception:
        raise UsageError(f"unknown time zone {text!r}",
                         "use UTC, an offset such as +02:00, or an IANA name such as Europe/Berlin") from None


def offset_text(zone: dt.tzinfo, when: Optional[dt.datetime] = None) -> str:
    """``+HH:MM`` of ``zone`` at ``when`` (default now)."""
    offset = (when or dt.datetime.now(dt.timezone.utc)).astimezone(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def to_db_naive(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A window bound as the naive wall-clock time stored in the database's zone."""
    aware = value if value.tzinfo is not None else value.astimezone()
    return aware.astimezone(zone).replace(tzinfo=None)


def _canonical_uuid(text: str) -> Optional[uuidlib.UUID]:
    """The UUID whose canonical text (``as_uuid_text`` of its 16 bytes) ``text`` is, else None."""
    try:
        found = uuidlib.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return None
    return found if str(found) == text else None


CLOCK_CHANGE_MARGIN = dt.timedelta(hours=3)  # more than any zone's clock change (at most 2 h)


def _widened(moment: dt.datetime, zone: dt.tzinfo, margin: dt.timedelta) -> dt.datetime:
    """``moment + margin`` when ``zone``'s offset is not the same on both sides of ``moment`` within the margin,
    else ``moment`` (a fixed-offset zone never)."""
    if isinstance(zone, dt.timezone):
        return moment
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    before, after = (aware - CLOCK_CHANGE_MARGIN).astimezone(zone), (aware + CLOCK_CHANGE_MARGIN).astimezone(zone)
    return aware + margin if before.utcoffset() != after.utcoffset() else moment


def in_window(rows: Iterable[TrackingRow], start: dt.datetime, end: dt.datetime) -> Iterator[TrackingRow]:
    """The rows whose start time is in ``[start, end)``; a row whose time cannot be read stays (its query's bounds
    hold it, and pairing notes it)."""
    low, high = moment_epoch(start), moment_epoch(end)
    return (row for row in rows if row.start_ts is None or low <= row.start_ts < high)


def in_start_order(rows: List[TrackingRow]) -> None:
    """Sort ``rows`` by start time in place: earliest first, rows without a readable time last, rows of equal
    times in the order they came (a million rows read as stored are mostly in order already: a fraction of a
    second, where a server sorting the window holds back its first row for over a second). Rows already in
    order are left as they are, without the sort's list of keys (40 MB at five million rows)."""
    try:
        if all(map(operator.le, map(_START_TS, rows), map(_START_TS, itertools.islice(rows, 1, None)))):
            return
    except TypeError:  # a row without a time
        pass
    if None in map(_START_TS, rows):
        rows.sort(key=_start_or_last)
    else:
        rows.sort(key=_START_TS)


_START_TS = operator.attrgetter("start_ts")


def _start_or_last(row: TrackingRow) -> Tuple[bool, float]:
    return row.start_ts is None, row.start_ts or 0.0


def moment_epoch(moment: dt.datetime) -> float:
    """Epoch seconds of a window bound, aware or naive (naive: this machine's local time)."""
    return (moment if moment.tzinfo is not None else moment.astimezone()).timestamp()


def as_uuid_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        if len(value) == 16:
            return str(uuidlib.UUID(bytes=bytes(value)))
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def as_datetime(value: Any, zone: dt.tzinfo) -> Optional[dt.datetime]:
    """A stored time as an aware datetime; raises ValueError (or OverflowError/OSError) when it is none."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    text = value.decode() if isinstance(value, bytes) else str(value)
    try:  # the common case first: MySQL's DATETIME text, read raw (see fth.tracking.mysql.connect)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        if _EPOCH_TEXT.match(text):  # epoch seconds kept as text (a TEXT or VARCHAR column), as a number is read
            return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
        parsed = _parse_time_text(text)
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


_EPOCH_TEXT = re.compile(r"^\s*[0-9]{9,11}(\.[0-9]{1,9})?\s*$")  # 1973 to 5138: not a year or a compact date


def _parse_time_text(text: str) -> dt.datetime:
    """``YYYY-MM-DD[ T]HH:MM:SS[.f…][Z|±HH:MM]`` with 1-6 fraction digits (Python 3.9 knows only 3 or 6)."""
    cleaned = text.strip().replace("T", " ").replace("Z", "+00:00")
    found = _SHORT_FRACTION.match(cleaned)
    if found:
        head, digits, tail = found.groups()
        cleaned = f"{head}.{digits.ljust(6, '0')}{tail}"
    return dt.datetime.fromisoformat(cleaned)


@functools.lru_cache(maxsize=32)
def _wall_epoch(zone: dt.tzinfo) -> Optional[dt.datetime]:
    """The epoch as a naive wall time of a fixed-offset ``zone``; None for a zone with rules (DST)."""
    return _EPOCH_NAIVE + zone.utcoffset(None) if isinstance(zone, dt.timezone) else None


def _epoch(value: Any, zone: dt.tzinfo, column: str, bad: List[str]) -> Optional[float]:
    """:func:`as_datetime` as epoch seconds, or None with a note in ``bad`` (one broken row never ends a report)."""
    origin = _wall_epoch(zone)
    if origin is not None and value.__class__ is str:  # the common case: DATETIME text in a fixed zone
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None  # the general path below parses it or names it
        if parsed is not None and parsed.tzinfo is None:
            return (parsed - origin).total_seconds()  # what .replace(tzinfo=zone).timestamp() computes
    try:
        moment = as_datetime(value, zone)
        return None if moment is None else moment.timestamp()  # year 1 or 9999 in a zone may be out of range
    except (ValueError, TypeError, OverflowError, OSError):
        shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        bad.append(f"{column} {shown[:40]!r} is not a time")
        return None


def _status(value: Any) -> str:
    """Stored status text, stripped and upper-cased, interned: a million rows share a few strings."""
    text = _STATUSES.get(value)
    if text is None:
        text = sys.intern(stored_text(value).strip().upper())  # type: ignore[union-attr]  # never None here
        if len(_STATUSES) < 1000:
            _STATUSES[value] = text
    return text


_STATUSES: Dict[Any, str] = {}


def stored_text(value: Any) -> Optional[str]:
    """A stored name as text: bytes (a BLOB or VARBINARY column) as UTF-8, a character it cannot be shown as
    U+FFFD; a number (SQLite keeps any type in any column) as its digits; None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def make_row(raw: Sequence[Any], zone: dt.tzinfo) -> TrackingRow:
    uuid, username, filename, start, end, status = raw
    if status is not None:
        status = _status(status)
    username, filename = stored_text(username), stored_text(filename)
    if username is not None:
        username = sys.intern(username)
    bad: List[str] = []
    start_ts, end_ts = _epoch(start, zone, "startTime", bad), _epoch(end, zone, "endTime", bad)
    return TrackingRow.of_epochs(as_uuid_text(uuid), username, filename, start_ts, end_ts, status, zone,
                                 "; ".join(bad) or None)


Decode = Callable[[bytes], Any]
SECOND_CACHE = 200_000  # seconds of DATETIME text remembered by a RowBuilder (two days at one row a second)
FRACTION_CACHE = 100_000  # fractions of a second remembered (every millisecond; microseconds in part)
_PLAIN_SECOND = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
_FRACTION_SCALE = (0, 100_000, 10_000, 1_000, 100, 10, 1)  # 1-6 fraction digits → microseconds


def wire_decoder(encoding: Optional[str], converter: Optional[Callable[[Any], Any]]) -> Decode:
    """What pymysql makes of one column's bytes: decoded with ``encoding`` (None: binary, kept as bytes),
    then passed through ``converter`` (None: none)."""
    if converter is None:
        return operator.methodcaller("decode", encoding) if encoding else bytes
    return (lambda raw: converter(raw.decode(encoding))) if encoding else converter


def name_decoder(encoding: Optional[str], converter: Optional[Callable[[Any], Any]]) -> Decode:
    """:func:`wire_decoder` for a name column (username, filename): always text (:func:`stored_text`)."""
    if converter is None:
        return operator.methodcaller("decode", encoding or "utf-8", "replace")
    decode = wire_decoder(encoding, converter)
    return lambda raw: stored_text(decode(raw))


class RowBuilder:
    """Tracking rows from the bytes of a MySQL text-protocol row (:mod:`fth.tracking.wire`), giving what
    :func:`make_row` gives for the values pymysql would have decoded, several times faster: usernames and
    statuses are decoded once per distinct value, and a DATETIME's text is turned into epoch seconds from
    the epoch of its whole second, parsed once per second (in a fixed-offset zone; other zones, and every
    text that is not a plain ``YYYY-MM-DD HH:MM:SS[.ffffff]``, take :func:`make_row`'s path).

    ``decoders``: per column of :data:`LOGICAL_COLUMNS`, pymysql's (encoding, converter) of the result.
    """

    def __init__(self, zone: dt.tzinfo, decoders: Sequence[Tuple[Optional[str], Any]]) -> None:
        self.zone = zone
        self.decode = [(name_decoder if column in (1, 2) else wire_decoder)(encoding, converter)
                       for column, (encoding, converter) in enumerate(decoders)]
        uuid_encoding, uuid_converter = decoders[0]
        self.uuid_text = (self.decode[0] if uuid_encoding and uuid_converter is None  # text already
                          else lambda raw: as_uuid_text(self.decode[0](raw)))
        self.raw_time = [converter is None for _encoding, converter in decoders]  # DATETIME/TIMESTAMP text
        self.origin = _wall_epoch(zone)
        self.seconds: Dict[bytes, int] = {}  # b"YYYY-MM-DD HH:MM:SS" → its epoch in microseconds
        self.fractions: Dict[bytes, int] = {b"": 0}  # b".fff" after the second → microseconds
        self.usernames: Dict[bytes, Any] = {}
        self.statuses: Dict[bytes, str] = {}
        self.notes: List[str] = []  # the current row's bad_time notes

    def row(self, raw: Sequence[Optional[bytes]]) -> TrackingRow:
        return next(self.rows((raw,)))

    def rows(self, raws: Iterable[Sequence[Optional[bytes]]]) -> Iterator[TrackingRow]:
        """:meth:`row` of each of ``raws``, in one loop (a million rows: what it looks up is held in locals)."""
        usernames, statuses, seconds, fractions = self.usernames, self.statuses, self.seconds, self.fractions
        uuid_text, filename_text, zone, notes = self.uuid_text, self.decode[2], self.zone, self.notes
        plain_start, plain_end = self.raw_time[3], self.raw_time[4]
        make, row_class = TrackingRow.__new__, TrackingRow
        for uuid, username, filename, start, end, status in raws:
            if username is not None:
                name = usernames.get(username)
                username = self._username(username) if name is None else name
            if status is not None:
                text = statuses.get(status)
                status = self._status(status) if text is None else text
            if start is not None:  # the common case in line: a cached second and fraction
                base, fraction = seconds.get(start[:19]), fractions.get(start[19:])
                start = (self.epoch(start, 3, "startTime") if base is None or fraction is None or not plain_start
                         else (base + fraction) / 1_000_000)
            if end is not None:
                base, fraction = seconds.get(end[:19]), fractions.get(end[19:])
                end = (self.epoch(end, 4, "endTime") if base is None or fraction is None or not plain_end
                       else (base + fraction) / 1_000_000)
            row = make(row_class)  # TrackingRow.of_epochs, in line
            row.uuid = "" if uuid is None else uuid_text(uuid)
            row.username, row.filename, row.start_ts, row.end_ts, row.status, row.zone = (
                username, None if filename is None else filename_text(filename), start, end, status, zone)
            if notes:
                row.bad = "; ".join(notes)
                notes.clear()
            else:
                row.bad = None
            yield row

    def _username(self, raw: bytes) -> Any:
        name = self.decode[1](raw)
        if isinstance(name, str):
            name = sys.intern(name)
        if len(self.usernames) < 10_000:
            self.usernames[raw] = name
        return name

    def _status(self, raw: bytes) -> str:
        text = _status(self.decode[5](raw))
        if len(self.statuses) < 1000:
            self.statuses[raw] = text
        return text

    def epoch(self, raw: bytes, column: int, name: str) -> Optional[float]:
        """Epoch seconds of a stored time (see the class docstring); None with a note when it is no time."""
        if self.raw_time[column]:
            base = self.seconds.get(raw[:19])
            if base is not None:
                fraction = self._fraction(raw[19:])
                if fraction is not None:
                    return (base + fraction) / 1_000_000  # as the slow path
        value = self.decode[column](raw)
        seconds = _epoch(value, self.zone, name, self.notes)
        if seconds is not None and self.raw_time[column] and len(self.seconds) < SECOND_CACHE:
            self._remember(raw[:19])
        return seconds

    def _fraction(self, tail: bytes) -> Optional[int]:
        """Microseconds of what follows a DATETIME's whole second: nothing, or ``.`` and 1-6 digits; None for
        anything else (an offset, text)."""
        fraction = self.fractions.get(tail)
        if fraction is None and 2 <= len(tail) <= 7 and tail[0] == 46 and tail[1:].isdigit():  # 46: "."
            fraction = int(tail[1:]) * _FRACTION_SCALE[len(tail) - 1]
            if len(self.fractions) < FRACTION_CACHE:
                self.fractions[tail] = fraction
        return fraction

    def _remember(self, second: bytes) -> None:
        """Keep the epoch of a plain ``YYYY-MM-DD HH:MM:SS`` in a fixed-offset zone."""
        if self.origin is None or not _PLAIN_SECOND.fullmatch(second):
            return
        try:
            moment = dt.datetime.fromisoformat(second.decode("ascii"))
        except ValueError:
            return
        self.seconds[second] = (moment - self.origin) // _MICROSECOND  # what _epoch computes, in microseconds


_MICROSECOND = dt.timedelta(microseconds=1)


def error_hint(code: Optional[int], text: str, db: DbConfig) -> str:
    """What to check for a server error code (MySQL numbering; SQLite errors map by text)."""
    lowered = text.lower()
    if code == 1146 or "no such table" in lowered:
        return (f"wrong table? check 'table:' ({db.table}) and 'database:' of tracking.{db.role} "
                "in the config")
    if code == 1054 or "no such column" in lowered:
        mapping = ", ".join(f"{k}={v}" for k, v in db.columns.items())
        return f"wrong column mapping? tracking.{db.role}.columns maps {mapping}"
    if code in (1142, 1143, 1044, 1227):
        return f"grants? the account needs SELECT on {db.database}.{db.table} (see contrib/sql/readonly_grant.sql)"
    if code == 1045:
        return f"check user and password of tracking.{db.role} (password_env names an environment variable)"
    if code == 1049:
        return f"unknown database: check 'database:' of tracking.{db.role}"
    if code in (2003, 2005, 2006, 2013):
        return f"is the server up and reachable? check host/port of tracking.{db.role}, firewalls and TLS settings"
    if code == 1792 or "read-only" in lowered or "readonly" in lowered:
        return "a write was attempted in a read-only transaction; this is a bug, please report it"
    return f"check the tracking.{db.role} settings; run with -vv for details"


def wrap_error(db: DbConfig, exc: BaseException, action: str) -> TrackingError:
    code: Optional[int] = None
    text = str(exc)
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        code, text = args[0], str(args[1])
    label = f"({code}) {text}" if code is not None else text
    return TrackingError(f"{db.describe()}: {action} failed: {label}", error_hint(code, text, db))


class TrackingStore:
    """Read-only view of one tracking table; use as a context manager (see the package docstring)."""

    placeholder = "%s"

    def __init__(self, db: DbConfig) -> None:
        self.db = db
        self.zone: dt.tzinfo = resolve_zone(db.timezone) or dt.timezone.utc

    # -- lifecycle, implemented by drivers --------------------------------

    def open(self) -> TrackingStore:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> TrackingStore:
        return self.open()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any] = (), action: str = "query") -> Iterator[Tuple[Any, ...]]:
        """Stream result tuples of one SELECT in a read-only transaction."""
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = (), action: str = "query") -> Iterator[TrackingRow]:
        """Stream the tracking rows of one SELECT of :data:`LOGICAL_COLUMNS` (drivers may read them faster)."""
        zone = self.zone
        for raw in self._query(sql, params, action):
            yield make_row(raw, zone)

    def ping(self) -> float:
        """Round trip of ``SELECT 1`` in seconds; raises TrackingError."""
        raise NotImplementedError

    # -- SQL building ------------------------------------------------------

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def col(self, logical: str) -> str:
        return self.quote(self.db.columns[logical])

    @property
    def table(self) -> str:
        return self.quote(self.db.table)

    @property
    def select_list(self) -> str:
        return ", ".join(self.col(name) for name in LOGICAL_COLUMNS)

    def bound(self, value: dt.datetime) -> Any:
        return to_db_naive(value, self.zone)

    # -- queries -------------------------------------------------------------
    # Identifiers come from validated config (plain SQL names) and are backtick-quoted;
    # every value is a bound parameter.

    def _select(self, what: str, where: str = "", tail: str = "") -> str:
        sql = f"SELECT {what} FROM {self.table}"  # noqa: S608  (quoted identifiers only)
        if where:
            sql += f" WHERE {where}"
        return sql + (f" {tail}" if tail else "")

    def _window_where(self) -> str:
        p, start = self.placeholder, self.col("start")
        return f"{start} >= {p} AND {start} < {p}"

    def check(self) -> None:
        """Fail with TrackingError unless the table and every mapped column can be selected."""
        list(self._query(self._select(self.select_list, "1 = 0"), (), "schema check"))

    def _window_rows_sql(self, ordered: bool = True) -> str:
        return self._select(self.select_list, self._window_where(), f"ORDER BY {self.col('start')}" if ordered else "")

    def rows_in_window(self, start: dt.datetime, end: dt.datetime, ordered: bool = True) -> Iterator[TrackingRow]:
        """Rows with ``start <= startTime < end``, streamed: ordered by startTime, or with ``ordered=False`` in
        the order the server finds them (it sends the first row at once instead of sorting the window first;
        :func:`in_start_order` puts them in order)."""
        low, high = self.window_bounds(start, end)
        rows = self._rows(self._window_rows_sql(ordered), (self.bound(low), self.bound(high)),
                          "reading rows in the window")
        return rows if (low, high) == (start, end) else in_window(rows, start, end)

    def window_bounds(self, start: dt.datetime, end: dt.datetime) -> Tuple[dt.datetime, dt.datetime]:
        """The instants whose wall times bound the window's query: ``start`` and ``end``, or each widened by
        :data:`CLOCK_CHANGE_MARGIN` when the store's zone changes its clock near it. Stored wall times are read as
        their first occurrence: around a clock going back, a window's wall-time bounds can be equal (an empty
        query) or hold rows that belong to the windows beside it; the widened query's rows are then kept by
        their time (:func:`in_window`)."""
        return (_widened(start, self.zone, -CLOCK_CHANGE_MARGIN), _widened(end, self.zone, CLOCK_CHANGE_MARGIN))

    def count_in_window(self, start: dt.datetime, end: dt.datetime) -> int:
        """Number of rows with ``start <= startTime < end``."""
        sql = self._select("COUNT(*)", self._window_where())
        for (count,) in self._query(sql, (self.bound(start), self.bound(end)), "counting rows"):
            return int(count)
        return 0

    def estimate_in_window(self, start: dt.datetime, end: dt.datetime) -> int:
        """About how many rows :meth:`rows_in_window` gives, for choosing how to read them (here: the count;
        a server's driver may ask its query plan instead)."""
        return self.count_in_window(start, end)

    def rows_by_uuid(self, uuids: Iterable[str], batch: int = UUID_BATCH) -> Dict[str, List[TrackingRow]]:
        """Rows whose UUID is in ``uuids`` (any time), grouped by UUID; batched IN queries."""
        found: Dict[str, List[TrackingRow]] = {}
        for row in self.iter_by_uuid(uuids, batch):
            found.setdefault(row.uuid, []).append(row)
        return found

    def iter_by_uuid(self, uuids: Iterable[str], batch: int = UUID_BATCH) -> Iterator[TrackingRow]:
        """The rows of ``uuids``, ``batch`` UUIDs per query."""
        pending: List[str] = []
        for value in uuids:
            pending.append(value)
            if len(pending) >= batch:
                yield from self._uuid_batch(pending)
                pending = []
        if pending:
            yield from self._uuid_batch(pending)

    def _uuid_batch(self, uuids: List[str]) -> Iterator[TrackingRow]:
        values: List[Any] = list(uuids)
        if self.binary_uuids():  # a UUID read as text from 16 bytes (as_uuid_text) is looked up as those bytes
            values += [found.bytes for found in map(_canonical_uuid, uuids) if found is not None]
        marks = ", ".join([self.placeholder] * len(values))
        sql = self._select(self.select_list, f"{self.col('uuid')} IN ({marks})", f"ORDER BY {self.col('start')}")
        return self._rows(sql, values, "looking up rows by UUID")

    def binary_uuids(self) -> bool:
        """Whether UUIDs may be stored as 16 bytes, so a lookup also asks for those (drivers say)."""
        return False

    def recent(self, limit: int = 100, username: Optional[str] = None,
               status: Optional[str] = None) -> List[TrackingRow]:
        """The ``limit`` newest rows by startTime, optionally for one username and/or status."""
        where, params = self._recent_filters(username, status)
        sql = self._select(self.select_list, " AND ".join(where),
                           f"ORDER BY {self.col('start')} DESC LIMIT {int(max(0, limit))}")
        return list(self._rows(sql, params, "reading recent rows"))

    def _recent_filters(self, username: Optional[str], status: Optional[str]) -> Tuple[List[str], List[Any]]:
        """:meth:`recent`'s conditions and their parameters."""
        p = self.placeholder
        where: List[str] = []
        params: List[Any] = []
        if username:
            where.append(f"{self.col('username')} = {p}")
            params.append(username)
        if status:
            where.append(f"{self.col('status')} = {p}")
            params.append(status)
        return where, params

    def usernames(self) -> List[str]:
        """Distinct non-NULL usernames, sorted."""
        user = self.col("username")
        sql = self._select(f"DISTINCT {user}", f"{user} IS NOT NULL", "ORDER BY 1")
        return [str(name) for (name,) in self._query(sql, (), "listing usernames")]


def open_store(db: DbConfig) -> TrackingStore:
    """A store for ``db`` (not yet connected: use it as a context manager or call ``open()``)."""
    if db.driver == "sqlite":
        from fth.tracking.sqlite import SQLiteStore

        return SQLiteStore(db)
    from fth.tracking.mysql import MySQLStore

    return MySQLStore(db)
