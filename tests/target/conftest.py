"""A built-in target on free loopback ports with its SQLite store in the test's directory."""

import sqlite3
import time
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import gevent
import pytest

from fth.target import Target, TargetSettings


@pytest.fixture(autouse=True)
def _in_a_temporary_directory(tmp_path: Path, monkeypatch) -> None:
    """Whatever a test writes relative to the working directory stays out of the repo."""
    monkeypatch.chdir(tmp_path)


def read_rows(store: Path, table: str) -> List[Tuple]:
    """(UUID, username, filename, startTime, endTime, status, file_size) in insertion order."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return list(conn.execute(f'SELECT UUID, username, filename, startTime, endTime, status, file_size '
                                 f'FROM "{table}" ORDER BY id'))
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` (a bound against hangs, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        gevent.sleep(0.02)
    return predicate()


@pytest.fixture
def start_target(tmp_path: Path) -> Iterator[Callable[..., Target]]:
    """``start_target(delay=(0, 0), ...)`` → a running Target; every one is stopped after the test."""
    started: List[Target] = []

    def start(**overrides) -> Target:
        settings = TargetSettings(http=("127.0.0.1", 0), sftp=("127.0.0.1", 0),
                                  store=str(tmp_path / f"store{len(started)}.sqlite"), delay=(0.0, 0.0),
                                  flush_interval=0.02)
        for key, value in overrides.items():
            setattr(settings, key, value)
        target = Target(settings).start()
        started.append(target)
        return target

    try:
        yield start
    finally:
        for target in started:
            target.stop()
