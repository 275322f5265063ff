"""``fth init [DIR]``: a documented starting point, also for users who installed a wheel.

Writes the example job file that ships in the package (every option, commented; it runs as
shipped against ``fth-target``) and the small sample source directory it sends from.
"""

import argparse
import logging
import shlex
from importlib import resources
from pathlib import Path
from typing import List

from fth import __version__
from fth.cli import add_logging_options, new_parser
from fth.console import write_lines
from fth.errors import UsageError
from fth.log import setup_logging
from fth.status import ExitStatus

log = logging.getLogger(__name__)

CONFIG = "example-config.yml"
SAMPLES = "sample-files"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth init", f"Write {CONFIG} (every option, commented) and a small {SAMPLES}/ directory "
                                    "to send, ready to run against fth-target.")
    parser.add_argument("--version", action="version", version=f"fth {__version__}")
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="where to write them (default: here)")
    parser.add_argument("--force", action="store_true", help=f"replace an existing {CONFIG} and sample files")
    add_logging_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    target = Path(args.dir).expanduser()
    config = target / CONFIG
    if config.exists() and not args.force:
        raise UsageError(f"{config} exists: not replacing it", f"fth init --force {shlex.quote(args.dir)}, "
                                                                "or fth init ANOTHER_DIR")
    shipped = resources.files("fth")
    try:
        (target / SAMPLES).mkdir(parents=True, exist_ok=True)
        for sample in sorted(shipped.joinpath(SAMPLES).iterdir(), key=lambda item: item.name):
            copy = target / SAMPLES / sample.name
            if args.force or not copy.exists():
                copy.write_bytes(sample.read_bytes())
        config.write_bytes(shipped.joinpath(CONFIG).read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot write into {target}: {exc.strerror or exc}") from None
    log.debug("wrote %s and %s", config, target / SAMPLES)
    if not args.quiet:
        write_lines(next_steps(config))
    return ExitStatus.SUCCESS


def next_steps(config: Path) -> List[str]:
    job = shlex.quote(str(config))
    return [
        f"wrote {config} (every option, commented) and {config.parent / SAMPLES}/ (the files it sends)",
        "next:",
        "  fth-target        (in another terminal: the built-in target, HTTP :8880 and SFTP :8822)",
        f"  fth -c {job} --check",
        f"  fth -c {job}",
        f"  fth-report -c {job} --since 15m --poll 2s --settle 30s -o report.html",
    ]
