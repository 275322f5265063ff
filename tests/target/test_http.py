"""The target's HTTP side: uploads become ingress rows, then egress rows after the simulated delay."""

import base64
import datetime as dt
import uuid as uuidlib
from collections import Counter
from pathlib import Path

import pytest
import requests

from fth.target import EGRESS_TABLE, INGRESS_TABLE
from fth.target.settings import parse_mix
from tests.target.conftest import read_rows


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")


def test_raw_upload_ingress_row_then_egress_row_after_the_delay(start_target):
    target = start_target(delay=(0.4, 0.4))
    transaction = str(uuidlib.uuid4())
    answer = requests.post(target.http_url + "/orders", data=b"x" * 1000, auth=("alice", "anything"),
                           headers={"X-Transaction-ID": transaction, "X-Filename": "orders 1.csv"}, timeout=10)
    assert answer.status_code == 201
    assert answer.json() == {"uuid": transaction, "bytes": 1000}
    assert target.wait_idle(20)
    ingress = read_rows(Path(target.store_path), INGRESS_TABLE)
    egress = read_rows(Path(target.store_path), EGRESS_TABLE)
    assert [row[:3] + row[5:] for row in ingress] == [(transaction, "alice", "orders 1.csv", "SUCCESS", 1000)]
    assert [row[:3] for row in egress] == [(transaction, "alice", "orders 1.csv")]
    assert egress[0][5] in ("SUCCESS", "FAILED", "TIMEOUT")
    # the egress stage starts when the upload ended and ends after the processing delay
    assert egress[0][3] == ingress[0][4]
    assert parse_time(egress[0][4]) - parse_time(ingress[0][4]) >= dt.timedelta(seconds=0.4)
    assert parse_time(ingress[0][3]) <= parse_time(ingress[0][4])


def test_multipart_uuid_field_basic_auth_and_saved_file(start_target, tmp_path):
    target = start_target(upload_dir=str(tmp_path / "uploads"))
    body = bytes(range(256)) * 1000  # several reads, with CRLF-like bytes inside
    answer = requests.put(target.http_url, files={"file": ("scan 1.pdf", body)},
                          data={"uuid": "batch-0001", "note": "x"}, auth=("bob", "pw"), timeout=10)
    assert answer.status_code == 201, answer.text
    assert target.wait_idle(20)
    (row,) = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert row[:3] == ("batch-0001", "bob", "scan 1.pdf")
    assert row[6] == len(body)
    assert (tmp_path / "uploads" / "batch-0001_scan 1.pdf").read_bytes() == body


def test_username_header_generated_uuid_and_name_from_path(start_target):
    target = start_target()
    answer = requests.post(target.http_url + "/in/report.xml", data=b"<a/>", headers={"X-Username": "carol"},
                           timeout=10)
    assert answer.status_code == 201
    generated = answer.json()["uuid"]
    assert str(uuidlib.UUID(generated)) == generated
    assert target.wait_idle(20)
    (row,) = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert row[:3] == (generated, "carol", "report.xml")
    anonymous = requests.post(target.http_url, data=b"", timeout=10)
    assert anonymous.status_code == 201
    assert target.wait_idle(20)
    assert read_rows(Path(target.store_path), INGRESS_TABLE)[1][1] == "anonymous"


def test_configured_uuid_header(start_target):
    target = start_target(uuid_header="X-Correlation")
    answer = requests.post(target.http_url, data=b"1", headers={"X-Correlation": "corr-7",
                                                               "X-Transaction-ID": "ignored"}, timeout=10)
    assert answer.json()["uuid"] == "corr-7"


def test_password_is_enforced_when_set(start_target):
    target = start_target(password="s3cret")
    assert requests.post(target.http_url, data=b"1", auth=("dave", "wrong"), timeout=10).status_code == 401
    assert requests.post(target.http_url, data=b"1", timeout=10).status_code == 401
    assert requests.post(target.http_url, data=b"1", auth=("dave", "s3cret"), timeout=10).status_code == 201
    assert target.wait_idle(20)
    assert target.counters.rejected == 2
    assert [row[1] for row in read_rows(Path(target.store_path), INGRESS_TABLE)] == ["dave"]


def test_get_and_other_methods(start_target):
    target = start_target()
    assert requests.get(target.http_url, timeout=10).status_code == 200
    assert requests.delete(target.http_url, timeout=10).status_code == 405


def test_bad_multipart_is_a_400_and_records_nothing(start_target):
    target = start_target()
    answer = requests.post(target.http_url, data=b"no boundary here",
                           headers={"Content-Type": "multipart/form-data; boundary=zzz"}, timeout=10)
    assert answer.status_code == 400
    assert target.wait_idle(20)
    assert read_rows(Path(target.store_path), INGRESS_TABLE) == []


def statuses(start_target, seed: int, count: int, **settings) -> list:
    target = start_target(seed=seed, mix=parse_mix("50/30/20"), **settings)
    with requests.Session() as session:
        for index in range(count):
            answer = session.post(target.http_url, data=b"x", headers={"X-Transaction-ID": f"t-{index:04d}"},
                                  timeout=10)
            assert answer.status_code == 201
    assert target.wait_idle(30)
    by_uuid = {row[0]: row[5] for row in read_rows(Path(target.store_path), EGRESS_TABLE)}
    return [by_uuid.get(f"t-{index:04d}") for index in range(count)]


def test_status_mix_is_honoured_and_repeatable_with_a_seed(start_target):
    first = statuses(start_target, 7, 300)
    counts = Counter(first)
    assert sum(counts.values()) == 300 and None not in counts
    assert 120 <= counts["SUCCESS"] <= 180  # 50% of 300, with a wide margin
    assert 60 <= counts["FAILED"] <= 120  # 30%
    assert 30 <= counts["TIMEOUT"] <= 90  # 20%
    assert statuses(start_target, 7, 300) == first
    assert statuses(start_target, 8, 300) != first


def test_drop_leaves_ingress_rows_without_egress(start_target):
    result = statuses(start_target, 3, 40, drop=1.0)
    assert result == [None] * 40
    target = start_target(drop=0.5, seed=5)
    for index in range(100):
        requests.post(target.http_url, data=b"x", headers={"X-Transaction-ID": f"d-{index}"}, timeout=10)
    assert target.wait_idle(30)
    ingress = read_rows(Path(target.store_path), INGRESS_TABLE)
    egress = read_rows(Path(target.store_path), EGRESS_TABLE)
    assert len(ingress) == 100
    assert 20 <= len(egress) <= 80
    assert target.counters.dropped == 100 - len(egress)


def test_capacity_refuses_with_503_and_counts_it(start_target):
    target = start_target(capacity=1 / 60)  # one upload a minute: the first passes, the next are refused
    answers = [requests.post(target.http_url, data=b"x" * 5000, timeout=10).status_code for _ in range(5)]
    assert answers == [201, 503, 503, 503, 503]
    assert target.counters.refused == 4
    assert target.counters.accepted == 1
    assert target.wait_idle(20)
    assert len(read_rows(Path(target.store_path), INGRESS_TABLE)) == 1


def test_capacity_through_fth_counts_http_status_faults(start_target, tmp_path):
    from fth.config.model import HttpJobConfig, SourceConfig
    from fth.protocols.base import TransferRequest
    from fth.protocols.http import HttpTransport
    from fth.templates import TransferContext

    target = start_target(capacity=1 / 60)
    source = tmp_path / "f.dat"
    source.write_bytes(b"y" * 100)
    job = HttpJobConfig(name="cap", protocol="http", username="erin", source=SourceConfig(str(tmp_path)), rate=1.0,
                        url=target.http_url, headers={"X-Transaction-ID": "{uuid}"})
    transport = HttpTransport(job)
    try:
        results = []
        for seq in range(3):
            context = TransferContext(uuid=str(uuidlib.uuid4()), filename="f.dat", job="cap", username="erin",
                                      seq=seq, timestamp="2026-11-23T12:00:00.000Z", epoch=0, date="2026-11-23")
            results.append(transport.send(TransferRequest(str(source), context)))
    finally:
        transport.close()
    assert [r.ok for r in results] == [True, False, False]
    assert {r.status for r in results[1:]} == {503}
    assert {r.fault for r in results[1:]} == {"http_503"}


@pytest.mark.parametrize("header", ["Basic !!!", "Bearer abc", "Basic " + base64.b64encode(b"nocolon").decode()])
def test_odd_authorization_headers_do_not_break_uploads(start_target, header):
    target = start_target()
    answer = requests.post(target.http_url, data=b"1", headers={"Authorization": header}, timeout=10)
    assert answer.status_code == 201


def _raw_request(target, request: bytes) -> dict:
    """Send ``request`` as it is; the answer's JSON body (201 asserted)."""
    import json
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(target.http_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201"), answer
    return json.loads(body)


def _chunks(*parts: bytes):
    yield from parts  # requests sends a generator body with Transfer-Encoding: chunked


def test_a_chunked_body_is_received_whole_raw_or_multipart(start_target, tmp_path):
    target = start_target(upload_dir=str(tmp_path / "uploads"))
    body = bytes(range(256)) * 600
    raw = requests.put(target.http_url + "/in/raw.bin", data=_chunks(body[:1000], body[1000:]),
                       headers={"X-Transaction-ID": "chunked-raw"}, timeout=10)
    both = _raw_request(target, b"PUT /in/both.bin HTTP/1.1\r\nHost: x\r\nX-Transaction-ID: chunked-cl\r\n"
                                b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n")  # the chunks decide (RFC 9112 6.3)
    form = (b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"form.bin\"\r\n\r\n" + body
            + b"\r\n--zz--\r\n")
    multipart = requests.post(target.http_url, data=_chunks(form[:100], form[100:]),
                              headers={"X-Transaction-ID": "chunked-form",
                                       "Content-Type": "multipart/form-data; boundary=zz"}, timeout=10)
    assert [answer.status_code for answer in (raw, multipart)] == [201, 201], multipart.text
    assert [raw.json()["bytes"], both["bytes"], multipart.json()["bytes"]] == [len(body), 6, len(body)]
    assert target.wait_idle(20)
    rows = {row[0]: (row[2], row[6]) for row in read_rows(Path(target.store_path), INGRESS_TABLE)}
    assert rows == {"chunked-raw": ("raw.bin", len(body)), "chunked-cl": ("both.bin", 6),
                    "chunked-form": ("form.bin", len(body))}
    uploads = tmp_path / "uploads"
    assert (uploads / "chunked-raw_raw.bin").read_bytes() == body == (uploads / "chunked-form_form.bin").read_bytes()
    assert (uploads / "chunked-cl_both.bin").read_bytes() == b"abcdef"


def test_names_that_differ_never_share_a_file_and_long_ones_fit(start_target, tmp_path):
    target = start_target(upload_dir=str(tmp_path / "uploads"))
    sent = {("batch:7", "r.csv"): b"one", ("batch;7", "r.csv"): b"two", ("..", "x"): b"three", ("/", "x"): b"four",
            ("a_b", "c"): b"five", ("a", "b_c"): b"six", ("f" * 64, "n" * 200 + ".csv"): b"seven",
            ("t", "a:b"): b"eight", ("t", "a;b"): b"nine"}
    for (transaction, filename), body in sent.items():
        answer = requests.put(target.http_url, data=body, timeout=10,
                              headers={"X-Transaction-ID": transaction, "X-Filename": filename})
        assert answer.status_code == 201, (transaction, answer.text)
    assert target.wait_idle(20)
    files = sorted(path for path in (tmp_path / "uploads").iterdir() if path.is_file())
    assert sorted(path.read_bytes() for path in files) == sorted(sent.values())
    assert all(len(path.name.encode()) <= 255 and not path.name.startswith(".incoming-") for path in files)
    assert (tmp_path / "uploads" / "batch-0001_scan.pdf").exists() is False  # plain names stay as they are:
    requests.put(target.http_url, data=b"x", headers={"X-Transaction-ID": "batch-0001", "X-Filename": "scan.pdf"},
                 timeout=10)
    assert (tmp_path / "uploads" / "batch-0001_scan.pdf").read_bytes() == b"x"


def test_a_file_that_cannot_be_stored_is_a_500_that_records_and_leaves_nothing(start_target, tmp_path):
    uploads = tmp_path / "uploads"
    target = start_target(upload_dir=str(uploads))
    (uploads / "t-1_taken").mkdir(parents=True)  # os.replace cannot put a file over a directory
    answer = requests.put(target.http_url, data=b"abc", headers={"X-Transaction-ID": "t-1", "X-Filename": "taken"},
                          timeout=10)
    assert answer.status_code == 500 and "could not store the upload" in answer.json()["error"]
    assert target.wait_idle(20)
    assert read_rows(Path(target.store_path), INGRESS_TABLE) == []
    assert sorted(path.name for path in uploads.iterdir()) == ["sftp", "t-1_taken"]  # sftp: the SFTP side's


def test_utf8_names_in_the_path_and_headers_are_recorded_as_sent(start_target):
    target = start_target()
    answers = [
        requests.put(target.http_url + "/upload/%C3%BCber%20caf%C3%A9.txt", data=b"1", timeout=10,
                     headers={"X-Transaction-ID": "p-1"}),
        requests.put(target.http_url + "/upload/a%2541.txt", data=b"2", timeout=10,
                     headers={"X-Transaction-ID": "p-2"}),
        requests.put(target.http_url, data=b"3", timeout=10,
                     headers={"X-Transaction-ID": "p-3", "X-Filename": "d%C3%A9j%C3%A0 vu.txt",
                              "X-Username": "j\u00fcrgen".encode()}),
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert target.wait_idle(20)
    rows = {row[0]: row[1:3] for row in read_rows(Path(target.store_path), INGRESS_TABLE)}
    assert rows == {"p-1": ("anonymous", "über café.txt"), "p-2": ("anonymous", "a%41.txt"),
                    "p-3": ("jürgen", "déjà vu.txt")}


@pytest.mark.parametrize("filename", ["back\\slash.txt", 'a "quoted" name.txt', "line\nbreak.txt", "cr\r.txt",
                                      "plain.txt", "ü.txt"])
def test_a_multipart_filename_from_fths_client_is_recorded_as_it_was(start_target, tmp_path, filename):
    from fth.protocols.multipart import MultipartStream

    source = tmp_path / "body"
    source.write_bytes(b"payload")
    target = start_target()
    with source.open("rb") as handle:
        stream = MultipartStream(handle, 7, "file", filename, {"uuid": "mp-1"})
        answer = requests.post(target.http_url, data=stream, timeout=10,
                               headers={"Content-Type": stream.content_type, "Content-Length": str(len(stream))})
    assert answer.status_code == 201, answer.text
    assert target.wait_idle(20)
    (row,) = read_rows(Path(target.store_path), INGRESS_TABLE)
    assert row[:3] == ("mp-1", "anonymous", filename)


def _connect(target):
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(target.http_url)
    return socket.create_connection((address.hostname, address.port), timeout=20)


def _until_closed(sock) -> bytes:
    """Everything the target sends until it closes the connection."""
    answer = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return answer
        answer += data


def test_a_stalled_upload_is_let_go_after_the_idle_timeout_and_leaves_nothing(start_target, tmp_path):
    uploads = tmp_path / "uploads"
    target = start_target(idle_timeout=0.5, upload_dir=str(uploads))
    with _connect(target) as sock:
        sock.sendall(b"PUT /in/stalled.bin HTTP/1.1\r\nHost: x\r\nX-Transaction-ID: stalled\r\n"
                     b"Content-Length: 1000\r\n\r\n" + b"x" * 10)  # then nothing: 990 bytes never come
        answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400") and b"timed out" in answer
    assert target.wait_idle(20) and target.counters.rejected == 1
    assert read_rows(Path(target.store_path), INGRESS_TABLE) == []
    assert [path.name for path in uploads.iterdir()] == ["sftp"]  # no .incoming- file left
    answer = requests.put(target.http_url, data=b"after", headers={"X-Transaction-ID": "after"}, timeout=10)
    assert answer.status_code == 201  # the target goes on


def test_a_silent_connection_and_a_stalled_tls_handshake_are_closed(start_target, tls_files):
    plain = start_target(idle_timeout=0.5)
    tls = start_target(idle_timeout=0.5, tls_cert=tls_files.server_cert, tls_key=tls_files.server_key)
    assert tls.http_url.startswith("https://")
    for target in (plain, tls):
        with _connect(target) as sock:  # connects, then says nothing: no request line, no ClientHello
            assert _until_closed(sock) == b""
