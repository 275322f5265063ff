"""fth end to end against real loopback HTTP(S) servers: rates, modes, templates, faults."""

import json
import os
import signal
import ssl
from collections import Counter
from urllib.parse import unquote

import gevent
import pytest

from tests.fixtures.cli import http_job
from tests.fixtures.http_servers import parse_multipart
from tests.fixtures.process import fth_serving_web


@pytest.fixture(params=["requests", "fast"])
def client(request):
    """The HTTP client of the job: requests (default) or fth's own (client: fast)."""
    return request.param


def _summary(path):
    return json.loads(path.read_text())


def _job(summary, name):
    return next(job for job in summary["jobs"] if job["name"] == name)


def test_wait_mode_sends_the_rate_with_a_fresh_uuid_and_filename_per_transfer(client,
        fth_cli, write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("orders", http_server.url, source_dir, rate="20/s", mode="wait",
                                             client=client,
                                             headers={"X-Transaction-ID": "{uuid}", "X-Filename": "{filename}",
                                                      "X-Seq": "{job}-{seq}"})]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "10s", "--summary-json", out, "-q")
    job = _job(_summary(out), "orders")
    assert abs(job["attempted"] - 200) <= 4
    assert job["succeeded"] == len(http_server.requests) == job["attempted"]
    uuids = [request.headers["X-Transaction-Id"] for request in http_server.requests]
    assert len(set(uuids)) == len(uuids)
    names = {path.name: path.read_bytes() for path in source_dir.iterdir()}
    for request in http_server.requests:
        assert request.body == names[request.headers["X-Filename"]]
    assert job["errors"] == {}
    assert job["bytes"] == sum(len(request.body) for request in http_server.requests)


def test_closed_port_is_counted_as_refused_beside_a_healthy_job(client, fth_cli, write_config, http_server, source_dir,
                                                                 tmp_path):
    config = write_config({"jobs": [
        http_job("healthy", http_server.url, source_dir, rate="10/s", client=client),
        http_job("closed", "http://127.0.0.1:9/upload", source_dir, rate="10/s", client=client),
    ]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--duration", "3s", "--summary-json", out)
    summary = _summary(out)
    closed, healthy = _job(summary, "closed"), _job(summary, "healthy")
    assert closed["attempted"] >= 25 and closed["errors"] == {"refused": closed["attempted"]}
    assert healthy["succeeded"] == healthy["attempted"] == len(http_server.requests) >= 25
    assert "Traceback" not in result.stderr + result.stdout
    assert "127.0.0.1:9" in result.stderr and "connection refused" in result.stderr
    assert "refused" in result.stdout  # the error table


def test_fire_keeps_the_schedule_against_a_slow_server_and_wait_falls_behind(
        fth_cli, write_config, make_http_server, source_dir, tmp_path):
    slow = make_http_server(delay=2.0)
    config = write_config({"stop_timeout": "10s", "jobs": [
        http_job("fire", slow.url, source_dir, rate="50/s", mode="fire", max_in_flight=500),
    ]})
    out = tmp_path / "fire.json"
    fth_cli("-c", config, "--duration", "6s", "--summary-json", out, "-q")
    fire = _job(_summary(out), "fire")
    assert abs(fire["achieved_rate_per_s"] - 50) <= 1.0
    assert fire["succeeded"] == fire["attempted"] and fire["not_sent"] == 0
    assert 90 <= fire["peak_in_flight"] <= 140  # rate × latency ≈ 100; a loaded machine answers later
    assert fire["latency_ms"]["p50"] >= 2000

    config = write_config({"jobs": [http_job("wait", slow.url, source_dir, rate="50/s", mode="wait", workers=2)]})
    out = tmp_path / "wait.json"
    result = fth_cli("-c", config, "--duration", "6s", "--summary-json", out)
    wait = _job(_summary(out), "wait")
    assert wait["target_rate_per_s"] == pytest.approx(50, abs=1)
    assert wait["achieved_rate_per_s"] <= 2  # two senders, each 2 s per file
    assert "fell behind the target for: wait" in result.stdout


def test_fire_mode_counts_sends_dropped_at_the_in_flight_cap(fth_cli, write_config, make_http_server, source_dir,
                                                              tmp_path):
    slow = make_http_server(delay=1.0)
    config = write_config({"jobs": [http_job("capped", slow.url, source_dir, rate="40/s", mode="fire",
                                             max_in_flight=10)]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--duration", "2s", "--summary-json", out)
    job = _job(_summary(out), "capped")
    assert job["not_sent"] > 30
    assert job["attempted"] == job["succeeded"] + job["failed"] + job["not_sent"]
    assert job["succeeded"] == len(slow.requests)
    assert job["peak_in_flight"] == 10 == slow.peak_in_flight  # the cap is reached, and never passed
    assert "max_in_flight" in result.stderr


@pytest.mark.parametrize("status, expected_kind", [(503, "http_503"), (404, "http_404")])
def test_unexpected_status_is_a_counted_fault(client, fth_cli, write_config, make_http_server, source_dir, tmp_path,
                                              status, expected_kind):
    server = make_http_server(status=status)
    config = write_config({"jobs": [http_job("bad", server.url, source_dir, rate="20/s", count=10, client=client)]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "20s", "--summary-json", out, "-q")
    job = _job(_summary(out), "bad")
    assert job["errors"] == {expected_kind: 10} and job["attempted"] == 10 == len(server.requests)


def test_expect_status_accepts_listed_codes(fth_cli, write_config, make_http_server, source_dir, tmp_path):
    server = make_http_server(status=202)
    config = write_config({"jobs": [http_job("ok", server.url, source_dir, rate="20/s", expect_status=[202])]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "1s", "--summary-json", out, "-q")
    job = _job(_summary(out), "ok")
    assert job["failed"] == 0 and job["succeeded"] == len(server.requests) > 0


def test_read_timeout_and_reset_are_counted(client, fth_cli, write_config, make_http_server, source_dir, tmp_path):
    stalled = make_http_server(delay=5.0)
    listener = gevent.server.StreamServer(("127.0.0.1", 0), _reset_connection)
    listener.start()
    try:
        config = write_config({"stop_timeout": "2s", "jobs": [
            http_job("stalled", stalled.url, source_dir, rate="5/s", mode="fire", timeout="0.5s", count=5,
                     client=client),
            http_job("reset", f"http://127.0.0.1:{listener.server_port}/upload", source_dir, rate="5/s", count=8,
                     client=client),
        ]})
        out = tmp_path / "out.json"
        fth_cli("-c", config, "--duration", "15s", "--summary-json", out, "-q")
    finally:
        listener.stop()
    summary = _summary(out)
    assert set(_job(summary, "stalled")["errors"]) == {"read_timeout"}
    assert set(_job(summary, "reset")["errors"]) == {"reset"}
    assert _job(summary, "reset")["failed"] == _job(summary, "reset")["attempted"] == 8


def _reset_connection(sock, _address):
    import socket
    import struct

    sock.recv(100)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_files_deleted_mid_run_are_local_file_faults(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("deleting", http_server.url, source_dir, rate="20/s")]})
    out = tmp_path / "out.json"
    victims = sorted(source_dir.iterdir())[5:]
    deleter = gevent.spawn_later(0.05, lambda: [path.unlink() for path in victims])
    fth_cli("-c", config, "--duration", "1.5s", "--summary-json", out, "-q")
    deleter.join()
    job = _job(_summary(out), "deleting")
    assert job["errors"].get("local_file", 0) >= 1
    assert job["succeeded"] == len(http_server.requests)
    assert job["attempted"] == job["succeeded"] + job["failed"]


def test_multipart_body_with_form_fields_and_basic_auth(client, fth_cli, write_config, http_server, source_dir,
                                                        tmp_path,
                                                        monkeypatch):
    monkeypatch.setenv("UPLOAD_PW", "s3cret")
    config = write_config({"jobs": [http_job(
        "forms", http_server.url + "?id={uuid}", source_dir, rate="20/s", count=5, body="multipart", client=client,
        field="document", form={"uuid": "{uuid}", "owner": "{username}"}, remote_name="{uuid}_{filename}",
        password_env="UPLOAD_PW")]})
    fth_cli("-c", config, "--duration", "5s", "-q")
    assert len(http_server.requests) == 5
    contents = {path.read_bytes() for path in source_dir.iterdir()}
    for request in http_server.requests:
        fields = parse_multipart(request.body, request.headers["Content-Type"])
        filename, data = fields["document"]
        assert data in contents
        assert filename == f"{fields['uuid'][1].decode()}_{filename.split('_', 1)[1]}"
        assert fields["owner"][1] == b"user-forms"
        assert request.headers["Authorization"].startswith("Basic ")


def test_count_limits_the_files_sent_and_the_transfer_log_has_a_line_each(fth_cli, write_config, http_server,
                                                                          source_dir, tmp_path):
    config = write_config({"jobs": [http_job("counted", http_server.url, source_dir, rate="50/s", count=7,
                                             headers={"X-Transaction-ID": "{uuid}"})]})
    log_path = tmp_path / "transfers.jsonl"
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--transfer-log", log_path, "--summary-json", out, "-q")
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(lines) == len(http_server.requests) == 7
    sent_uuids = {request.headers["X-Transaction-Id"] for request in http_server.requests}
    assert len(sent_uuids) == 7 and {line["uuid"] for line in lines} == sent_uuids
    assert all(line["outcome"] == "ok" and line["job"] == "counted" and line["username"] == "user-counted"
               for line in lines)
    assert _summary(out)["stop_reason"] == "all jobs finished"


def _tls_server(make_http_server, tls_files, require_client_cert=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.server_cert, tls_files.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(tls_files.ca_cert)
    return make_http_server(ssl_context=context)


def test_https_with_ca_bundle_and_mutual_tls(client, fth_cli, write_config, make_http_server, tls_files, source_dir,
                                             tmp_path):
    plain_tls = _tls_server(make_http_server, tls_files)
    mtls = _tls_server(make_http_server, tls_files, require_client_cert=True)
    config = write_config({"jobs": [
        http_job("ca", plain_tls.url, source_dir, rate="20/s", count=6, ca_file=tls_files.ca_cert, client=client),
        http_job("mtls", mtls.url, source_dir, rate="20/s", count=6, ca_file=tls_files.ca_cert, client=client,
                 cert_file=tls_files.client_cert, key_file=tls_files.client_key),
        http_job("mtls-nocert", mtls.url, source_dir, rate="20/s", count=6, ca_file=tls_files.ca_cert, client=client),
        http_job("wrong-ca", plain_tls.url, source_dir, rate="20/s", count=6, ca_file=tls_files.other_ca_cert,
                 client=client),
        http_job("noverify", plain_tls.url, source_dir, rate="20/s", count=6, verify=False, client=client),
    ]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "20s", "--summary-json", out, "-q")
    summary = _summary(out)
    for name in ("ca", "mtls", "noverify"):
        assert _job(summary, name)["failed"] == 0 and _job(summary, name)["succeeded"] == 6, name
    assert set(_job(summary, "wrong-ca")["errors"]) == {"tls"}
    nocert = _job(summary, "mtls-nocert")
    assert nocert["failed"] == sum(nocert["errors"].values()) == 6 and nocert["succeeded"] == 0
    assert set(nocert["errors"]) <= {"tls", "reset"}  # the server may reset before the alert is read
    assert len(mtls.requests) == _job(summary, "mtls")["succeeded"]


def test_stop_condition_ends_the_run_with_its_exit_status(fth_cli, write_config, make_http_server, source_dir,
                                                          tmp_path):
    failing = make_http_server(status=500)
    config = write_config({"jobs": [http_job("breaking", failing.url, source_dir, rate="20/s",
                                             stop_on=[{"failure_rate": "50%", "window": "2s", "min_count": 5}])]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--duration", "30s", "--summary-json", out, expect=3)
    summary = _summary(out)
    assert summary["breakpoint"]["job"] == "breaking"
    assert summary["breakpoint"]["target_rate_per_s"] == 20
    assert summary["duration_s"] < 10
    assert "Stop condition tripped" in result.stdout


def test_p95_latency_stop_condition_trips_with_exit_3_and_a_breakpoint(fth_cli, write_config, make_http_server,
                                                                       source_dir, tmp_path):
    slow = make_http_server(delay=0.3)
    config = write_config({"jobs": [http_job("slowing", slow.url, source_dir, rate="20/s", mode="fire",
                                             stop_on=[{"p95_latency": "100ms", "window": "2s", "min_count": 5}])]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--duration", "30s", "--summary-json", out, expect=3)
    summary = _summary(out)
    assert summary["breakpoint"]["job"] == "slowing"
    assert summary["breakpoint"]["condition"] == "p95 latency over 100 ms during 2s"
    assert summary["breakpoint"]["target_rate_per_s"] == 20
    assert summary["stop_reason"] == "stop condition of job slowing: p95 latency over 100 ms during 2s"
    assert _job(summary, "slowing")["latency_ms"]["p95"] >= 300
    assert "Stop condition tripped" in result.stdout


def test_ramp_follows_its_stages_and_ends_with_them(fth_cli, write_config, http_server, source_dir, tmp_path):
    config = write_config({"jobs": [http_job("ramping", http_server.url, source_dir, rate=None,
                                             ramp=[{"to": "40/s", "over": "2s"}, {"hold": "1s"}])]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    job = _job(_summary(out), "ramping")
    assert 72 <= job["attempted"] <= 88  # 40 during the ramp (area of the triangle) + 40 held
    assert job["succeeded"] == len(http_server.requests)


def test_source_without_matching_files_is_a_usage_error(fth_cli, write_config, http_server, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    config = write_config({"jobs": [http_job("empty", http_server.url, empty)]})
    result = fth_cli("-c", config, "--duration", "1s", expect=2)
    assert "no files matching" in result.stderr and str(empty) in result.stderr
    assert http_server.requests == []


def test_unicode_and_spaces_in_file_names(fth_cli, write_config, http_server, tmp_path):
    source = tmp_path / "odd names"
    source.mkdir()
    (source / "résumé <b>x<b> 1.pdf").write_bytes(b"abc")
    config = write_config({"jobs": [http_job("odd", http_server.url, source, count=1,
                                             headers={"X-Name": "{filename}"})]})
    fth_cli("-c", config, "-q")
    assert http_server.requests[0].body == b"abc"
    # non-ASCII in a header is percent-encoded (UTF-8): the server decodes it with unquote
    assert http_server.requests[0].headers["X-Name"] == "r%C3%A9sum%C3%A9 <b>x<b> 1.pdf"
    assert unquote(http_server.requests[0].headers["X-Name"]) == "résumé <b>x<b> 1.pdf"


@pytest.mark.parametrize("body", ["raw", "multipart"])
def test_empty_small_and_streamed_bodies_arrive_intact(client, body, fth_cli, write_config, http_server, tmp_path):
    from fth.protocols.http import SMALL_BODY

    source = tmp_path / "sizes"
    source.mkdir()
    sent = {}
    for size in (0, 1, SMALL_BODY, SMALL_BODY + 1, 300_000):  # read in one go up to SMALL_BODY, streamed above
        sent[f"{size}.bin"] = os.urandom(size)
        (source / f"{size}.bin").write_bytes(sent[f"{size}.bin"])
    config = write_config({"jobs": [http_job("sizes", http_server.url, source, count=len(sent), rate="50/s",
                                             client=client, body=body, headers={"X-Name": "{filename}"})]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    received = {}
    for request in http_server.requests:
        if body == "multipart":
            filename, data = parse_multipart(request.body, request.headers["Content-Type"])["file"]
            assert filename == request.headers["X-Name"]
        else:
            data = request.body
        received[request.headers["X-Name"]] = data
    assert received == sent
    job = _job(_summary(out), "sizes")
    assert job["succeeded"] == len(sent) and job["bytes"] == sum(map(len, sent.values()))


def test_sigint_stops_gracefully_and_writes_the_summary(write_config, http_server, source_dir, tmp_path):
    import subprocess
    import sys

    config = write_config({"jobs": [http_job("long", http_server.url, source_dir, rate="20/s")]})
    out = tmp_path / "out.json"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    # the server lives in this (gevent) process, so wait cooperatively for the child
    process = subprocess.Popen([sys.executable, "-m", "fth", "-c", str(config), "--duration", "1h",
                                "--summary-json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = gevent.Timeout(60)
    deadline.start()
    try:
        while len(http_server.requests) < 20:
            gevent.sleep(0.1)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate()
    finally:
        deadline.close()
    assert process.returncode == 0, stderr.decode()
    summary = _summary(out)
    assert summary["stop_reason"] == "SIGINT received"
    assert summary["jobs"][0]["succeeded"] == len(http_server.requests)
    assert b"Run summary" in stdout and b"fth-report" in stdout
    assert b"Traceback" not in stderr


def test_web_flag_serves_the_live_run_figures(write_config, http_server, source_dir, tmp_path):
    """fth --web PORT serves fth-web inside the run, with the run's own figures beside the database view."""
    import requests

    config = write_config({"jobs": [http_job("live", http_server.url, source_dir, rate="20/s")]})
    with fth_serving_web(config, tmp_path / "out.json") as (url, _):
        while len(http_server.requests) < 10:
            gevent.sleep(0.1)
        figures = requests.get(url + "/api/live", timeout=5).json()
        page = requests.get(url + "/", timeout=5)
    assert page.status_code == 200
    job = figures["jobs"][0]
    assert job["name"] == "live" and job["succeeded"] >= 10 and job["target_rate_per_s"] == 20


def test_wait_mode_workers_share_the_files_each_sent_once(fth_cli, write_config, http_server, source_dir, tmp_path):
    once = http_job("once", http_server.url, source_dir, rate="100/s", mode="wait", workers=3,
                    headers={"X-Filename": "{filename}", "X-Job": "once"})
    once["source"] = {"path": str(source_dir), "loop": False}
    config = write_config({"jobs": [
        once,
        http_job("counted", http_server.url, source_dir, rate="100/s", mode="wait", workers=4, count=6,
                 headers={"X-Filename": "{filename}", "X-Job": "counted"}),
    ]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    sent = {job: Counter(r.headers["X-Filename"] for r in http_server.requests if r.headers["X-Job"] == job)
            for job in ("once", "counted")}
    assert sorted(sent["once"]) == sorted(path.name for path in source_dir.iterdir())  # each of the 10 files
    assert set(sent["once"].values()) == {1}
    assert sum(sent["counted"].values()) == 6 and set(sent["counted"].values()) == {1}  # six different files
    summary = _summary(out)
    assert [_job(summary, job)["succeeded"] for job in ("once", "counted")] == [10, 6]
