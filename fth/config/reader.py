"""YAML that remembers where each value came from, and a strict section reader.

``load_yaml`` returns plain dicts/lists whose mappings are :class:`MarkedDict`,
which know the line of every key. :class:`Section` reads typed fields out of one
mapping and reports every problem as a :class:`~fth.errors.ConfigError` naming the
file, line, dotted key, the value found and what was expected. Unknown keys are
errors too, with a "did you mean" hint.
"""

import difflib
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, TypeVar

import yaml

from fth.errors import ConfigError
from fth.units import parse_duration, parse_rate

T = TypeVar("T")
_MISSING = object()


class MarkedDict(dict):
    """A mapping that knows its own line, the line of each key (1-based), which keys ``--set``
    replaced (key → the option's text, so errors in those blame the option, not a line) and how
    each plain value was written.

    YAML 1.1 reads ``0123`` as 83, ``yes`` as true and ``1:20`` as 80: ``as_written`` keeps
    the text of such values, so a password or user name is used exactly as typed.
    """

    line: Optional[int] = None
    key_lines: Dict[str, int]
    overridden: Dict[str, str]
    as_written: Dict[str, str]


class MarkedList(list):
    line: Optional[int] = None
    item_lines: List[int]


class _MarkedLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        self._reject_duplicate_keys(node)
        mapping = MarkedDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        mapping.as_written = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str):
                mapping.key_lines[key] = key_node.start_mark.line + 1
                if isinstance(value_node, yaml.ScalarNode) and value_node.style is None:
                    mapping.as_written[key] = value_node.value
        return mapping

    def _reject_duplicate_keys(self, node) -> None:
        """The same key twice in one mapping is an error (YAML would keep the last silently)."""
        lines: Dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = lines.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: construct_mapping reports it
                continue
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {str(key)[:80]!r} (first at line {first})", key_node.start_mark)

    def construct_sequence(self, node, deep=False):
        items = MarkedList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_MarkedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _MarkedLoader.construct_mapping)
_MarkedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _MarkedLoader.construct_sequence)


def load_yaml(path: str) -> MarkedDict:
    """Read a YAML mapping from ``path``; syntax errors become ConfigErrors with a line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", file=path) from None
    try:
        data = yaml.load(text, Loader=_MarkedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(
            f"YAML syntax error: {exc.problem}",
            file=path,
            line=mark.line + 1 if mark else None,
            hint="check indentation and quote values that contain ':' or '{'",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=path) from None
    if data is None:
        data = MarkedDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, MarkedDict):
        raise ConfigError("the top level must be a mapping of settings", file=path, line=1,
                          expected="keys such as 'duration:' and 'jobs:'")
    return data


def _type_name(value: Any) -> str:
    return {dict: "a mapping", MarkedDict: "a mapping", list: "a list", MarkedList: "a list",
            str: "text", int: "a number", float: "a number", bool: "true/false",
            type(None): "nothing"}.get(type(value), type(value).__name__)


class Section:
    """Typed, located access to one mapping of the config file.

    Read each field with :meth:`get`, then call :meth:`done` to reject keys
    nobody read. ``prefix`` is the dotted path used in messages (``jobs[0]``).
    """

    def __init__(self, data: Any, *, file: Optional[str], prefix: str = "", line: Optional[int] = None):
        self.file = file
        self.prefix = prefix
        self.line = getattr(data, "line", None) or line
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("must be a mapping of settings", file=file, line=self.line,
                              key=prefix or None, value=_type_name(data), expected="key: value lines")
        self.data = data
        self._seen: set = set()

    # -- locating -----------------------------------------------------------------
    def key_path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def line_of(self, key: str) -> Optional[int]:
        return getattr(self.data, "key_lines", {}).get(key, self.line)

    def error(self, key: str, problem: str, *, value: Any = None, expected: Optional[str] = None,
              hint: Optional[str] = None) -> ConfigError:
        option = getattr(self.data, "overridden", {}).get(key)
        if option is not None:
            return ConfigError(problem, key=f"--set {option}: {self.key_path(key)}", value=value,
                               expected=expected, hint=hint)
        return ConfigError(problem, file=self.file, line=self.line_of(key), key=self.key_path(key),
                           value=value, expected=expected, hint=hint)

    # -- reading ------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def get(
        self,
        key: str,
        convert: Optional[Callable[[Any], T]] = None,
        *,
        default: Any = _MISSING,
        expected: Optional[str] = None,
        choices: Optional[Iterable[str]] = None,
        as_written: bool = False,
    ) -> Any:
        """The value of ``key`` passed through ``convert``; errors are located.

        ``convert`` may raise ValueError or TypeError; its message becomes the problem.
        Strings are stripped; with ``choices`` they are also matched case-insensitively.
        ``as_written``: the text of the value exactly as written (``0123``, ``yes``, `` x ``),
        never a number or true/false that YAML 1.1 made of it.
        """
        self._seen.add(key)
        raw = self.data.get(key)
        if raw is None:
            if default is _MISSING:
                self._missing(key, expected)
            return default
        if as_written:
            raw = getattr(self.data, "as_written", {}).get(key, raw)  # plain dicts (--set, tests) hold text
            value = raw
        else:
            value = raw.strip() if isinstance(raw, str) else raw
        if choices is not None:
            options = list(choices)
            lowered = value.lower() if isinstance(value, str) else value
            if lowered not in options:
                raise self.error(key, "is not one of the allowed values", value=raw,
                                 expected=" | ".join(options))
            value = lowered
        if convert is None:
            return value
        try:
            return convert(value)
        except (ValueError, TypeError) as exc:
            raise self.error(key, str(exc) or "has an invalid value", value=raw, expected=expected) from None

    def _missing(self, key: str, expected: Optional[str]) -> None:
        """A required key is absent: blame a misspelling of it if there is one (not a setting already read: a job
        with a name and no username was told its name was a misspelt username)."""
        unread = [str(k) for k in self.data if k not in self._seen]
        typos = [k for k in difflib.get_close_matches(key, unread, n=1) if k != key]
        if typos:
            raise self.error(typos[0], "unknown setting", expected=expected, hint=f"did you mean '{key}'?")
        raise self.error(key, "is required", expected=expected)

    def section(self, key: str, *, required: bool = False) -> "Section":
        self._seen.add(key)
        if required and not self.has(key):
            raise self.error(key, "is required", expected="a mapping of settings")
        return Section(self.data.get(key), file=self.file, prefix=self.key_path(key), line=self.line_of(key))

    def items(self, key: str) -> List[Any]:
        """A list value (a single scalar is promoted to a one-item list)."""
        self._seen.add(key)
        raw = self.data.get(key)
        if raw is None:
            return []
        return list(raw) if isinstance(raw, list) else [raw]

    def secret(self, key: str) -> Optional[str]:
        """``key`` or ``key_env`` (name of an environment variable holding it)."""
        direct = self.get(key, as_string, default=None, as_written=True)
        env_name = self.get(f"{key}_env", str, default=None)
        if direct is not None and env_name is not None:
            raise self.error(f"{key}_env", f"give either {key} or {key}_env, not both")
        if env_name is not None:
            if env_name not in os.environ:
                raise self.error(f"{key}_env", "names an environment variable that is not set",
                                 value=env_name, hint=f"export {env_name}=... before running")
            return os.environ[env_name]
        return direct

    def done(self) -> None:
        """Reject keys nobody read, suggesting the closest known key."""
        for key in self.data:
            if key in self._seen:
                continue
            close = difflib.get_close_matches(str(key), sorted(self._seen), n=1)
            hint = f"did you mean '{close[0]}'?" if close else None
            known = ", ".join(sorted(self._seen))
            raise self.error(str(key), "unknown setting", expected=f"one of: {known}", hint=hint)


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError("is not true or false")


def as_positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("is not a whole number") from None
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def as_port(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("is not a port number")
    try:
        port = int(str(value).strip())
    except ValueError:
        raise ValueError("is not a port number") from None
    if not 1 <= port <= 65535:
        raise ValueError("is not a port number between 1 and 65535")
    return port


def as_string(value: Any) -> str:
    """Text exactly as given (a password, a user name)."""
    if isinstance(value, (dict, list)):
        raise TypeError(f"must be text, not {_type_name(value)}")
    return str(value)


def as_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError(f"must be text, not {_type_name(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError("is empty")
    return whole_unicode(text)


def whole_unicode(text: str) -> str:
    """``text`` with YAML's escaped surrogate pairs (``"\\ud83d\\ude00"``) joined into their character; a
    lone surrogate, which no file or page can hold, is an error."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise ValueError("holds a lone surrogate (a \\ud800-\\udfff escape without its pair)") from None


def as_path(value: Any) -> str:
    return os.path.expanduser(as_text(value))


def as_duration(value: Any) -> float:
    """A duration longer than zero, in seconds (``90s``, ``1h30m``)."""
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def as_rate(value: Any) -> float:
    """A rate above zero, in files per second (``120/hour``, ``0.5/s``)."""
    per_second = parse_rate(value)
    if per_second <= 0:
        raise ValueError("must be more than zero files per period")
    return per_second
