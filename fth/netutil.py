"""Listening sockets for fth's own servers (fth-web, the built-in target)."""

import socket


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket with TCP_NODELAY, closed again if binding fails.

    Servers write headers and bodies, or SSH packets, in separate small writes: without
    TCP_NODELAY (inherited by accepted sockets on Linux), Nagle's algorithm and the
    client's delayed ACK add ~40 ms to each answer.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock
