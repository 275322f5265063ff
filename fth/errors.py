"""User-facing errors: each becomes a one-line message and an exit status."""

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
            text += f" (found {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text
