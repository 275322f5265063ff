"""fth's own HTTP/1.1 client (client: fast) against a scripted loopback server.

Each test gives the server the exact bytes to answer with, so the framing cases a
real server may produce (chunked, 100 Continue, HTTP/1.0, closing after an answer)
are exercised one by one.
"""

import io
import os
from typing import List, Optional

import gevent
import gevent.event
import pytest
from gevent.server import StreamServer

from fth import faults
from fth.protocols.rawhttp import HttpFault, RawHttpConnection

HEAD = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n"


HOLD = b""


class ScriptedServer:
    """Answers the n-th request on any connection with ``answers[n]``.

    None closes the connection instead of answering; HOLD keeps it open, silent.
    """

    def __init__(self, answers: List[Optional[bytes]], close_after_each: bool = False):
        self.answers = list(answers)
        self.close_after_each = close_after_each
        self.connections = 0
        self.bodies: List[bytes] = []
        self.clients: List[RawHttpConnection] = []
        self.closed = gevent.event.Event()  # set each time the server closes a connection
        self.server = StreamServer(("127.0.0.1", 0), self.handle)

    def handle(self, sock, _address):
        self.connections += 1
        buffer = b""
        while self.answers:
            while b"\r\n\r\n" not in buffer:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            while len(buffer) < length:
                buffer += sock.recv(65536)
            self.bodies.append(buffer[:length])
            buffer = buffer[length:]
            answer = self.answers.pop(0)
            if answer is None:
                break
            if answer is HOLD:
                gevent.sleep(2)
                break
            sock.sendall(answer)
            if self.close_after_each:
                break
        sock.close()
        self.closed.set()

    def connection(self, timeout: float = 2.0) -> RawHttpConnection:
        client = RawHttpConnection("127.0.0.1", self.server.server_port, tls=None, connect_timeout=2.0,
                                   timeout=timeout)
        self.clients.append(client)
        return client


@pytest.fixture
def scripted():
    servers = []

    def start(answers, **kwargs) -> ScriptedServer:
        server = ScriptedServer(answers, **kwargs)
        server.server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        for client in server.clients:
            client.close()
        server.server.stop(timeout=1)


def test_keep_alive_reuses_one_connection_and_streams_file_bodies(scripted):
    server = scripted([b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"] * 3)
    connection = server.connection()
    assert connection.request(HEAD, b"abcd") == (201, "Created")
    assert connection.request(HEAD, io.BytesIO(b"efgh")) == (201, "Created")
    assert connection.request(HEAD, bytearray(b"ijkl")) == (201, "Created")
    assert server.connections == 1
    assert server.bodies == [b"abcd", b"efgh", b"ijkl"]


def test_a_body_larger_than_the_socket_buffer_is_sent_whole(scripted):
    data = os.urandom(8 * 1024 * 1024)  # one send() takes part of it; the rest follows
    server = scripted([b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"])
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(data)
    assert server.connection().request(head, data) == (201, "Created")
    assert server.bodies == [data]


def test_chunked_answer_with_trailer_and_interim_100_continue(scripted):
    server = scripted([
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n3\r\n!!!\r\n0\r\nX-Trailer: yes\r\n\r\n",
        b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
    ])
    connection = server.connection()
    assert connection.request(HEAD, b"abcd") == (200, "OK")
    assert connection.request(HEAD, b"efgh") == (202, "Accepted")  # the chunked body was consumed exactly
    assert server.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed(scripted):
    server = scripted([b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"] * 2, close_after_each=True)
    connection = server.connection()
    assert connection.request(HEAD, b"abcd")[0] == 201
    assert server.closed.wait(timeout=10)  # the server's FIN arrives while the connection is idle
    assert connection.request(HEAD, b"efgh")[0] == 201
    assert server.connections == 2


def test_http10_and_connection_close_answers_end_the_connection(scripted):
    server = scripted([b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until close"])
    connection = server.connection()
    assert connection.request(HEAD, b"abcd") == (200, "OK")
    assert connection.sock is None
    assert connection.request(HEAD, b"efgh") == (200, "OK")
    assert connection.sock is None
    assert server.connections == 2


@pytest.mark.parametrize("answer, kind", [
    (None, faults.RESET),  # closed without answering
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", faults.PROTOCOL),
    (b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", faults.PROTOCOL),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", faults.PROTOCOL),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", faults.RESET),
])
def test_broken_answers_are_faults_of_their_kind_and_drop_the_connection(scripted, answer, kind):
    server = scripted([answer])
    connection = server.connection()
    with pytest.raises(HttpFault) as raised:
        connection.request(HEAD, b"abcd")
    assert raised.value.kind == kind
    assert connection.sock is None


def test_a_silent_server_is_a_read_timeout(scripted):
    server = scripted([HOLD])
    connection = server.connection(timeout=0.2)
    with pytest.raises(HttpFault) as raised:
        connection.request(HEAD, b"abcd")
    assert raised.value.kind == faults.READ_TIMEOUT


def test_nothing_listening_is_refused():
    probe = StreamServer(("127.0.0.1", 0), lambda *_: None)
    probe.start()
    port = probe.server_port
    probe.stop()
    connection = RawHttpConnection("127.0.0.1", port, tls=None, connect_timeout=1.0, timeout=1.0)
    with pytest.raises(HttpFault) as raised:
        connection.request(HEAD, b"abcd")
    assert raised.value.kind == faults.REFUSED
