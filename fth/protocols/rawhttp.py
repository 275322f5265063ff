"""A minimal HTTP/1.1 client connection for uploads: what ``client: fast`` sends with.

One request at a time over one kept-alive connection (plain or TLS). The request
head and a small body leave in one ``sendall``; the answer is parsed just enough
to know its status and where it ends (Content-Length, chunked, or the connection
closing), and its body is read and dropped. Every failure is raised as a
:class:`HttpFault` carrying a kind from :mod:`fth.faults`.
"""

import socket
import ssl
from typing import Any, Optional, Tuple

from gevent.monkey import get_original

from fth import faults

# The blocking select, for a zero-timeout poll: gevent's version yields to the hub on
# every call, a greenlet switch per request for a check that never waits.
_poll_now = get_original("select", "select")

CHUNK = 256 * 1024
MAX_HEAD = 64 * 1024
MAX_CHUNK_LINE = 4096  # a chunk-size line (with extensions) longer than this is not HTTP
_NO_BODY_STATUSES = (204, 304)


class HttpFault(Exception):
    def __init__(self, kind: str, cause: str):
        super().__init__(cause)
        self.kind = kind
        self.cause = cause


def _fault(exc: BaseException, connecting: bool) -> HttpFault:
    found = faults.classify_os_error(exc, connecting=connecting)
    if found is None:
        return HttpFault(faults.UNEXPECTED, f"{type(exc).__name__}: {exc}")
    return HttpFault(*found)


class RawHttpConnection:
    def __init__(self, host: str, port: int, *, tls: Optional[ssl.SSLContext], connect_timeout: float,
                 timeout: float):
        self.host = host
        self.port = port
        self.tls = tls
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.sock: Optional[socket.socket] = None
        self._buffer = b""

    # -- connection -----------------------------------------------------------------
    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except OSError as exc:
            raise _fault(exc, connecting=True) from None
        sock.settimeout(self.timeout)
        self._buffer = b""
        return sock

    def _usable(self) -> bool:
        """A kept-alive connection the server has not closed (nothing to read while idle)."""
        if self.sock is None:
            return False
        try:
            readable, _, _ = _poll_now([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    # -- one exchange ---------------------------------------------------------------
    def request(self, head: bytes, body: Any) -> Tuple[int, str]:
        """Send ``head`` (ending in a blank line) and ``body`` (bytes or a readable); (status, reason)."""
        if not self._usable():
            self.close()
            self.sock = self._connect()
        sock = self.sock
        try:
            if isinstance(body, (bytes, bytearray)):
                payload = head + body
                sent = sock.send(payload)  # one call for a small upload; gevent's sendall costs more
                if sent < len(payload):
                    sock.sendall(memoryview(payload)[sent:])
            else:
                sock.sendall(head)
                chunk = body.read(CHUNK)
                while chunk:
                    sock.sendall(chunk)
                    chunk = body.read(CHUNK)
            status, reason, keep_alive = self._read_response()
        except HttpFault:
            self.close()
            raise
        except OSError as exc:
            self.close()
            if isinstance(exc, (socket.timeout, TimeoutError)):
                raise HttpFault(faults.READ_TIMEOUT, "timed out waiting for the response") from None
            raise _fault(exc, connecting=False) from None
        if not keep_alive:
            self.close()
        return status, reason

    def _recv(self) -> bytes:
        data = self.sock.recv(CHUNK)
        if not data:
            raise HttpFault(faults.RESET, "the server closed the connection without a complete response")
        return data

    def _read_head(self) -> bytes:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                self._buffer = buffer[end + 4:]
                return buffer[:end]
            if len(buffer) > MAX_HEAD:
                raise HttpFault(faults.PROTOCOL, "the answer's head is too large: not HTTP?")
            buffer += self._recv()

    def _read_response(self) -> Tuple[int, str, bool]:
        while True:
            head = self._read_head()
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                raise HttpFault(faults.PROTOCOL, "the answer was not HTTP")
            status = int(parts[1])
            if status >= 200 or status == 101:
                break  # 1xx interim answers (100 Continue) are skipped
        reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
        length: Optional[int] = None
        chunked = False
        keep_alive = parts[0] != b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    raise HttpFault(faults.PROTOCOL, "the answer has a bad Content-Length") from None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                token = value.strip().lower()
                keep_alive = token == b"keep-alive" or (keep_alive and token != b"close")
        if status in _NO_BODY_STATUSES or 100 <= status < 200:
            return status, reason, keep_alive
        if chunked:
            self._drain_chunked()
        elif length is not None:
            self._drain(length)
        else:  # the body ends when the server closes the connection
            while self.sock.recv(CHUNK):
                pass
            return status, reason, False
        return status, reason, keep_alive

    def _drain(self, length: int) -> None:
        """Read and drop ``length`` bytes of body, a chunk at a time (never gathered)."""
        left = length - len(self._buffer)
        if left <= 0:
            self._buffer = self._buffer[length:]
            return
        self._buffer = data = b""
        while left > 0:
            data = self._recv()
            left -= len(data)
        if left < 0:  # the last read went past the body: keep the rest (a next answer's start)
            self._buffer = data[left:]

    def _line(self) -> bytes:
        """The next CRLF-ended line of a chunked body, at most MAX_CHUNK_LINE bytes long."""
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > MAX_CHUNK_LINE:
                raise HttpFault(faults.PROTOCOL, "a line of the answer's chunked body is endless: not HTTP?")
            self._buffer += self._recv()
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line

    def _drain_chunked(self) -> None:
        while True:
            size_line = self._line()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise HttpFault(faults.PROTOCOL, "the answer has a bad chunk size") from None
            if size == 0:
                self._read_head_trailer()
                return
            self._drain(size + 2)  # the chunk and its CRLF

    def _read_head_trailer(self) -> None:
        """The trailer fields after the last chunk, up to the blank line (each line bounded)."""
        while self._line():
            pass
