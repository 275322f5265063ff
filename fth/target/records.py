"""What the target records: one arrival (the ingress row) and its processing outcome (the egress row)."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    """A file the target received completely. Times are naive local wall-clock times."""

    uuid: str
    username: str
    filename: str
    size: int
    start: dt.datetime  # the upload began
    end: dt.datetime  # the upload completed
    protocol: str  # http | sftp


@dataclass(frozen=True)
class Outcome:
    """The end of processing an arrival: the egress row (``start`` is the arrival's end)."""

    arrival: Arrival
    status: str  # SUCCESS | FAILED | TIMEOUT
    end: dt.datetime


def now() -> dt.datetime:
    """The current local wall-clock time, as the tracking tables store it (DATETIME, no zone)."""
    return dt.datetime.now()
