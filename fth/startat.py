"""``--start-at TIME``: one instant that every segment of a run takes as its schedule origin."""

import logging
import math
import time
from datetime import datetime

import gevent.event

from fth.units import format_duration

log = logging.getLogger(__name__)

START_AT_EXAMPLES = "ISO 8601 (2026-12-01T10:00:00Z, 2026-12-01 10:00:00+01:00; no zone: local time) or " \
                    "epoch seconds (1796119200)"
LATE_WARNING = 1.0  # seconds: a start later than this after TIME is worth a warning


def parse_start_at(text: str) -> float:
    """Epoch seconds of ``text``: ISO 8601 (a bare date-time is local time) or epoch seconds."""
    source = text.strip()
    try:
        return float(source)
    except ValueError:
        pass
    if source.endswith(("Z", "z")):  # fromisoformat reads 'Z' only from Python 3.11 on
        source = source[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(source).timestamp()  # a naive value is taken as local time
    except ValueError:
        raise ValueError("is not a time") from None


def wait_until(start_at: float, cancel: gevent.event.Event) -> None:
    """Sleep until ``start_at`` (epoch seconds) or ``cancel``, logging a countdown; warn when it has passed."""
    remaining = start_at - time.time()
    if remaining < -LATE_WARNING:
        log.warning("--start-at was %s ago: starting now, with the schedule counted from that instant "
                    "(fire mode sends what is overdue at once)", format_duration(-remaining))
        return
    while remaining > 0:
        step = 1.0 if remaining <= 10 else min(10.0, remaining - 10)
        log.info("starting in %s", format_duration(math.ceil(remaining)))
        if cancel.wait(timeout=min(step, remaining)):
            return
        remaining = start_at - time.time()
