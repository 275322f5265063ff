"""The full transaction list (the CSV beside a cut report), written by a helper process meanwhile.

At a million transactions formatting the list takes four seconds of one core, and fth-report has
more to do after pairing (statistics, HTML) on that core while the machine's other cores wait:
:class:`FullListWriter` hands the records to a helper process as soon as they are paired, and
the report is computed and rendered meanwhile. The helper is a fresh interpreter (``python -c``
importing this module, not a fork: a forked copy of a process holding a million records would
copy their memory pages one by one as either side touches them).

The records' :data:`~fth.report.render.TX_FIELDS` go to the helper in chunks, column by column,
pickled into an anonymous temporary file in the list's directory that becomes its standard input:
half a second of the report's time for a million records, spent before the helper starts, after
which the report computes undisturbed. (Fed through a pipe by a thread of the report, as it was
first, the two threads' turns at Python's lock cost the report about 1.7 s more than the feeding
itself.) The file has no name: it is gone when the helper ends, however either process ends.

The helper formats with :func:`fth.report.render.transaction_csv_of` (the one CSV rule) and
writes with :func:`fth.atomicfile.write_atomic`: the list is whole or not there. It exits 0 when
written, 1 with a one-line error on its standard error, and removes its temporary file when its
input ends early or it is stopped (SIGTERM, SIGINT).

Frames on the helper's input: an 8-byte little-endian length, then a pickle: first ``(path,
known_jobs, jobs)``, then lists of columns (a chunk), then ``None``.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Dict, Iterator, Mapping, Optional, Sequence

from fth.atomicfile import write_atomic
from fth.errors import FthError
from fth.report.compute import Record, job_of
from fth.report.render import TX_FIELDS, TxColumns, record_columns, transaction_csv, transaction_csv_of

log = logging.getLogger(__name__)

CHUNK = 20_000  # records per frame: about 1.7 MB pickled
_LENGTH = struct.Struct("<Q")
_SENT_FIELDS = tuple(name for name in TX_FIELDS if name != "job")  # the job: from the mapping, in the helper
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding the fth package the helper imports
_BOOT = ("import sys; root = sys.argv[1]; sys.path[0:1] = [] if root in sys.path else [root]; "  # not the
         "from fth.report.full_list import helper_main; sys.exit(helper_main())")  # working directory's fth


class FullListWriter:
    """Writes ``records`` as CSV to ``path`` in a helper process from now on; :meth:`finish` waits for it.

    ``jobs`` (username → group name) gives each record's job as :func:`fth.report.compute.summarize`
    would; ``known_jobs``: whether the report has jobs (else no user counts as unknown). Use it as a context
    manager or call :meth:`stop` on every path that does not :meth:`finish`: the helper and its temporary
    file go.
    """

    def __init__(self, path: str, records: Sequence[Record], jobs: Mapping[str, str], known_jobs: bool) -> None:
        self.path, self.records, self.known_jobs = path, records, known_jobs
        self.process: Optional[subprocess.Popen] = None
        self.done = False
        try:
            with tempfile.TemporaryFile(prefix=".fth-list-", dir=os.path.dirname(os.path.abspath(path))) as frames:
                _send(frames, (path, known_jobs, dict(jobs)))
                for columns in record_columns(records, CHUNK, _SENT_FIELDS):
                    _send(frames, columns)
                _send(frames, None)
                frames.flush()
                frames.seek(0)
                self.process = subprocess.Popen([sys.executable, "-c", _BOOT, _ROOT], stdin=frames,
                                                stderr=subprocess.PIPE)
        except OSError as exc:  # no interpreter to start (an embedded Python), or no room for the frames in the
            # list's directory (theirs so they are not held in memory by a tmpfs /tmp): it may be full, or missing
            log.debug("the full list is written in this process: %s", exc)
            return
        log.debug("writing the full list (%d transactions) in process %s", len(records), self.process.pid)

    def __enter__(self) -> FullListWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def finish(self) -> None:
        """Wait until the list is written; a failure to write it raised here as a one-line :class:`FthError`."""
        if self.process is None:  # no helper: the records' jobs are set by now
            self.done = True
            write_atomic(self.path, transaction_csv(self.records, self.known_jobs), what="transaction list")
            return
        message = self.process.stderr.read().decode("utf-8", "replace").strip()
        status = self.process.wait()
        self.done = True
        self.process.stderr.close()
        if status != 0:
            log.debug("the full list's helper ended with exit status %s: %s", status, message)
            raise FthError(message.splitlines()[-1] if message else
                           f"writing the transaction list {self.path} failed: its process ended with exit status "
                           f"{status}", "run with -vv; if it was killed, check the machine's memory")

    def stop(self) -> None:
        """Stop the helper if it is still writing (its temporary file goes with it); nothing once finished."""
        if self.done:
            return
        self.done = True
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait()
            self.process.stderr.close()


def _send(out: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)))
    out.write(data)


def _receive(source: IO[bytes]) -> Any:
    head = source.read(_LENGTH.size)
    size = _LENGTH.unpack(head)[0] if len(head) == _LENGTH.size else -1
    data = source.read(size) if size >= 0 else b""
    if size < 0 or len(data) < size:
        raise FthError("the report's process ended before the transaction list was complete")
    return pickle.loads(data)  # noqa: S301  (the report's own process, through this process's stdin)


def _chunks(source: IO[bytes], jobs: Mapping[str, str]) -> Iterator[TxColumns]:
    """The chunks of the frames, each with its job column, until the end frame."""
    groups: Dict[Optional[str], Optional[str]] = {}
    while True:
        columns = _receive(source)
        if columns is None:
            return
        uuids, usernames, filenames, starts, ends, verdicts, sizes = columns
        for username in set(usernames).difference(groups):
            groups[username] = job_of(jobs, username)
        yield uuids, usernames, list(map(groups.__getitem__, usernames)), filenames, starts, ends, verdicts, sizes


def helper_main() -> int:
    """The helper process: the list from standard input to its file (see the module docstring)."""
    signal.signal(signal.SIGTERM, _stopped)
    gc.disable()  # a million cells and no cycles (see fth.report.cli.cycle_collection_paused)
    source = sys.stdin.buffer
    try:
        path, known_jobs, jobs = _receive(source)
        write_atomic(path, transaction_csv_of(_chunks(source, jobs), known_jobs), what="transaction list")
    except FthError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _stopped(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
