"""Bad SFTP settings are configuration errors naming file:line and key, found before anything is sent."""

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import pytest

from fth.config import load_run_config
from fth.config.model import SftpJobConfig
from fth.errors import ConfigError
from fth.protocols import sshkeys  # noqa: F401  (imported as root: nobody may not read site-packages)
from tests.fixtures.files import make_files

PASSPHRASE = "right horse"


def write_config(tmp_path: Path, source: Path, auth_lines: str, port: str = "2222",
                 extra: str = "") -> Path:
    config = tmp_path / "job.yml"
    config.write_text(
        "duration: 10s\n"
        "jobs:\n"
        "  - name: partner-sftp\n"
        "    protocol: sftp\n"
        "    username: partner1\n"
        f"    source: {source}\n"
        "    rate: 10/min\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        + auth_lines
        + extra
    )
    return config


def line_of(config: Path, key: str) -> int:
    for number, text in enumerate(config.read_text().splitlines(), start=1):
        if text.strip().startswith(f"{key}:"):
            return number
    raise AssertionError(f"{key} not in {config}")


def expect_error(config: Path, key: str, line_key: Optional[str] = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(config))
    message = str(caught.value)
    assert f"{config}:{line_of(config, line_key or key)}" in message
    assert f".{key}" in message
    return caught.value


@pytest.fixture
def keygen(tmp_path: Path):
    def make(name: str, passphrase: str = "") -> Path:
        path = tmp_path / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
        return path

    return make


def test_missing_key_file(tmp_path: Path, source_dir: Path) -> None:
    config = write_config(tmp_path, source_dir, f"    key_file: {tmp_path / 'no_such_key'}\n")
    error = expect_error(config, "key_file")
    assert "does not exist" in str(error)


def test_key_file_that_is_not_a_key(tmp_path: Path, source_dir: Path) -> None:
    garbage = tmp_path / "garbage_key"
    garbage.write_text("-----BEGIN NOTHING-----\nabc\n")
    config = write_config(tmp_path, source_dir, f"    key_file: {garbage}\n")
    error = expect_error(config, "key_file")
    assert "not a private key" in str(error)


def test_key_file_that_is_a_directory(tmp_path: Path, source_dir: Path) -> None:
    config = write_config(tmp_path, source_dir, f"    key_file: {tmp_path}\n")
    error = expect_error(config, "key_file")
    assert "not a file" in str(error)


@contextmanager
def unprivileged(uid: int = 65534) -> Iterator[None]:
    """Run the block as ``nobody`` when the tests run as root (who reads any file); root again after."""
    if os.geteuid() != 0:
        yield
        return
    os.setresgid(uid, uid, 0)
    os.setresuid(uid, uid, 0)  # the saved uid stays 0, so root can be restored
    try:
        yield
    finally:
        os.setresuid(0, 0, 0)
        os.setresgid(0, 0, 0)


def test_unreadable_key_file(keygen) -> None:
    # A directory of its own that nobody may enter (pytest's tmp_path is root's alone).
    shared = Path(tempfile.mkdtemp(prefix="fth-unreadable-"))
    try:
        shared.chmod(0o755)
        source = make_files(shared / "source", 2)
        key = keygen("id_locked")
        locked = shared / key.name
        shutil.copy(key, locked)
        locked.chmod(0)
        config = write_config(shared, source, f"    key_file: {locked}\n")
        with unprivileged():
            error = expect_error(config, "key_file")
        assert "not readable" in str(error)
    finally:
        shutil.rmtree(shared)


def test_encrypted_key_without_or_with_wrong_passphrase(tmp_path: Path, source_dir: Path, keygen) -> None:
    key = keygen("id_pass", PASSPHRASE)
    config = write_config(tmp_path, source_dir, f"    key_file: {key}\n")
    assert "encrypted" in str(expect_error(config, "key_file"))
    config = write_config(tmp_path, source_dir, f"    key_file: {key}\n    key_passphrase: wrong battery\n")
    error = expect_error(config, "key_file")
    assert "wrong passphrase" in str(error)
    assert "wrong battery" not in str(error)  # never echo a secret


def test_encrypted_key_with_passphrase_from_env(tmp_path: Path, source_dir: Path, keygen,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = keygen("id_pass", PASSPHRASE)
    monkeypatch.setenv("FTH_TEST_KEY_PASSPHRASE", PASSPHRASE)
    config = write_config(tmp_path, source_dir,
                          f"    key_file: {key}\n    key_passphrase_env: FTH_TEST_KEY_PASSPHRASE\n")
    job = load_run_config(str(config)).jobs[0]
    assert isinstance(job, SftpJobConfig)
    assert job.key_passphrase == PASSPHRASE
    assert job.key_file == str(key)


def test_neither_password_nor_key(tmp_path: Path, source_dir: Path) -> None:
    config = write_config(tmp_path, source_dir, "    remote_dir: /incoming\n")
    with pytest.raises(ConfigError) as caught:
        load_run_config(str(config))
    message = str(caught.value)
    assert str(config) in message
    assert "password" in message and "key_file" in message
    assert "partner-sftp" in message


@pytest.mark.parametrize("port", ["0", "70000", "ssh", "-5"])
def test_bad_port(tmp_path: Path, source_dir: Path, port: str) -> None:
    config = write_config(tmp_path, source_dir, "    password: secret-pw\n", port=port)
    error = expect_error(config, "port")
    assert "port" in str(error)
    assert "secret-pw" not in str(error)


@pytest.mark.parametrize("key, value", [("host_key_policy", "sometimes"), ("connection", "pooled"),
                                        ("temp_name", "{nope}.part")])
def test_bad_choices_and_templates(tmp_path: Path, source_dir: Path, key: str, value: str) -> None:
    config = write_config(tmp_path, source_dir, "    password: pw\n", extra=f"    {key}: \"{value}\"\n")
    expect_error(config, key)


def test_valid_sftp_job_parses(tmp_path: Path, source_dir: Path, keygen) -> None:
    key = keygen("id_ok")
    config = write_config(tmp_path, source_dir, f"    key_file: {key}\n",
                          extra="    connection: per-file\n    host_key_policy: accept-new\n"
                                "    temp_name: \".{filename}.part\"\n    remote_dir: /incoming\n")
    job = load_run_config(str(config)).jobs[0]
    assert isinstance(job, SftpJobConfig)
    assert (job.port, job.connection, job.host_key_policy, job.temp_name, job.remote_dir) == (
        2222, "per-file", "accept-new", ".{filename}.part", "/incoming")
