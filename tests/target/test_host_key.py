"""A target that got a new host key: fth's host_key fault names the command that fixes it, and it does."""

import re
import shlex
import subprocess

import yaml

from fth.target import Target
from fth.target.cli import build_parser, settings_from_args
from tests.fixtures.mariadb import free_port


def _target(state_dir, port) -> Target:
    return Target(settings_from_args(build_parser().parse_args(
        ["--http", "off", "--sftp", str(port), "--state-dir", str(state_dir), "--delay", "0"])))


def test_a_changed_host_key_names_the_ssh_keygen_command_that_fixes_it(fth_cli, tmp_path, source_dir):
    port = free_port()
    known_hosts = tmp_path / "known_hosts"
    job = {"name": "sftp", "protocol": "sftp", "username": "u", "password": "demo", "host": "127.0.0.1",
           "port": port, "host_key_policy": "accept-new", "known_hosts": str(known_hosts), "remote_dir": "/",
           "source": str(source_dir), "rate": "20/s", "count": 1}
    config = tmp_path / "job.yml"
    config.write_text(yaml.safe_dump({"jobs": [job]}))
    with _target(tmp_path / "first-state", port):
        fth_cli("-c", config, "-q", "--summary-json", tmp_path / "1.json")
    with _target(tmp_path / "other-state", port):  # e.g. fth-target started with another --state-dir
        err = fth_cli("-c", config, "--summary-json", tmp_path / "2.json").stderr
        assert "host key CHANGED" in err
        hint = re.search(r"remove the old key with (ssh-keygen -R '\[HOST\]:PORT' -f KNOWN_HOSTS) using the name "
                         r"and file of the message", err)
        assert hint, err
        file, host = re.search(r"(\S+) holds another key for (\S+)", err).group(1, 2)
        command = hint.group(1).replace("'[HOST]:PORT'", shlex.quote(host)).replace("KNOWN_HOSTS", file)
        assert command == f"ssh-keygen -R '[127.0.0.1]:{port}' -f {known_hosts}"
        subprocess.run(shlex.split(command), check=True, capture_output=True, timeout=30)
        fth_cli("-c", config, "-q", "--summary-json", tmp_path / "3.json")
    assert [yaml.safe_load((tmp_path / f"{n}.json").read_text())["total"]["succeeded"] for n in (1, 2, 3)] == [1, 0, 1]
