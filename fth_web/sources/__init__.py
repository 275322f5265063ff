"""Data sources behind one interface (:class:`~fth_web.sources.base.Source`).

:func:`make_source` picks one from the settings: mock data when asked, the
dashboard table or the two tracking databases when configured, otherwise the
hard-coded example rows. Both database layouts compute their table and panels off the
gevent loop (:class:`~fth_web.sources.background.BackgroundSource`: the pair layout's pairing,
the dashboard's panel queries over up to an hour of rows). :class:`CachedSource` memoises the
polled answers for a short time so any number of open pages cost one computation per interval.
"""

import functools
import threading
import time
from typing import Any, Callable, Dict, Hashable, List, Optional, Tuple

from fth_web.settings import WebSettings
from fth_web.sources.base import Panels, ReadOnlySource, Recent, Source
from fth_web.sources.memory import ExampleSource
from fth_web.sources.mock import MockSource

__all__ = ["CachedSource", "ExampleSource", "MockSource", "Panels", "ReadOnlySource", "Recent", "Source",
           "make_source"]


def make_source(settings: WebSettings) -> Source:
    if settings.mock:
        return MockSource(settings.layout, settings.mock_rate)
    if settings.layout == "dashboard":
        if settings.database_configured:
            from fth_web.sources.background import BackgroundSource
            from fth_web.sources.dashboard import DashboardSource

            db, retry = settings.database, settings.retry
            direct = DashboardSource(db, retry, settings.pool_size)
            if settings.cache_s <= 0:  # every request queries, concurrently on the pool (a lane would queue them)
                return direct
            return BackgroundSource(direct, functools.partial(DashboardSource, db, retry, 1), settings.cache_s)
        return ExampleSource("dashboard", "No database configured and mock mode off: showing example rows",
                             [_not_configured("dashboard", "set web.database or FTH_WEB_DB_* (see .env)")])
    if settings.tracking is not None:
        from fth_web.sources.background import BackgroundSource
        from fth_web.sources.pair import PairSource

        tracking, retry = settings.tracking, settings.retry
        return BackgroundSource(PairSource(tracking, retry, settings.pool_size),
                                functools.partial(PairSource, tracking, retry, 1), settings.cache_s)
    return ExampleSource("pair", "No tracking databases configured and mock mode off: showing example rows",
                         [_not_configured("ingress", "add tracking: to the job YAML"),
                          _not_configured("egress", "add tracking: to the job YAML")])


def _not_configured(name: str, hint: str) -> Dict[str, Any]:
    return {"name": name, "target": "not configured", "state": "unconfigured", "last_success": None,
            "last_error": hint, "last_error_at": None, "retry_in_s": None, "failures": 0}


class _Entry:
    __slots__ = ("at", "lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at = -1e18
        self.value: Any = None


class CachedSource(Source):
    """Wraps a source; ``recent`` and ``panels`` are computed once per ``ttl`` seconds per argument set.

    Concurrent callers of the same key wait for the one computation in progress
    (single flight) instead of each querying the database.
    """

    def __init__(self, inner: Source, ttl: float) -> None:
        self.inner = inner
        self.layout = inner.layout
        self.kind = inner.kind
        self.ttl = ttl
        self._entries: Dict[Hashable, _Entry] = {}
        self._guard = threading.Lock()

    def cached(self, key: Tuple[Hashable, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, reused for ``ttl`` seconds per ``key``."""
        return self.cached_at(key, compute)[0]

    def cached_at(self, key: Tuple[Hashable, ...], compute: Callable[[], Any]) -> Tuple[Any, float]:
        """``compute()`` reused for ``ttl`` seconds per ``key`` (also whole JSON bodies), and the monotonic time
        it was computed at."""
        entry = self._entry(key)
        with entry.lock:
            if time.monotonic() - entry.at >= self.ttl:
                entry.value = compute()
                entry.at = time.monotonic()
            return entry.value, entry.at

    def peek(self, key: Tuple[Hashable, ...]) -> Any:
        """The value of ``key`` if it is still fresh, else None; never computes nor waits."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.at >= self.ttl:
            return None
        return entry.value

    def put(self, key: Tuple[Hashable, ...], value: Any, at: float) -> None:
        """Remember ``value`` for ``key`` as if computed at ``at`` (it expires and is invalidated like the rest)."""
        entry = self._entry(key)
        entry.value = value
        entry.at = at

    def _entry(self, key: Tuple[Hashable, ...]) -> _Entry:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                if len(self._entries) > 256:
                    self._entries.clear()
                entry = self._entries[key] = _Entry()
            return entry

    def invalidate(self) -> None:
        with self._guard:
            self._entries.clear()

    def recent(self, limit: int, username: Optional[str] = None, status: Optional[str] = None) -> Recent:
        return self.cached(("recent", limit, username, status), lambda: self.inner.recent(limit, username, status))

    def panels(self, window_min: int) -> Panels:
        return self.cached(("panels", window_min), lambda: self.inner.panels(window_min))

    def connections(self) -> List[Dict[str, Any]]:
        return self.inner.connections()

    def usernames(self) -> List[str]:
        return self.cached(("usernames",), self.inner.usernames) if self.ttl > 0 else self.inner.usernames()

    def report_rows(self, start, end, username):  # type: ignore[no-untyped-def]
        return self.inner.report_rows(start, end, username)

    def report(self, request):  # type: ignore[no-untyped-def]
        return self.inner.report(request)

    def fields(self) -> Tuple[str, ...]:
        return self.inner.fields()

    @property
    def writable(self) -> bool:
        return self.inner.writable

    def clear(self) -> int:
        removed = self.inner.clear()
        self.invalidate()
        return removed

    def close(self) -> None:
        self.inner.close()
