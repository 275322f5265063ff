"""Read one tracking table's window in a child process while this process reads the other.

Decoding rows is pure Python (pymysql, :mod:`fth.tracking.wire`), so a report reading a million
ingress rows and then a million egress rows uses one core for both. :func:`window_rows` forks a
child process that reads the egress window while the parent reads ingress (forked, not spawned: a
spawned child imports the parent's main script again, which a script without a ``__main__`` guard
cannot survive; the child opens its own connection and leaves the parent's alone); the child writes its
rows, compactly pickled in batches, to a private temporary file (disk, not memory: the parent is
busy and a pipe would stall the child) and the parent streams them back once it is ready for
them, following the file while the child is still writing it: pairing the rows already read overlaps
the reading of the rest. Only fth-report asks for it (see :func:`window_rows`); small windows (under
:data:`ASIDE_MIN_ROWS` rows) and stores other than MySQL (SQLite files, fth-web's rows in memory) read in
this process, when asked, as before.

A failure in the child comes back as the same :class:`TrackingError` the parent would have raised;
a child that dies is an error too. The child and its file are gone when the ``with`` block ends,
however it ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
import os
import pickle
import shutil
import struct
import tempfile
from operator import attrgetter
from typing import IO, Callable, Iterable, Iterator, Tuple

from fth.config.model import DbConfig
from fth.tracking.base import TrackingError, TrackingRow, TrackingStore, open_store

log = logging.getLogger(__name__)

ASIDE_MIN_ROWS = 100_000  # below this a child process costs more than it saves
BATCH = 5_000  # rows per pickled batch
FOLLOW_WAIT = 0.005  # seconds the parent waits for the child's next frame before looking again
RowSource = Callable[[], Iterable[TrackingRow]]
_LENGTH = struct.Struct("<Q")
_FIELDS = attrgetter("uuid", "username", "filename", "start_ts", "end_ts", "status", "bad")  # a row's frame tuple


@contextlib.contextmanager
def window_rows(store: TrackingStore, start: dt.datetime, end: dt.datetime, aside: bool = True) -> Iterator[RowSource]:
    """A function giving ``store.rows_in_window(start, end)``: read meanwhile in a child process when
    ``aside`` is allowed, the window is large and the store a server's; else read when the function is called.

    Allow it only in a process that does nothing but this report (fth-report): a forked child carries
    every greenlet of its parent, and in a server (fth-web, fth --demo's target) those would run again
    in the child as soon as it waits for the database.
    """
    if not aside or not _worth_a_child(store, start, end):
        yield lambda: store.rows_in_window(start, end)
        return
    workdir = tempfile.mkdtemp(prefix="fth-rows-")
    path = os.path.join(workdir, "rows.pickle")
    open(path, "wb").close()  # there for the parent to follow before the child writes a frame
    process = multiprocessing.get_context("fork").Process(
        target=_read_into, args=(store.db, start, end, path, os.getpid()), name=f"fth-{store.db.role}-reader",
        daemon=True)
    process.start()
    log.debug("reading %s rows in process %s", store.db.role, process.pid)
    try:
        yield lambda: _rows_from(process, path, store.db)
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        shutil.rmtree(workdir, ignore_errors=True)


def _worth_a_child(store: TrackingStore, start: dt.datetime, end: dt.datetime) -> bool:
    from fth.tracking.mysql import MySQLStore

    if not isinstance(store, MySQLStore):
        return False  # only a server's store can be opened again from its config
    return store.estimate_in_window(start, end) >= ASIDE_MIN_ROWS


def _read_into(db: DbConfig, start: dt.datetime, end: dt.datetime, path: str, parent: int) -> None:
    """The child: the window's rows as frames (:func:`write_frame`), ``("zone", tz)``, ``("rows", [tuple,
    ...])``..., then ``("end", count)`` or ``("error", message, hint)``. A child whose parent is gone (killed: no
    ``finally`` ran there) removes its directory and stops: ``parent`` is its pid, taken before the fork
    (the child's own first look could come after the parent's death)."""
    with open(path, "wb") as out:
        dump = functools.partial(write_frame, out)
        count = 0
        try:
            with open_store(db) as store:
                dump(("zone", store.zone))
                batch = []
                for row in store.rows_in_window(start, end):
                    batch.append(_FIELDS(row))
                    if len(batch) >= BATCH:
                        if os.getppid() != parent:
                            shutil.rmtree(os.path.dirname(path), ignore_errors=True)
                            return
                        dump(("rows", batch))
                        count += len(batch)
                        batch = []
                dump(("rows", batch))
                dump(("end", count + len(batch)))
        except TrackingError as exc:
            dump(("error", str(exc), exc.hint))


def write_frame(out: IO[bytes], frame: Tuple) -> None:
    """One frame: its pickle's length (8 bytes, little-endian), then the pickle (a pickler per frame: a kept
    one's memo would hold every row), flushed so the parent can read it at once."""
    data = pickle.dumps(frame, pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def _frames(process: multiprocessing.process.BaseProcess, source: IO[bytes], db: DbConfig) -> Iterator[Tuple]:
    """The child's frames as it writes them: a frame not yet whole is waited for while the child lives; a
    child that ended without its last frame is an error."""
    ended = False
    while True:
        at = source.tell()
        head = source.read(_LENGTH.size)
        if len(head) == _LENGTH.size:
            size = _LENGTH.unpack(head)[0]
            data = source.read(size)
            if len(data) == size:
                yield pickle.loads(data)  # noqa: S301  (our own child's file, in a private 0700 directory)
                continue
        if ended:
            raise _died(process, db)
        source.seek(at)  # read again from the frame's start once there is more
        process.join(FOLLOW_WAIT)  # back early when the child ends
        ended = not process.is_alive()  # what it wrote before ending is read once more


def _rows_from(process: multiprocessing.process.BaseProcess, path: str, db: DbConfig) -> Iterator[TrackingRow]:
    """The child's rows, as it writes them; its error raised here."""
    make = TrackingRow.__new__
    row = make(TrackingRow)
    zone: dt.tzinfo = dt.timezone.utc
    try:
        source = open(path, "rb")  # noqa: SIM115  (closed below)
    except FileNotFoundError:  # never made, or removed by a child that found its parent gone
        raise _died(process, db) from None
    with source:
        for frame in _frames(process, source, db):
            kind = frame[0]
            if kind == "rows":  # a batch shares equal strings
                for row.uuid, row.username, row.filename, row.start_ts, row.end_ts, row.status, row.bad in frame[1]:
                    row.zone = zone
                    yield row
                    row = make(TrackingRow)  # TrackingRow.of_epochs, in line: a million rows
            elif kind == "zone":
                zone = frame[1]
            elif kind == "end":
                return
            else:
                raise TrackingError(frame[1], frame[2])


def _died(process: multiprocessing.process.BaseProcess, db: DbConfig) -> TrackingError:
    return TrackingError(f"{db.describe()}: reading rows in the window failed: the reading process ended "
                         f"with exit status {process.exitcode}",
                         "run with -vv; if it was killed, check the machine's memory")
