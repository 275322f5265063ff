"""The target's HTTP(S) side: a gevent ``pywsgi`` server that accepts uploads on any path.

POST or PUT with a raw body or multipart/form-data. The transaction UUID comes from the
configured header (default ``X-Transaction-ID``), else a multipart field ``uuid``, else a
new one; the username from HTTP basic auth, else ``X-Username``, else ``anonymous``; the
filename from the multipart file part, else ``X-Filename``, else the last path segment.
Answers 201 with a small JSON body, 503 when over capacity, 401 when ``password`` is set and
does not match. ``GET /health`` answers 200.
"""

import base64
import binascii
import json
import logging
import os
import re
import ssl
import uuid as uuidlib
from typing import Any, BinaryIO, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import unquote

from gevent.pywsgi import WSGIServer

from fth.netutil import listen
from fth.target.multipart import FormReader, MultipartError, boundary_of
from fth.target.records import Arrival, now
from fth.target.settings import TargetSettings
from fth.target.tracker import Tracker

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_name(name: str) -> str:
    """A file name that stays inside the upload directory."""
    base = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/"))).strip(" .")
    return base[:200] or "upload"


class UploadFile:
    """Where an upload's bytes go: a file in the upload directory, or nowhere (counted only)."""

    def __init__(self, directory: Optional[str]) -> None:
        self.size = 0
        self.directory = directory
        self.handle: Optional[BinaryIO] = None
        self.path: Optional[str] = None
        if directory:
            self.path = os.path.join(directory, f".incoming-{uuidlib.uuid4().hex}")
            self.handle = open(self.path, "wb")  # noqa: SIM115  (closed in finish/abort)

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.handle is not None:
            self.handle.write(data)

    def finish(self, final_name: str) -> None:
        if self.handle is not None and self.path and self.directory:
            self.handle.close()
            os.replace(self.path, os.path.join(self.directory, final_name))

    def abort(self) -> None:
        if self.handle is not None and self.path:
            self.handle.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass


def _basic_user(header: str) -> Optional[Tuple[str, str]]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, _, password = base64.b64decode(token.strip()).decode("utf-8", "replace").partition(":")
    except (binascii.Error, ValueError):
        return None
    return user, password


def _answer(start_response: Callable, status: str, body: Dict[str, Any],
            extra: Iterable[Tuple[str, str]] = ()) -> List[bytes]:
    data = (json.dumps(body) + "\n").encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *extra])
    return [data]


def _drain(stream: BinaryIO, length: int) -> None:
    while length > 0:
        chunk = stream.read(min(CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)


class UploadApp:
    """The WSGI application; one instance per target."""

    def __init__(self, settings: TargetSettings, tracker: Tracker) -> None:
        self.settings = settings
        self.tracker = tracker
        self.uuid_key = "HTTP_" + settings.uuid_header.upper().replace("-", "_")

    def __call__(self, environ: Dict[str, Any], start_response: Callable) -> List[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if method in ("GET", "HEAD"):
            return _answer(start_response, "200 OK", {"service": "fth-target", "path": path})
        if method not in ("POST", "PUT"):
            return _answer(start_response, "405 Method Not Allowed", {"error": "POST or PUT a file"},
                           [("Allow", "GET, POST, PUT")])
        started = now()
        stream = environ["wsgi.input"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        username, denied = self._user(environ)
        if denied:
            self.tracker.reject()
            _drain(stream, length)
            return _answer(start_response, "401 Unauthorized", {"error": "wrong password"},
                           [("WWW-Authenticate", 'Basic realm="fth-target"')])
        if not self.tracker.admit():
            _drain(stream, length)
            return _answer(start_response, "503 Service Unavailable", {"error": "over capacity"},
                           [("Retry-After", "1")])
        upload = UploadFile(self.settings.upload_dir)
        try:
            filename, form = self._receive(environ, stream, length, upload)
        except (MultipartError, OSError) as exc:
            upload.abort()
            self.tracker.reject()
            log.info("bad upload from %s to %s: %s", username, path, exc)
            return _answer(start_response, "400 Bad Request", {"error": str(exc)})
        except BaseException:
            upload.abort()
            raise
        transaction = (environ.get(self.uuid_key) or form.get("uuid") or "").strip() or str(uuidlib.uuid4())
        if not filename:
            filename = unquote(environ.get("HTTP_X_FILENAME", "")) or unquote(path.rstrip("/").rsplit("/", 1)[-1])
        filename = filename or transaction
        upload.finish(f"{safe_name(transaction)}_{safe_name(filename)}")
        self.tracker.arrived(Arrival(transaction, username, filename, upload.size, started, now(), "http"))
        return _answer(start_response, "201 Created", {"uuid": transaction, "bytes": upload.size})

    def _user(self, environ: Dict[str, Any]) -> Tuple[str, bool]:
        """(username, denied)."""
        basic = _basic_user(environ.get("HTTP_AUTHORIZATION", ""))
        if basic is not None:
            user, password = basic
            if self.settings.password is not None and password != self.settings.password:
                return user or "anonymous", True
            return user or "anonymous", False
        if self.settings.password is not None:
            return "anonymous", True
        return (environ.get("HTTP_X_USERNAME") or "").strip() or "anonymous", False

    def _receive(self, environ: Dict[str, Any], stream: BinaryIO, length: int,
                 upload: UploadFile) -> Tuple[str, Dict[str, str]]:
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.lower().startswith("multipart/form-data"):
            boundary = boundary_of(content_type)
            if not boundary:
                raise MultipartError("multipart/form-data without a boundary")
            reader = FormReader(stream, length, boundary, upload.write)
            reader.parse()
            return reader.filename or "", reader.fields
        left = length
        while left > 0:
            chunk = stream.read(min(CHUNK, left))
            if not chunk:
                raise MultipartError(f"the body ended after {length - left} of {length} bytes")
            left -= len(chunk)
            upload.write(chunk)
        return "", {}


def make_http_server(settings: TargetSettings, tracker: Tracker) -> WSGIServer:
    """A started-later server bound to ``settings.http`` (HTTPS with tls_cert/tls_key)."""
    assert settings.http is not None
    tls: Dict[str, Any] = {}
    if settings.tls_cert and settings.tls_key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
        tls = {"ssl_context": context}
    return WSGIServer(listen(*settings.http), UploadApp(settings, tracker), log=None, error_log=_ErrorLog(), **tls)


class _ErrorLog:
    """pywsgi's error log as debug lines (client resets are the load's business, not the target's)."""

    def write(self, text: str) -> None:
        if text.strip():
            log.debug("http: %s", text.rstrip())

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass
