"""fth under hostile input and overload (issue 12): nothing hangs, nothing is lost, nothing is smuggled.

Every run is bounded in count and time; each test asserts the accounting (attempted =
succeeded + failed + not sent, one transfer-log line per transfer), what reached the server
and, where the issue is about hanging, when the process exited.
"""

import json
import os
import re
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.fixtures.cli import http_job
from tests.fixtures.files import make_files
from tests.fixtures.process import run_fth_process
from tests.fixtures.raw_http import dribble, endless_chunk_line, huge_body, late

CLIENTS = ["requests", "fast"]


def _one_file_source(tmp_path: Path, name: str, data: bytes) -> Path:
    """A source directory holding one file called ``name`` (any name a file system allows)."""
    source = tmp_path / "src"
    source.mkdir()
    (source / name).write_bytes(data)
    return source


def _summary(path: Path) -> dict:
    return json.loads(path.read_text())


def _accounted(job: dict) -> None:
    assert job["attempted"] == job["succeeded"] + job["failed"] + job["not_sent"]
    assert job["failed"] == sum(count for kind, count in job["errors"].items() if kind != "not_sent")


def _log_lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("client, rate, cap", [("fast", "20000/s", 100), ("requests", "5000/s", 50)])
def test_fire_far_above_what_the_server_answers_holds_the_cap_and_counts_every_send(
        client, rate, cap, fth_cli, write_config, raw_http_server, source_dir, tmp_path):
    server = raw_http_server(late(30.0))  # answers long after the run and its stop timeout (3 s + 2 s) are over
    config = write_config({"stop_timeout": "2s", "jobs": [http_job(
        "flood", server.url + "/up", source_dir, rate=rate, mode="fire", max_in_flight=cap, client=client,
        timeout="30s")]})
    out, transfers = tmp_path / "out.json", tmp_path / "transfers.jsonl"
    fth_cli("-c", config, "--duration", "3s", "--summary-json", out, "--transfer-log", transfers, "-q")
    returned = time.time()
    summary = _summary(out)
    job = summary["jobs"][0]
    _accounted(job)
    assert job["peak_in_flight"] <= cap and server.peak_in_flight <= cap, job
    assert job["not_sent"] > 1000, job  # the flood was counted, not queued
    assert job["succeeded"] == 0 and job["errors"]["aborted"] == job["failed"] >= cap // 2, job
    assert len(_log_lines(transfers)) == job["attempted"] - job["not_sent"]  # one line per transfer
    run_end = datetime.fromisoformat(summary["started"]).timestamp() + 3
    assert returned - run_end < 2 + 1 + 1.5  # stop_timeout + 1 s, and slack for a loaded machine


@pytest.mark.parametrize("client", CLIENTS)
def test_cr_lf_in_a_file_name_never_reaches_the_wire(client, fth_cli, write_config, raw_http_server, tmp_path):
    server = raw_http_server()
    source = _one_file_source(tmp_path, "a\r\nX-Evil: 1\r\n\r\nDELETE *.dat", b"payload")
    config = write_config({"jobs": [http_job("inject", server.url + "/up/{filename}", source, count=1, client=client,
                                             headers={"X-Filename": "{filename}"})]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    assert _summary(out)["jobs"][0]["succeeded"] == 1
    assert len(server.requests) == 1  # no second, smuggled request
    raw = server.requests[0]
    assert server.request_lines()[0] == b"POST /up/a%0D%0AX-Evil%3A%201%0D%0A%0D%0ADELETE%20%2A.dat HTTP/1.1"
    assert b"\r\nX-Filename: a%0D%0AX-Evil: 1%0D%0A%0D%0ADELETE *.dat\r\n" in raw
    assert b"\nX-Evil" not in raw and b"\nDELETE" not in raw and raw.endswith(b"\r\n\r\npayload")


@pytest.mark.parametrize("client", CLIENTS)
def test_values_in_a_url_are_percent_encoded(client, fth_cli, write_config, raw_http_server, tmp_path):
    server = raw_http_server()
    source = _one_file_source(tmp_path, "x?admin=1#frag.dat", b"x")
    config = write_config({"jobs": [http_job("urls", server.url + "/up/{username}/{filename}?seq={seq}", source,
                                             count=1, client=client, username="../admin")]})
    fth_cli("-c", config, "-q")
    assert server.request_lines() == [b"POST /up/..%2Fadmin/x%3Fadmin%3D1%23frag.dat?seq=1 HTTP/1.1"]


@pytest.mark.parametrize("client", CLIENTS)
def test_non_latin1_name_in_the_shipped_header_example_is_encoded_not_a_failure(
        client, fth_cli, write_config, raw_http_server, tmp_path):
    server = raw_http_server()
    source = _one_file_source(tmp_path, "Отчёт 東京.csv", b"x")
    config = write_config({"jobs": [http_job("names", server.url + "/up", source, count=1, client=client,
                                             headers={"X-Filename": '"{filename}"'})]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    job = _summary(out)["jobs"][0]
    assert (job["succeeded"], job["errors"]) == (1, {})
    assert b'\r\nX-Filename: "%D0%9E%D1%82%D1%87%D1%91%D1%82 %E6%9D%B1%E4%BA%AC.csv"\r\n' in server.requests[0]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_name_that_is_not_utf8_works_end_to_end_with_the_transfer_log(client, fth_cli, write_config,
                                                                         raw_http_server, tmp_path):
    server = raw_http_server()
    name = os.fsdecode(b"caf\xe9-\xff.dat")  # Latin-1 bytes: not UTF-8
    source = _one_file_source(tmp_path, name, b"latin")
    config = write_config({"jobs": [http_job("bytes", server.url + "/up/{filename}", source, count=1, client=client,
                                             headers={"X-Filename": "{filename}"}, body="multipart")]})
    out, transfers = tmp_path / "out.json", tmp_path / "transfers.jsonl"
    fth_cli("-c", config, "--summary-json", out, "--transfer-log", transfers, "-q")
    assert _summary(out)["jobs"][0]["succeeded"] == 1
    assert server.request_lines() == [b"POST /up/caf%E9-%FF.dat HTTP/1.1"]
    assert b"\r\nX-Filename: caf%E9-%FF.dat\r\n" in server.requests[0]
    assert b'filename="caf\xe9-\xff.dat"' in server.requests[0]  # multipart: the name's own bytes
    [line] = _log_lines(transfers)
    assert line["outcome"] == "ok" and os.fsencode(line["file"]) == os.fsencode(str(source / name))


def test_fifos_devices_and_sockets_in_a_recursive_source_are_skipped_never_opened(write_config, http_server,
                                                                                   tmp_path):
    source = make_files(tmp_path / "src", 3)
    make_files(source / "sub", 2)
    os.mkfifo(source / "sub" / "pipe.dat")
    os.mkfifo(source / "a-pipe.dat")
    os.symlink(tmp_path / "gone.dat", source / "dangling.dat")  # a broken link, once called a FIFO in the warning
    job = http_job("tree", http_server.url, source, rate="50/s")
    job["source"] = {"path": str(source), "recursive": True, "loop": False}
    config = write_config({"jobs": [job]})
    out = tmp_path / "out.json"
    run = run_fth_process(["-c", config, "--duration", "20s", "--summary-json", out], timeout=30)
    assert run.status == 0, run.stderr
    job = _summary(out)["jobs"][0]
    assert job["attempted"] == job["succeeded"] == len(http_server.requests) == 5
    assert run.stderr.count("not regular files") == 1 and "3 entries" in run.stderr and "broken links" in run.stderr
    assert run.seconds < 15  # the run ended when the five files were sent


def test_a_fifo_swapped_in_after_the_listing_is_a_local_fault_not_a_hang(tmp_path):
    from fth.protocols.base import open_regular

    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OSError, match="not a regular file"):
        open_regular(str(tmp_path / "pipe"))


@pytest.mark.parametrize("client", CLIENTS)
def test_a_huge_answer_is_read_in_bounded_memory(client, write_config, raw_http_server, source_dir, tmp_path):
    size = 512 * 1024 * 1024
    server = raw_http_server(huge_body(size))
    config = write_config({"jobs": [http_job("huge", server.url + "/up", source_dir, count=1, client=client,
                                             timeout="60s", expect_status=[200])]})
    out = tmp_path / "out.json"
    run = run_fth_process(["-c", config, "--summary-json", out, "-q"], timeout=90)
    assert run.status == 0, run.stderr
    job = _summary(out)["jobs"][0]
    assert (job["attempted"], job["succeeded"]) == (1, 1)
    assert run.peak_rss_mb < 150, f"peak RSS {run.peak_rss_mb:.0f} MB for a {size >> 20} MiB answer"


def _answer_with(data: bytes):
    def answer(sock) -> None:
        sock.sendall(data)
        sock.close()
    return answer


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("answer", "detail"), [
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "the answer was not HTTP"),
    (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 0\r\n\r\n",
     "the answer's head is too large: not HTTP?"),
    (b"HTTP/1.1 200 " + b"a" * 200_000 + b"\r\n\r\n", "the answer's head is too large: not HTTP?"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", "the answer has a bad chunk size"),
], ids=["ssh-banner", "long-header", "long-status-line", "bad-chunk-size"])
def test_an_answer_that_is_not_http_is_a_protocol_fault_not_a_reset(client, answer, detail, fth_cli, write_config,
                                                                    raw_http_server, source_dir, tmp_path):
    """A server that is no HTTP server (an SSH port), a 200 KB header or status line, a chunk size that is no
    number: each client names it a protocol fault with the same words (requests' ProtocolError wraps them)."""
    server = raw_http_server(_answer_with(answer))
    config = write_config({"jobs": [http_job("odd", server.url + "/up", source_dir, count=2, client=client,
                                             timeout="5s")]})
    out = tmp_path / "out.json"
    result = fth_cli("-c", config, "--summary-json", out, "-q")
    job = _summary(out)["jobs"][0]
    _accounted(job)
    assert job["errors"] == {"protocol": 2}
    assert re.search(rf"job odd: protocol: POST 127\.0\.0\.1:\d+: {re.escape(detail)} \(hint: the server spoke an "
                     "unexpected protocol", result.stderr)


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: a\r\n" % index for index in range(150)) + b"Content-Length: 0\r\n\r\n",
    b"HTTP/7.1 200 OK\r\nContent-Length: 0\r\n\r\n",
], ids=["150-headers", "http-7.1"])
def test_what_only_the_requests_client_refuses_is_a_protocol_fault(answer, fth_cli, write_config, raw_http_server,
                                                                   source_dir, tmp_path):
    """http.client reads at most 100 header lines and only HTTP/1.x (fth's own client takes both)."""
    server = raw_http_server(_answer_with(answer))
    config = write_config({"jobs": [http_job("odd", server.url + "/up", source_dir, count=1, client="requests")]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--summary-json", out, "-q")
    assert _summary(out)["jobs"][0]["errors"] == {"protocol": 1}


@pytest.mark.parametrize("client", CLIENTS)
def test_an_endless_chunk_size_line_fails_the_transfer_in_bounded_time(client, fth_cli, write_config,
                                                                       raw_http_server, source_dir, tmp_path):
    server = raw_http_server(endless_chunk_line)
    config = write_config({"jobs": [http_job("chunks", server.url + "/up", source_dir, count=1, client=client,
                                             connect_timeout="1s", timeout="3s")]})
    out = tmp_path / "out.json"
    started = time.monotonic()
    fth_cli("-c", config, "--summary-json", out, "-q")
    job = _summary(out)["jobs"][0]
    _accounted(job)
    assert job["failed"] == 1 and set(job["errors"]) <= {"protocol", "read_timeout", "reset"}
    assert time.monotonic() - started < 1 + 3 + 3


@pytest.mark.parametrize("client", CLIENTS)
def test_timeout_bounds_the_whole_transfer_against_a_dribbling_server(client, fth_cli, write_config,
                                                                      raw_http_server, source_dir, tmp_path):
    server = raw_http_server(dribble(0.5))  # each read returns within the timeout; the answer never ends
    config = write_config({"jobs": [http_job("dribble", server.url + "/up", source_dir, count=1, client=client,
                                             connect_timeout="1s", timeout="2s")]})
    out, transfers = tmp_path / "out.json", tmp_path / "transfers.jsonl"
    started = time.monotonic()
    result = fth_cli("-c", config, "--summary-json", out, "--transfer-log", transfers, "--duration", "60s")
    took = time.monotonic() - started
    job = _summary(out)["jobs"][0]
    assert job["errors"] == {"read_timeout": 1}
    assert "did not end within 3s" in result.stderr
    assert [line["outcome"] for line in _log_lines(transfers)] == ["read_timeout"]
    assert took < 3 + 3


def test_a_second_interrupt_stops_within_a_second_and_counts_what_was_in_flight(write_config, raw_http_server,
                                                                                 source_dir, tmp_path):
    server = raw_http_server(late(60.0))
    config = write_config({"stop_timeout": "60s", "jobs": [http_job(
        "held", server.url + "/up", source_dir, rate="2000/s", mode="fire", max_in_flight=500, client="fast")]})
    out = tmp_path / "out.json"
    run = run_fth_process(["-c", config, "--duration", "1h", "--summary-json", out],
                          signals=[(3.0, signal.SIGINT), (4.0, signal.SIGTERM)], timeout=30)
    assert run.status == 0, run.stderr
    assert run.exit_after_signal < 1.0 + 0.5  # 1 s, and the interpreter's own exit
    summary = _summary(out)
    job = summary["jobs"][0]
    _accounted(job)
    assert summary["stop_reason"] == "SIGINT received"
    assert job["errors"]["aborted"] >= 100 and job["harness_failed"] == job["errors"]["aborted"]
    assert "stopped at once" in run.stderr and "(0s)" not in run.stderr
    assert "run the stop timeout" not in run.stdout and "report it" not in run.stdout  # not an "unexpected" hint


def test_quiet_still_prints_the_final_summary(fth_cli, write_config, http_server, source_dir):
    config = write_config({"jobs": [http_job("quiet", http_server.url, source_dir, count=3, rate="50/s")]})
    result = fth_cli("-c", config, "-q")
    assert "Run summary" in result.stdout and "quiet" in result.stdout
    assert "INFO" not in result.stderr


def test_a_run_cut_by_the_duration_says_so(fth_cli, write_config, http_server, source_dir, tmp_path):
    # at 2/s the last send before 1.3 s is at most 0.5 s earlier: the job ends before the duration
    config = write_config({"jobs": [http_job("cut", http_server.url, source_dir, rate="2/s")]})
    out = tmp_path / "out.json"
    fth_cli("-c", config, "--duration", "1.3s", "--summary-json", out, "-q")
    assert _summary(out)["stop_reason"] == "duration reached"


def test_log_file_on_a_full_disk_is_one_line_not_tracebacks(fth_cli, write_config, http_server, source_dir):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    config = write_config({"jobs": [http_job("full", http_server.url, source_dir, count=2, rate="50/s")]})
    result = fth_cli("-c", config, "--log-file", "/dev/full")
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("log file /dev/full: No space left on device") == 1


@pytest.mark.parametrize("kind, trips", [("local_file", False), ("aborted", False), ("refused", True)])
def test_only_faults_of_the_system_under_test_trip_a_failure_rate(kind, trips):
    from fth.config.model import JobConfig, SourceConfig, StopCondition
    from fth.engine.recorder import JobState, Recorder
    from fth.engine.runner import Runner
    from fth.protocols.base import TransferRequest, TransferResult
    from fth.templates import TransferContext

    condition = StopCondition("failure_rate", 0.05, 10.0, min_count=5)
    state = JobState.create(JobConfig("j", "http", "u", SourceConfig("."), 10.0, stop_on=[condition]), 60, 10.0)
    request = TransferRequest("f", TransferContext(uuid="u", filename="f", job="j", username="u", seq=1))
    recorder = Recorder()
    for index in range(20):
        recorder.record(state, index * 0.1, index * 0.1, index * 0.1 + 0.01, request,
                        TransferResult(ok=index % 2 == 0, fault=None if index % 2 == 0 else kind))
    assert state.stats.failed == 10 and state.stats.errors == {kind: 10}  # counted either way
    assert Runner._tripped(state, condition, 2.5) is trips


def test_an_sftp_server_silent_after_the_subsystem_opens_holds_a_transfer_only_until_its_deadline(
        source_dir, tmp_path):
    import socket

    import gevent
    import paramiko

    from fth.config.model import SftpJobConfig, SourceConfig
    from fth.protocols.sftp import SftpTransport
    from tests.protocols.test_sftp import request_for

    class OpensThenSilent(paramiko.ServerInterface):
        """Logs anyone in and starts the sftp subsystem, which never answers (not even its version)."""

        def get_allowed_auths(self, username):
            return "publickey"

        def check_auth_publickey(self, username, key):
            return paramiko.AUTH_SUCCESSFUL

        def check_channel_request(self, kind, chanid):
            return paramiko.OPEN_SUCCEEDED

        def check_channel_subsystem_request(self, channel, name):
            return True

    key = paramiko.RSAKey.generate(2048)
    key.write_private_key_file(str(tmp_path / "key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    sessions = []

    def serve():
        sock, _ = listener.accept()
        session = paramiko.Transport(sock)
        session.add_server_key(key)
        session.start_server(server=OpensThenSilent())
        sessions.append(session)

    server = gevent.spawn(serve)
    transport = SftpTransport(SftpJobConfig(
        name="silent", protocol="sftp", username="u", source=SourceConfig(str(source_dir)), rate=1.0,
        host="127.0.0.1", port=listener.getsockname()[1], key_file=str(tmp_path / "key"),
        host_key_policy="ignore", connect_timeout=2.0, timeout=2.0))
    started = time.monotonic()
    try:
        result = transport.send(request_for(next(source_dir.iterdir())))
    finally:
        transport.close()
        server.kill()
        for session in sessions:
            session.close()
        listener.close()
    assert (result.ok, result.fault) == (False, "read_timeout"), result.detail
    assert "did not end within 4s" in result.detail
    assert time.monotonic() - started < 4 + 2


def test_sftp_uploads_a_name_that_is_not_utf8_under_its_own_bytes(sshd, tmp_path):
    from fth.protocols.sftp import SftpTransport
    from tests.fixtures.sshd import sftp_job
    from tests.protocols.test_sftp import request_for

    name = os.fsdecode(b"caf\xe9-\xff.dat")
    source = _one_file_source(tmp_path, name, b"latin")
    remote = sshd.make_dir("t-not-utf8")
    transport = SftpTransport(sftp_job(sshd, source, remote_dir=remote.name, temp_name="{filename}.part"))
    try:
        result = transport.send(request_for(source / name))
    finally:
        transport.close()
    assert result.ok, result.detail
    assert os.listdir(os.fsencode(remote)) == [b"caf\xe9-\xff.dat"]
