"""Fixtures shared by the whole suite; real-server fixtures live in tests/fixtures/.

``fth`` is imported first so gevent monkey-patches the standard library before
anything else imports ssl or socket.
"""

import fth  # noqa: F401  (monkey-patches for gevent)

pytest_plugins = [
    "tests.fixtures.files",
    "tests.fixtures.tls",
    "tests.fixtures.http_servers",
    "tests.fixtures.cli",
    "tests.fixtures.mariadb",
    "tests.fixtures.sshd",
]
