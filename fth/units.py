"""Forgiving parsers and formatters for rates, durations and sizes.

Every parser accepts surrounding whitespace and any case of units, and raises
``ValueError`` with a short problem; callers add the value found and the
``*_EXAMPLES`` text saying what was expected.
"""

import math
import re
from typing import List, Union

_DURATION_UNITS = {
    "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_DURATION_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]*)\s*", re.IGNORECASE)
_RATE = re.compile(
    rf"^\s*({_NUMBER})\s*(?:files?\s*)?(?:/|per\b)\s*({_NUMBER})?\s*([a-z]+)\s*$",
    re.IGNORECASE,
)
_SIZE = re.compile(rf"^\s*({_NUMBER})\s*([a-z]*)\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}

DURATION_EXAMPLES = "a duration such as 90s, 30m, 1h30m or 2d"
RATE_EXAMPLES = "files per period such as 120/hour, 2 per minute, 0.5/s or 1/5min"
SIZE_EXAMPLES = "a size such as 512, 64KB, 10MiB or 1.5GB"


def _scalar(text: object, what: str) -> None:
    """Only text and numbers are parsed: str() of a list (an alias bomb) could be gigabytes."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"is not {what}")


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError("is too large a number")
    return number


def parse_duration(text: Union[str, int, float]) -> float:
    """Seconds in ``text``: ``90s``, ``30m``, ``1h30m``, ``1h 30m``, ``500ms`` or a bare number."""
    _scalar(text, "a duration")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        source = str(text).strip().lower()
        if not source:
            raise ValueError("is empty")
        seconds, pos = 0.0, 0
        while pos < len(source):
            found = _DURATION_PART.match(source, pos)
            if not found or found.end() == pos:
                raise ValueError("is not a duration")
            number, unit = found.groups()
            if unit not in _DURATION_UNITS and unit != "":
                raise ValueError(f"unknown time unit {unit!r}")
            if unit == "" and (pos != 0 or found.end() != len(source)):  # a bare number is the whole duration:
                raise ValueError("is not a duration")  # "1.5.3h", "10 5m" are typos, not 1081.5 s and 305 s
            seconds += float(number) * _DURATION_UNITS.get(unit, 1.0)
            pos = found.end()
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("is not a duration")
    return seconds


def parse_rate(text: Union[str, int, float]) -> float:
    """Files per second in ``text``: ``120/hour``, ``2 per minute``, ``1/5min``, ``0.5/s``."""
    _scalar(text, "a rate")
    if isinstance(text, (int, float)):
        raise ValueError("has no period (a bare number is not a rate)")
    found = _RATE.match(str(text))
    if not found:
        raise ValueError("is not a rate")
    count, multiple, unit = found.groups()
    unit_seconds = _DURATION_UNITS.get(unit.lower())
    if unit_seconds is None:
        raise ValueError(f"unknown period {unit!r}")
    period = _finite(unit_seconds * (float(multiple) if multiple else 1.0))
    if period <= 0:
        raise ValueError("has a zero period")
    return _finite(float(count)) / period


def parse_size(text: Union[str, int]) -> int:
    """Bytes in ``text``: ``512``, ``64KB``, ``10 MiB`` (decimal and binary units)."""
    _scalar(text, "a size")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("is negative")
        return text
    found = _SIZE.match(str(text))
    if not found or found.group(2).lower() not in _SIZE_UNITS:
        raise ValueError("is not a size")
    return int(_finite(float(found.group(1)) * _SIZE_UNITS[found.group(2).lower()]))


def format_duration(seconds: float) -> str:
    """``5400`` → ``1h30m``; sub-minute values keep one decimal."""
    if seconds < 60:
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if v]
    return "".join(parts)


def format_rate(per_second: float) -> str:
    """A rate in the unit that reads best: ``20.0/s``, ``12.0/min``, ``3.0/h``."""
    return format_rates(per_second)[0]


def format_rates(*per_second: float) -> List[str]:
    """Rates shown side by side (target and achieved) in one unit: the one that reads best for the
    largest; smaller values keep two decimals (``1.2/s`` beside ``0.82/s``, not ``49.2/min``)."""
    largest = max(per_second)
    unit, factor = next(((unit, factor) for unit, factor in (("/s", 1), ("/min", 60), ("/h", 3600))
                         if largest * factor >= 1 or largest == 0), ("/h", 3600))
    return [f"{value * factor:.1f}{unit}" if value * factor >= 1 or value == 0 else f"{value * factor:.2f}{unit}"
            for value in per_second]


def format_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")
