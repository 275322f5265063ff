"""A pipelined SFTP upload: OPEN, then WRITEs + FSTAT + CLOSE in one round trip.

paramiko's ``putfo`` costs four round trips for a small file (open, the write
acknowledgements, close, then stat) and its pipelined writes drop failed WRITE
statuses unless more than 100 are outstanding, so a full disk can go unnoticed.
This module speaks the same SFTP requests through paramiko's request layer
(``_request``/``_async_request``/``_read_response``, unchanged since paramiko
1.x; no public API offers pipelining with error checks): it sends every WRITE,
the FSTAT and the CLOSE back to back, then reads each answer and raises the
first failure. Writes are sized in whole SSH channel packets: one packet
(32,675 bytes) by default, the protocol's safe minimum; for bigger files, as
many whole packets as the server's ``limits@openssh.com`` answer allows
(OpenSSH: 7, ~224 KiB), as fewer WRITE/STATUS exchanges are what the server's
side is short of.
"""

from collections import deque
from typing import BinaryIO, Deque, Optional, Tuple

import paramiko
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_EXTENDED,
    CMD_EXTENDED_REPLY,
    CMD_FSTAT,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)

_PACKET_DATA = 32704  # bytes of channel data paramiko puts in one SSH packet (32 KiB max packet - 64)
_WRITE_HEADER = 29  # SFTP WRITE header with OpenSSH's 4-byte handle
WRITE_SIZE = _PACKET_DATA - _WRITE_HEADER  # 32,675: the largest WRITE that fits one SSH channel packet
_DRAIN_ABOVE = 8  # outstanding WRITEs beyond which answers already received are read (measured best)


class LocalReadError(Exception):
    """Reading the local source file failed mid-stream."""


def negotiate_write_size(sftp: paramiko.SFTPClient) -> int:
    """The largest WRITE in whole SSH packets the server accepts (``limits@openssh.com``), else WRITE_SIZE."""
    try:
        kind, message = sftp._request(CMD_EXTENDED, "limits@openssh.com")
    except OSError:  # SSH_FX_OP_UNSUPPORTED: not OpenSSH 8.6+
        return WRITE_SIZE
    if kind != CMD_EXTENDED_REPLY:
        return WRITE_SIZE
    message.get_int64()  # max packet length
    message.get_int64()  # max read length
    max_write = message.get_int64()
    packets = (max_write + _WRITE_HEADER) // _PACKET_DATA
    return packets * _PACKET_DATA - _WRITE_HEADER if packets > 1 else WRITE_SIZE


def open_for_write(sftp: paramiko.SFTPClient, path: bytes) -> bytes:
    """Create or truncate ``path``; the server's handle (raises IOError as paramiko does)."""
    kind, message = sftp._request(CMD_OPEN, path, SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC,
                                  paramiko.SFTPAttributes())
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle in answer to OPEN")
    return message.get_binary()


def write_and_close(sftp: paramiko.SFTPClient, handle: bytes, local: BinaryIO, want_size: bool,
                    write_size: int = WRITE_SIZE) -> Tuple[int, Optional[int]]:
    """Stream ``local`` into ``handle`` and close it: (bytes sent, remote size or None).

    Raises the first failure among the WRITEs, the FSTAT and the CLOSE; the
    handle is closed on the server in every case where the connection survives.
    """
    pending: Deque[int] = deque()
    sent = 0
    try:
        while True:
            try:
                chunk = local.read(write_size)
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
