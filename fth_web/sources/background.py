"""A slow source answered from its last finished computation, computed off the gevent loop.

Pairing a million transfers is a minute of pure-Python work (and garbage collection of
millions of objects); in fth-web's process it would stall every request. The dashboard's
60-minute panel reads an hour of rows (417,000 at 10 million a day): seconds during
which, answered on the loop with a plain cache, every poller of that panel waited.
:class:`BackgroundSource` computes a source's ``recent`` and ``panels`` in child
processes, one lane each (a lane is one process with its own copy of the source and
its own database connections, and one native thread here that waits for its
answers), and answers each request from the last finished result of its arguments,
stamped with when it finished (``computed_at``). Once a result is older than the
refresh interval, or than its own computation took, the next request starts one
recomputation that every client shares and is answered from the previous result
meanwhile. Only the first request for a set of arguments, or every request with the
cache off (interval 0), waits for a computation, and then cooperatively: the loop
keeps serving the others.

Everything else (usernames, the report form, CSV, the admin page's clear, after which
every result is computed afresh) goes to the wrapped source on the loop as before; the
connection states shown are each database's most recent word from any of the copies (a
copy's states come back with each of its answers).
"""

import dataclasses
import logging
import multiprocessing
import os
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Hashable, Iterator, List, Optional, Tuple

from gevent.threadpool import ThreadPool

from fth.report.engine import Report, ReportRequest
from fth_web.sources.base import Panels, Recent, Source

log = logging.getLogger(__name__)
MAX_KEYS = 256  # argument sets remembered per lane (a username filter is free text)
LANE_NICENESS = 10  # a lane's process yields the CPU to fth-web's (and the database's)


class _Slot:
    """The last finished result of one argument set, and the computation in progress, if any."""

    __slots__ = ("done_at", "running", "took_s", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.done_at: Optional[float] = None  # monotonic time the value was finished
        self.took_s = 0.0
        self.running: Any = None  # the thread pool's AsyncResult while computing

    def stale(self, interval_s: float) -> bool:
        """No result yet, the cache is off, or the result is older than the interval and its own computation."""
        if self.done_at is None or interval_s <= 0:
            return True
        return time.monotonic() - self.done_at >= max(interval_s, self.took_s)


class LaneError(Exception):
    """A lane's computation failed with something other than a database outage (one line)."""


def _serve(conn: Any, make: Callable[[], Source]) -> None:
    """The lane's process: ``make()`` a source, then answer ``(method, args)`` with
    ``(ok, value or one-line error, connection states)`` until the pipe closes.

    It runs at a lower priority (nice +10): on a busy machine the computation waits for
    the CPU, not fth-web's loop (at equal priority the server process was left unscheduled
    for up to 100-270 ms while a 60-minute pairing ran)."""
    if hasattr(os, "nice"):
        os.nice(LANE_NICENESS)
    source = make()
    conn.send((True, None, source.connections()))  # ready
    try:
        while True:
            try:
                method, args = conn.recv()
            except EOFError:
                return
            try:
                reply: Tuple[bool, Any, Any] = (True, getattr(source, method)(*args), source.connections())
            except Exception as exc:  # the parent raises it: the request fails, the next one tries again
                reply = (False, f"{type(exc).__name__}: {exc}", source.connections())
            conn.send(reply)
    finally:
        source.close()


class Lane:
    """One process with its own copy of the source (``make``, picklable, runs there), and one native thread
    of this process that talks to it, so neither its work nor its garbage collection holds up the loop."""

    def __init__(self, name: str, make: Callable[[], Source]) -> None:
        self.name = name
        self._make = make
        self._pool = ThreadPool(1)
        self._process: Any = None
        self._conn: Any = None
        self._ready = False  # the process has made its source
        self._states: List[Dict[str, Any]] = []  # the copy's connection states after its last answer
        self._slots: Dict[Hashable, _Slot] = {}
        self.computations = 0

    def _call(self, method: str, args: Tuple[Any, ...]) -> Tuple[Any, float]:
        """In the pool's thread: the process's answer and how long it took (not counting the process's start)."""
        if self._process is None or not self._process.is_alive():
            self._ready = False
            context = multiprocessing.get_context("spawn")
            self._conn, theirs = context.Pipe()
            for end in (self._conn, theirs):  # gevent's socketpair leaves them non-blocking
                os.set_blocking(end.fileno(), True)
            self._process = context.Process(target=_serve, args=(theirs, self._make), daemon=True,
                                            name=f"fth-web {self.name}")
            self._process.start()
            theirs.close()
        try:
            if not self._ready:
                self._conn.recv()
                self._ready = True
            began = time.monotonic()
            self._conn.send((method, args))
            ok, value, self._states = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._process = None
            raise LaneError(f"the {self.name} process ended: {type(exc).__name__}: {exc}") from None
        if not ok:
            raise LaneError(value)
        return value, time.monotonic() - began

    def answer(self, key: Hashable, method: str, args: Tuple[Any, ...], interval_s: float) -> Any:
        """The last finished ``method(*args)`` for ``key``; starts a recomputation when it is stale."""
        slot = self._slots.get(key)
        if slot is None:
            if len(self._slots) >= MAX_KEYS:
                self._slots = {k: s for k, s in self._slots.items() if s.running is not None}
            slot = self._slots[key] = _Slot()
        self._harvest(slot)
        if slot.running is None and slot.stale(interval_s):
            slot.running = self._pool.spawn(self._call, method, args)
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
        return self._states

    def forget(self) -> None:
        """Drop every result: the next request of each argument set waits for a computation that starts after
        the ones already queued in this lane (so it sees the data as it is now)."""
        self._slots = {}

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()  # its database connections end with it
            process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._pool.kill()


def _newest(states: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The state with the latest success or error (ISO UTC seconds compare in time order; down on a tie), with the
    latest success any copy had (a copy that never reached the database knows none)."""
    newest = max(states, key=lambda s: (max(s["last_success"] or "", s["last_error_at"] or ""), s["state"] == "down"))
    return dict(newest, last_success=max((s["last_success"] for s in states if s["last_success"]), default=None))


class BackgroundSource(Source):
    """``inner`` for everything but ``recent`` and ``panels``, which lanes compute with copies from ``make``
    (a picklable callable: it runs in the lanes' processes)."""

    def __init__(self, inner: Source, make: Callable[[], Source], interval_s: float) -> None:
        self.inner = inner
        self.layout = inner.layout
        self.kind = inner.kind
        self.interval_s = interval_s
        self.lanes = {"recent": Lane("recent", make), "panels": Lane("panels", make)}

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        return self.lanes["recent"].answer((limit, username, status), "recent", (limit, username, status),
                                           self.interval_s)

    def panels(self, window_min: int) -> Panels:
        return self.lanes["panels"].answer(window_min, "panels", (window_min,), self.interval_s)

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

    @property
    def writable(self) -> bool:
        return self.inner.writable

    def clear(self) -> int:
        removed = self.inner.clear()
        for lane in self.lanes.values():
            lane.forget()
        return removed

    def close(self) -> None:
        for lane in self.lanes.values():
            lane.close()
        self.inner.close()
