"""A small streaming multipart/form-data reader: form fields in memory, the file part to a sink.

Only what an upload needs: each part's name, filename and body; the body of a part with a
filename is passed chunk by chunk to ``on_file_data`` and never held whole in memory. The body
comes from :func:`read_body`, which the raw uploads read through as well.
"""

import re
from typing import BinaryIO, Callable, Dict, Iterator, Optional

CHUNK = 64 * 1024
MAX_FIELD = 64 * 1024
MAX_HEADERS = 16 * 1024
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class MultipartError(ValueError):
    """The body is not the multipart/form-data it claims to be (or shorter than its Content-Length)."""


def read_body(stream: BinaryIO, length: Optional[int]) -> Iterator[bytes]:
    """A request body in chunks: ``length`` bytes (:class:`MultipartError` when it ends before), or to its end
    (None: a chunked body, whose end is its last chunk)."""
    left = length
    while left is None or left > 0:
        chunk = stream.read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            if left is None:
                return
            raise MultipartError(f"the body ended after {length - left} of {length} bytes")
        if left is not None:
            left -= len(chunk)
        yield chunk


def boundary_of(content_type: str) -> Optional[str]:
    params = {k.lower(): v.strip('"') for k, v in _PARAM.findall(content_type or "")}
    return params.get("boundary") or None


_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_FORM_ESCAPES = re.compile("%(22|0D|0A)", re.IGNORECASE)  # what HTML forms, curl and urllib3 escape in names
_FORM_CHARS = {"22": '"', "0D": "\r", "0A": "\n"}


def param_value(raw: str) -> str:
    """A Content-Disposition parameter's value: a token, or a quoted string with its ``\\x`` pairs undone;
    then the form escapes of ``"``, CR and LF (``%22``, ``%0D``, ``%0A``: HTML's multipart/form-data, as fth's
    client, curl and urllib3 write them) decoded."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
    return _FORM_ESCAPES.sub(lambda match: _FORM_CHARS[match.group(1).upper()], value)


def _disposition(headers: bytes) -> Dict[str, str]:
    for line in headers.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-disposition":
            return {k.lower(): param_value(v) for k, v in _PARAM.findall(value)}
    return {}


class FormReader:
    """Parse a body given as its chunks (:func:`read_body`); results in :attr:`fields` and :attr:`filename`."""

    def __init__(self, chunks: Iterator[bytes], boundary: str, on_file_data: Callable[[bytes], None]) -> None:
        self.chunks = chunks
        self.delimiter = b"\r\n--" + boundary.encode("latin-1")
        self.on_file_data = on_file_data
        self.fields: Dict[str, str] = {}
        self.filename: Optional[str] = None
        self.file_field: Optional[str] = None
        self.buffer = b"\r\n"  # so the first boundary looks like every other delimiter

    def _fill(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        self.buffer += chunk
        return True

    def parse(self) -> None:
        self._skip_preamble()
        while True:
            while len(self.buffer) < 2 and self._fill():
                pass
            if self.buffer.startswith(b"--"):
                break  # closing delimiter
            headers = self._headers()
            info = _disposition(headers)
            name = info.get("name", "")
            if "filename" in info and self.filename is None:
                self.filename, self.file_field = info["filename"], name
                self._body(self.on_file_data)
            else:
                parts = []
                size = [0]

                def keep(data: bytes, parts: list = parts, size: list = size) -> None:
                    size[0] += len(data)
                    if size[0] > MAX_FIELD:
                        raise MultipartError("a form field is too large")
                    parts.append(data)

                self._body(keep)
                self.fields[name] = b"".join(parts).decode("utf-8", "replace")
        while self._fill():  # epilogue
            self.buffer = b""

    def _skip_preamble(self) -> None:
        while True:
            at = self.buffer.find(self.delimiter)
            if at >= 0:
                self.buffer = self.buffer[at + len(self.delimiter):]
                return
            self.buffer = self.buffer[-len(self.delimiter):]
            if not self._fill():
                raise MultipartError("no boundary found")

    def _headers(self) -> bytes:
        # after a delimiter: optional whitespace, CRLF, headers, CRLF CRLF
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                headers, self.buffer = self.buffer[:end], self.buffer[end + 4:]
                return headers
            if len(self.buffer) > MAX_HEADERS:
                raise MultipartError("part headers are too large")
            if not self._fill():
                raise MultipartError("the body ended inside part headers")

    def _body(self, sink: Callable[[bytes], None]) -> None:
        keep = len(self.delimiter)
        while True:
            at = self.buffer.find(self.delimiter)
            if at >= 0:
                if at:
                    sink(self.buffer[:at])
                self.buffer = self.buffer[at + len(self.delimiter):]
                return
            if len(self.buffer) > keep:
                sink(self.buffer[:-keep])
                self.buffer = self.buffer[-keep:]
            if not self._fill():
                raise MultipartError("the body ended inside a part")
