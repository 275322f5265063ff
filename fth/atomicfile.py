"""Output files written whole or not at all: a temporary file in the same directory, fsync, rename.

Readers (a CI job, a browser, the next run) never see a half-written summary or report, and
a failed write (a full disk) leaves the previous file intact and says so in one line.

- :func:`open_atomic` is a context manager yielding the open temporary file; the file is
  renamed into place when the block ends without an exception;
- :func:`write_atomic` writes text, bytes or text in pieces (a large report) in one call.

The file gets the mode a plain ``open(path, "w")`` would give it: an existing file keeps its
mode, a new one gets 0666 less the umask (not the 0600 of a temporary file). A symbolic link is
followed (the link stays, its target is replaced), and a path that is no regular file (``/dev/null``,
``/dev/stdout``, a FIFO) is written into as it is: renaming over it would replace the device itself.
"""

import contextlib
import os
import stat
import tempfile
from typing import IO, Any, Iterable, Iterator, Union

from fth.errors import FthError


def _mode_for(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _is_special(path: str) -> bool:
    """Whether ``path`` is something other than a regular file or a directory (a device, a FIFO, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _fail(what: str, path: str, exc: OSError) -> FthError:
    return FthError(f"cannot write {what} {path}: {exc.strerror or exc}; the previous file, if any, is unchanged")


@contextlib.contextmanager
def open_atomic(path: str, mode: str = "w", *, what: str = "file", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` (``mode`` "w" or "wb"); rename it to ``path`` at the end.

    Any OSError (creating, writing, syncing, renaming) becomes a one-line :class:`FthError`
    naming ``what`` and ``path``; the temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    if not path:
        raise FthError(f"cannot write {what}: the path is empty")
    path = os.path.realpath(path)  # a symbolic link stays one: its target is written
    if _is_special(path):  # /dev/null, /dev/stdout's target, a FIFO: written into, never replaced
        try:
            with open(path, mode, **({} if "b" in mode else {"encoding": encoding})) as out:
                yield out
        except OSError as exc:
            raise _fail(what, path, exc) from None
        return
    directory = os.path.dirname(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _fail(what, path, exc) from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), _mode_for(path))
        os.replace(temp, path)
    except OSError as exc:
        _remove(temp)
        raise _fail(what, path, exc) from None
    except BaseException:
        _remove(temp)
        raise


def write_atomic(path: str, data: Union[str, bytes, Iterable[str]], *, what: str = "file") -> None:
    """Write ``data`` (text as UTF-8, bytes, or text in pieces) to ``path`` atomically; see :func:`open_atomic`."""
    with open_atomic(path, "wb" if isinstance(data, bytes) else "w", what=what) as out:
        if isinstance(data, (str, bytes)):
            out.write(data)
        else:
            out.writelines(data)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
