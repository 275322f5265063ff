"""``--start-at TIME``: one instant that every segment of a run takes as its schedule origin."""

import logging
import math
import time
from datetime import datetime
from typing import Optional

import gevent.event

from fth.units import format_duration

log = logging.getLogger(__name__)

START_AT_EXAMPLES = "ISO 8601 (2026-12-01T10:00:00Z, 2026-12-01 10:00:00+01:00; no zone: local time) or " \
                    "epoch seconds (1796119200)"
LATE_WARNING = 1.0  # seconds: a start later than this after TIME is worth a warning


MAX_PAST = 24 * 3600.0  # seconds: a start this long ago is a mistake (a schedule to catch up on for hours)
MAX_AHEAD = 366 * 24 * 3600.0  # seconds: and a start over a year ahead a typo


def parse_start_at(text: str, now: Optional[float] = None) -> float:
    """Epoch seconds of ``text``: ISO 8601 (a bare date-time is local time) or epoch seconds, from a day before
    ``now`` (default: this moment) to a year after it."""
    source = text.strip()
    try:
        start_at = float(source)
    except ValueError:
        if source.endswith(("Z", "z")):  # fromisoformat reads 'Z' only from Python 3.11 on
            source = source[:-1] + "+00:00"
        try:
            start_at = datetime.fromisoformat(source).timestamp()  # a naive value is taken as local time
        except (ValueError, OverflowError, OSError):
            raise ValueError("is not a time") from None
    if not math.isfinite(start_at):
        raise ValueError("is not a time")
    now = time.time() if now is None else now
    if start_at < now - MAX_PAST:
        raise ValueError(f"is {format_duration(now - start_at)} ago: every segment would start with that much "
                         "of its schedule overdue")
    if start_at > now + MAX_AHEAD:
        raise ValueError("is more than a year ahead")
    return start_at


def wait_until(start_at: float, cancel: gevent.event.Event) -> None:
    """Sleep until ``start_at`` (epoch seconds) or ``cancel``, logging a countdown; warn when it has passed."""
    remaining = start_at - time.time()
    if remaining < -LATE_WARNING:
        log.warning("--start-at was %s ago: starting now, with the schedule counted from that instant "
                    "(fire mode sends what is overdue at once)", format_duration(-remaining))
        return
    while remaining > 0 and not cancel.is_set():  # cancelled already (an interrupt): no countdown to show
        step = 1.0 if remaining <= 10 else min(10.0, remaining - 10)
        log.info("starting in %s", format_duration(math.ceil(remaining)))
        if cancel.wait(timeout=min(step, remaining)):
            return
        remaining = start_at - time.time()
