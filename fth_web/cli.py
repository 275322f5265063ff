"""The ``fth-web`` command line: ``fth-web [-c job.yml] [--mock] [--host H] [--port P] [--layout L]``."""

import argparse
import logging
import signal
from typing import Any, Dict

import gevent
from gevent.event import Event

from fth import __version__
from fth.cli import add_logging_options, new_parser
from fth.config.reader import as_port
from fth.config.web import LAYOUTS
from fth.log import setup_logging
from fth.status import ExitStatus
from fth_web.settings import load_env_file, load_settings

log = logging.getLogger(__name__)

EPILOG = """\
settings: defaults < the web: section of the job file < .env < FTH_WEB_* variables < flags.
Without --layout (and web.layout), a file with tracking: and no web.database shows the pair layout
on the tracking databases.
exit status: 0 stopped by SIGINT/SIGTERM · 1 runtime error · 2 usage or configuration error."""


def _port(value: str) -> int:
    try:
        return as_port(value) if value.strip() != "0" else 0
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}: {value!r}") from None


def _layout(value: str) -> str:
    text = value.strip().lower()
    if text not in LAYOUTS:
        raise argparse.ArgumentTypeError(f"unknown layout {value!r}; choose pair or dashboard")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth-web", "Live monitor of file transfers: recent transactions, stage statistics, "
                                   "database health and the report form.", EPILOG)
    parser.add_argument("--version", action="version", version=f"fth-web {__version__}")
    parser.add_argument("-c", "--config", metavar="FILE", env_var="FTH_CONFIG",
                        help="job YAML; its web: and tracking: sections configure the monitor")
    parser.add_argument("--mock", action="store_true", default=None,
                        help="show generated transactions instead of a database (env FTH_WEB_MOCK)")
    parser.add_argument("--host", metavar="HOST", env_var="FTH_WEB_HOST",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", metavar="PORT", type=_port, env_var="FTH_WEB_PORT",
                        help="port to listen on (default 8080; 0 = any free)")
    parser.add_argument("--layout", type=_layout, metavar="{pair,dashboard}", env_var="FTH_WEB_LAYOUT",
                        help="pair: the two tracking databases; dashboard: one dashboard.transactions table")
    parser.add_argument("--env-file", metavar="FILE", env_var="FTH_WEB_ENV_FILE",
                        help="read FTH_WEB_* settings from this file (default ./.env)")
    add_logging_options(parser)
    return parser


def flags_from(args: argparse.Namespace) -> Dict[str, Any]:
    return {"host": args.host, "port": args.port, "layout": args.layout, "mock": args.mock}


def run(args: argparse.Namespace) -> int:
    from fth_web import create_app
    from fth_web.server import bind, start_in_background

    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    load_env_file(args.env_file)
    settings = load_settings(args.config, flags=flags_from(args))
    sock = bind(settings.host, settings.port)  # a busy port fails here, before anything says where to look
    try:
        app = create_app(settings)
    except BaseException:
        sock.close()
        raise
    stop = Event()
    handlers = [gevent.signal_handler(signum, stop.set) for signum in (signal.SIGINT, signal.SIGTERM)]
    try:
        server = start_in_background(app, sock=sock)
        log.info("open %s/ in a browser (Ctrl-C stops)", server.url)
        try:
            stop.wait()
        finally:
            server.stop()
    finally:
        for handler in handlers:
            handler.cancel()
    log.info("fth-web stopped")
    return int(ExitStatus.SUCCESS)
