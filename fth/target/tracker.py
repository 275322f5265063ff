"""The simulated processing: capacity, status mix, delays, drops, and the one writer greenlet.

Arrivals are queued; after a random delay each gets an outcome (or is dropped: an ingress row
with no egress row). One writer greenlet drains the queue in batches into every sink, so the
SQLite file is never written concurrently.
"""

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence, Set, Union

import gevent
from gevent.queue import Empty, Queue

from fth.target.records import Arrival, Outcome, now
from fth.target.settings import TargetSettings
from fth.target.sinks import Sink

log = logging.getLogger(__name__)


class TokenBucket:
    """``rate`` tokens per second, holding at most one second's worth (at least one)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.burst = max(1.0, rate)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            current = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (current - self.stamp) * self.rate)
            self.stamp = current
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


@dataclass
class Counters:
    """What the target did so far (for tests, logs and the CLI's final line)."""

    accepted: int = 0
    refused: int = 0  # over capacity
    rejected: int = 0  # bad credentials or requests
    ingress_rows: int = 0
    egress_rows: int = 0
    dropped: int = 0
    write_errors: int = 0


class Tracker:
    """Turns arrivals into tracking rows; see the module docstring."""

    def __init__(self, settings: TargetSettings, sinks: Sequence[Sink]) -> None:
        self.settings = settings
        self.sinks = list(sinks)
        self.random = random.Random(settings.seed)
        self.bucket = TokenBucket(settings.capacity) if settings.capacity else None
        self.counters = Counters()
        self.queue: Queue[Union[Arrival, Outcome, None]] = Queue()
        self.pending: Set[gevent.Greenlet] = set()
        self.writer: Optional[gevent.Greenlet] = None
        self._unwritten = 0

    # -- the servers' side -----------------------------------------------------------------

    def admit(self) -> bool:
        """May one more upload start now? False when over capacity (counted as refused)."""
        if self.bucket is None or self.bucket.take():
            return True
        self.counters.refused += 1
        return False

    def reject(self) -> None:
        self.counters.rejected += 1

    def arrived(self, arrival: Arrival) -> None:
        """Record an upload that completed: its ingress row now, its egress row after the delay."""
        self.counters.accepted += 1
        self._put(arrival)
        if self.settings.drop and self.random.random() < self.settings.drop:
            self.counters.dropped += 1
            log.debug("dropping %s (no egress row)", arrival.uuid)
            return
        low, high = self.settings.delay
        delay = self.random.uniform(low, high)
        status = self._status()
        greenlet = gevent.spawn_later(delay, self._processed, arrival, status)
        self.pending.add(greenlet)

    def _status(self) -> str:
        mix = self.settings.mix
        draw = self.random.random()
        if draw < mix.success:
            return "SUCCESS"
        if draw < mix.success + mix.failed:
            return "FAILED"
        return "TIMEOUT"

    def _processed(self, arrival: Arrival, status: str) -> None:
        self.pending.discard(gevent.getcurrent())  # type: ignore[arg-type]
        self._put(Outcome(arrival, status, now()))

    def _put(self, item: Union[Arrival, Outcome]) -> None:
        self._unwritten += 1
        self.queue.put(item)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        for sink in self.sinks:
            sink.open()
        self.writer = gevent.spawn(self._write_loop)

    @property
    def idle(self) -> bool:
        """No egress row outstanding and every row written."""
        return not self.pending and self._unwritten == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until :attr:`idle` or ``timeout`` seconds; True when idle."""
        deadline = time.monotonic() + timeout
        while not self.idle and time.monotonic() < deadline:
            gevent.sleep(0.05)
        return self.idle

    def stop(self) -> None:
        """Abandon outstanding processing (those arrivals keep no egress row), write the rest, close."""
        pending, self.pending = list(self.pending), set()
        if pending:
            log.info("stopping with %d file(s) still in processing: they get no egress row", len(pending))
        gevent.killall(pending)
        if self.writer is not None:
            self.queue.put(None)
            self.writer.join(timeout=30)
            if not self.writer.dead:
                self.writer.kill()
            self.writer = None
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:  # closing must not hide the run's outcome
                log.warning("closing %s: %s", sink.name, exc)

    # -- the writer ------------------------------------------------------------------------

    def _write_loop(self) -> None:
        finished = False
        while not finished:
            item = self.queue.get()
            batch: List[Union[Arrival, Outcome, None]] = [item]
            if item is not None:
                deadline = time.monotonic() + self.settings.flush_interval
                while len(batch) < self.settings.batch:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        batch.append(self.queue.get(timeout=left))
                    except Empty:
                        break
                    if batch[-1] is None:
                        break
            while batch and batch[-1] is None:
                finished = True
                batch.pop()
                # drain what is already queued so nothing arrived is lost at stop
                while True:
                    try:
                        rest = self.queue.get_nowait()
                    except Empty:
                        break
                    if rest is not None:
                        batch.append(rest)
            self._write(batch)  # type: ignore[arg-type]

    def _write(self, batch: Sequence[Union[Arrival, Outcome]]) -> None:
        if not batch:
            return
        arrivals = [item for item in batch if isinstance(item, Arrival)]
        outcomes = [item for item in batch if isinstance(item, Outcome)]
        for sink in self.sinks:
            try:
                sink.write(arrivals, outcomes)
            except Exception as exc:
                self.counters.write_errors += 1
                log.error("tracking rows lost: writing %d row(s) to %s failed: %s", len(batch), sink.name, exc)
        self.counters.ingress_rows += len(arrivals)
        self.counters.egress_rows += len(outcomes)
        self._unwritten -= len(batch)
