"""A pipelined SFTP upload: OPEN, then WRITEs + FSTAT + CLOSE in one round trip.

paramiko's ``putfo`` costs four round trips for a small file (open, the write
acknowledgements, close, then stat) and its pipelined writes drop failed WRITE
statuses unless more than 100 are outstanding, so a full disk can go unnoticed.
This module speaks the same SFTP requests through paramiko's request layer
(``_request``/``_async_request``/``_read_response``, unchanged since paramiko
1.x; no public API offers pipelining with error checks): it sends every WRITE,
the FSTAT and the CLOSE back to back, then reads each answer and raises the
first failure. Writes are sized to fit one SSH channel packet.
"""

from collections import deque
from typing import BinaryIO, Deque, Optional, Tuple

import paramiko
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_FSTAT,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)

WRITE_SIZE = 32675  # the largest SFTP WRITE that fits one 32 KiB SSH channel packet
_DRAIN_ABOVE = 64  # outstanding WRITEs before answers already received are read


class LocalReadError(Exception):
    """Reading the local source file failed mid-stream."""


def open_for_write(sftp: paramiko.SFTPClient, path: str) -> bytes:
    """Create or truncate ``path``; the server's handle (raises IOError as paramiko does)."""
    kind, message = sftp._request(CMD_OPEN, path, SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC,
                                  paramiko.SFTPAttributes())
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle in answer to OPEN")
    return message.get_binary()


def write_and_close(sftp: paramiko.SFTPClient, handle: bytes, local: BinaryIO,
                    want_size: bool) -> Tuple[int, Optional[int]]:
    """Stream ``local`` into ``handle`` and close it: (bytes sent, remote size or None).

    Raises the first failure among the WRITEs, the FSTAT and the CLOSE; the
    handle is closed on the server in every case where the connection survives.
    """
    pending: Deque[int] = deque()
    sent = 0
    try:
        while True:
            try:
                chunk = local.read(WRITE_SIZE)
            except OSError as exc:
                raise LocalReadError(f"reading {getattr(local, 'name', 'the file')} failed after {sent} bytes: "
                                     f"{exc.strerror or exc}") from None
            if not chunk:
                break
            pending.append(sftp._async_request(type(None), CMD_WRITE, handle, int64(sent), chunk))
            sent += len(chunk)
            while len(pending) > _DRAIN_ABOVE and sftp.sock.recv_ready():
                sftp._read_response(pending.popleft())  # raises early when the server fails a WRITE
    except BaseException:
        _close_quietly(sftp, handle)
        raise
    stat_request = sftp._async_request(type(None), CMD_FSTAT, handle) if want_size else None
    close_request = sftp._async_request(type(None), CMD_CLOSE, handle)
    first_error: Optional[BaseException] = None
    while pending:
        try:
            sftp._read_response(pending.popleft())
        except OSError as exc:  # an SFTP status; keep reading so the stream stays in step
            first_error = first_error or exc
    remote_size: Optional[int] = None
    if stat_request is not None:
        try:
            kind, message = sftp._read_response(stat_request)
            if kind != CMD_ATTRS:
                raise paramiko.SFTPError("expected attributes in answer to FSTAT")
            remote_size = int(paramiko.SFTPAttributes._from_msg(message).st_size)
        except OSError as exc:
            first_error = first_error or exc
    try:
        sftp._read_response(close_request)
    except OSError as exc:
        first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return sent, remote_size


def _close_quietly(sftp: paramiko.SFTPClient, handle: bytes) -> None:
    """Ask the server to close ``handle`` without waiting (the upload already failed)."""
    try:
        sftp._async_request(type(None), CMD_CLOSE, handle)
    except Exception:  # noqa: S110  (the connection may be gone; the original error is what matters)
        pass
