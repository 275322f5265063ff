"""SftpTransport against a real OpenSSH sshd on loopback: outcomes on the server's disk and fault kinds."""

import hashlib
import logging
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Callable, Iterator, List

import gevent
import pytest

from fth import faults
from fth.protocols.base import TransferRequest, TransferResult
from fth.protocols.sftp import SftpTransport
from fth.protocols.sftp_put import WRITE_SIZE
from fth.templates import TransferContext
from tests.fixtures.files import make_files
from tests.fixtures.sshd import KEY_PASSPHRASE, SshServer, free_port, sftp_job


def request_for(path: Path, seq: int = 0, uuid: str = "0f8e2a6c-0000-4000-8000-000000000001") -> TransferRequest:
    context = TransferContext(uuid=uuid, filename=path.name, job="sftp-test", username="tester", seq=seq,
                              timestamp="2026-11-23T12:00:00.000Z", epoch=1795435200, date="2026-11-23")
    return TransferRequest(path=str(path), context=context)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def send_all(transport: SftpTransport, files: List[Path]) -> List[TransferResult]:
    return [transport.send(request_for(path, seq)) for seq, path in enumerate(files)]


@pytest.fixture
def remote(sshd: SshServer, request: pytest.FixtureRequest) -> Path:
    """A fresh remote directory for this test, writable by the login user."""
    path = sshd.make_dir(f"t-{request.node.name}"[:80].replace("[", "-").replace("]", ""))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_key_auth_uploads_byte_identical_files_with_phases(sshd: SshServer, source_dir: Path, remote: Path) -> None:
    files = sorted(source_dir.iterdir())
    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote)))
    try:
        results = send_all(transport, files)
    finally:
        transport.close()
    assert [r.fault for r in results] == [None] * len(files)
    assert all(r.ok and r.bytes_sent == 1024 for r in results)
    assert {p.name: digest(p) for p in remote.iterdir()} == {p.name: digest(p) for p in files}
    assert set(results[0].phases) == {"connect", "auth", "transfer"}
    assert set(results[1].phases) == {"transfer"}  # reuse: no new connection
    assert results[0].remote_name == f"{remote}/{files[0].name}"


def test_spaces_unicode_and_large_files_arrive_intact(sshd: SshServer, tmp_path: Path, remote: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    odd = source / "rapport final – été <v2> & co.bin"
    odd.write_bytes(os.urandom(3 * WRITE_SIZE + 17))
    empty = source / "empty file.txt"
    empty.write_bytes(b"")
    big = source / "big.dat"
    big.write_bytes(os.urandom(5 * 1024 * 1024 + 3))
    transport = SftpTransport(sftp_job(sshd, source, remote_dir=str(remote), remote_name="{seq}_{filename}"))
    try:
        results = send_all(transport, [odd, empty, big])
    finally:
        transport.close()
    assert [r.fault for r in results] == [None, None, None]
    assert digest(remote / f"0_{odd.name}") == digest(odd)
    assert (remote / f"1_{empty.name}").read_bytes() == b""
    assert digest(remote / f"2_{big.name}") == digest(big)
    assert results[2].bytes_sent == big.stat().st_size
    assert transport._write_size is not None and transport._write_size > WRITE_SIZE  # limits@openssh.com used


def test_relative_remote_dir_and_uuid_template(sshd: SshServer, source_dir: Path, remote: Path) -> None:
    file = sorted(source_dir.iterdir())[0]
    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=remote.name, remote_name="{uuid}.{ext}"))
    try:
        result = transport.send(request_for(file, uuid="11111111-2222-4333-8444-555555555555"))
    finally:
        transport.close()
    assert result.ok, result.detail
    assert digest(remote / "11111111-2222-4333-8444-555555555555.dat") == digest(file)


def test_password_auth_per_file(sshd: SshServer, need_password: str, source_dir: Path, remote: Path) -> None:
    files = sorted(source_dir.iterdir())[:3]
    transport = SftpTransport(sftp_job(sshd, source_dir, key_file=None, password=need_password,
                                       remote_dir=str(remote), connection="per-file"))
    try:
        results = send_all(transport, files)
    finally:
        transport.close()
    assert [r.fault for r in results] == [None] * 3
    assert transport.connections == 3
    assert all(set(r.phases) == {"connect", "auth", "transfer"} for r in results)
    assert {p.name: digest(p) for p in remote.iterdir()} == {p.name: digest(p) for p in files}


@pytest.mark.parametrize("key_attr, passphrase", [("passphrase_key_file", KEY_PASSPHRASE), ("rsa_key_file", None)])
def test_passphrase_and_rsa_keys(sshd: SshServer, source_dir: Path, remote: Path, key_attr: str,
                                 passphrase: str) -> None:
    file = sorted(source_dir.iterdir())[0]
    job = sftp_job(sshd, source_dir, key_file=str(getattr(sshd, key_attr)), key_passphrase=passphrase,
                   remote_dir=str(remote))
    transport = SftpTransport(job)
    try:
        result = transport.send(request_for(file))
    finally:
        transport.close()
    assert result.ok, result.detail
    assert digest(remote / file.name) == digest(file)


def test_wrong_password_is_auth_failed(sshd: SshServer, need_password: str, source_dir: Path, remote: Path) -> None:
    transport = SftpTransport(sftp_job(sshd, source_dir, key_file=None, password=need_password + "-wrong",
                                       remote_dir=str(remote)))
    try:
        results = send_all(transport, sorted(source_dir.iterdir())[:2])
    finally:
        transport.close()
    assert [r.fault for r in results] == [faults.SSH_AUTH, faults.SSH_AUTH]
    assert f"127.0.0.1:{sshd.port}" in results[0].detail
    assert need_password not in results[0].detail
    assert list(remote.iterdir()) == []


def test_unauthorized_key_is_auth_failed(sshd: SshServer, source_dir: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    transport = SftpTransport(sftp_job(sshd, source_dir, key_file=str(stranger)))
    try:
        result = transport.send(request_for(sorted(source_dir.iterdir())[0]))
    finally:
        transport.close()
    assert result.fault == faults.SSH_AUTH


def test_strict_rejects_unknown_and_changed_host_keys(sshd: SshServer, source_dir: Path, tmp_path: Path,
                                                      remote: Path) -> None:
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    other_key = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    changed = tmp_path / "known_hosts_changed"
    key_type, key_data = Path(f"{other_key}.pub").read_text().split()[:2]
    changed.write_text(f"[127.0.0.1]:{sshd.port} {key_type} {key_data}\n")
    outcomes = {}
    for label, known_hosts, policy in [("unknown", empty, "strict"), ("missing file", tmp_path / "nope", "strict"),
                                       ("changed", changed, "strict"), ("changed", changed, "accept-new")]:
        transport = SftpTransport(sftp_job(sshd, source_dir, known_hosts=str(known_hosts),
                                           host_key_policy=policy, remote_dir=str(remote)))
        try:
            result = transport.send(request_for(sorted(source_dir.iterdir())[0]))
        finally:
            transport.close()
        outcomes[(label, policy)] = result
    assert {key: r.fault for key, r in outcomes.items()} == dict.fromkeys(outcomes, faults.HOST_KEY)
    assert "unknown" in outcomes[("unknown", "strict")].detail
    assert "CHANGED" in outcomes[("changed", "accept-new")].detail
    assert changed.read_text() == f"[127.0.0.1]:{sshd.port} {key_type} {key_data}\n"  # not overwritten
    assert list(remote.iterdir()) == []


def test_accept_new_records_the_key_then_strict_accepts_it(sshd: SshServer, source_dir: Path, tmp_path: Path,
                                                           remote: Path) -> None:
    known_hosts = tmp_path / "ssh" / "known_hosts"
    files = sorted(source_dir.iterdir())[:2]
    first = SftpTransport(sftp_job(sshd, source_dir, known_hosts=str(known_hosts), host_key_policy="accept-new",
                                   remote_dir=str(remote)))
    try:
        assert first.send(request_for(files[0])).ok
    finally:
        first.close()
    assert known_hosts.read_text() == sshd.host_key_line
    second = SftpTransport(sftp_job(sshd, source_dir, known_hosts=str(known_hosts), remote_dir=str(remote)))
    try:
        result = second.send(request_for(files[1]))
    finally:
        second.close()
    assert result.ok, result.detail
    assert known_hosts.read_text() == sshd.host_key_line  # no duplicate line


def test_ignore_policy_warns_once(sshd: SshServer, source_dir: Path, tmp_path: Path, remote: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    job = sftp_job(sshd, source_dir, known_hosts=str(tmp_path / "absent"), host_key_policy="ignore",
                   remote_dir=str(remote), connection="per-file", name="ignore-job")
    transport = SftpTransport(job)
    with caplog.at_level(logging.WARNING, logger="fth.protocols.ssh_connect"):
        try:
            results = send_all(transport, sorted(source_dir.iterdir())[:3])
        finally:
            transport.close()
    assert [r.ok for r in results] == [True] * 3
    warnings = [rec for rec in caplog.records if "host_key_policy ignore" in rec.getMessage()]
    assert len(warnings) == 1
    assert not (tmp_path / "absent").exists()


def test_missing_remote_dir_and_permission_denied_keep_the_session(sshd: SshServer, source_dir: Path,
                                                                   remote: Path) -> None:
    locked = sshd.make_dir(f"{remote.name}/locked", writable=False)
    file = sorted(source_dir.iterdir())[0]
    results = {}
    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote / "no" / "such")))
    try:
        results["missing"] = transport.send(request_for(file))
        transport.job.remote_dir = str(locked)
        results["locked"] = transport.send(request_for(file))
        transport.job.remote_dir = str(remote)
        results["good"] = transport.send(request_for(file))
    finally:
        transport.close()
    assert results["missing"].fault == faults.NO_SUCH_DIR
    assert f"127.0.0.1:{sshd.port}" in results["missing"].detail
    assert str(remote / "no" / "such") in results["missing"].detail
    assert results["locked"].fault == faults.PERMISSION
    assert results["good"].ok
    assert transport.connections == 1  # refusals by the server did not cost the session
    assert list(locked.iterdir()) == []


def test_missing_local_file_and_refused_port(sshd: SshServer, source_dir: Path, tmp_path: Path) -> None:
    transport = SftpTransport(sftp_job(sshd, source_dir))
    try:
        missing = transport.send(request_for(tmp_path / "gone.dat"))
    finally:
        transport.close()
    port = free_port()
    refused_transport = SftpTransport(sftp_job(sshd, source_dir, port=port))
    try:
        refused = refused_transport.send(request_for(sorted(source_dir.iterdir())[0]))
    finally:
        refused_transport.close()
    assert missing.fault == faults.LOCAL_FILE
    assert "gone.dat" in missing.detail
    assert refused.fault == faults.REFUSED
    assert f"127.0.0.1:{port}" in refused.detail


def test_temp_name_then_rename_never_shows_a_partial_file(sshd: SshServer, tmp_path: Path, remote: Path) -> None:
    source = tmp_path / "src"
    big = make_files(source, 1, size=24 * 1024 * 1024, prefix="big") / "big-0000.dat"
    final, temp = remote / "big-0000.dat", remote / ".big-0000.dat.part"
    size = big.stat().st_size
    seen = {"temp": 0, "partial_final": 0, "complete_final": 0}
    done = []

    def watch() -> None:
        while not done:
            for path, label in ((temp, "temp"), (final, "final")):
                try:
                    found = path.stat().st_size
                except FileNotFoundError:
                    continue
                if label == "temp":
                    seen["temp"] += 1
                else:
                    seen["complete_final" if found == size else "partial_final"] += 1
            gevent.sleep(0.0005)

    transport = SftpTransport(sftp_job(sshd, source, remote_dir=str(remote), temp_name=".{filename}.part"))
    watcher = gevent.spawn(watch)
    try:
        result = transport.send(request_for(big))
    finally:
        done.append(True)
        watcher.join(timeout=10)
        transport.close()
    assert result.ok, result.detail
    assert seen["temp"] > 0  # the watcher did look while the upload was under way
    assert seen["partial_final"] == 0
    assert not temp.exists()
    assert digest(final) == digest(big)


def test_rename_replaces_an_existing_final_file(sshd: SshServer, source_dir: Path, remote: Path) -> None:
    file = sorted(source_dir.iterdir())[0]
    (remote / file.name).write_bytes(b"old content")
    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote), temp_name="{uuid}.tmp"))
    try:
        result = transport.send(request_for(file))
    finally:
        transport.close()
    assert result.ok, result.detail
    assert sorted(p.name for p in remote.iterdir()) == [file.name]
    assert digest(remote / file.name) == digest(file)


def test_per_file_connects_every_time_reuse_once(sshd: SshServer, source_dir: Path, remote: Path) -> None:
    files = sorted(source_dir.iterdir())[:4]
    logins: dict = {}
    for mode in ("per-file", "reuse"):
        before = sshd.count_logins()
        transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote), connection=mode,
                                           remote_name=f"{mode}-{{filename}}"))
        try:
            results = send_all(transport, files)
        finally:
            transport.close()
        assert all(r.ok for r in results)
        logins[mode] = (transport.connections, sshd.count_logins() - before)
    assert logins == {"per-file": (4, 4), "reuse": (1, 1)}
    assert len(list(remote.iterdir())) == 8


def test_concurrent_transports_under_gevent(sshd: SshServer, tmp_path: Path, remote: Path) -> None:
    files = sorted(make_files(tmp_path / "src", 24, size=40_000).iterdir())
    transports = [SftpTransport(sftp_job(sshd, tmp_path, remote_dir=str(remote))) for _ in range(6)]
    try:
        jobs = [gevent.spawn(send_all, transports[i], files[i::6]) for i in range(6)]
        gevent.joinall(jobs, timeout=60, raise_error=True)
    finally:
        for transport in transports:
            transport.close()
    assert all(r.ok for job in jobs for r in job.value)
    assert {p.name: digest(p) for p in remote.iterdir()} == {p.name: digest(p) for p in files}


@pytest.mark.parametrize("connection", ["reuse", "per-file"])
def test_server_killed_mid_run_counts_faults_then_recovers(sshd_factory, tmp_path: Path, connection: str) -> None:
    server: SshServer = sshd_factory()
    files = sorted(make_files(tmp_path / "src", 9, size=2048).iterdir())
    transport = SftpTransport(sftp_job(server, tmp_path, connection=connection, connect_timeout=5.0, timeout=5.0))
    try:
        before = send_all(transport, files[:3])
        server.stop()
        during = send_all(transport, files[3:6])
        server.start()
        after = send_all(transport, files[6:])
    finally:
        transport.close()
    assert [r.ok for r in before] == [True] * 3
    assert [r.ok for r in during] == [False] * 3
    assert {r.fault for r in during} <= {faults.CHANNEL_CLOSED, faults.REFUSED, faults.RESET}
    assert during[-1].fault == faults.REFUSED  # once the broken session is dropped, reconnects are refused
    assert all(f"127.0.0.1:{server.port}" in r.detail for r in during)
    assert [r.ok for r in after] == [True] * 3
    kept = files[:3] + files[6:]
    assert {p.name: digest(p) for p in server.data_dir.iterdir()} == {p.name: digest(p) for p in kept}


def test_disk_full_is_counted_and_leaves_no_temp_file(sshd: SshServer, tmp_path: Path, remote: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    small = remote / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        sshd.make_dir(f"{remote.name}/small")
        big = make_files(tmp_path / "src", 1, size=1024 * 1024) / "file-0000.dat"
        fits = make_files(tmp_path / "src2", 1, size=1000) / "file-0000.dat"
        transport = SftpTransport(sftp_job(sshd, tmp_path, remote_dir=str(small), temp_name="{filename}.part"))
        try:
            full = transport.send(request_for(big))
            fine = transport.send(request_for(fits))
        finally:
            transport.close()
        assert full.fault == faults.DISK_FULL, full.detail
        assert fine.ok, fine.detail
        assert sorted(p.name for p in small.iterdir()) == ["file-0000.dat"]
        assert digest(small / "file-0000.dat") == digest(fits)
        assert transport.connections == 1
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_key_loaded_once_and_bad_key_is_a_local_fault(sshd: SshServer, source_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "id_copy"
    copy.write_bytes(sshd.key_file.read_bytes())
    transport = SftpTransport(sftp_job(sshd, source_dir, connection="per-file", remote_name="k-{seq}-{filename}"))
    broken = tmp_path / "broken_key"
    broken.write_text("not a key\n")
    bad = SftpTransport(sftp_job(sshd, source_dir, key_file=str(broken)))
    try:
        transport.job.key_file = str(copy)
        copy.unlink()  # the key was read at construction: later sends do not need the file
        results = send_all(transport, sorted(source_dir.iterdir())[:2])
        bad_result = bad.send(request_for(sorted(source_dir.iterdir())[0]))
    finally:
        transport.close()
        bad.close()
    assert [r.ok for r in results] == [True, True]
    assert bad_result.fault == faults.LOCAL_FILE
    assert "broken_key" in bad_result.detail
    for seq, path in enumerate(sorted(source_dir.iterdir())[:2]):
        (sshd.data_dir / f"k-{seq}-{path.name}").unlink()


@pytest.fixture
def odd_listener() -> Iterator[Callable[[bytes], int]]:
    """Loopback TCP servers that say ``greeting`` (or nothing) and then hang or close."""
    sockets: List[socket.socket] = []
    greenlets: List[gevent.Greenlet] = []
    accepted: List[socket.socket] = []

    def make(greeting: bytes) -> int:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        sockets.append(listener)

        def serve() -> None:
            while True:
                conn, _ = listener.accept()
                if greeting:
                    conn.sendall(greeting)
                    conn.close()
                else:
                    accepted.append(conn)  # silent: keep it open

        greenlets.append(gevent.spawn(serve))
        return int(listener.getsockname()[1])

    yield make
    gevent.killall(greenlets)
    for sock in sockets + accepted:
        sock.close()


def test_silent_and_non_ssh_servers(sshd: SshServer, source_dir: Path, odd_listener,
                                    caplog: pytest.LogCaptureFixture) -> None:
    file = sorted(source_dir.iterdir())[0]
    outcomes = {}
    with caplog.at_level(logging.WARNING):
        for label, greeting in (("silent", b""), ("http", b"HTTP/1.1 400 Bad Request\r\n\r\n")):
            port = odd_listener(greeting)
            transport = SftpTransport(sftp_job(sshd, source_dir, port=port, connect_timeout=0.5))
            try:
                outcomes[label] = (port, transport.send(request_for(file)))
            finally:
                transport.close()
    port, silent = outcomes["silent"]
    assert silent.fault == faults.CONNECT_TIMEOUT
    assert f"127.0.0.1:{port}" in silent.detail and "banner" in silent.detail
    assert outcomes["http"][1].fault == faults.RESET
    assert [r.name for r in caplog.records if r.name.startswith("paramiko")] == []  # no paramiko tracebacks


def test_ssh_agent_login(sshd: SshServer, source_dir: Path, tmp_path: Path, remote: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("ssh-agent/ssh-add not installed")
    agent_socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if agent_socket.exists():
                break
            gevent.sleep(0.05)
        env = dict(os.environ, SSH_AUTH_SOCK=str(agent_socket))
        subprocess.run(["ssh-add", "-q", str(sshd.key_file)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(agent_socket))
        file = sorted(source_dir.iterdir())[0]
        transport = SftpTransport(sftp_job(sshd, source_dir, key_file=None, use_agent=True, remote_dir=str(remote)))
        try:
            result = transport.send(request_for(file))
        finally:
            transport.close()
        monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "no-agent.sock"))
        lonely = SftpTransport(sftp_job(sshd, source_dir, key_file=None, use_agent=True, remote_dir=str(remote)))
        try:
            without_agent = lonely.send(request_for(file, seq=1))
        finally:
            lonely.close()
    finally:
        agent.kill()
        agent.wait()
    assert result.ok, result.detail
    assert digest(remote / file.name) == digest(file)
    assert without_agent.fault == faults.SSH_AUTH
    assert "ssh-agent" in without_agent.detail


def test_accept_new_from_concurrent_workers_writes_one_line(sshd: SshServer, source_dir: Path, tmp_path: Path,
                                                            remote: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("# fth test\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMb0wUsOdHPKx3V5p2XUF/h"
                           "SRl3dE8DD3rAsQT+SpL3m")  # no newline at the end
    files = sorted(source_dir.iterdir())[:5]
    transports = [SftpTransport(sftp_job(sshd, source_dir, known_hosts=str(known_hosts), remote_dir=str(remote),
                                         host_key_policy="accept-new")) for _ in files]
    try:
        jobs = [gevent.spawn(t.send, request_for(path)) for t, path in zip(transports, files)]
        gevent.joinall(jobs, timeout=60, raise_error=True)
    finally:
        for transport in transports:
            transport.close()
    assert [job.value.ok for job in jobs] == [True] * 5
    lines = known_hosts.read_text().splitlines()
    assert lines[2:] == [sshd.host_key_line.strip()]
    assert lines[1].startswith("other.example ssh-ed25519 ")


def test_a_transfer_killed_mid_way_does_not_poison_the_next(sshd: SshServer, tmp_path: Path, remote: Path) -> None:
    big = make_files(tmp_path / "src", 1, size=16 * 1024 * 1024, prefix="big") / "big-0000.dat"
    small = make_files(tmp_path / "src", 1, size=5000, prefix="small") / "small-0000.dat"
    transport = SftpTransport(sftp_job(sshd, tmp_path, remote_dir=str(remote)))
    try:
        assert transport.send(request_for(small)).ok
        sender = gevent.spawn(transport.send, request_for(big))
        partial = remote / big.name
        with gevent.Timeout(10):
            while not (partial.exists() and partial.stat().st_size > 0):  # the upload is under way
                gevent.sleep(0.001)
        assert not sender.ready()
        sender.kill(block=True)  # as the engine does to in-flight transfers at the stop timeout
        after = transport.send(request_for(small, seq=1))
    finally:
        transport.close()
    assert transport.connections == 2  # the interrupted session was not reused
    assert after.ok, after.detail
    assert digest(remote / small.name) == digest(small)


@pytest.mark.parametrize("connection, keepalive, expected", [("reuse", 0.5, True), ("reuse", 0.0, False),
                                                              ("per-file", 0.5, False)])
def test_keepalive_pings_an_idle_reused_session_only(sshd: SshServer, source_dir: Path, remote: Path,
                                                     monkeypatch, connection, keepalive, expected) -> None:
    import paramiko

    pings = []
    original = paramiko.Transport.global_request

    def counting(self, kind, *args, **kwargs):
        if kind == "keepalive@lag.net":
            pings.append(kind)
        return original(self, kind, *args, **kwargs)

    monkeypatch.setattr(paramiko.Transport, "global_request", counting)
    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote), connection=connection,
                                       keepalive=keepalive))
    try:
        assert all(r.ok for r in send_all(transport, sorted(source_dir.iterdir())[:1]))
        gevent.sleep(2.5)  # idle: paramiko pings every whole second of silence (rounded up from 0.5 s)
        assert bool(pings) is expected
        assert all(r.ok for r in send_all(transport, sorted(source_dir.iterdir())[1:2]))  # still usable
    finally:
        transport.close()


def test_a_remote_size_that_differs_is_a_size_mismatch(sshd: SshServer, source_dir: Path, remote: Path,
                                                       monkeypatch) -> None:
    import paramiko

    original = paramiko.SFTPAttributes._from_msg.__func__

    def short_by_one(cls, message, *args, **kwargs):
        attributes = original(cls, message, *args, **kwargs)
        attributes.st_size -= 1  # as if the server had lost the last byte
        return attributes

    transport = SftpTransport(sftp_job(sshd, source_dir, remote_dir=str(remote)))
    files = sorted(source_dir.iterdir())
    try:
        with monkeypatch.context() as patch:
            patch.setattr(paramiko.SFTPAttributes, "_from_msg", classmethod(short_by_one))
            mismatched = transport.send(request_for(files[0]))
        after = transport.send(request_for(files[1]))
    finally:
        transport.close()
    assert mismatched.fault == faults.SIZE_MISMATCH and not mismatched.ok
    size = files[0].stat().st_size
    assert f"remote size {size - 1} bytes after sending {size}" in mismatched.detail
    assert after.ok  # the session goes on
