"""Entry points of the console scripts and the one error funnel they share.

Every program is ``program(args) -> ExitStatus`` behind a parser factory.
:func:`run_main` turns user errors into one line (``fth: error: …`` plus a hint)
and an exit status; tracebacks appear only with ``-vv``.
"""

import argparse
import logging
import re
import sys
from typing import Callable, List, Optional

from fth.errors import FthError
from fth.status import ExitStatus

log = logging.getLogger(__name__)

Program = Callable[[argparse.Namespace], int]
ParserFactory = Callable[[], argparse.ArgumentParser]


def _error(prog: str, message: str, hint: Optional[str] = None) -> None:
    lines = [f"{prog}: error: {_one_line(message)}\n"] + ([f"{prog}: hint: {_one_line(hint)}\n"] if hint else [])
    for line in lines:  # a message quoting the input quotes it whole: what no terminal can show is escaped
        sys.stderr.write(line.encode("utf-8", "backslashreplace").decode("utf-8"))
    sys.stderr.flush()


def _one_line(text: str) -> str:
    """``text`` on one line: a control character it quotes (a line break in a header name) written as its escape."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def run_main(prog: str, parser_factory: ParserFactory, program: Program, argv: Optional[List[str]] = None) -> int:
    """Parse ``argv``, run ``program`` and map every outcome to an exit status."""
    parser = parser_factory()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    debug = getattr(args, "verbose", 0) >= 2
    try:
        return int(program(args))
    except FthError as exc:
        if debug:
            log.exception("%s failed", prog)
        _error(prog, str(exc), exc.hint)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        _error(prog, "interrupted")
        return int(ExitStatus.CTRL_C)
    except Exception as exc:  # the last resort: one line unless -vv
        if debug:
            log.exception("%s failed unexpectedly", prog)
        _error(prog, f"unexpected {type(exc).__name__}: {exc}", "run again with -vv for the traceback and report it")
        return int(ExitStatus.ERROR)


#: ``fth NAME ...`` runs a subcommand: NAME -> the module that provides
#: ``build_parser() -> argparse.ArgumentParser`` and ``run(args) -> ExitStatus``.
SUBCOMMANDS = {"init": "fth.init", "kube": "fth.kube", "merge": "fth.merge"}


def fth_main(argv: Optional[List[str]] = None) -> int:
    import importlib

    from fth.cli import build_fth_parser
    from fth.run import run_fth

    words = sys.argv[1:] if argv is None else list(argv)
    if words and words[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[words[0]])
        return run_main(f"fth {words[0]}", module.build_parser, module.run, words[1:])
    return run_main("fth", build_fth_parser, run_fth, words)


def report_main(argv: Optional[List[str]] = None) -> int:
    from fth.report.cli import build_parser, run

    return run_main("fth-report", build_parser, run, argv)


def web_main(argv: Optional[List[str]] = None) -> int:
    from fth_web.cli import build_parser, run

    return run_main("fth-web", build_parser, run, argv)


def target_main(argv: Optional[List[str]] = None) -> int:
    from fth.target.cli import build_parser, run

    return run_main("fth-target", build_parser, run, argv)


def _console(main: Callable[[Optional[List[str]]], int]) -> Callable[[], None]:
    return lambda: sys.exit(main(None))


fth_console = _console(fth_main)
report_console = _console(report_main)
web_console = _console(web_main)
target_console = _console(target_main)
