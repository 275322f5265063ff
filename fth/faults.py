"""Fault kinds: every failed transfer is counted under exactly one of these.

Transports turn exceptions into a kind with :func:`classify_os_error` (and their
own protocol-specific rules) and add a one-line detail; :data:`HINTS` says how a
user can check each kind. Faults are results of the load test, never reasons to stop it.
"""

import errno
import socket
import ssl
from typing import Optional, Tuple

REFUSED = "refused"
RESET = "reset"
DNS = "dns"
CONNECT_TIMEOUT = "connect_timeout"
READ_TIMEOUT = "read_timeout"
TLS = "tls"
HTTP_STATUS = "http_status"  # counted as http_<code>, e.g. http_503
UNREACHABLE = "unreachable"
LOCAL_FILE = "local_file"
PROTOCOL = "protocol"
SSH_AUTH = "auth_failed"
HOST_KEY = "host_key"
PERMISSION = "permission_denied"
NO_SUCH_DIR = "no_such_dir"
DISK_FULL = "disk_full"
CHANNEL_CLOSED = "channel_closed"
SIZE_MISMATCH = "size_mismatch"
NOT_SENT = "not_sent"  # fire mode: dropped at the in-flight cap
ABORTED = "aborted"  # still in flight when the run stopped (stop timeout, a second interrupt)
UNEXPECTED = "unexpected"
REMOTE_FAILURE = "remote_failure"  # SFTP: the server refused an operation without a specific reason

HINTS = {
    REFUSED: "nothing listens there: check the host and port, and that the service is up",
    RESET: "the server or a middlebox closed the connection: check server logs and limits",
    DNS: "the host name does not resolve: check the spelling, /etc/hosts and DNS",
    CONNECT_TIMEOUT: "no answer to connect: check firewalls, routing and the host's load",
    READ_TIMEOUT: "the server accepted but did not answer in time: raise timeout or check the server",
    TLS: "TLS handshake failed: check ca_file/verify, the server certificate and cert_file/key_file",
    HTTP_STATUS: "the server answered with a status outside expect_status",
    UNREACHABLE: "no route to the host: check the address and the network",
    LOCAL_FILE: "a source file could not be read: check the source directory and permissions",
    PROTOCOL: "the server spoke an unexpected protocol: check the URL scheme and port",
    SSH_AUTH: "the server refused the login: check username, password or key",
    HOST_KEY: "the server's host key is unknown or changed: if it changed on purpose (a new server, or fth-target "
              "with another --state-dir), remove the old key with ssh-keygen -R '[HOST]:PORT' -f KNOWN_HOSTS using "
              "the name and file of the message (port 22: ssh-keygen -R HOST -f KNOWN_HOSTS); else check "
              "known_hosts and host_key_policy",
    PERMISSION: "the server refused to write there: check the remote directory's permissions",
    NO_SUCH_DIR: "the remote directory does not exist: check remote_dir",
    DISK_FULL: "the server is out of space or quota",
    CHANNEL_CLOSED: "the SSH channel closed mid-transfer: check the server's logs and limits",
    SIZE_MISMATCH: "the remote file's size differs from the local file after the upload",
    NOT_SENT: "fire mode reached max_in_flight: raise it or lower the rate",
    ABORTED: "the run stopped before the transfer ended: raise stop_timeout to let transfers finish",
    UNEXPECTED: "an unexpected error: run with -vv and report it",
    REMOTE_FAILURE: "the SFTP server refused the operation without a specific reason: check its logs",
}


# Faults of the harness itself (its files, its stopping), not of the system under test: shown
# apart, and never counted toward a stop condition's failure rate.
HARNESS_FAULTS = frozenset({LOCAL_FILE, ABORTED})


def is_harness_fault(kind: str) -> bool:
    return kind in HARNESS_FAULTS


def hint_for(kind: str) -> str:
    if kind.startswith("http_"):
        return HINTS[HTTP_STATUS]
    return HINTS.get(kind, HINTS[UNEXPECTED])


def classify_os_error(exc: BaseException, *, connecting: bool = True) -> Optional[Tuple[str, str]]:
    """A (kind, cause) for socket-level errors, or None when ``exc`` is something else."""
    if isinstance(exc, socket.gaierror):
        return DNS, f"name resolution failed ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLError):
        return TLS, getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return (CONNECT_TIMEOUT, "timed out connecting") if connecting else (READ_TIMEOUT, "timed out waiting")
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED, "connection refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return RESET, "connection reset by peer"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return UNREACHABLE, exc.strerror or "no route to host"
    return None
