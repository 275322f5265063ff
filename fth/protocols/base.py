"""The contract between the engine and a transport.

A transport sends one file and returns a :class:`TransferResult`; it never
touches statistics. The engine times each call with a monotonic clock, so a
transport only reports its own phases (connect, auth, transfer) when it can.
Transports are not shared between concurrent transfers: the engine gives each
worker (wait mode) or each in-flight transfer (fire mode, from a pool) its own.
Transports open source files with :func:`open_regular` and bound each transfer with
:func:`transfer_deadline`.
"""

import contextlib
import os
import stat
from dataclasses import dataclass, field
from typing import Dict, Iterator, Optional, Protocol

import gevent
from gevent.monkey import get_original

from fth.templates import TransferContext


@dataclass
class TransferRequest:
    path: str  # local file to stream
    context: TransferContext  # uuid, filename, seq, ... shared by every template

    @property
    def values(self) -> Dict[str, object]:
        return self.context.values()


@dataclass
class TransferResult:
    ok: bool
    bytes_sent: int = 0
    fault: Optional[str] = None  # a kind from fth.faults when not ok
    detail: str = ""  # one-line cause, with host:port where it applies
    remote_name: str = ""
    status: Optional[int] = None  # HTTP status code, when there was a response
    phases: Dict[str, float] = field(default_factory=dict)  # seconds: connect, auth, transfer


class Transport(Protocol):
    def send(self, request: TransferRequest) -> TransferResult:
        """Send one file; never raises for faults of the network or the server."""

    def close(self) -> None:
        """Release connections; the transport may not be used afterwards."""


# gevent's os.close checks and fstat()s every descriptor first, to cancel IO watchers on it;
# a regular file's descriptor never has one.
close_fd = get_original("os", "close")


def open_regular(path: str) -> int:
    """A read-only descriptor of ``path``, which must be a regular file.

    O_NONBLOCK makes opening a FIFO (or a device) return at once instead of waiting for a
    writer; the fstat then refuses it, so nothing but regular files is ever read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # non-inheritable, as every descriptor Python opens
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        close_fd(fd)
        raise
    if not stat.S_ISREG(mode):
        close_fd(fd)
        raise OSError(0, "not a regular file", path)
    os.set_blocking(fd, True)
    return fd


class TransferDeadline(Exception):
    """The whole transfer took longer than its deadline (a read_timeout fault)."""


@contextlib.contextmanager
def transfer_deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`TransferDeadline` in the block once ``seconds`` have passed.

    Socket timeouts bound each read; this bounds the transfer, so a server that dribbles its
    answer a byte at a time, or goes silent mid-protocol, cannot hold a transfer until the run ends.
    """
    timer = gevent.Timeout(seconds)
    timer.start()
    try:
        yield
    except gevent.Timeout as exc:
        if exc is not timer:
            raise
        raise TransferDeadline(f"the transfer did not end within {seconds:g}s (connect_timeout + timeout)") from None
    finally:
        timer.close()
