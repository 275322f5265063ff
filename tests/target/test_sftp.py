"""The target's SFTP side: paramiko's client and fth's own SftpTransport against it."""

import io
import os
import uuid as uuidlib
from pathlib import Path
from typing import List

import paramiko
import pytest
from paramiko.sftp import CMD_NAME, CMD_OPENDIR, CMD_READDIR, CMD_REALPATH

from fth import faults
from fth.config.model import SftpJobConfig, SourceConfig
from fth.protocols.base import TransferRequest, TransferResult
from fth.protocols.sftp import SftpTransport
from fth.target import EGRESS_TABLE, INGRESS_TABLE
from fth.templates import TransferContext
from tests.target.conftest import read_rows


def connect(target, username: str, password=None, key=None) -> paramiko.SFTPClient:
    transport = paramiko.Transport(("127.0.0.1", target.sftp_port))
    transport.connect(username=username, password=password, pkey=key)
    return paramiko.SFTPClient.from_transport(transport)


def close(sftp: paramiko.SFTPClient) -> None:
    transport = sftp.get_channel().get_transport()
    sftp.close()
    transport.close()


def test_password_upload_row_has_the_user_and_the_uuid_of_the_remote_name(start_target):
    target = start_target(delay=(0.1, 0.1))
    transaction = str(uuidlib.uuid4())
    sftp = connect(target, "partner1", password="demo")
    try:
        sftp.putfo(io.BytesIO(b"z" * 70000), f"{transaction}_invoice.xml")  # paramiko checks the size after
    finally:
        close(sftp)
    assert target.wait_idle(20)
    (ingress,) = read_rows(Path(target.store_path), INGRESS_TABLE)
    (egress,) = read_rows(Path(target.store_path), EGRESS_TABLE)
    assert ingress[:3] == (transaction, "partner1", f"{transaction}_invoice.xml")
    assert ingress[5:] == ("SUCCESS", 70000)
    assert egress[:3] == ingress[:3]


def test_wrong_password_is_refused(start_target):
    target = start_target(sftp_password="right")
    with pytest.raises(paramiko.AuthenticationException):
        connect(target, "mallory", password="demo")
    sftp = connect(target, "trent", password="right")
    close(sftp)
    assert target.counters.rejected == 1


def test_key_auth_any_key_or_only_authorized_keys(start_target, tmp_path):
    allowed = paramiko.ECDSAKey.generate()
    other = paramiko.ECDSAKey.generate()
    open_target = start_target()
    sftp = connect(open_target, "keyuser", key=other)
    sftp.putfo(io.BytesIO(b"k"), "plain.dat")  # no UUID in the name: one is generated
    close(sftp)
    assert open_target.wait_idle(20)
    (row,) = read_rows(Path(open_target.store_path), INGRESS_TABLE)
    assert row[1:3] == ("keyuser", "plain.dat")
    assert str(uuidlib.UUID(row[0])) == row[0]

    keys = tmp_path / "authorized_keys"
    keys.write_text(f"# comment\nno-pty {allowed.get_name()} {allowed.get_base64()} someone@example\n")
    strict = start_target(authorized_keys=str(keys))
    with pytest.raises(paramiko.AuthenticationException):
        connect(strict, "keyuser", key=other)
    close(connect(strict, "keyuser", key=allowed))


def test_upload_dir_keeps_files_and_directories_work(start_target, tmp_path):
    target = start_target(upload_dir=str(tmp_path / "up"))
    sftp = connect(target, "dirs", password="demo")
    try:
        sftp.mkdir("/incoming")
        sftp.putfo(io.BytesIO(b"hello"), "/incoming/a.txt")
        assert sftp.listdir("/incoming") == ["a.txt"]
        assert sftp.stat("/incoming/a.txt").st_size == 5
        assert sftp.normalize("incoming/../incoming") == "/incoming"
        with pytest.raises(IOError):
            sftp.open("/incoming/a.txt", "r").read()  # a drop box: no reading back
        sftp.putfo(io.BytesIO(b"x"), "/made/on/demand/b.txt")  # any remote_dir works
        with pytest.raises(IOError):  # the virtual root cannot be left
            sftp.stat("/../../etc/passwd")
    finally:
        close(sftp)
    assert (tmp_path / "up" / "sftp" / "incoming" / "a.txt").read_bytes() == b"hello"
    assert (tmp_path / "up" / "sftp" / "made" / "on" / "demand" / "b.txt").read_bytes() == b"x"
    assert target.wait_idle(20)
    assert [row[2] for row in read_rows(Path(target.store_path), INGRESS_TABLE)] == ["a.txt", "b.txt"]


def job_for(target, tmp_path: Path, **settings) -> SftpJobConfig:
    options = {"name": "partner-sftp", "protocol": "sftp", "username": "partner2",
               "source": SourceConfig(str(tmp_path)), "rate": 1.0, "host": "127.0.0.1", "port": target.sftp_port,
               "password": "demo", "host_key_policy": "accept-new", "known_hosts": str(tmp_path / "known_hosts"),
               "remote_name": "{uuid}_{filename}"}
    options.update(settings)
    return SftpJobConfig(**options)


def send(job: SftpJobConfig, files: List[Path]) -> List[TransferResult]:
    transport = SftpTransport(job)
    try:
        results = []
        for seq, path in enumerate(files):
            context = TransferContext(uuid=str(uuidlib.uuid4()), filename=path.name, job=job.name,
                                      username=job.username, seq=seq, timestamp="2026-11-23T12:00:00.000Z",
                                      epoch=0, date="2026-11-23")
            results.append(transport.send(TransferRequest(str(path), context)))
        return results
    finally:
        transport.close()


@pytest.fixture
def files(tmp_path: Path) -> List[Path]:
    source = tmp_path / "src"
    source.mkdir()
    paths = []
    for index, size in enumerate((0, 10, 40000, 300000)):
        path = source / f"file {index}.dat"
        path.write_bytes(bytes(index for _ in range(size)))
        paths.append(path)
    return paths


@pytest.mark.parametrize("temp_name", [None, ".{filename}.part"])
def test_fth_sftp_transport_with_password(start_target, tmp_path, files, temp_name):
    target = start_target()
    job = job_for(target, tmp_path, temp_name=temp_name, remote_dir="/")
    results = send(job, files)
    assert [r.ok for r in results] == [True] * len(files), [r.detail for r in results]
    assert [r.bytes_sent for r in results] == [p.stat().st_size for p in files]
    assert (tmp_path / "known_hosts").read_text().startswith(f"[127.0.0.1]:{target.sftp_port} ")
    assert target.wait_idle(20)
    rows = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert sorted((r[0], r[1], r[2], r[6]) for r in rows) == sorted(
        (name.split("_", 1)[0], "partner2", name, size)
        for name, size in ((r.remote_name.lstrip("/"), p.stat().st_size) for r, p in zip(results, files)))
    assert len(read_rows(Path(target.store_path), EGRESS_TABLE)) == len(files)


def test_fth_sftp_transport_with_a_key_per_file(start_target, tmp_path, files):
    key = paramiko.RSAKey.generate(2048)
    key_file = tmp_path / "id_rsa"
    key.write_private_key_file(str(key_file))
    keys = tmp_path / "authorized_keys"
    keys.write_text(f"{key.get_name()} {key.get_base64()}\n")
    target = start_target(authorized_keys=str(keys), sftp_password="not-used")
    job = job_for(target, tmp_path, password=None, key_file=str(key_file), connection="per-file",
                  username="keyed", remote_name="in-{uuid}.bin")
    results = send(job, files[:2])
    assert all(r.ok for r in results), [r.detail for r in results]
    assert target.wait_idle(20)
    rows = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert {(r[0], r[1]) for r in rows} == {(r.remote_name[3:39], "keyed") for r in results}


def test_fth_sftp_transport_over_capacity_is_a_remote_failure(start_target, tmp_path, files):
    target = start_target(capacity=1 / 60)
    results = send(job_for(target, tmp_path), files[:3])
    assert [r.ok for r in results] == [True, False, False]
    assert {r.fault for r in results[1:]} == {faults.REMOTE_FAILURE}
    assert target.counters.refused == 2


def test_custom_uuid_pattern(start_target, tmp_path, files):
    target = start_target(uuid_pattern=r"^order-(?P<uuid>\d+)\.")
    results = send(job_for(target, tmp_path, remote_name="order-{seq}.xml"), files[:2])
    assert all(r.ok for r in results)
    assert target.wait_idle(20)
    assert [r[0] for r in read_rows(Path(target.store_path), INGRESS_TABLE)] == ["0", "1"]


def test_discarded_uploads_are_stat_able_then_swept(start_target, tmp_path, files):
    target = start_target()
    results = send(job_for(target, tmp_path, remote_dir="/"), files[2:3])
    assert results[0].ok
    sftp = connect(target, "checker", password="demo")
    try:
        assert sftp.stat(results[0].remote_name).st_size == files[2].stat().st_size
        target.sftp.uploads.sweep(older_than=0)
        assert sftp.listdir("/") == []
    finally:
        close(sftp)


@pytest.mark.parametrize("discard", [False, True])
def test_an_upload_renamed_before_it_is_closed_is_recorded_by_its_new_name(start_target, tmp_path, discard):
    target = start_target(upload_dir=None if discard else str(tmp_path / "uploads"))
    sftp = connect(target, "partner1", password="demo")
    remote = sftp.open("ro-1.part", "wb")
    remote.write(b"hello world")
    remote.flush()
    sftp.posix_rename("ro-1.part", "ro-1.txt")
    remote.close()
    close(sftp)
    assert target.wait_idle(20)
    rows = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert [(row[1], row[2], row[6]) for row in rows] == [("partner1", "ro-1.txt", 11)]
    if not discard:
        assert (tmp_path / "uploads" / "sftp" / "ro-1.txt").read_bytes() == b"hello world"


@pytest.mark.parametrize("temp_name", [None, ".{filename}.part"])
def test_a_name_that_is_not_utf8_is_stored_as_sent_and_recorded_with_a_replacement_character(
        start_target, tmp_path, temp_name):
    """fth sends a local file name that is not UTF-8 as its own bytes; the target stores the file under those
    bytes and records the name as text (U+FFFD for the byte that is no UTF-8, as over HTTP)."""
    uploads = tmp_path / "uploads"
    target = start_target(upload_dir=str(uploads))
    source = tmp_path / "src"
    source.mkdir()
    local = Path(os.fsdecode(bytes(source) + b"/caf\xe9.dat"))
    local.write_bytes(b"latin-1 name")
    results = send(job_for(target, tmp_path, temp_name=temp_name, remote_name="{filename}", remote_dir="in"),
                   [local])
    assert [(r.ok, r.detail) for r in results] == [(True, "")]
    assert os.listdir(bytes(uploads / "sftp" / "in")) == [b"caf\xe9.dat"]
    assert (uploads / "sftp" / "in" / local.name).read_bytes() == b"latin-1 name"
    assert target.wait_idle(20)
    assert [row[2] for row in read_rows(Path(target.store_path), INGRESS_TABLE)] == ["caf\ufffd.dat"]
    sftp = connect(target, "someone", password="demo")
    try:  # the name comes back as the bytes it was sent as (paramiko's client reads names as strict UTF-8: the
        # answer's bytes are read here)
        kind, answer = sftp._request(CMD_REALPATH, b"/in/caf\xe9.dat")
        assert (kind, answer.get_int(), answer.get_string()) == (CMD_NAME, 1, b"/in/caf\xe9.dat")
        kind, answer = sftp._request(CMD_OPENDIR, b"/in")
        kind, answer = sftp._request(CMD_READDIR, answer.get_binary())
        assert (kind, answer.get_int(), answer.get_string()) == (CMD_NAME, 1, b"caf\xe9.dat")
    finally:
        close(sftp)
