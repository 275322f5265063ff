"""Serve the app with gevent's WSGI server: for fth-web (until a signal) or inside an fth run.

The access log is off (a wall screen polling every second would flood it); server
errors go to this module's logger. ``start_in_background`` runs the server in a
greenlet and returns a handle with the bound ``port`` (ask for port 0 to get a free
one) and ``stop()``.
"""

import logging
import socket
from typing import Any, Optional

from gevent import pywsgi

from fth.netutil import listen

log = logging.getLogger(__name__)


class _ErrorLog:
    """A file-like object pywsgi writes its error lines to; they go to the logger instead."""

    def write(self, text: str) -> None:
        text = text.rstrip()
        if text:
            log.error("%s", text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line UsageError naming the address (before anything is printed)."""
    from fth.errors import UsageError

    try:
        return listen(host, port)
    except OSError as exc:
        raise UsageError(f"fth-web cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port or stop whatever is using it") from None


def make_server(app: Any, sock: socket.socket) -> pywsgi.WSGIServer:
    return pywsgi.WSGIServer(sock, app, log=None, error_log=_ErrorLog())


class ServerHandle:
    """A server running in a greenlet; ``url`` and ``port`` are where it listens."""

    def __init__(self, server: pywsgi.WSGIServer) -> None:
        self.server = server

    @property
    def host(self) -> str:
        return str(self.server.address[0])

    @property
    def port(self) -> int:
        return int(self.server.address[1])

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def stop(self, timeout: Optional[float] = 5.0) -> None:
        self.server.stop(timeout=timeout)
        log.debug("fth-web stopped")


def start_in_background(app: Any, host: str = "127.0.0.1", port: int = 0,
                        sock: Optional[socket.socket] = None) -> ServerHandle:
    """Start serving in a greenlet on ``sock`` (or a socket bound to host:port here, so bind errors
    raise now, not later); returns the handle."""
    server = make_server(app, sock if sock is not None else bind(host, port))
    server.start()
    handle = ServerHandle(server)
    log.info("fth-web listening on %s", handle.url)
    return handle
