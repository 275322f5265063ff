"""What long runs meet: servers dying, stalling, resetting, erroring at random; bad TLS; a full disk;
SIGTERM mid-ramp. In each, the run finishes, the summary is written and every transfer is counted
exactly once: attempted = succeeded + failed + not sent."""

import json
import os
import random
import signal
import socket
import subprocess
import sys

import gevent
import gevent.server
import pytest
import requests

from fth.protocols.http import classify_request_error
from tests.fixtures.cli import http_job
from tests.fixtures.http_servers import RecordingServer


def _jobs(path):
    summary = json.loads(path.read_text())
    for job in summary["jobs"]:
        assert job["attempted"] == job["succeeded"] + job["failed"] + job["not_sent"], job
        assert job["failed"] == sum(job["errors"].values()), job
        assert job["in_flight"] == 0
    return {job["name"]: job for job in summary["jobs"]}


def test_http_server_killed_and_restarted_mid_run(fth_cli, write_config, source_dir, tmp_path):
    server = RecordingServer().start()

    def outage():
        gevent.sleep(1.0)
        server.stop()
        gevent.sleep(1.0)
        server.restart()

    config = write_config({"jobs": [http_job("flaky", server.url, source_dir, rate="20/s", mode="fire")]})
    out = tmp_path / "out.json"
    worker = gevent.spawn(outage)
    try:
        fth_cli("-c", config, "--duration", "4s", "--summary-json", out, "-q")
    finally:
        worker.get()
        server.stop()
    job = _jobs(out)["flaky"]
    assert job["errors"].get("refused", 0) >= 10  # ~1 s of outage at 20/s
    assert job["succeeded"] == len(server.requests) >= 30  # before and after the outage


def _stall_after_headers(sock, _address):
    sock.recv(65536)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    gevent.sleep(10)
    sock.close()


def test_server_that_stalls_after_headers_is_a_read_timeout(fth_cli, write_config, source_dir, tmp_path):
    listener = gevent.server.StreamServer(("127.0.0.1", 0), _stall_after_headers)
    listener.start()
    try:
        config = write_config({"jobs": [http_job("stall", f"http://127.0.0.1:{listener.server_port}/u", source_dir,
                                                 rate="10/s", mode="fire", count=5, timeout="0.5s")]})
        out = tmp_path / "out.json"
        fth_cli("-c", config, "--duration", "20s", "--summary-json", out, "-q")
    finally:
        listener.stop()
    job = _jobs(out)["stall"]
    assert job["errors"] == {"read_timeout": 5}


def test_random_503s_are_counted_exactly(fth_cli, write_config, source_dir, tmp_path):
    rng = random.Random(5)
    server = RecordingServer().start()
    answers = []

    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        status = 503 if rng.random() < 0.5 else 201
        answers.append(status)
        start_response(f"{status} X", [("Content-Length", "0")])
        return [b""]

    server._server.application = app
    try:
        config = write_config({"jobs": [http_job("coin", server.url, source_dir, rate="50/s", count=60,
                                                 mode="fire")]})
        out = tmp_path / "out.json"
        fth_cli("-c", config, "--duration", "20s", "--summary-json", out, "-q")
    finally:
        server.stop()
    job = _jobs(out)["coin"]
    assert job["succeeded"] == answers.count(201) and job["errors"] == {"http_503": answers.count(503)}
    assert len(answers) == 60


def test_tls_to_a_plain_http_server_is_a_tls_fault(fth_cli, write_config, http_server, source_dir, tmp_path):
    url = http_server.url.replace("http://", "https://")
    config = write_config({"jobs": [http_job("mismatch", url, source_dir, count=4)]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "20s", "--summary-json", out, "-q")
    assert _jobs(out)["mismatch"]["errors"] == {"tls": 4}
    assert http_server.requests == []


def test_dns_failures_are_classified_without_network():
    error = requests.exceptions.ConnectionError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert classify_request_error(error)[0] == "dns"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_under_the_transfer_log_does_not_stop_the_run(fth_cli, write_config, http_server, source_dir,
                                                                   tmp_path):
    config = write_config({"jobs": [http_job("disk", http_server.url, source_dir, rate="50/s", count=100)]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--duration", "30s", "--transfer-log", "/dev/full", "--summary-json", out)
    job = _jobs(out)["disk"]
    assert job["succeeded"] == 100 == len(http_server.requests)
    assert "transfer log /dev/full" in result.stderr and "No space left" in result.stderr


def test_sigterm_during_a_ramp_stops_gracefully(write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("ramping", http_server.url, source_dir, rate=None, mode="fire",
                                             ramp=[{"to": "50/s", "over": "60s"}])]})
    out = tmp_path / "out.json"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    process = subprocess.Popen([sys.executable, "-m", "fth", "-c", str(config), "--summary-json", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    with gevent.Timeout(60):
        while len(http_server.requests) < 10:
            gevent.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        while process.poll() is None:
            gevent.sleep(0.1)
    assert process.returncode == 0, process.stderr.read().decode()
    job = _jobs(out)["ramping"]
    assert json.loads(out.read_text())["stop_reason"] == "SIGTERM received"
    assert job["succeeded"] == len(http_server.requests)
    assert 0 < job["target_rate_per_s"] < 50  # stopped part-way up the ramp
