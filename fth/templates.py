"""Per-transfer templates: ``{uuid}``, ``{filename}``, ``{job}``, ``{username}``, ``{seq}``, ``{timestamp}``.

Templates are parsed once (:func:`compile_template`) and rendered for every file
from one :class:`TransferContext`, so every template of a transfer shares its uuid.

Values are substituted as they are: format specs (``{uuid:d}``, ``{filename:>99}``) are
rejected when the config is read. Where a value goes on the wire, an ``escape`` makes it
safe there: :func:`url_escape` for URLs, :func:`header_escape` for HTTP header values.
"""

import dataclasses
import os
import string
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import quote

FIELDS = ("uuid", "filename", "stem", "ext", "job", "username", "seq", "timestamp", "epoch", "date")
_FORMATTER = string.Formatter()


def new_uuid() -> str:
    """A random (version 4) UUID as text: ``str(uuid.uuid4())`` at under half the cost."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass
class TransferContext:
    """What the templates of one transfer may use. Time fields are derived from ``at`` when not given."""

    uuid: str
    filename: str
    job: str
    username: str
    seq: int
    timestamp: Optional[str] = None  # ISO 8601 UTC with milliseconds
    epoch: Optional[int] = None
    date: Optional[str] = None  # YYYY-MM-DD (UTC)
    at: float = dataclasses.field(default_factory=time.time)

    def values(self) -> Dict[str, object]:
        return _Values(self)


class _Values(dict):
    """Template values; the costlier ones are made only when a template asks for them."""

    def __init__(self, context: TransferContext):
        super().__init__(uuid=context.uuid, filename=context.filename, job=context.job,
                         username=context.username, seq=context.seq)
        self._context = context

    def __missing__(self, key: str) -> object:
        context = self._context
        moment = datetime.fromtimestamp(context.at, timezone.utc)
        if key in ("stem", "ext"):
            stem, dot, ext = context.filename.rpartition(".")
            if not dot or not stem:
                stem, ext = context.filename, ""
            self["stem"], self["ext"] = stem, ext
        elif key == "timestamp":
            self[key] = context.timestamp or moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        elif key == "epoch":
            self[key] = context.epoch if context.epoch is not None else int(context.at)
        elif key == "date":
            self[key] = context.date or moment.strftime("%Y-%m-%d")
        else:
            raise KeyError(key)
        return self[key]


# Printable ASCII but '%': what a header value keeps as it is; everything else is percent-encoded.
_HEADER_SAFE = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) != "%")


def name_bytes(value: str) -> bytes:
    """The bytes of a name on the wire: UTF-8, and a file name that is not UTF-8 keeps its own bytes."""
    return value.encode("utf-8", "surrogateescape")


def url_escape(value: str) -> str:
    """A value for a URL: every byte but letters, digits and ``-._~`` percent-encoded (``../``, ``?``, ``#``)."""
    return quote(name_bytes(value), safe="")


def header_escape(value: str) -> str:
    """A value for an HTTP header: printable ASCII stays, the rest (CR, LF, NUL, '%', non-ASCII) is
    percent-encoded as UTF-8, so a server decodes it with ``urllib.parse.unquote``."""
    return quote(name_bytes(value), safe=_HEADER_SAFE)


def _parse(text: str) -> List[Tuple[str, str, str]]:
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise ValueError(f"is not a valid template ({exc}); write {{{{ and }}}} for literal braces") from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in FIELDS:
            raise ValueError(f"unknown template field {{{field}}}; known fields: "
                             + ", ".join(f"{{{name}}}" for name in FIELDS))
        if conversion:
            raise ValueError(f"conversions such as !{conversion} are not supported in templates")
        if spec:
            raise ValueError(f"format specs such as {{{field}:{spec[:20]}}} are not supported in templates")
    return [(literal, field or "") for literal, field, _, _ in parts]


def check_template(text: str) -> None:
    """Raise ValueError with a helpful message if ``text`` is not a valid template."""
    _parse(text)


def compile_template(text: str, escape: Callable[[str], str] = str) -> Callable[[Dict[str, object]], str]:
    """A function rendering ``text`` from a values mapping, each value passed through ``escape``.

    Constant text costs nothing.
    """
    parts = _parse(text)
    if all(not field for _, field in parts):
        constant = "".join(literal for literal, _ in parts)
        return lambda values: constant

    def render(values: Dict[str, object]) -> str:
        out = []
        for literal, field in parts:
            out.append(literal)
            if field:
                out.append(escape(str(values[field])))
        return "".join(out)

    return render
