"""Mock mode: realistic transactions generated at a configurable rate, every status represented.

Rows are generated lazily: each time the page asks, the generator catches up with
the clock at ``rate`` transactions per second (an hour of history is back-filled
on first use so the panels are populated at once). Outcomes are drawn from a
shuffled "deck" of ten, so any 19 consecutive transactions show every final
status; rows still being processed show the in-flight status (SUBMITTED /
PENDING) until their simulated processing delay has passed.
"""

import heapq
import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from fth_web.sources.memory import MemorySource

USERS = ("acme-orders", "globex-billing", "initech-reports", "umbrella-labs", "partner1", "hooli-media",
         "stark-logistics", "wayne-finance")
FILE_PATTERNS = ("invoice_{n:06d}.pdf", "orders_{day}_{n}.csv", "scan {n}.tiff", "payload_{n}.xml",
                 "rapport_été_{n}.json", "batch-{n:05d}.zip")
INGRESS_SERVERS = ("ingress-01", "ingress-02", "ingress-03")
EGRESS_SERVERS = ("egress-01", "egress-02")

# Ten outcomes per deck; "STUCK" stays in flight for good.
DASHBOARD_DECK = ("COMPLETE",) * 5 + ("EP_UNAVAILABLE", "TIMEOUT", "BAD_REQUEST", "CD_UNAVAILABLE", "STUCK")
PAIR_DECK = ("SUCCESS",) * 6 + ("FAILED", "FAILED", "TIMEOUT", "STUCK")
HISTORY_S = 3600.0
MAX_ROWS = 40000
TIMEOUT_AFTER_S = 3.0


class MockSource(MemorySource):
    kind = "mock"

    def __init__(self, layout: str, rate: float = 5.0, seed: Optional[int] = None) -> None:
        super().__init__(layout)
        self.rate = rate
        # The egress Transactions/s counts COMPLETE and EP_UNAVAILABLE only (seed 002); the generator's
        # rate covers every status, so the banner says so instead of a bare rate the figure contradicts.
        self.notice = f"Mock data: generated at {rate:g}/s, every status" + (
            " (the egress Transactions/s counts COMPLETE and EP_UNAVAILABLE only)" if layout == "dashboard" else "")
        self._random = random.Random(seed)
        self._deck: List[str] = []
        self._seq = 0
        self._carry = 0.0
        self._last: Optional[datetime] = None
        self._pending: List[Tuple[datetime, int, Dict[str, Any]]] = []

    # -- generation ----------------------------------------------------------------
    def _outcome(self) -> str:
        if not self._deck:
            self._deck = list(DASHBOARD_DECK if self.layout == "dashboard" else PAIR_DECK)
            self._random.shuffle(self._deck)
        return self._deck.pop()

    def _refresh(self, now: datetime) -> None:
        if self._last is None:
            backfill = min(HISTORY_S, MAX_ROWS / 2 / self.rate)
            self._last = now - timedelta(seconds=backfill)
        elapsed = (now - self._last).total_seconds()
        if elapsed > 0:
            wanted = elapsed * self.rate + self._carry
            count = int(wanted)
            self._carry = wanted - count
            step = elapsed / count if count else 0.0
            for i in range(count):
                self._add(self._last + timedelta(seconds=step * (i + 1)))
            self._last = now
        while self._pending and self._pending[0][0] <= now:
            done_at, _, row = heapq.heappop(self._pending)
            self._finish(row, done_at)
        self._trim(now)

    def _trim(self, now: datetime) -> None:
        horizon = now - timedelta(seconds=HISTORY_S + 300)
        key = "ingress_time" if self.layout == "dashboard" else "ingress_start"
        drop = 0
        while drop < len(self._rows) and (self._rows[drop][key] < horizon or len(self._rows) - drop > MAX_ROWS):
            drop += 1
        if drop:
            del self._rows[:drop]

    def _add(self, at: datetime) -> None:
        self._seq += 1
        rnd = self._random
        user = rnd.choice(USERS)
        name = rnd.choice(FILE_PATTERNS).format(n=self._seq, day=at.strftime("%Y-%m-%d"))
        at = at.replace(microsecond=(at.microsecond // 1000) * 1000)
        outcome = self._outcome()
        delay = TIMEOUT_AFTER_S if outcome == "TIMEOUT" else rnd.uniform(0.3, 2.5)
        size = int(min(5e8, max(200, rnd.lognormvariate(12.2, 1.3))))
        if self.layout == "dashboard":
            row = {"transaction_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "username": user,
                   "file_name": name, "file_size": size, "ingress_server": rnd.choice(INGRESS_SERVERS),
                   "ingress_time": at, "egress_server": None, "egress_time": None, "status": "SUBMITTED"}
            if outcome in ("BAD_REQUEST", "CD_UNAVAILABLE"):
                row["status"] = outcome
                outcome = ""
        else:
            row = {"uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "username": user,
                   "filename": name, "ingress_start": at, "ingress_end": at + timedelta(seconds=0.05 + size / 5e7),
                   "ingress_status": "FAILED" if outcome == "FAILED" and rnd.random() < 0.5 else "SUCCESS",
                   "egress_start": None, "egress_end": None, "egress_status": None}
        self._rows.append(row)
        if outcome and outcome != "STUCK":
            row["_outcome"] = outcome
            heapq.heappush(self._pending, (at + timedelta(seconds=delay), self._seq, row))

    def _finish(self, row: Dict[str, Any], done_at: datetime) -> None:
        outcome = row.pop("_outcome")
        if self.layout == "dashboard":
            row["status"] = outcome
            if outcome != "TIMEOUT":
                row["egress_server"] = self._random.choice(EGRESS_SERVERS)
                row["egress_time"] = done_at
        else:
            row["egress_status"] = outcome
            row["egress_end"] = done_at
            row["egress_start"] = done_at - timedelta(seconds=0.1)

    def _display(self, raw: Dict[str, Any]) -> Dict[str, Any]:
        row = super()._display(raw)
        row.pop("_outcome", None)
        return row

    # -- the rest of the interface ---------------------------------------------------
    def connections(self) -> List[Dict[str, Any]]:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return [{"name": "mock", "target": f"generator at {self.rate:g}/s", "state": "up", "last_success": now,
                 "last_error": None, "last_error_at": None, "retry_in_s": None, "failures": 0}]

    @property
    def writable(self) -> bool:
        return self.layout == "dashboard"

    def clear(self) -> int:
        if not self.writable:
            return super().clear()
        with self._lock:
            removed = len(self._rows)
            self._rows = []
            self._pending = []
            return removed
