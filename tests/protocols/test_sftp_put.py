"""fth.protocols.sftp_put on its own, over a plain paramiko session to the test sshd."""

import io
import os
import shutil
import socket
from pathlib import Path
from typing import Iterator

import paramiko
import pytest

from fth.protocols.sftp_put import (
    _PACKET_DATA,
    _WRITE_HEADER,
    WRITE_SIZE,
    LocalReadError,
    negotiate_write_size,
    open_for_write,
    write_and_close,
)
from tests.fixtures.sshd import SshServer


@pytest.fixture
def session(sshd: SshServer) -> Iterator[paramiko.SFTPClient]:
    sock = socket.create_connection((sshd.host, sshd.port), timeout=10)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=10)
        transport.auth_publickey(sshd.user, paramiko.Ed25519Key.from_private_key_file(str(sshd.key_file)))
        sftp = paramiko.SFTPClient.from_transport(transport)
        yield sftp
        sftp.close()
    finally:
        transport.close()
        sock.close()


@pytest.fixture
def remote(sshd: SshServer, request: pytest.FixtureRequest) -> Iterator[Path]:
    path = sshd.make_dir(f"put-{request.node.name}"[:60].replace("[", "-").replace("]", ""))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_openssh_offers_bigger_writes_in_whole_packets(session):
    size = negotiate_write_size(session)
    assert size > WRITE_SIZE and (size + _WRITE_HEADER) % _PACKET_DATA == 0


@pytest.mark.parametrize("length, write_size", [(0, WRITE_SIZE), (1, WRITE_SIZE), (WRITE_SIZE, WRITE_SIZE),
                                                (300_001, WRITE_SIZE), (100_000, 1000)])
def test_a_file_arrives_byte_for_byte_and_its_size_is_checked(session, remote, length, write_size):
    data = os.urandom(length)
    target = remote / "file.bin"
    target.write_bytes(b"x" * (length + 5000))  # an older, longer file: truncated by the OPEN
    target.chmod(0o666)  # written here, rewritten by the login user
    handle = open_for_write(session, str(target))
    assert write_and_close(session, handle, io.BytesIO(data), True, write_size) == (length, length)
    assert target.read_bytes() == data


def test_without_want_size_there_is_no_remote_size(session, remote):
    handle = open_for_write(session, str(remote / "quiet.bin"))
    assert write_and_close(session, handle, io.BytesIO(b"abc"), False) == (3, None)
    assert (remote / "quiet.bin").read_bytes() == b"abc"


def test_opening_in_a_missing_directory_raises_what_paramiko_raises(session, remote):
    with pytest.raises(FileNotFoundError):
        open_for_write(session, str(remote / "missing" / "file.bin"))


class FailingReader(io.BytesIO):
    name = "/data/broken.bin"

    def read(self, size=-1):
        if self.tell() > 0:
            raise OSError(5, "Input/output error")
        return super().read(size)


def test_a_local_read_error_closes_the_handle_and_the_session_goes_on(session, remote):
    handle = open_for_write(session, str(remote / "partial.bin"))
    with pytest.raises(LocalReadError) as raised:
        write_and_close(session, handle, FailingReader(b"y" * 50_000), True, 1000)
    assert str(raised.value) == "reading /data/broken.bin failed after 1000 bytes: Input/output error"
    handle = open_for_write(session, str(remote / "after.bin"))
    assert write_and_close(session, handle, io.BytesIO(b"ok"), True) == (2, 2)
    assert (remote / "after.bin").read_bytes() == b"ok"
