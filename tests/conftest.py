"""Fixtures shared by the whole suite; real-server fixtures live in tests/fixtures/.

``fth`` is imported before the tests' modules so gevent monkey-patches the standard library
before anything else imports ssl or socket (pytest itself is loaded already).
"""

import pytest

import fth  # noqa: F401  (monkey-patches for gevent)

pytest_plugins = [
    "tests.fixtures.files",
    "tests.fixtures.tls",
    "tests.fixtures.http_servers",
    "tests.fixtures.raw_http",
    "tests.fixtures.cli",
    "tests.fixtures.mariadb",
    "tests.fixtures.sshd",
    "tests.fixtures.ci_skips",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory, monkeypatch):
    """Each test gets its own XDG state directory (fth-target's default store and host key live there),
    inherited by the programs it starts: nothing lands in the real home directory."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(path))
    return path
