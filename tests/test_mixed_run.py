"""A 10 s mixed run (one HTTP job, two SFTP jobs) through ``fth``: what the summary counts is on the servers' disks."""

import hashlib
import http.server
import json
import threading
from pathlib import Path
from typing import Dict, Iterator
from urllib.parse import unquote

import pytest
import yaml

from fth.main import fth_main
from tests.fixtures.files import make_files
from tests.fixtures.sshd import SshServer


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.append((self.headers.get("X-Filename", ""), body))  # type: ignore[attr-defined]
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_sink() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_mixed_http_and_sftp_run_puts_every_counted_file_on_disk(
        sshd: SshServer, need_password: str, http_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = {name: make_files(tmp_path / name, 6, size=size, prefix=f"{name} ü")
               for name, size in (("web", 1500), ("keyed", 70_000), ("passworded", 3000))}
    originals: Dict[str, str] = {path.name: sha(path.read_bytes()) for d in sources.values() for path in d.iterdir()}
    keyed_dir, password_dir = sshd.make_dir("mixed-keyed"), sshd.make_dir("mixed-password")
    monkeypatch.setenv("FTH_TEST_SFTP_PASSWORD", need_password)
    common = {"host": sshd.host, "port": sshd.port, "username": sshd.user, "protocol": "sftp",
              "known_hosts": str(sshd.known_hosts), "host_key_policy": "strict"}
    config = {
        "jobs": [
            {"name": "web", "protocol": "http", "username": "web-user", "source": str(sources["web"]),
             "rate": "10/s", "url": f"http://127.0.0.1:{http_sink.server_address[1]}/upload",
             "headers": {"X-Filename": "{filename}"}},
            dict(common, name="keyed", source=str(sources["keyed"]), rate="10/s", key_file=str(sshd.key_file),
                 connection="reuse", remote_dir=str(keyed_dir), remote_name="{uuid}_{filename}",
                 temp_name=".{uuid}.part"),
            dict(common, name="passworded", source=str(sources["passworded"]), rate="4/s",
                 password_env="FTH_TEST_SFTP_PASSWORD", connection="per-file", remote_dir=password_dir.name,
                 remote_name="{uuid}_{filename}"),
        ],
    }
    config_path, summary_path = tmp_path / "mixed.yml", tmp_path / "summary.json"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True))

    status = fth_main(["-c", str(config_path), "--duration", "10s", "--summary-json", str(summary_path), "-q"])

    assert status == 0
    summary = {job["name"]: job for job in json.loads(summary_path.read_text())["jobs"]}
    for name, rate in (("web", 10), ("keyed", 10), ("passworded", 4)):
        job = summary[name]
        assert job["errors"] == {}, (name, job["errors"])
        assert job["failed"] == 0
        assert job["succeeded"] == job["attempted"]
        assert abs(job["succeeded"] - rate * 10) <= max(3, rate)  # the schedule, give or take start and stop
    assert len(http_sink.received) == summary["web"]["succeeded"]
    # a header carries the name percent-encoded beyond printable ASCII: unquote restores it
    assert all(sha(body) == originals[unquote(name)] for name, body in http_sink.received)
    for name, directory in (("keyed", keyed_dir), ("passworded", password_dir)):
        found = sorted(directory.iterdir())
        assert len(found) == summary[name]["succeeded"]
        assert not [path for path in found if path.name.endswith(".part")]
        uuids = set()
        for path in found:
            uuid, _, original = path.name.partition("_")
            uuids.add(uuid)
            assert original.startswith(f"{name} ü")
            assert sha(path.read_bytes()) == originals[original], path
        assert len(uuids) == len(found)  # a fresh uuid per transfer
    assert summary["keyed"]["bytes"] == 70_000 * summary["keyed"]["succeeded"]
