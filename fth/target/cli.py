"""``fth-target``: run the built-in target until SIGINT/SIGTERM.

Defaults: HTTP on 127.0.0.1:8880 (any path, POST/PUT), SFTP on 127.0.0.1:8822 (password
``demo`` for any username, or any public key), UUID from header ``X-Transaction-ID``. Its state
lives in one directory whatever the current one (``--state-dir``, default
``$XDG_STATE_HOME/fth/target``, see :mod:`fth.paths`): the tracking rows (``fth-target.sqlite``,
tables ``ingress_transfers`` and ``egress_transfers``) and the SFTP host key.
"""

import argparse
import logging
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import List, Optional, Tuple
from urllib.parse import unquote, urlsplit

import gevent
from gevent.event import Event

from fth import __version__
from fth.cli import _typed, add_logging_options, host_port, new_parser
from fth.config.loader import load_run_config
from fth.config.model import DbConfig
from fth.errors import FthError, UsageError
from fth.log import setup_logging
from fth.paths import TARGET_HOST_KEY, target_state_dir, target_store
from fth.status import ExitStatus
from fth.target.core import ListenError, Target
from fth.target.settings import (
    DEFAULT_HTTP,
    DEFAULT_PASSWORD,
    DEFAULT_SFTP,
    DEFAULT_TEMP_PATTERN,
    DEFAULT_UUID_HEADER,
    DEFAULT_UUID_PATTERN,
    TargetSettings,
    parse_capacity,
    parse_delay,
    parse_fraction,
    parse_idle_timeout,
    parse_mix,
)

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  fth-target                                   HTTP :8880, SFTP :8822, rows in STATE/fth-target.sqlite
  fth-target --delay 1s..5s --mix 80/15/5 --drop 1% --capacity 50/s
  fth-target --tracking-config job.yml --db-user writer --create-tables   write into the job's MySQL tracking DBs
  fth-target --dashboard mysql://writer@127.0.0.1:3306/dashboard          also fill dashboard.transactions
STATE is --state-dir: $XDG_STATE_HOME/fth/target, by default ~/.local/state/fth/target.
read the rows with: fth-report / fth-web -c a job file whose tracking: uses driver: sqlite (no path: means
this default store), table: ingress_transfers / egress_transfers.
exit status: 0 stopped by SIGINT/SIGTERM · 1 runtime error · 2 usage error (also: a port in use)."""


def _listener(text: str) -> Optional[Tuple[str, int]]:
    if str(text).strip().lower() in ("off", "no", "none"):
        return None
    return host_port(text)  # type: ignore[no-any-return]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth-target", "A loopback simulated system under test: accepts files over HTTP(S) and SFTP "
                                      "and writes ingress/egress tracking rows.", EPILOG)
    parser.add_argument("--version", action="version", version=f"fth-target {__version__}")
    listen = parser.add_argument_group("listeners")
    listen.add_argument("--http", type=_listener, metavar="[HOST:]PORT", env_var="FTH_TARGET_HTTP",
                        default=DEFAULT_HTTP, help="HTTP(S) uploads, any path, POST or PUT (default 127.0.0.1:8880; "
                                                   "'off' to disable)")
    listen.add_argument("--sftp", type=_listener, metavar="[HOST:]PORT", env_var="FTH_TARGET_SFTP",
                        default=DEFAULT_SFTP, help="SFTP uploads (default 127.0.0.1:8822; 'off' to disable)")
    listen.add_argument("--tls-cert", metavar="PEM", env_var="FTH_TARGET_TLS_CERT", help="serve HTTPS with this cert")
    listen.add_argument("--tls-key", metavar="PEM", env_var="FTH_TARGET_TLS_KEY", help="... and this key")
    listen.add_argument("--idle-timeout", type=_typed(parse_idle_timeout, "a duration such as 60s"), default=60.0,
                        metavar="DURATION", env_var="FTH_TARGET_IDLE_TIMEOUT",
                        help="close an HTTP connection that sends nothing for this long: a stalled upload (400) or "
                             "an idle keep-alive (default 60s)")
    auth = parser.add_argument_group("identity")
    auth.add_argument("--password", env_var="FTH_TARGET_PASSWORD",
                      help="require this password: HTTP basic auth (default: any password, or none) and SFTP")
    auth.add_argument("--sftp-password", env_var="FTH_TARGET_SFTP_PASSWORD",
                      help=f"the SFTP password for every username (default {DEFAULT_PASSWORD!r}, or --password)")
    auth.add_argument("--authorized-keys", metavar="FILE", env_var="FTH_TARGET_AUTHORIZED_KEYS",
                      help="SFTP public keys allowed (OpenSSH format; default: any key)")
    auth.add_argument("--host-key", metavar="FILE", env_var="FTH_TARGET_HOST_KEY",
                      help="SFTP host key; created there when missing, so clients with accept-new keep trusting "
                           f"it across restarts (default STATE/{TARGET_HOST_KEY})")
    auth.add_argument("--uuid-header", default=DEFAULT_UUID_HEADER, metavar="NAME", env_var="FTH_TARGET_UUID_HEADER",
                      help=f"HTTP header holding the transaction UUID (default {DEFAULT_UUID_HEADER}; then the "
                           "multipart field 'uuid'; else a new one)")
    auth.add_argument("--uuid-pattern", default=DEFAULT_UUID_PATTERN, metavar="REGEX",
                      help="SFTP: the UUID in the remote file name (group 'uuid'; default: any 36-character UUID)")
    auth.add_argument("--temp-pattern", default=DEFAULT_TEMP_PATTERN, metavar="REGEX",
                      help="SFTP: temporary names, recorded when renamed (default: .name, *.part, *.tmp, ...)")
    behave = parser.add_argument_group("simulated processing")
    behave.add_argument("--delay", type=_typed(parse_delay, "a delay or range such as 2s or 0.5s..3s"),
                        default=(0.5, 3.0), metavar="LOW..HIGH", env_var="FTH_TARGET_DELAY",
                        help="processing time before the egress row (default 0.5s..3s)")
    behave.add_argument("--mix", type=_typed(parse_mix, "SUCCESS/FAILED/TIMEOUT shares such as 90/7/3"),
                        default=parse_mix("90/7/3"), metavar="S/F/T", env_var="FTH_TARGET_MIX",
                        help="egress statuses SUCCESS/FAILED/TIMEOUT in percent (default 90/7/3)")
    behave.add_argument("--drop", type=_typed(parse_fraction, "a percentage such as 1%"), default=0.0,
                        metavar="PCT", env_var="FTH_TARGET_DROP", help="arrivals that never get an egress row")
    behave.add_argument("--capacity", type=_typed(parse_capacity, "a rate such as 50/s"), default=None,
                        metavar="RATE", env_var="FTH_TARGET_CAPACITY",
                        help="accept at most RATE uploads (HTTP 503 / SFTP failure above it; default unlimited)")
    behave.add_argument("--seed", type=int, metavar="N", help="repeatable status mix, delays and drops")
    behave.add_argument("--upload-dir", metavar="DIR", env_var="FTH_TARGET_UPLOAD_DIR",
                        help="keep the uploaded files here (default: discard the data)")
    store = parser.add_argument_group("tracking rows")
    store.add_argument("--state-dir", metavar="DIR", env_var="FTH_TARGET_STATE_DIR",
                       help=f"where the target keeps its state: the SQLite store and the SFTP host key (default "
                            f"{target_state_dir()}: $XDG_STATE_HOME/fth/target); the same wherever it is started")
    store.add_argument("--store", metavar="FILE", env_var="FTH_TARGET_STORE",
                       help="the SQLite file (default STATE/fth-target.sqlite, unless writing to MySQL; 'off' for "
                            "none)")
    store.add_argument("--tracking-config", metavar="JOB.YML", env_var="FTH_TARGET_TRACKING_CONFIG",
                       help="write into the tracking: databases of this job file (MySQL pair tables, or its SQLite)")
    store.add_argument("--db-user", metavar="USER", env_var="FTH_TARGET_DB_USER",
                       help="with --tracking-config: write as this MySQL user (the file's are often read-only)")
    store.add_argument("--db-password", metavar="PW", env_var="FTH_TARGET_DB_PASSWORD",
                       help="... with this password (prefer the environment variable)")
    store.add_argument("--dashboard", metavar="mysql://USER@HOST:PORT/DB[/TABLE]", env_var="FTH_TARGET_DASHBOARD",
                       help="also write dashboard.transactions (seed 002 layout); password from "
                            "FTH_TARGET_DASHBOARD_PASSWORD")
    store.add_argument("--dashboard-password", metavar="PW", env_var="FTH_TARGET_DASHBOARD_PASSWORD",
                       help=argparse.SUPPRESS)
    store.add_argument("--create-tables", action="store_true",
                       help="create missing MySQL tables (the SQLite tables are always created)")
    add_logging_options(parser)
    return parser


def dashboard_db(url: str, password: Optional[str]) -> DbConfig:
    """``mysql://user[:pw]@host[:port]/database[/table]`` → DbConfig (role dashboard)."""
    parts = urlsplit(url)
    path = [p for p in parts.path.split("/") if p]
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname or not path:
        raise UsageError(f"--dashboard {parts.scheme}://…: not a MySQL URL",
                         "e.g. mysql://writer@127.0.0.1:3306/dashboard (password in FTH_TARGET_DASHBOARD_PASSWORD)")
    return DbConfig(role="dashboard", host=parts.hostname, port=parts.port or 3306,
                    user=unquote(parts.username or ""),
                    password=password if password is not None else unquote(parts.password or "") or None,
                    database=path[0], table=path[1] if len(path) > 1 else "transactions")


def state_dir(args: argparse.Namespace) -> Path:
    """The state directory (created, private to the user)."""
    path = Path(args.state_dir).expanduser().resolve() if args.state_dir else target_state_dir()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the state directory {path}: {exc.strerror or exc}",
                         "give a writable one with --state-dir") from None
    return path


def settings_from_args(args: argparse.Namespace) -> TargetSettings:
    state = state_dir(args)
    settings = TargetSettings(
        http=args.http, sftp=args.sftp, delay=args.delay, mix=args.mix, drop=args.drop, capacity=args.capacity,
        password=args.password, sftp_password=args.sftp_password or args.password or DEFAULT_PASSWORD,
        authorized_keys=args.authorized_keys, host_key=args.host_key or str(state / TARGET_HOST_KEY),
        upload_dir=args.upload_dir, state_dir=str(state),
        uuid_header=args.uuid_header, uuid_pattern=args.uuid_pattern, temp_pattern=args.temp_pattern,
        tls_cert=args.tls_cert, tls_key=args.tls_key, idle_timeout=args.idle_timeout, seed=args.seed,
        create_tables=args.create_tables,
    )
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("HTTPS needs both --tls-cert and --tls-key")
    for flag, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key),
                       ("--authorized-keys", args.authorized_keys)):
        if path and not os.path.isfile(path):
            raise UsageError(f"{flag} {path}: no such file")
    store = args.store
    if args.tracking_config:
        tracking = load_run_config(args.tracking_config, check_paths=False).tracking
        if tracking is None:
            raise UsageError(f"{args.tracking_config} has no tracking: section")
        if tracking.ingress.driver == "sqlite" or tracking.egress.driver == "sqlite":
            if tracking.ingress.path != tracking.egress.path or tracking.ingress.driver != tracking.egress.driver:
                raise UsageError("the target writes SQLite only as one file holding both tables",
                                 "give ingress and egress the same driver: sqlite and path:")
            store = store or tracking.ingress.path
            settings.store_tables = (tracking.ingress.table, tracking.egress.table)
        else:
            for db in (tracking.ingress, tracking.egress):
                if args.db_user:
                    db.user = args.db_user
                if args.db_password is not None:
                    db.password = args.db_password
            settings.ingress_db, settings.egress_db = tracking.ingress, tracking.egress
    if args.dashboard:
        settings.dashboard_db = dashboard_db(args.dashboard, args.dashboard_password)
    if store is None and settings.ingress_db is None and settings.dashboard_db is None:
        store = target_store(state)
    settings.store = None if store in (None, "off", "none") else store
    if settings.http is None and settings.sftp is None:
        raise UsageError("both listeners are off", "keep --http or --sftp")
    return settings


def describe(target: Target) -> List[str]:
    settings = target.settings
    lines = ["fth-target running (Ctrl-C to stop)", f"  state  {settings.state_dir}"]
    if target.http is not None:
        auth = "basic auth with the configured password" if settings.password else "any user/password, or none"
        lines.append(f"  HTTP{'S' if target.https else ''}  {target.http_url}  (POST/PUT any path; {auth}; "
                     f"UUID header {settings.uuid_header})")
    if target.sftp is not None:
        password = repr(DEFAULT_PASSWORD) if settings.sftp_password == DEFAULT_PASSWORD else "as configured"
        keys = "an authorized key" if settings.authorized_keys else "any key"
        lines.append(f"  SFTP   {target.sftp_host}:{target.sftp_port}  (any username; password {password} or {keys})")
        lines.append(f"  host key  {settings.host_key}: {target.sftp_known_hosts_line[:60]}…")
        lines.append(f"            (a client that knew another key: {forget_host_key(target)})")
    if settings.store:
        lines.append(f"  rows   sqlite {target.store_path} (tables {settings.store_tables[0]}, "
                     f"{settings.store_tables[1]})")
    for db in (settings.ingress_db, settings.egress_db, settings.dashboard_db):
        if db is not None:
            lines.append(f"  rows   {db.describe()}")
    low, high = settings.delay
    mix = settings.mix
    lines.append(f"  processing {low:g}–{high:g}s, SUCCESS/FAILED/TIMEOUT {mix.success:.0%}/{mix.failed:.0%}/"
                 f"{mix.timeout:.0%}, drop {settings.drop:.1%}, capacity "
                 f"{f'{settings.capacity:g}/s' if settings.capacity else 'unlimited'}")
    return lines


def forget_host_key(target: Target) -> str:
    """The command that removes an old key of this server from a client's known_hosts."""
    name = target.sftp_known_hosts_line.split()[0]
    return f"ssh-keygen -R {shlex.quote(name)} -f THE_JOBS_KNOWN_HOSTS"


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    settings = settings_from_args(args)
    stop = Event()
    handlers = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            handlers.append(gevent.signal_handler(signum, stop.set))
        except ValueError:  # not the main thread
            break
    try:
        target = Target(settings)
        try:
            target.start()
        except ListenError as exc:
            raise UsageError(str(exc), f"another fth-target running? stop it, or pick another port with "
                                       f"--{exc.listener.lower()} [HOST:]PORT") from None
        except OSError as exc:
            raise FthError(f"cannot listen: {exc.strerror or exc}",
                           "another fth-target running? pick other ports with --http/--sftp") from None
        try:
            if not args.quiet:
                sys.stdout.write("\n".join(describe(target)) + "\n")
                sys.stdout.flush()
            stop.wait()
            log.info("stopping")
        finally:
            target.stop()
        counters = target.counters
        if not args.quiet:
            sys.stdout.write(f"fth-target stopped: {counters.accepted} accepted, {counters.refused} refused over "
                             f"capacity, {counters.rejected} rejected, {counters.ingress_rows} ingress / "
                             f"{counters.egress_rows} egress rows written, {counters.dropped} dropped\n")
    finally:
        for handler in handlers:
            handler.cancel()
    return int(ExitStatus.ERROR if target.counters.write_errors else ExitStatus.SUCCESS)
