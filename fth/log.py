"""Logging for the console scripts: colour on a TTY, full detail in --log-file."""

import contextlib
import logging
import os
import re
import sys
from typing import Callable, Optional, TextIO

import colorlog

CONSOLE_FORMAT = "%(log_color)s%(levelname)-7s%(reset)s %(message)s"
PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
FILE_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s"
LEVEL_COLORS = {"DEBUG": "cyan", "INFO": "green", "WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold_red"}


# C0 and C1 control characters and the Unicode line/paragraph separators: a newline or CR in a
# message would forge a second log line, an ESC would drive the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``text`` with each control character written as its Python escape (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class OneLineFilter(logging.Filter):
    """Keeps every log line one line whatever the input (a username, a file name, a server's error
    text): control characters in the message and its arguments are escaped. A traceback
    (``exc_info``) is formatted after this and stays multi-line, as it should."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as logging does
            return True
        if _CONTROL.search(message):
            record.msg, record.args = escape_controls(message), None
        return True


def colour_wanted(stream: TextIO, no_color: bool = False) -> bool:
    """Colour only on a terminal, never with NO_COLOR set, --no-color or TERM=dumb."""
    if no_color or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class ConsoleHandler(logging.StreamHandler):
    """The terminal's log handler. A live view drawn on the same terminal sets ``clear_live`` to
    erase itself before each record, so a log line takes the view's place and the next frame is
    drawn below it (instead of the frame overwriting the line and leaving an old frame above)."""

    clear_live: Optional[Callable[[], None]] = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.clear_live is not None:
            self.clear_live()
        super().emit(record)


def console_handler() -> Optional[ConsoleHandler]:
    """The terminal handler :func:`setup_logging` installed, if it writes to a terminal."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ConsoleHandler) and getattr(handler.stream, "isatty", lambda: False)():
            return handler
    return None


class _LogFile(logging.FileHandler):
    """--log-file: a write failure (a full disk) is said once, in one line, and the file is given up."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        sys.stderr.write(f"fth: log file {self.baseFilename}: {getattr(error, 'strerror', None) or error}; "
                         "no further lines are written to it\n")
        logging.getLogger().removeHandler(self)
        with contextlib.suppress(OSError):  # flushing what is buffered fails again; the file is closed all the same
            self.close()


def verbosity_level(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.WARNING
    return logging.DEBUG if verbose >= 1 else logging.INFO


def setup_logging(
    verbose: int = 0,
    quiet: bool = False,
    log_file: Optional[str] = None,
    no_color: bool = False,
    stream: Optional[TextIO] = None,
) -> None:
    """Configure the root logger once per process (tests call it repeatedly: handlers are replaced)."""
    stream = stream or sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_fth", False):
            root.removeHandler(handler)
            handler.close()
    console = ConsoleHandler(stream)
    if colour_wanted(stream, no_color):
        console.setFormatter(colorlog.ColoredFormatter(CONSOLE_FORMAT, log_colors=LEVEL_COLORS))
    else:
        console.setFormatter(logging.Formatter(PLAIN_FORMAT, datefmt="%H:%M:%S"))
    console.setLevel(verbosity_level(verbose, quiet))
    console.addFilter(OneLineFilter())
    console._fth = True  # type: ignore[attr-defined]
    root.addHandler(console)
    level = console.level
    if log_file:
        try:
            file_handler = _LogFile(log_file, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            from fth.errors import UsageError

            raise UsageError(f"cannot open log file {log_file}: {exc.strerror}") from None
        file_handler.setFormatter(logging.Formatter(FILE_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S"))
        file_handler.setLevel(logging.DEBUG)
        file_handler.addFilter(OneLineFilter())
        file_handler._fth = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
        level = logging.DEBUG
    root.setLevel(level)
    for noisy in ("paramiko", "urllib3", "werkzeug", "geventwebsocket"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
