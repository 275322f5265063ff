"""fth.protocols.ssh_connect on its own: known_hosts names and policies, sockets, cipher order.

No sshd needed: host keys are generated here, sockets meet an in-process listener.
"""

import logging
import socket

import gevent.server
import paramiko
import pytest

from fth.protocols.ssh_connect import FAST_CIPHERS, HostKeyChecker, SshFault, host_key_name, open_socket, tune_ciphers


@pytest.fixture(scope="module")
def keys():
    return paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()


def test_host_key_names_follow_openssh():
    assert host_key_name("example.org", 22) == "example.org"
    assert host_key_name("127.0.0.1", 2222) == "[127.0.0.1]:2222"


def test_strict_accepts_a_known_key_only(tmp_path, keys):
    known, other = keys
    path = tmp_path / "known_hosts"
    path.write_text(f"[127.0.0.1]:2222 {known.get_name()} {known.get_base64()}\n")
    checker = HostKeyChecker("strict", str(path), "job")
    checker.check("127.0.0.1", 2222, known)
    with pytest.raises(SshFault) as changed:
        checker.check("127.0.0.1", 2222, other)
    assert changed.value.kind == "host_key" and "host key CHANGED" in changed.value.cause
    with pytest.raises(SshFault) as unknown:
        checker.check("127.0.0.1", 2223, known)
    assert unknown.value.kind == "host_key"
    assert unknown.value.cause.startswith("host key unknown: [127.0.0.1]:2223 (ecdsa-sha2-nistp256 ")
    assert path.read_text().count("\n") == 1  # strict never writes


def test_accept_new_records_a_new_key_once_and_refuses_a_changed_one(tmp_path, keys, caplog):
    known, other = keys
    path = tmp_path / "dir" / "known_hosts"
    checker = HostKeyChecker("accept-new", str(path), "job")
    with caplog.at_level(logging.WARNING):
        checker.check("127.0.0.1", 2222, known)
        checker.check("127.0.0.1", 2222, known)
    assert path.read_text() == f"[127.0.0.1]:2222 {known.get_name()} {known.get_base64()}\n"
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "job job: accepted new host key for [127.0.0.1]:2222"]
    with pytest.raises(SshFault, match="host key CHANGED"):
        HostKeyChecker("accept-new", str(path), "job").check("127.0.0.1", 2222, other)


def test_accept_new_appends_after_a_last_line_without_newline(tmp_path, keys):
    known, other = keys
    path = tmp_path / "known_hosts"
    path.write_text(f"[127.0.0.1]:1 {other.get_name()} {other.get_base64()}")
    HostKeyChecker("accept-new", str(path), "job").check("127.0.0.1", 2, known)
    lines = path.read_text().splitlines()
    assert lines == [f"[127.0.0.1]:1 {other.get_name()} {other.get_base64()}",
                     f"[127.0.0.1]:2 {known.get_name()} {known.get_base64()}"]
    HostKeyChecker("strict", str(path), "job").check("127.0.0.1", 1, other)


def test_ignore_warns_once_per_job_and_host(tmp_path, keys, caplog):
    known, other = keys
    path = tmp_path / "never-written"
    with caplog.at_level(logging.WARNING):
        for key in (known, other, known):
            HostKeyChecker("ignore", str(path), "ignoring-job").check("10.9.8.7", 22, key)
        HostKeyChecker("ignore", str(path), "ignoring-job").check("10.9.8.7", 2200, known)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and all("host_key_policy ignore" in message for message in warned)
    assert not path.exists()


def test_an_unreadable_known_hosts_is_a_host_key_fault(tmp_path, keys):
    path = tmp_path / "known_hosts"
    path.mkdir()  # a directory where the file should be
    with pytest.raises(SshFault) as raised:
        HostKeyChecker("strict", str(path), "job").check("127.0.0.1", 22, keys[0])
    assert raised.value.kind == "host_key" and f"cannot read known_hosts {path}" in raised.value.cause


def test_open_socket_connects_with_nodelay():
    listener = gevent.server.StreamServer(("127.0.0.1", 0), lambda sock, address: sock.close())
    listener.start()
    try:
        sock = open_socket("127.0.0.1", listener.server_port, 5.0)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert sock.getpeername() == ("127.0.0.1", listener.server_port)
        sock.close()
    finally:
        listener.stop()


@pytest.mark.parametrize("host, kind", [("no-such-host.invalid", "dns"), ("127.0.0.1", "refused")])
def test_open_socket_classifies_failures(host, kind):
    with pytest.raises(SshFault) as raised:
        open_socket(host, 9, 5.0)  # nothing listens on the discard port
    assert raised.value.kind == kind


def test_fast_ciphers_come_first_and_none_is_lost():
    left, right = socket.socketpair()
    transport = paramiko.Transport(left)
    try:
        before = list(transport.get_security_options().ciphers)
        tune_ciphers(transport)
        after = list(transport.get_security_options().ciphers)
        fast = [name for name in FAST_CIPHERS if name in before]
        assert fast and after[:len(fast)] == fast
        assert sorted(after) == sorted(before)
    finally:
        transport.close()
        left.close()
        right.close()
