"""The optional JSON-lines transfer log: one line per transfer, to cross-check the tracking DBs."""

import json
import logging
import time
from datetime import datetime, timezone
from typing import IO, Optional

from fth.config.model import JobConfig
from fth.errors import UsageError
from fth.protocols.base import TransferRequest, TransferResult

log = logging.getLogger(__name__)

FLUSH_EVERY = 1.0  # seconds


class TransferLog:
    def __init__(self, path: str):
        self.path = path
        try:
            # a file name that is not UTF-8 holds surrogates: backslashreplace writes them as \udcXX,
            # a JSON escape, so every line stays valid JSON and json.loads gives back the name
            self._file: Optional[IO[str]] = open(path, "a", encoding="utf-8",  # noqa: SIM115 - closed in close()
                                                 errors="backslashreplace")
        except OSError as exc:
            raise UsageError(f"cannot open transfer log {path}: {exc.strerror}") from None
        self._last_flush = time.monotonic()
        self.failed = False

    def write(self, job: JobConfig, request: TransferRequest, result: TransferResult, latency: float) -> None:
        if self._file is None:
            return
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "job": job.name,
            "username": job.username,
            "uuid": request.context.uuid,
            "file": request.path,
            "remote_name": result.remote_name,
            "outcome": "ok" if result.ok else (result.fault or "unexpected"),
            "latency_ms": round(latency * 1000, 3),
            "bytes": result.bytes_sent,
        }
        try:
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
            now = time.monotonic()
            if now - self._last_flush >= FLUSH_EVERY:
                self._file.flush()
                self._last_flush = now
        except OSError as exc:  # e.g. disk full: the load goes on, the log stops
            log.error("transfer log %s: %s; no further lines are written", self.path, exc.strerror)
            self.failed = True
            self._close_quietly()

    def _close_quietly(self) -> None:
        try:
            if self._file:
                self._file.close()
        except OSError:
            pass
        self._file = None

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as exc:
                log.error("transfer log %s: %s", self.path, exc.strerror)
            self._close_quietly()
