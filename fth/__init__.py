"""File Transfer Harness: load and verify systems that receive files over HTTP(S) and SFTP.

Importing the package monkey-patches the standard library for gevent (as Locust
does), so sockets, ssl, time and threads cooperate with the engine's greenlets
and with fth-web's gevent WSGI server. Set FTH_SKIP_MONKEY_PATCH=1 to opt out
when embedding fth in a program that manages its own concurrency.
"""

import os

if not os.environ.get("FTH_SKIP_MONKEY_PATCH"):
    from gevent import monkey

    monkey.patch_all()

__version__ = "0.1.0"
