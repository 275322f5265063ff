"""One connection manager per database: a small pool, automatic reconnection with backoff.

A manager never lets a database error escape as anything but
:class:`DatabaseUnavailable` (a one-line reason), records the last success and the
last error for the status panel, and while the database is down it refuses work
instantly until the next attempt allowed by the :class:`~fth_web.settings.RetryPolicy`,
so a dead database costs the page nothing and recovery needs no restart.
"""

import logging
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, TypeVar

import pymysql

from fth.config.web import RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that mean "the database or the network is not there" (or the schema is wrong):
# the connection is thrown away and the database is marked down.
DB_ERRORS = (pymysql.MySQLError, OSError, EOFError)


class DatabaseUnavailable(Exception):
    """The database cannot be used right now; ``str()`` is a one-line reason."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def describe_error(exc: BaseException) -> str:
    """A one-line reason, without the SQL text or any password."""
    from fth.errors import FthError

    if isinstance(exc, FthError):  # e.g. fth.tracking's TrackingError: already one line, no password
        return str(exc)
    if isinstance(exc, pymysql.MySQLError) and exc.args:
        code = exc.args[0]
        message = str(exc.args[1]) if len(exc.args) > 1 else ""
        return f"{type(exc).__name__} ({code}): {message}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


@dataclass
class ConnectionStatus:
    name: str
    target: str
    state: str  # up | down | connecting | idle
    last_success: Optional[str]
    last_error: Optional[str]
    last_error_at: Optional[str]
    retry_in_s: Optional[float]
    failures: int

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


class ConnectionManager:
    """A pool of up to ``pool_size`` connections made by ``connect`` (a callable)."""

    def __init__(self, name: str, target: str, connect: Callable[[], Any], retry: RetryPolicy,
                 pool_size: int = 4, wait_s: float = 10.0, errors: Tuple[type, ...] = DB_ERRORS) -> None:
        self.errors = errors
        self.name = name
        self.target = target
        self._connect = connect
        self.retry = retry
        self.pool_size = pool_size
        self.wait_s = wait_s
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()
        self.state = "idle"
        self.failures = 0
        self.last_success: Optional[datetime] = None
        self.last_error: Optional[str] = None
        self.last_error_at: Optional[datetime] = None
        self._next_attempt = 0.0

    # -- state ---------------------------------------------------------------------
    def _mark_success(self) -> None:
        with self._lock:
            if self.state != "up":
                log.info("database %s (%s) is up", self.name, self.target)
            self.state = "up"
            self.failures = 0
            self.last_success = _utc_now()

    def _mark_failure(self, exc: BaseException) -> str:
        reason = describe_error(exc)
        with self._lock:
            self.failures += 1
            delay = self.retry.delay(self.failures)
            self._next_attempt = time.monotonic() + delay
            was = self.state
            self.state = "down"
            self.last_error = reason
            self.last_error_at = _utc_now()
        level = logging.WARNING if was != "down" else logging.DEBUG
        log.log(level, "database %s (%s) failed: %s; next attempt in %.1fs", self.name, self.target, reason, delay)
        self._discard_idle()
        return reason

    def _discard_idle(self) -> None:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            _close_quietly(conn)

    def status(self) -> ConnectionStatus:
        retry_in = None
        if self.state == "down":
            retry_in = round(max(0.0, self._next_attempt - time.monotonic()), 1)
        return ConnectionStatus(
            name=self.name, target=self.target, state=self.state,
            last_success=_iso(self.last_success), last_error=self.last_error,
            last_error_at=_iso(self.last_error_at), retry_in_s=retry_in, failures=self.failures,
        )

    # -- use -------------------------------------------------------------------------
    def _check_allowed(self) -> None:
        if self.state == "down" and time.monotonic() < self._next_attempt:
            raise DatabaseUnavailable(f"{self.name} database unavailable: {self.last_error}")

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; any database error marks the database down and becomes DatabaseUnavailable."""
        self._check_allowed()
        if not self._slots.acquire(timeout=self.wait_s):
            raise DatabaseUnavailable(f"{self.name} database busy: no free connection after {self.wait_s:g}s")
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                if self.state != "up":
                    self.state = "connecting" if self.state == "idle" else self.state
                try:
                    conn = self._connect()
                except self.errors as exc:
                    raise DatabaseUnavailable(f"{self.name} database unavailable: {self._mark_failure(exc)}") from None
            try:
                yield conn
            except self.errors as exc:
                _close_quietly(conn)
                conn = None
                raise DatabaseUnavailable(f"{self.name} database error: {self._mark_failure(exc)}") from None
            except BaseException:
                _close_quietly(conn)
                conn = None
                raise
            self._mark_success()
        finally:
            if conn is not None:
                self._idle.put(conn)
            self._slots.release()

    def run(self, work: Callable[[Any], T]) -> T:
        """``work(connection)``; a stale pooled connection (server restarted) is retried once, fresh."""
        try:
            with self.connection() as conn:
                return work(conn)
        except DatabaseUnavailable:
            if self.failures != 1 or self.last_success is None:
                raise
            # The first failure after a success is often a connection the server dropped: retry now.
            self._next_attempt = 0.0
            with self.connection() as conn:
                return work(conn)

    def close(self) -> None:
        self._discard_idle()


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: S110 - closing a broken connection may fail; nothing to do
        pass


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None
