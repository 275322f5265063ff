"""A host name that does not resolve is a ``dns`` fault through every client, and the run goes on."""

import logging
import uuid

import pytest

from fth.config.model import HttpJobConfig, SftpJobConfig, SourceConfig
from fth.protocols import create_transport
from fth.protocols.base import TransferRequest
from fth.templates import TransferContext

NOWHERE = "no-such-host.invalid"  # RFC 2606: never resolves


def _request(path) -> TransferRequest:
    return TransferRequest(path=str(path), context=TransferContext(uuid=str(uuid.uuid4()), filename=path.name,
                                                                   job="j", username="u", seq=1))


def _http_job(source_dir, client, name="j", **settings):
    return HttpJobConfig(name=name, protocol="http", username="u", source=SourceConfig(path=str(source_dir)),
                         rate=1.0, url=f"http://{NOWHERE}/upload", client=client, connect_timeout=5.0, **settings)


@pytest.mark.parametrize("client", ["requests", "fast"])
def test_http_clients_count_dns_failures(source_dir, client):
    transport = create_transport(_http_job(source_dir, client))
    try:
        results = [transport.send(_request(path)) for path in sorted(source_dir.iterdir())[:2]]
    finally:
        transport.close()
    assert [result.fault for result in results] == ["dns", "dns"]
    assert all(not result.ok and result.bytes_sent == 0 for result in results)
    assert "name resolution failed" in results[0].detail or NOWHERE in results[0].detail


def test_sftp_counts_dns_failures(source_dir, tmp_path):
    job = SftpJobConfig(name="j", protocol="sftp", username="u", source=SourceConfig(path=str(source_dir)), rate=1.0,
                        host=NOWHERE, port=22, password="x", known_hosts=str(tmp_path / "known_hosts"),
                        connect_timeout=5.0)
    transport = create_transport(job)
    try:
        result = transport.send(_request(next(source_dir.iterdir())))
    finally:
        transport.close()
    assert not result.ok and result.fault == "dns"
    assert "name resolution failed" in result.detail


@pytest.mark.parametrize("client", ["requests", "fast"])
def test_verify_false_is_warned_once_per_job(source_dir, client, caplog):
    names = [f"noverify-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            for name in names:
                create_transport(_http_job(source_dir, client, name=name, verify=False)).close()
        create_transport(_http_job(source_dir, client, name="checked")).close()
    assert [record.getMessage() for record in caplog.records] == [
        f"job {name}: verify is false: the server's certificate is not checked" for name in names]
