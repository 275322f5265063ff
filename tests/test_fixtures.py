"""The server fixtures survive a port taken between choosing it and binding it (a busy machine)."""

import socket

import pytest

from tests.fixtures import mariadb as mariadb_fixture
from tests.fixtures import sshd as sshd_fixture


@pytest.fixture
def taken_port_first(monkeypatch):
    """Make each fixture's free_port() hand out a port that is taken, then free ones."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))  # bound, not listening: nobody else can bind it
    taken = holder.getsockname()[1]
    handed = []

    def patch(module):
        real = module.free_port

        def free_port():
            port = taken if not handed else real()
            handed.append(port)
            return port

        monkeypatch.setattr(module, "free_port", free_port)

    yield taken, handed, patch
    holder.close()


def test_sshd_chooses_another_port_when_its_port_is_taken(taken_port_first):
    if sshd_fixture.sshd_unavailable_reason():
        pytest.skip(sshd_fixture.sshd_unavailable_reason())
    taken, handed, patch = taken_port_first
    patch(sshd_fixture)
    server = sshd_fixture.start_sshd()
    try:
        assert handed[0] == taken and server.port == handed[-1] != taken
        assert server.known_hosts.read_text() == server.host_key_line
        assert server.host_key_line.startswith(f"[127.0.0.1]:{server.port} ")
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            assert sock.recv(64).startswith(b"SSH-")
    finally:
        server.close()


def test_mariadb_chooses_another_port_when_its_port_is_taken(taken_port_first):
    pytest.importorskip("pymysql")
    if mariadb_fixture.find_binary(["mariadbd", "mysqld"]) is None:
        pytest.skip("MariaDB server binary (mariadbd/mysqld) not found; apt-get install mariadb-server")
    taken, handed, patch = taken_port_first
    patch(mariadb_fixture)
    server = mariadb_fixture.start_mariadb()
    try:
        assert handed[0] == taken and server.port == handed[-1] != taken
        conn = server.connect()
        conn.close()
    finally:
        server.destroy()


def test_a_child_fth_reports_its_own_peak_memory_not_the_test_process_size():
    """ru_maxrss of a child that was forked and exec'd holds the forked copy of the test process: late in
    a suite that is 200 MB, and memory bounds on fth (tests/test_hostile.py) failed on it."""
    from tests.fixtures.process import run_fth_process

    ballast = b"\x01" * (300 * 2 ** 20)  # written, so resident: the test process is 300 MB larger
    run = run_fth_process(["--version"], timeout=60)
    assert run.status == 0 and ballast[0] == 1
    assert 5 < run.peak_rss_mb < 150, f"{run.peak_rss_mb:.0f} MB"
