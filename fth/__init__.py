"""File Transfer Harness: load and verify systems that receive files over HTTP(S) and SFTP.

Importing the package monkey-patches the standard library for gevent (as Locust
does), so sockets, ssl, time and threads cooperate with the engine's greenlets
and with fth-web's gevent WSGI server. Set FTH_SKIP_MONKEY_PATCH=1 to opt out
when embedding fth in a program that manages its own concurrency.
"""

import os


def _patch_all() -> None:
    """gevent's ``monkey.patch_all()``, its plugins looked up in one scan of the installed packages' metadata:
    gevent looks them up at each of its 25 patch events, each time scanning every installed package (with 130
    installed, 0.27 s of the start of every fth command and of fth-report's list writer)."""
    from importlib import metadata

    from gevent import monkey

    scan = metadata.entry_points
    found = scan()  # Python 3.9: a dict, which gevent reads whole; later: selected from by group
    metadata.entry_points = lambda **params: found.select(**params) if params else found  # type: ignore[assignment]
    try:
        monkey.patch_all()
    finally:
        metadata.entry_points = scan


if not os.environ.get("FTH_SKIP_MONKEY_PATCH"):
    _patch_all()

__version__ = "0.1.0"
