"""The ``fth-web`` command line: ``fth-web [-c job.yml] [--mock] [--host H] [--port P] [--layout L]``."""

import argparse
import logging
from typing import Any, Dict

import configargparse

from fth.config.reader import as_port
from fth.log import setup_logging
from fth.status import ExitStatus
from fth_web.settings import LAYOUTS, load_env_file, load_settings

log = logging.getLogger(__name__)


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
    parser = configargparse.ArgumentParser(
        prog="fth-web",
        description="Live monitor of file transfers: recent transactions, stage statistics, database health. "
                    "Settings come from the web: section of the job YAML, a .env file, FTH_WEB_* environment "
                    "variables and these flags (flags win).",
        default_config_files=[],
        add_config_file_help=False,
        add_env_var_help=False,
        ignore_unknown_config_file_keys=True,
    )
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="job YAML; its web: and tracking: sections configure the monitor")
    parser.add_argument("--mock", action="store_true", default=None,
                        help="show generated transactions instead of a database")
    parser.add_argument("--host", metavar="HOST", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", metavar="PORT", type=_port, help="port to listen on (default 8080; 0 = any free)")
    parser.add_argument("--layout", type=_layout, metavar="{pair,dashboard}",
                        help="pair: the two tracking databases; dashboard: one dashboard.transactions table")
    parser.add_argument("--env-file", metavar="FILE", help="read FTH_WEB_* settings from this file (default ./.env)")
    group = parser.add_argument_group("output")
    group.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv: tracebacks)")
    group.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    group.add_argument("--log-file", metavar="FILE", help="also write a detailed log here")
    group.add_argument("--no-color", action="store_true", help="no colours in the log")
    return parser


def flags_from(args: argparse.Namespace) -> Dict[str, Any]:
    return {"host": args.host, "port": args.port, "layout": args.layout, "mock": args.mock}


def run(args: argparse.Namespace) -> int:
    from fth_web import create_app
    from fth_web.server import serve_forever

    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    load_env_file(args.env_file)
    settings = load_settings(args.config, flags=flags_from(args))
    app = create_app(settings)
    log.info("open http://%s:%d/ in a browser (Ctrl-C stops)", settings.host, settings.port)
    try:
        serve_forever(app, settings.host, settings.port)
    except KeyboardInterrupt:
        log.info("fth-web stopped")
    return int(ExitStatus.SUCCESS)
