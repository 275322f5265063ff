"""The command line of fth, declared in one place.

Every option can also come from an ``FTH_<NAME>`` environment variable; the
YAML file (``-c``) holds the rest. Precedence: flags > environment > file >
defaults. Value types are small functions that raise ArgumentTypeError with
what was expected.
"""

import argparse
import difflib
import os
from typing import Callable, Optional

import configargparse

from fth import __version__
from fth.segment import parse_segment
from fth.startat import START_AT_EXAMPLES, parse_start_at
from fth.status import ExitStatus
from fth.units import DURATION_EXAMPLES, parse_duration

EPILOG = """\
exit status: 0 run completed · 1 runtime error · 2 usage or configuration error ·
3 a stop condition tripped · 130 interrupted before the run started.
docs: README.md and example-config.yml (every option, commented)."""

SCALE_OUT_HELP = """\
One fth process uses one core. When that is the limit, --processes N runs N worker
processes on this machine (one live view, one summary). Beyond one machine, run one fth
per machine with --segment I/N and the same --start-at, then add their --summary-json
documents up with 'fth merge'."""


def _typed(parse: Callable, expected: str) -> Callable[[str], object]:
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} {exc}; expected {expected}") from None

    convert.__name__ = parse.__name__
    return convert


def _run_length(text: str) -> float:
    """A run's --duration: longer than zero (0s would end the run before its first send)."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError("must be longer than zero (leave it out to run until every job ends)")
    return seconds


duration_arg = _typed(parse_duration, DURATION_EXAMPLES)
run_length_arg = _typed(_run_length, DURATION_EXAMPLES)
start_at_arg = _typed(parse_start_at, START_AT_EXAMPLES)


MAX_PROCESSES = 1024  # each is a Python interpreter: beyond this one machine runs out of memory first


def processes_arg(text: str) -> int:
    """``auto`` → the number of CPUs; else a whole number of processes, at least 1."""
    if text.strip().lower() == "auto":
        return os.cpu_count() or 1
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes; expected a whole number >= 1 "
                                         "or auto")
    if number > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_PROCESSES} processes on one machine; run "
                                         "more machines with --segment (fth kube)")
    return number


def host_port(text: str) -> tuple:
    """``8080``, ``:8080``, ``0.0.0.0:8080`` → (host, port); host defaults to 127.0.0.1."""
    host, _, port = text.strip().rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not [HOST:]PORT; expected e.g. 8080 or 0.0.0.0:8080") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: port must be 0-65535")
    return (host or "127.0.0.1", number)


class Parser(configargparse.ArgumentParser):
    """Adds a "did you mean" hint to unknown options; usage errors exit 2."""

    def error(self, message: str):
        if "unrecognized arguments" in message:
            options = [opt for action in self._actions for opt in action.option_strings]
            words = message.split(":", 1)[-1].split()
            close = [m for word in words for m in difflib.get_close_matches(word, options, n=1)]
            if close:
                message += f" (did you mean {close[0]}?)"
        self.print_usage()
        self.exit(int(ExitStatus.USAGE), f"{self.prog}: error: {message}\n")


def new_parser(prog: str, description: str, epilog: Optional[str] = None) -> Parser:
    return Parser(prog=prog, description=description, epilog=epilog, default_config_files=[],
                  formatter_class=argparse.RawDescriptionHelpFormatter, add_env_var_help=True,
                  ignore_unknown_config_file_keys=True)


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="more detail: -v debug messages, -vv also tracebacks")
    group.add_argument("-q", "--quiet", action="store_true", help="only warnings, errors and the final results")
    group.add_argument("--log-file", metavar="FILE", env_var="FTH_LOG_FILE",
                       help="also write full-detail logs with timestamps to FILE")
    group.add_argument("--no-color", action="store_true",
                       help="no colours (also when NO_COLOR is set or output is not a terminal)")


def build_fth_parser() -> Parser:
    parser = new_parser("fth", "Send files over HTTP(S) and SFTP at set rates, and measure what happens.", EPILOG)
    parser.add_argument("--version", action="version", version=f"fth {__version__}")
    run = parser.add_argument_group("run")
    run.add_argument("-c", "--config", metavar="FILE", env_var="FTH_CONFIG",
                     help="the YAML file describing the run (see example-config.yml)")
    run.add_argument("--duration", type=run_length_arg, metavar="TIME", env_var="FTH_DURATION",
                     help="stop after TIME (e.g. 90s, 30m, 1h30m); default: the file's duration, else until "
                          "every job ends or Ctrl-C")
    run.add_argument("--job", action="append", metavar="NAME", dest="jobs",
                     help="run only this job (repeatable)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", dest="overrides", default=[],
                     help="override a setting of the file: duration=5m, JOB.rate=50/s, *.mode=fire (repeatable)")
    run.add_argument("--stop-timeout", type=duration_arg, metavar="TIME", env_var="FTH_STOP_TIMEOUT",
                     help="at the end, how long in-flight transfers may take to finish (default 30s)")
    run.add_argument("--check", action="store_true",
                     help="validate the configuration, print the plan and exit without sending")
    run.add_argument("--demo", action="store_true",
                     help="run the demo: start the built-in target, send to it over HTTP and SFTP for ~30 s, "
                          "then write the HTML report (needs no servers and no -c)")
    scale = parser.add_argument_group("scale out", SCALE_OUT_HELP)
    scale.add_argument("--processes", type=processes_arg, metavar="N|auto", env_var="FTH_PROCESSES",
                       help="split the run over N worker processes on this machine (auto: one per CPU); use it "
                            "when one core is the limit (SFTP handshakes, TLS, high rates)")
    scale.add_argument("--segment", type=parse_segment, metavar="I/N", env_var="FTH_SEGMENT",
                       help="run segment I of N (I = 0…N-1) of every job: 1/N of its rate, count, workers and "
                            "max_in_flight, phase-shifted so that the N segments together are the one-process run")
    scale.add_argument("--start-at", type=start_at_arg, metavar="TIME", env_var="FTH_START_AT",
                       help="wait (with a countdown) until TIME, ISO 8601 or epoch seconds, and take it as the "
                            "schedule origin: give every segment the same TIME")
    scale.add_argument("--stream-figures", action="store_true", help=argparse.SUPPRESS)  # a --processes worker
    out = parser.add_argument_group("results")
    out.add_argument("--summary-json", metavar="FILE", env_var="FTH_SUMMARY_JSON",
                     help="write the run's figures as JSON to FILE ('-': as the last line of stdout, one line); "
                          "'fth merge' adds such documents up")
    out.add_argument("--transfer-log", metavar="FILE", env_var="FTH_TRANSFER_LOG",
                     help="append one JSON line per transfer to FILE (for fth-report --transfer-log)")
    out.add_argument("--web", type=host_port, metavar="[HOST:]PORT", env_var="FTH_WEB",
                     help="serve the live monitor (fth-web) during the run")
    add_logging_options(parser)
    return parser
