"""Per-transfer templates: ``{uuid}``, ``{filename}``, ``{job}``, ``{username}``, ``{seq}``, ``{timestamp}``.

Templates are parsed once (:func:`compile_template`) and rendered for every file
from one :class:`TransferContext`, so every template of a transfer shares its uuid.
"""

import string
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

FIELDS = ("uuid", "filename", "stem", "ext", "job", "username", "seq", "timestamp", "epoch", "date")
_FORMATTER = string.Formatter()


@dataclass
class TransferContext:
    uuid: str
    filename: str
    job: str
    username: str
    seq: int
    timestamp: str  # ISO 8601 UTC with milliseconds
    epoch: int
    date: str  # YYYY-MM-DD

    def values(self) -> Dict[str, object]:
        stem, dot, ext = self.filename.rpartition(".")
        if not dot or not stem:
            stem, ext = self.filename, ""
        return {"uuid": self.uuid, "filename": self.filename, "stem": stem, "ext": ext, "job": self.job,
                "username": self.username, "seq": self.seq, "timestamp": self.timestamp,
                "epoch": self.epoch, "date": self.date}


def _parse(text: str) -> List[Tuple[str, str, str]]:
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise ValueError(f"is not a valid template ({exc}); write {{{{ and }}}} for literal braces") from None
    for _, field, _spec, conversion in parts:
        if field is None:
            continue
        if field not in FIELDS:
            raise ValueError(f"unknown template field {{{field}}}; known fields: "
                             + ", ".join(f"{{{name}}}" for name in FIELDS))
        if conversion:
            raise ValueError(f"conversions such as !{conversion} are not supported in templates")
    return [(literal, field or "", spec or "") for literal, field, spec, _ in parts]


def check_template(text: str) -> None:
    """Raise ValueError with a helpful message if ``text`` is not a valid template."""
    _parse(text)


def compile_template(text: str) -> Callable[[Dict[str, object]], str]:
    """A function rendering ``text`` from a values mapping; constant text costs nothing."""
    parts = _parse(text)
    if all(not field for _, field, _ in parts):
        constant = "".join(literal for literal, _, _ in parts)
        return lambda values: constant

    def render(values: Dict[str, object]) -> str:
        out = []
        for literal, field, spec in parts:
            out.append(literal)
            if field:
                out.append(format(values[field], spec))
        return "".join(out)

    return render
