"""SFTP uploads (always a PUT) on paramiko, tuned and with every failure classified.

One :class:`SftpTransport` belongs to one worker (or one in-flight slot). With
``connection: reuse`` it keeps one SSH session and re-establishes it after a
failure; with ``per-file`` it connects, logs in, uploads and disconnects for
every file, as many real data sources do. The file is streamed from disk in
writes that fit one SSH channel packet, pipelined with an FSTAT (``verify_size``)
and the CLOSE, so a small file costs two round trips (see sftp_put.py).
"""

import errno
import logging
import os
import posixpath
import socket
import time
from typing import BinaryIO, Dict, Optional, Tuple

import paramiko

from fth import faults
from fth.config.model import SftpJobConfig
from fth.protocols.base import TransferDeadline, TransferRequest, TransferResult, transfer_deadline
from fth.protocols.http import open_regular
from fth.protocols.sftp_put import (
    WRITE_SIZE,
    LocalReadError,
    negotiate_write_size,
    open_for_write,
    write_and_close,
)
from fth.protocols.ssh_connect import Authenticator, HostKeyChecker, SshFault, open_sftp
from fth.protocols.sshkeys import KeyLoadError, load_private_key
from fth.templates import compile_template, name_bytes

log = logging.getLogger(__name__)

# Faults after which the SSH session is still usable (server-side refusals, local problems).
_SESSION_SURVIVES = frozenset({faults.LOCAL_FILE, faults.NO_SUCH_DIR, faults.PERMISSION, faults.DISK_FULL,
                               faults.SIZE_MISMATCH, faults.REMOTE_FAILURE})
_CLOSED_HINTS = ("closed", "dropped", "eof", "not active", "connection lost")


class SftpTransport:
    """Send files to one SFTP server as configured by an :class:`SftpJobConfig`."""

    def __init__(self, job: SftpJobConfig):
        self.job = job
        self.endpoint = f"{job.host}:{job.port}"
        self._remote_name = compile_template(job.remote_name)
        self._temp_name = compile_template(job.temp_name) if job.temp_name else None
        self._key_error: Optional[str] = None
        key: Optional[paramiko.PKey] = None
        if job.key_file:
            try:
                key = load_private_key(os.path.expanduser(job.key_file), job.key_passphrase)
            except KeyLoadError as exc:
                self._key_error = f"key_file {job.key_file}: {exc}"
        self._checker = HostKeyChecker(job.host_key_policy, job.known_hosts, job.name)
        self._auth = Authenticator(job.username, key, job.password, job.use_agent)
        self._session: Optional[Tuple[paramiko.Transport, paramiko.SFTPClient]] = None
        self._write_size: Optional[int] = None  # per session, asked for when a file is bigger than one packet
        self._posix_rename = True  # until the server says it lacks posix-rename@openssh.com
        self._closed = False
        self.connections = 0  # SSH sessions opened so far (for tests and diagnostics)

    # -- the Transport contract -------------------------------------------------------------

    def send(self, request: TransferRequest) -> TransferResult:
        result = TransferResult(ok=False)
        values = request.values
        try:
            result.remote_name = self._remote_path(self._remote_name(values))
            temp_path = self._remote_path(self._temp_name(values)) if self._temp_name else None
        except (KeyError, ValueError) as exc:  # the config loader checks templates; belt and braces
            return self._fail(result, faults.UNEXPECTED, f"remote name template failed: {exc}")
        if self._closed:
            return self._fail(result, faults.UNEXPECTED, "transport used after close()")
        if self._key_error:
            return self._fail(result, faults.LOCAL_FILE, self._key_error)
        try:
            local = os.fdopen(open_regular(request.path), "rb")
        except OSError as exc:
            return self._fail(result, faults.LOCAL_FILE, f"cannot open {request.path}: {exc.strerror or exc}")
        stage = "connect"
        try:
            with local, transfer_deadline(self.job.connect_timeout + self.job.timeout):
                size = os.fstat(local.fileno()).st_size
                sftp = self._sftp(result.phases)
                stage = "open"
                started = time.monotonic()
                handle = open_for_write(sftp, name_bytes(temp_path or result.remote_name))
                stage = "write"
                result.bytes_sent = self._upload(sftp, handle, local, size)
                if temp_path:
                    stage = "rename"
                    self._rename(sftp, name_bytes(temp_path), name_bytes(result.remote_name))
                result.phases["transfer"] = time.monotonic() - started
                result.ok = True
        except Exception as exc:
            kind, cause = self._classify(exc, stage)
            if kind not in _SESSION_SURVIVES:
                self._drop()
            elif temp_path and stage != "rename":
                self._remove_quietly(name_bytes(temp_path))
            where = f"{stage} {temp_path or result.remote_name}" if stage != "connect" else "connect"
            log.debug("job %s: %s on %s (%s): %s", self.job.name, kind, self.endpoint, where, cause,
                      exc_info=kind == faults.UNEXPECTED)
            return self._fail(result, kind, f"{where}: {cause}")
        except BaseException:  # killed mid-transfer (stop timeout, gevent.Timeout): the session is out of step
            self._drop()
            raise
        finally:
            if self.job.connection == "per-file":
                self._drop()
        return result

    def close(self) -> None:
        self._closed = True
        self._drop()

    # -- steps ----------------------------------------------------------------------------------

    def _remote_path(self, name: str) -> str:
        directory = self.job.remote_dir
        return name if directory in ("", ".") else posixpath.join(directory, name)

    def _sftp(self, phases: Dict[str, float]) -> paramiko.SFTPClient:
        if self._session is not None:
            transport, sftp = self._session
            if transport.is_active():
                return sftp
            self._drop()
        job = self.job
        transport, sftp = open_sftp(job.host, job.port, job.connect_timeout, job.timeout,
                                    job.keepalive if job.connection == "reuse" else 0.0,
                                    self._checker, self._auth, phases)
        self.connections += 1
        self._session = (transport, sftp)
        self._write_size = None
        return sftp

    def _upload(self, sftp: paramiko.SFTPClient, handle: bytes, local: BinaryIO, size: int) -> int:
        if size > WRITE_SIZE and self._write_size is None:
            self._write_size = negotiate_write_size(sftp)
        sent, remote_size = write_and_close(sftp, handle, local, self.job.verify_size,
                                            self._write_size or WRITE_SIZE)
        if remote_size is not None and remote_size != sent:
            raise SshFault(faults.SIZE_MISMATCH, f"remote size {remote_size} bytes after sending {sent}")
        if sent != size:
            log.debug("job %s: %s changed size while being sent (%d → %d bytes)", self.job.name,
                      getattr(local, "name", "?"), size, sent)
        return sent

    def _rename(self, sftp: paramiko.SFTPClient, temp_path: bytes, final_path: bytes) -> None:
        if self._posix_rename:
            try:
                sftp.posix_rename(temp_path, final_path)
                return
            except OSError as exc:
                if exc.errno is not None or "unsupported" not in str(exc).lower():
                    raise
                self._posix_rename = False
                log.info("job %s: %s has no posix-rename; using plain rename", self.job.name, self.endpoint)
        sftp.rename(temp_path, final_path)

    def _remove_quietly(self, path: bytes) -> None:
        if self._session is None:
            return
        try:
            self._session[1].remove(path)
        except Exception:  # noqa: S110  (best effort: the upload already failed and is reported)
            pass

    def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session[0].close()
            except Exception:  # noqa: S110  (closing a broken session must not fail the result)
                pass

    def _fail(self, result: TransferResult, kind: str, cause: str) -> TransferResult:
        result.ok = False
        result.fault = kind
        result.detail = f"sftp {self.job.username}@{self.endpoint}: {cause}"
        return result

    # -- classification -------------------------------------------------------------------------

    def _classify(self, exc: BaseException, stage: str) -> Tuple[str, str]:
        """(kind, cause) for an exception raised at ``stage`` (connect | open | write | rename)."""
        if isinstance(exc, SshFault):
            return exc.kind, exc.cause
        if isinstance(exc, TransferDeadline):
            return faults.READ_TIMEOUT, str(exc)
        if isinstance(exc, LocalReadError):
            return faults.LOCAL_FILE, str(exc)
        if isinstance(exc, paramiko.AuthenticationException):
            return faults.SSH_AUTH, f"authentication failed: {exc}"
        connecting = stage == "connect"
        socket_kind = faults.classify_os_error(exc, connecting=connecting)
        if socket_kind is not None:
            kind, cause = socket_kind
            if kind == faults.RESET and not connecting:
                return faults.CHANNEL_CLOSED, f"{cause} mid-transfer"
            return kind, cause
        if isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.EACCES):
            return self._classify_sftp_status(exc, stage)
        text = str(exc) or type(exc).__name__
        closed = isinstance(exc, EOFError) or any(hint in text.lower() for hint in _CLOSED_HINTS)
        if closed and isinstance(exc, (paramiko.SSHException, EOFError, OSError)):
            if connecting:
                return faults.RESET, f"the server closed the connection during the SSH handshake ({text})"
            return faults.CHANNEL_CLOSED, f"the SSH connection closed mid-transfer ({text})"
        if isinstance(exc, paramiko.SSHException):
            if "banner" in text.lower():  # paramiko chains the cause: a timeout or an early close
                if isinstance(exc.__context__, (TimeoutError, socket.timeout)):
                    return faults.CONNECT_TIMEOUT, f"no SSH banner within {self.job.connect_timeout:g}s"
                if isinstance(exc.__context__, EOFError):
                    return faults.RESET, ("the server closed the connection before its SSH banner "
                                          "(not an SSH port, or sshd's MaxStartups reached?)")
            return faults.PROTOCOL, f"SSH negotiation failed: {text}"
        if isinstance(exc, OSError):
            return self._classify_sftp_status(exc, stage)
        return faults.UNEXPECTED, f"{type(exc).__name__}: {text}"

    def _classify_sftp_status(self, exc: OSError, stage: str) -> Tuple[str, str]:
        """Map an SFTP status (paramiko raises IOError) to a kind."""
        text = exc.strerror or str(exc) or "failure"
        if exc.errno == errno.ENOENT:
            directory = self.job.remote_dir
            if stage == "rename":
                return faults.NO_SUCH_DIR, f"rename failed, no such file or directory ({text})"
            return faults.NO_SUCH_DIR, f"remote directory {directory!r} does not exist ({text})"
        if exc.errno == errno.EACCES:
            return faults.PERMISSION, f"permission denied ({text})"
        lowered = text.lower()
        if "space" in lowered or "quota" in lowered:
            return faults.DISK_FULL, text
        if stage == "write" and lowered == "failure":
            # OpenSSH reports ENOSPC/EDQUOT on WRITE as the generic SSH_FX_FAILURE.
            return faults.DISK_FULL, "the server failed the write (SSH_FX_FAILURE: usually disk full or quota)"
        return faults.REMOTE_FAILURE, f"the server reported: {text}"

