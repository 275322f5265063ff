"""A multipart/form-data body streamed from disk with a known length.

requests' ``files=`` reads the whole file into memory; this file-like object
reads the preamble, then the file in chunks, then the closing boundary, and
reports its length so the request carries a Content-Length (no chunking).
"""

import uuid
from typing import BinaryIO, Dict, List

from fth.templates import name_bytes


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartStream:
    def __init__(self, file: BinaryIO, size: int, field_name: str, filename: str, fields: Dict[str, str],
                 content_type: str = "application/octet-stream"):
        self.boundary = uuid.uuid4().hex
        head: List[bytes] = []
        for name, value in fields.items():
            head.append(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
                        .encode() + name_bytes(value) + b"\r\n")
        head.append(name_bytes(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(field_name)}"; '
            f'filename="{_quote(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
        ))
        self._parts = [b"".join(head), file, f"\r\n--{self.boundary}--\r\n".encode()]
        self.len = len(self._parts[0]) + size + len(self._parts[2])
        self._index = 0
        self._offset = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.len

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.len
        out: List[bytes] = []
        while size > 0 and self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, bytes):
                chunk = part[self._offset:self._offset + size]
                self._offset += len(chunk)
                if self._offset >= len(part):
                    self._index, self._offset = self._index + 1, 0
            else:
                chunk = part.read(size)
                if not chunk:
                    self._index += 1
                    continue
            out.append(chunk)
            size -= len(chunk)
        return b"".join(out)
