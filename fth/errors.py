"""User-facing errors: each becomes a one-line message and an exit status."""

import reprlib
from typing import Any, Optional

from fth.status import ExitStatus


class FthError(Exception):
    """An error the user can act on; printed without a traceback."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.hint = hint


class UsageError(FthError):
    exit_status = ExitStatus.USAGE


class ConfigError(UsageError):
    """Invalid configuration, located as precisely as the source allows."""

    def __init__(
        self,
        problem: str,
        *,
        file: Optional[str] = None,
        line: Optional[int] = None,
        key: Optional[str] = None,
        value: Any = None,
        expected: Optional[str] = None,
        hint: Optional[str] = None,
    ):
        self.problem = problem
        self.file = file
        self.line = line
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(self._compose(), hint)

    def _compose(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.key) if p]
        text = ": ".join([*parts, self.problem]) if parts else self.problem
        if self.value is not None:
            text += f" (found {_short_repr(self.value)})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class _BoundedRepr(reprlib.Repr):
    """reprlib picks its method by type name: subclasses of list and dict (the config's marked
    containers) would get the full builtin repr first, truncated only afterwards."""

    def repr1(self, x: Any, level: int) -> str:
        if isinstance(x, list):
            return self.repr_list(x, level)
        if isinstance(x, dict):
            return self.repr_dict(x, level)
        return super().repr1(x, level)


_REPR = _BoundedRepr()
_REPR.maxstring = _REPR.maxother = 120
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 2, 4, 4


def _short_repr(value: Any) -> str:
    """A value echoed in a message, bounded (an alias bomb expands to gigabytes)."""
    return _REPR.repr(value)
