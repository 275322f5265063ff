"""The in-process API of the built-in target::

    from fth.target import Target, TargetSettings

    with Target(TargetSettings(http=("127.0.0.1", 0), sftp=("127.0.0.1", 0), store="t.sqlite")) as target:
        target.http_url        # http://127.0.0.1:PORT/upload
        target.sftp_port       # the SFTP port (host key line: target.sftp_known_hosts_line)
        target.store_path      # the SQLite file
        target.tracking_yaml() # a tracking: mapping fth-report / fth-web can read
        target.wait_idle(30)   # every egress row written
    # leaving the block stops the servers; files still "in processing" keep no egress row
"""

import errno
import logging
import os
from typing import Any, Dict, List, Optional, Tuple

from fth.errors import FthError, UsageError
from fth.target.http_server import make_http_server
from fth.target.settings import TargetSettings
from fth.target.sftp_server import SftpListener
from fth.target.sinks import DashboardSink, MySQLPairSink, Sink, SqliteSink
from fth.target.tracker import Counters, Tracker

log = logging.getLogger(__name__)


def build_sinks(settings: TargetSettings) -> List[Sink]:
    sinks: List[Sink] = []
    if settings.store:
        sinks.append(SqliteSink(settings.store, *settings.store_tables))
    if (settings.ingress_db is None) != (settings.egress_db is None):
        raise FthError("the target writes MySQL pair tables only with both an ingress and an egress database")
    if settings.ingress_db is not None and settings.egress_db is not None:
        sinks.append(MySQLPairSink(settings.ingress_db, "ingress", settings.create_tables))
        sinks.append(MySQLPairSink(settings.egress_db, "egress", settings.create_tables))
    if settings.dashboard_db is not None:
        sinks.append(DashboardSink(settings.dashboard_db, settings.ingress_server, settings.egress_server,
                                   settings.create_tables))
    if not sinks:
        raise FthError("the target has nowhere to write tracking rows", "give a --store file or MySQL databases")
    return sinks


class ListenError(UsageError):
    """A listener's address is in use or not available here: nothing was started."""

    def __init__(self, listener: str, address: Tuple[str, int], reason: str) -> None:
        self.listener = listener
        super().__init__(f"cannot listen for {listener} on {address[0]}:{address[1]}: {reason}")


class Target:
    """HTTP and SFTP listeners in front of one :class:`Tracker`; a context manager."""

    def __init__(self, settings: TargetSettings) -> None:
        self.settings = settings
        self.tracker = Tracker(settings, build_sinks(settings))
        self.http: Any = None
        self.sftp: Optional[SftpListener] = None
        self.running = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "Target":
        settings = self.settings
        if settings.upload_dir:
            os.makedirs(settings.upload_dir, exist_ok=True)
        self.tracker.start()
        listener = ""
        try:
            if settings.http is not None:
                listener = "HTTP"
                self.http = make_http_server(settings, self.tracker)
                self.http.start()
                log.info("fth-target: HTTP%s on %s", "S" if self.https else "", self.http_url)
            if settings.sftp is not None:
                listener = "SFTP"
                self.sftp = SftpListener(settings, self.tracker)
                self.sftp.start()
                log.info("fth-target: SFTP on %s:%d (password or key auth, any username)",
                         self.sftp_host, self.sftp_port)
        except BaseException as exc:
            self.stop()
            if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                address = settings.http if listener == "HTTP" else settings.sftp
                raise ListenError(listener, address, exc.strerror) from None
            raise
        self.running = True
        return self

    def stop(self) -> None:
        """Stop listening, abandon processing in progress, write what is queued and close the stores."""
        if self.http is not None:
            self.http.stop(timeout=1.0)
            self.http = None
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None
        self.tracker.stop()
        self.running = False

    def __enter__(self) -> "Target":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every arrival has its egress row written (or was dropped); True when so."""
        return self.tracker.wait_idle(timeout)

    # -- where things are ------------------------------------------------------------------

    @property
    def https(self) -> bool:
        return bool(self.settings.tls_cert and self.settings.tls_key)

    @property
    def http_port(self) -> int:
        return int(self.http.server_port)

    @property
    def http_url(self) -> str:
        """The base URL of the HTTP side; any path below it accepts uploads."""
        host = self.http.server_host
        return f"{'https' if self.https else 'http'}://{host}:{self.http_port}/upload"

    @property
    def sftp_host(self) -> str:
        assert self.sftp is not None
        return str(self.sftp.server.server_host)

    @property
    def sftp_port(self) -> int:
        assert self.sftp is not None
        return self.sftp.port

    @property
    def sftp_known_hosts_line(self) -> str:
        assert self.sftp is not None
        return self.sftp.host_key_line

    @property
    def store_path(self) -> Optional[str]:
        return os.path.abspath(self.settings.store) if self.settings.store else None

    @property
    def counters(self) -> Counters:
        return self.tracker.counters

    def tracking_yaml(self) -> Dict[str, Any]:
        """The ``tracking:`` section of a job file that reads this target's SQLite store."""
        if not self.store_path:
            raise FthError("the target has no SQLite store")
        return {
            "ingress": {"driver": "sqlite", "path": self.store_path, "table": self.settings.store_tables[0]},
            "egress": {"driver": "sqlite", "path": self.store_path, "table": self.settings.store_tables[1]},
        }
