"""A slow source answered from its last finished computation, computed off the gevent loop.

Pairing a million transfers is a minute of pure-Python work; on the gevent loop it
would stall every request. :class:`BackgroundSource` runs a source's ``recent`` and
``panels`` in native OS threads, one lane each (a lane is one thread with its own copy
of the source, made in that thread, so its database connections and their gevent
watchers belong to it), and answers each request from the last finished result of
its arguments, stamped with when it finished (``computed_at``). Once a result is older
than the refresh interval, or than its own computation took, the next request starts
one recomputation that every client shares and is answered from the previous result
meanwhile. Only the first request for a set of arguments, or every request with the
cache off (interval 0), waits for a computation, and then cooperatively: the loop
keeps serving the others.

Everything else (usernames, the report form, CSV) goes to the wrapped source on the
loop as before; the connection states shown are each database's most recent word
from any of the copies.
"""

import dataclasses
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Hashable, Iterator, List, Optional, Tuple, TypeVar

from gevent.threadpool import ThreadPool

from fth.report.engine import Report, ReportRequest
from fth_web.sources.base import Panels, Recent, Source

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_KEYS = 256  # argument sets remembered per lane (a username filter is free text)


class _Slot:
    """The last finished result of one argument set, and the computation in progress, if any."""

    __slots__ = ("done_at", "running", "took_s", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.done_at: Optional[float] = None  # monotonic time the value was finished
        self.took_s = 0.0
        self.running: Any = None  # the pool's AsyncResult while computing

    def stale(self, interval_s: float) -> bool:
        return self.done_at is None or time.monotonic() - self.done_at >= max(interval_s, self.took_s)


class Lane:
    """One OS thread with its own copy of the source (made by ``make`` in that thread)."""

    def __init__(self, name: str, make: Callable[[], Source]) -> None:
        self.name = name
        self._make = make
        self.source: Optional[Source] = None  # touched by the lane's thread only, except for reading states
        self._pool = ThreadPool(1)
        self._slots: Dict[Hashable, _Slot] = {}
        self.computations = 0

    def _run(self, work: Callable[[Source], T]) -> Tuple[T, float]:
        began = time.monotonic()
        if self.source is None:
            self.source = self._make()
        return work(self.source), time.monotonic() - began

    def answer(self, key: Hashable, work: Callable[[Source], T], interval_s: float) -> T:
        """The last finished ``work(source)`` for ``key``; starts a recomputation when it is stale."""
        slot = self._slots.get(key)
        if slot is None:
            if len(self._slots) >= MAX_KEYS:
                self._slots = {k: s for k, s in self._slots.items() if s.running is not None}
            slot = self._slots[key] = _Slot()
        self._harvest(slot)
        if slot.running is None and slot.stale(interval_s):
            slot.running = self._pool.spawn(self._run, work)
            self.computations += 1
        if slot.running is not None and (slot.done_at is None or interval_s <= 0):
            slot.running.wait()  # nothing to show yet, or the cache is off: wait (the loop serves others)
            self._harvest(slot)
        return slot.value

    @staticmethod
    def _harvest(slot: _Slot) -> None:
        running = slot.running
        if running is None or not running.ready():
            return
        slot.running = None
        if not running.successful():
            raise running.exception  # the next request tries again
        value, slot.took_s = running.value
        slot.value = dataclasses.replace(value, computed_at=datetime.now(timezone.utc).isoformat(
            timespec="milliseconds"))
        slot.done_at = time.monotonic()

    def connections(self) -> List[Dict[str, Any]]:
        source = self.source
        return source.connections() if source is not None else []

    def close(self) -> None:
        if self.source is not None:
            self._pool.spawn(self.source.close).wait(timeout=10)
        self._pool.kill()


def _newest(states: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The state with the latest success or error (ISO UTC seconds compare in time order); down on a tie."""
    return max(states, key=lambda s: (max(s["last_success"] or "", s["last_error_at"] or ""), s["state"] == "down"))


class BackgroundSource(Source):
    """``inner`` for everything but ``recent`` and ``panels``, which lanes compute with copies from ``make``."""

    def __init__(self, inner: Source, make: Callable[[], Source], interval_s: float) -> None:
        self.inner = inner
        self.layout = inner.layout
        self.kind = inner.kind
        self.interval_s = interval_s
        self.lanes = {"recent": Lane("recent", make), "panels": Lane("panels", make)}

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        return self.lanes["recent"].answer((limit, username, status), lambda s: s.recent(limit, username, status),
                                           self.interval_s)

    def panels(self, window_min: int) -> Panels:
        return self.lanes["panels"].answer(window_min, lambda s: s.panels(window_min), self.interval_s)

    def connections(self) -> List[Dict[str, Any]]:
        copies = [lane.connections() for lane in self.lanes.values()]
        return [_newest([mine, *(copy[i] for copy in copies if copy)])
                for i, mine in enumerate(self.inner.connections())]

    def usernames(self) -> List[str]:
        return self.inner.usernames()

    def report_rows(self, start: datetime, end: datetime, username: Optional[str]) -> Iterator[Dict[str, Any]]:
        return self.inner.report_rows(start, end, username)

    def pair_report(self, request: ReportRequest) -> Report:
        return self.inner.pair_report(request)

    def close(self) -> None:
        for lane in self.lanes.values():
            lane.close()
        self.inner.close()
