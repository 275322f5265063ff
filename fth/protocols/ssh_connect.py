"""Open a tuned, authenticated SSH session for SFTP uploads (see SftpTransport).

Tuning from the measurements in the project's performance notes: the socket is
created here with TCP_NODELAY (paramiko sets none, and Nagle delays both the
authentication exchange and bulk writes), and aes128-gcm is preferred over
paramiko's default aes128-ctr + HMAC.
"""

import logging
import os
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import paramiko
import paramiko.agent

from fth import faults

log = logging.getLogger(__name__)

class _QuietParamiko(logging.Filter):
    """Drop paramiko's own fault logs (tracebacks at ERROR) unless paramiko debugging is on (-vv).

    The transport classifies, counts and logs every fault itself, once, with host:port.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return logging.getLogger("paramiko").isEnabledFor(logging.DEBUG)


for _name in ("paramiko.transport", "paramiko.transport.sftp"):
    logging.getLogger(_name).addFilter(_QuietParamiko())

FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr")
_warned_ignore: Set[Tuple[str, str, int]] = set()
_known_hosts_lock = threading.Lock()


class SshFault(Exception):
    """A classified failure: ``kind`` from fth.faults and a one-line cause."""

    def __init__(self, kind: str, cause: str):
        super().__init__(cause)
        self.kind = kind
        self.cause = cause


def host_key_name(host: str, port: int) -> str:
    """How OpenSSH names ``host:port`` in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def tune_ciphers(transport: paramiko.Transport) -> None:
    """Put the fastest ciphers this paramiko supports first, keeping the rest as fallback."""
    options = transport.get_security_options()
    available = list(options.ciphers)
    fast = [name for name in FAST_CIPHERS if name in available]
    options.ciphers = tuple(fast + [name for name in available if name not in fast])


class HostKeyChecker:
    """Apply ``host_key_policy`` (strict | accept-new | ignore) against a known_hosts file."""

    def __init__(self, policy: str, known_hosts: str, job_name: str):
        self.policy = policy
        self.path = os.path.expanduser(known_hosts)
        self.job_name = job_name
        self._keys: Optional[paramiko.HostKeys] = None

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if os.path.exists(self.path):
            try:
                keys.load(self.path)
            except (OSError, paramiko.SSHException) as exc:
                raise SshFault(faults.HOST_KEY, f"cannot read known_hosts {self.path}: {exc}") from None
        return keys

    def check(self, host: str, port: int, key: paramiko.PKey) -> None:
        """Return when ``key`` is acceptable for host:port, else raise SshFault(host_key)."""
        if self.policy == "ignore":
            if (self.job_name, host, port) not in _warned_ignore:
                _warned_ignore.add((self.job_name, host, port))
                log.warning("job %s: host_key_policy ignore: not checking the host key of %s:%s (%s %s)",
                            self.job_name, host, port, key.get_name(), key.fingerprint)
            return
        if self._keys is None:
            self._keys = self._load()
        name = host_key_name(host, port)
        if self._matches(self._keys, name, key):
            return
        # Another worker may have accepted it meanwhile, or the file changed: look once more.
        self._keys = self._load()
        known = self._keys.lookup(name)
        if self._matches(self._keys, name, key):
            return
        if known:
            raise SshFault(faults.HOST_KEY, f"host key CHANGED: server offers {key.get_name()} {key.fingerprint}, "
                                            f"{self.path} holds another key for {name}")
        if self.policy == "strict":
            raise SshFault(faults.HOST_KEY, f"host key unknown: {name} ({key.get_name()} {key.fingerprint}) "
                                            f"is not in {self.path}")
        self._accept(name, key)

    @staticmethod
    def _matches(keys: paramiko.HostKeys, name: str, key: paramiko.PKey) -> bool:
        entry = keys.lookup(name)
        if not entry:
            return False
        known = entry.get(key.get_name())
        return known is not None and known.asbytes() == key.asbytes()

    def _accept(self, name: str, key: paramiko.PKey) -> None:
        with _known_hosts_lock:
            latest = self._load()
            if self._matches(latest, name, key):  # another worker accepted it meanwhile
                self._keys = latest
                return
            try:
                directory = os.path.dirname(self.path)
                if directory:
                    os.makedirs(directory, mode=0o700, exist_ok=True)
                needs_newline = os.path.exists(self.path) and os.path.getsize(self.path) > 0 and not \
                    _ends_with_newline(self.path)
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(("\n" if needs_newline else "") + f"{name} {key.get_name()} {key.get_base64()}\n")
            except OSError as exc:
                raise SshFault(faults.HOST_KEY, f"cannot add the new host key to {self.path}: "
                                                f"{exc.strerror or exc}") from None
        assert self._keys is not None
        self._keys.add(name, key.get_name(), key)
        log.warning("job %s: accepted new host key for %s (%s %s) into %s",
                    self.job_name, name, key.get_name(), key.fingerprint, self.path)


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class _QuickAckSocket(socket.socket):
    """A socket that acknowledges received data at once (TCP_QUICKACK after every recv).

    After login, sshd sends two small unsolicited packets (a hostkeys-00 global
    request and a debug message) and, as it does not set TCP_NODELAY for
    non-interactive sessions, holds its answer to our channel open until they are
    acknowledged: with delayed ACKs that costs ~40 ms on every connection.
    Linux forgets TCP_QUICKACK after a while, hence the re-arm on each recv.
    """

    def recv(self, *args: Any) -> bytes:
        data = super().recv(*args)
        try:
            self.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        except OSError:
            pass
        return data


def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A connected TCP socket with TCP_NODELAY (and quick ACKs); raises SshFault with a classified kind."""
    socket_class = _QuickAckSocket if _QUICKACK is not None else socket.socket
    try:
        addresses = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except OSError as exc:
        kind, cause = faults.classify_os_error(exc) or (faults.DNS, str(exc))
        raise SshFault(kind, cause) from None
    last_error: Optional[OSError] = None
    for family, kind_, proto, _, address in addresses:
        sock = socket_class(family, kind_, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    assert last_error is not None
    kind, cause = faults.classify_os_error(last_error) or (faults.UNEXPECTED, str(last_error))
    raise SshFault(kind, cause)


def _open_agent() -> Optional[paramiko.agent.AgentSSH]:
    """A connection to the ssh-agent at SSH_AUTH_SOCK, or None (paramiko.Agent leaks a socket then)."""
    path = os.environ.get("SSH_AUTH_SOCK")
    if not path or not hasattr(socket, "AF_UNIX"):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    agent = paramiko.agent.AgentSSH()
    agent._connect(conn)
    return agent


class Authenticator:
    """Log in with a key, an ssh-agent key and/or a password, in that order."""

    def __init__(self, username: str, key: Optional[paramiko.PKey], password: Optional[str], use_agent: bool):
        self.username = username
        self.key = key
        self.password = password
        self.use_agent = use_agent

    def login(self, transport: paramiko.Transport) -> None:
        tried: List[str] = []
        methods: List[Tuple[str, Callable[[], object]]] = []
        if self.key is not None:
            key = self.key
            methods.append(("key", lambda: transport.auth_publickey(self.username, key)))
        agent = _open_agent() if self.use_agent else None
        try:
            if self.use_agent:
                agent_keys = agent.get_keys() if agent is not None else ()
                for index, agent_key in enumerate(agent_keys):
                    methods.append((f"agent key {index + 1}",
                                    lambda k=agent_key: transport.auth_publickey(self.username, k)))
                if agent is None:
                    tried.append("ssh-agent (none reachable: is SSH_AUTH_SOCK set?)")
                elif not agent_keys:
                    tried.append("ssh-agent (it holds no keys)")
            if self.password is not None:
                methods.append(("password", self._password_login(transport)))
            for name, method in methods:
                try:
                    method()
                except paramiko.BadAuthenticationType as exc:
                    tried.append(f"{name} (server allows only {', '.join(exc.allowed_types)})")
                    continue
                except paramiko.AuthenticationException:
                    tried.append(name)
                    continue
                if transport.is_authenticated():
                    return
        finally:
            if agent is not None:
                agent._close()
        raise SshFault(faults.SSH_AUTH, f"login as {self.username!r} refused; tried "
                                        + (", ".join(tried) or "nothing"))

    def _password_login(self, transport: paramiko.Transport) -> Callable[[], object]:
        password = self.password or ""

        def login() -> object:
            try:
                return transport.auth_password(self.username, password)
            except paramiko.BadAuthenticationType as exc:
                if "keyboard-interactive" not in exc.allowed_types:
                    raise
                return transport.auth_interactive(self.username, lambda title, text, prompts: [password] * len(prompts))

        return login


def open_sftp(host: str, port: int, connect_timeout: float, channel_timeout: float, keepalive: float,
              checker: HostKeyChecker, authenticator: Authenticator,
              phases: Dict[str, float]) -> Tuple[paramiko.Transport, paramiko.SFTPClient]:
    """Connect, check the host key, log in and open the SFTP subsystem.

    Fills ``phases`` with "connect" (TCP + SSH handshake + host key) and "auth"
    (login + SFTP subsystem) seconds. Raises SshFault, or the underlying exception
    for the caller to classify.
    """
    started = time.monotonic()
    sock = open_socket(host, port, connect_timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = connect_timeout
        transport.handshake_timeout = connect_timeout
        transport.auth_timeout = connect_timeout
        transport.channel_timeout = connect_timeout
        tune_ciphers(transport)
        transport.start_client(timeout=connect_timeout)
        checker.check(host, port, transport.get_remote_server_key())
        authenticating = time.monotonic()
        phases["connect"] = authenticating - started
        authenticator.login(transport)
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise SshFault(faults.PROTOCOL, "the server did not open the SFTP subsystem")
        sftp.get_channel().settimeout(channel_timeout)
        if keepalive > 0:
            transport.set_keepalive(max(1, int(keepalive)))
        phases["auth"] = time.monotonic() - authenticating
        return transport, sftp
    except BaseException:
        transport.close()
        raise
