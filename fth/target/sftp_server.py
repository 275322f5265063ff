"""The target's SFTP side: paramiko's server classes on a gevent StreamServer, one greenlet per connection.

Password authentication (the configured password, for any username) and public-key
authentication (any key, or the keys of an authorized_keys file). The session sees a
virtual root: ``/`` is the upload directory (a temporary one when data is discarded); missing
directories of an upload's path are created, so any ``remote_dir`` works.
Uploads are recorded when their handle closes, except names matching the temporary-name
pattern (``.name``, ``*.part``, ...), which are recorded when renamed to their final name.
The UUID comes from the final name (``uuid`` group of the pattern), else a new one.
When data is discarded, an upload's file stays as an empty sparse file of the right size for
a minute (clients stat or rename it after the upload), then it is deleted.
"""

import base64
import logging
import os
import posixpath
import re
import shutil
import tempfile
import threading
import time
import uuid as uuidlib
from collections import deque
from typing import Any, Deque, Dict, List, Optional, Set, Tuple

import gevent
import paramiko
from gevent.server import StreamServer
from paramiko.sftp import SFTP_FAILURE, SFTP_NO_SUCH_FILE, SFTP_OK, SFTP_PERMISSION_DENIED

from fth.netutil import listen
from fth.target.records import Arrival, now
from fth.target.settings import TargetSettings
from fth.target.tracker import Tracker
from fth.templates import name_bytes
from fth.tracking.base import stored_text

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 30.0
DISCARD_AFTER = 60.0  # seconds a discarded upload stays visible (as an empty sparse file of its size)


def load_or_create_host_key(path: Optional[str]) -> paramiko.PKey:
    """The Ed25519/RSA/ECDSA key at ``path``; a new RSA key (saved at ``path`` when given) otherwise."""
    if path and os.path.exists(path):
        for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
            try:
                return kind.from_private_key_file(path)
            except paramiko.SSHException:
                continue
        raise paramiko.SSHException(f"{path}: not a private key paramiko can read")
    key = paramiko.RSAKey.generate(2048)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        key.write_private_key_file(path)
        os.chmod(path, 0o600)
    return key


def load_authorized_keys(path: str) -> Set[Tuple[str, bytes]]:
    """(key type, key blob) of each line of an OpenSSH authorized_keys file."""
    keys: Set[Tuple[str, bytes]] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            for index, field in enumerate(fields[:-1]):
                if field.startswith(("ssh-", "ecdsa-", "sk-")):
                    try:
                        keys.add((field, base64.b64decode(fields[index + 1])))
                    except ValueError:
                        pass
                    break
    return keys


class Server(paramiko.ServerInterface):
    """Authentication and channel policy of one connection; remembers who logged in."""

    def __init__(self, settings: TargetSettings, tracker: Tracker,
                 authorized: Optional[Set[Tuple[str, bytes]]]) -> None:
        self.settings = settings
        self.tracker = tracker
        self.authorized = authorized
        self.username: Optional[str] = None

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        if password == self.settings.sftp_password:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        log.info("sftp: wrong password for %r", username)
        self.tracker.reject()
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if self.authorized is None or (key.get_name(), key.asbytes()) in self.authorized:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class Uploads:
    """State shared by every session: the root, the patterns, and temp files closed but not yet renamed."""

    def __init__(self, settings: TargetSettings, tracker: Tracker, root: str, discard: bool) -> None:
        self.settings = settings
        self.tracker = tracker
        self.root = root
        self.discard = discard
        self.uuid_pattern = re.compile(settings.uuid_pattern)
        self.temp_pattern = re.compile(settings.temp_pattern)
        self.parked: Dict[str, Tuple[str, int, Any]] = {}  # real temp path -> (username, size, start)
        self.writing: Dict[str, Handle] = {}  # real path -> its open handle (renamed while open: it follows)
        self.recorded: Deque[Tuple[float, str]] = deque()  # discard mode: (when, real path) to delete later
        self.lock = threading.Lock()

    def is_temp(self, name: str) -> bool:
        return bool(self.temp_pattern.search(posixpath.basename(name)))

    def record(self, real_path: str, username: str, size: int, start: Any) -> None:
        name = stored_text(name_bytes(os.path.basename(real_path)))  # a name that is not UTF-8: U+FFFD, as over HTTP
        found = self.uuid_pattern.search(name)
        transaction = (found.group("uuid") if found and "uuid" in found.groupdict() else
                       found.group(0) if found else "") or str(uuidlib.uuid4())
        self.tracker.arrived(Arrival(transaction, username, name, size, start, now(), "sftp"))
        self.forget_later(real_path)

    def forget_later(self, real_path: str) -> None:
        """Discard mode: the file (sparse, no data) stays for clients that stat or rename it, then goes."""
        if self.discard:
            self.recorded.append((time.monotonic(), real_path))

    def sweep(self, older_than: float = DISCARD_AFTER) -> None:
        limit = time.monotonic() - older_than
        while self.recorded and self.recorded[0][0] <= limit:
            _, path = self.recorded.popleft()
            try:
                os.unlink(path)
            except OSError:
                pass


class Handle(paramiko.SFTPHandle):
    """A file opened for writing; in discard mode the bytes are only counted."""

    def __init__(self, session: "SftpSession", real_path: str, flags: int) -> None:
        super().__init__(flags)
        self.session = session
        self.real_path = real_path
        self.size = 0
        self.started = now()
        self.file = None if session.uploads.discard else open(real_path, "r+b")  # noqa: SIM115
        with session.uploads.lock:
            session.uploads.writing[real_path] = self

    def write(self, offset: int, data: bytes) -> int:
        if self.file is not None:
            self.file.seek(offset)
            self.file.write(data)
        self.size = max(self.size, offset + len(data))
        return SFTP_OK

    def read(self, offset: int, length: int) -> int:
        return SFTP_PERMISSION_DENIED

    def stat(self) -> paramiko.SFTPAttributes:
        attrs = paramiko.SFTPAttributes()
        attrs.st_size = self.size
        attrs.st_mode = 0o100644
        return attrs

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK

    def close(self) -> None:
        with self.session.uploads.lock:
            if self.session.uploads.writing.get(self.real_path) is self:
                del self.session.uploads.writing[self.real_path]
        if self.file is not None:
            self.file.close()
            self.file = None
        else:  # discard mode: the right size on disk without its data
            try:
                os.truncate(self.real_path, self.size)
            except OSError:
                pass
        self.session.closed(self)


class _NamesAsSent(paramiko.Message):
    """An SFTP request whose names are read as the bytes they are: UTF-8, and a name that is not UTF-8 keeps its
    bytes as surrogate escapes (as :func:`os.fsdecode` does), so the file is stored under the name it was sent
    with. paramiko's own reading refuses such a name, and the client gets a bare "Failure"."""

    def get_text(self) -> str:
        return self.get_string().decode("utf-8", "surrogateescape")


class SftpServer(paramiko.SFTPServer):
    """paramiko's SFTP server, each request read by :class:`_NamesAsSent`."""

    def _process(self, t: int, request_number: int, msg: paramiko.Message) -> None:
        msg.__class__ = _NamesAsSent
        super()._process(t, request_number, msg)


class SftpSession(paramiko.SFTPServerInterface):
    """One SFTP session over the virtual root."""

    def __init__(self, server: Server, uploads: Uploads, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.server = server
        self.uploads = uploads

    @property
    def username(self) -> str:
        return self.server.username or "anonymous"

    def real(self, path: str) -> str:
        virtual = posixpath.normpath(posixpath.join("/", path or "/"))
        return os.path.join(self.uploads.root, virtual.lstrip("/"))

    def canonicalize(self, path: str) -> Any:
        return name_bytes(posixpath.normpath(posixpath.join("/", path or "/")))  # sent as the bytes it came as

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> Any:
        if not flags & (os.O_WRONLY | os.O_RDWR):
            return SFTP_PERMISSION_DENIED  # write-only drop box
        if not self.uploads.tracker.admit():
            log.debug("sftp: over capacity, refusing %s from %s", path, self.username)
            return SFTP_FAILURE
        real = self.real(path)
        try:
            os.makedirs(os.path.dirname(real), exist_ok=True)  # a drop box: any remote_dir works
            with open(real, "wb"):
                pass
            return Handle(self, real, flags)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def closed(self, handle: Handle) -> None:
        if self.uploads.is_temp(handle.real_path):
            with self.uploads.lock:
                self.uploads.parked[handle.real_path] = (self.username, handle.size, handle.started)
            return
        self.uploads.record(handle.real_path, self.username, handle.size, handle.started)

    def list_folder(self, path: str) -> Any:
        real = self.real(path)
        try:
            items = []
            for name in os.listdir(real):
                attrs = paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, name)))
                attrs.filename = name_bytes(name)
                items.append(attrs)
            return items
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def stat(self, path: str) -> Any:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self.real(path)))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    lstat = stat

    def remove(self, path: str) -> int:
        real = self.real(path)
        with self.uploads.lock:
            self.uploads.parked.pop(real, None)
        try:
            os.remove(real)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        old, new = self.real(oldpath), self.real(newpath)
        try:
            if not os.path.exists(old):
                return SFTP_NO_SUCH_FILE
            os.replace(old, new)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        with self.uploads.lock:
            parked = self.uploads.parked.pop(old, None)
            handle = self.uploads.writing.pop(old, None)
            if handle is not None:  # renamed before its close (some clients do): recorded at the close, by
                handle.real_path = new  # its new name
                self.uploads.writing[new] = handle
                return SFTP_OK
        if parked is not None and not self.uploads.is_temp(new):
            username, size, started = parked
            self.uploads.record(new, username, size, started)
        elif parked is not None:
            with self.uploads.lock:
                self.uploads.parked[new] = parked
        else:
            self.uploads.forget_later(new)  # a recorded upload moved after its close
        return SFTP_OK

    posix_rename = rename

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        try:
            os.mkdir(self.real(path))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def rmdir(self, path: str) -> int:
        try:
            os.rmdir(self.real(path))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return SFTP_OK

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK if os.path.exists(self.real(path)) else SFTP_NO_SUCH_FILE


class SftpListener:
    """The SFTP server of the target: ``start()``, ``port``, ``stop()``."""

    def __init__(self, settings: TargetSettings, tracker: Tracker) -> None:
        assert settings.sftp is not None
        self.settings = settings
        self.tracker = tracker
        self.host_key = load_or_create_host_key(settings.host_key)
        self.authorized = load_authorized_keys(settings.authorized_keys) if settings.authorized_keys else None
        self._temp_root: Optional[str] = None
        if settings.upload_dir:
            root = os.path.join(settings.upload_dir, "sftp")
            os.makedirs(root, exist_ok=True)
        else:
            root = self._temp_root = tempfile.mkdtemp(prefix="fth-target-sftp-")
        self.uploads = Uploads(settings, tracker, root, discard=not settings.upload_dir)
        self.transports: List[paramiko.Transport] = []
        self.server = StreamServer(listen(*settings.sftp), self._handle)
        self.sweeper: Optional[gevent.Greenlet] = None

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def host_key_line(self) -> str:
        """The known_hosts line for this server (``[host]:port type base64``)."""
        host = self.server.server_host
        name = host if self.port == 22 else f"[{host}]:{self.port}"
        return f"{name} {self.host_key.get_name()} {self.host_key.get_base64()}"

    def start(self) -> None:
        self.server.start()
        if self.uploads.discard:
            self.sweeper = gevent.spawn(self._sweep_loop)

    def _sweep_loop(self) -> None:
        while True:
            gevent.sleep(5.0)
            self.uploads.sweep()

    def _handle(self, sock: Any, address: Tuple[str, int]) -> None:
        transport = paramiko.Transport(sock)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", SftpServer, SftpSession, self.uploads)
        self.transports.append(transport)
        try:
            transport.start_server(server=Server(self.settings, self.tracker, self.authorized))
            channel = transport.accept(HANDSHAKE_TIMEOUT)
            if channel is None:
                log.debug("sftp: %s:%s opened no channel", *address[:2])
                return
            while transport.is_active():
                transport.join(1.0)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("sftp: connection from %s:%s ended: %s", address[0], address[1], exc)
        finally:
            transport.close()
            self.transports.remove(transport)

    def stop(self) -> None:
        if self.sweeper is not None:
            self.sweeper.kill()
            self.sweeper = None
        self.server.stop(timeout=1.0)
        for transport in list(self.transports):
            transport.close()
        if self._temp_root:
            shutil.rmtree(self._temp_root, ignore_errors=True)
            self._temp_root = None

