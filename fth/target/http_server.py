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
import hashlib
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
from fth.target.multipart import FormReader, MultipartError, boundary_of, read_body
from fth.target.records import Arrival, now
from fth.target.settings import TargetSettings
from fth.target.tracker import Tracker

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


NAME_PART = 100  # characters of each of a stored file's two names (the whole under the 255 bytes of a file name)


def safe_name(name: str) -> str:
    """A file name that stays inside the upload directory."""
    base = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/"))).strip(" .")
    return base[:NAME_PART] or "upload"


def stored_name(transaction: str, filename: str) -> str:
    """The upload's file name, ``<transaction>_<filename>``: each part as it is when it is a short plain name,
    else made safe (:func:`safe_name`) and followed by ``-`` and a hash of the original, so that two
    transactions, or two names, never share a file (``a:b`` and ``a;b``, ``..`` and ``/``), and the name fits
    any file system (at most 2 x 109 + 1 ASCII characters). A ``_`` in the transaction is hashed as well: it
    would make ``a_b`` + ``c`` and ``a`` + ``b_c`` one name."""
    parts = []
    for part, plain in ((transaction, "_" not in transaction), (filename, True)):
        safe = safe_name(part)
        if not (plain and safe == part):
            safe += "-" + hashlib.sha256(part.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        parts.append(safe)
    return "_".join(parts)


def header_text(environ: Dict[str, Any], key: str) -> str:
    """A request header's text: its bytes read as UTF-8 (a WSGI server gives them as latin-1 characters), then
    percent-decoded, as fth's client encodes values (:func:`fth.templates.header_escape`)."""
    return unquote(_wsgi_text(environ.get(key, "")))


def _wsgi_text(value: str) -> str:
    """A WSGI string (bytes as latin-1 characters, PEP 3333) as the UTF-8 text it carries."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # already text
        return value


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


def body_length(environ: Dict[str, Any]) -> Optional[int]:
    """The request body's length; None for a chunked body (its end is its last chunk: Transfer-Encoding decides
    over a Content-Length, RFC 9112 6.3)."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _drain(stream: BinaryIO, length: Optional[int]) -> None:
    try:
        for _chunk in read_body(stream, length):
            pass
    except MultipartError:
        pass


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
        length = body_length(environ)
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
        transaction = (header_text(environ, self.uuid_key) or form.get("uuid") or "").strip() or str(uuidlib.uuid4())
        if not filename:  # PATH_INFO comes percent-decoded
            filename = header_text(environ, "HTTP_X_FILENAME") or _wsgi_text(path).rstrip("/").rsplit("/", 1)[-1]
        filename = filename or transaction
        try:
            upload.finish(stored_name(transaction, filename))
        except OSError as exc:
            upload.abort()
            self.tracker.reject()
            log.warning("could not store the upload %s from %s: %s", transaction, username, exc)
            return _answer(start_response, "500 Internal Server Error", {"error": f"could not store the upload: {exc}"})
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
        return header_text(environ, "HTTP_X_USERNAME").strip() or "anonymous", False

    def _receive(self, environ: Dict[str, Any], stream: BinaryIO, length: Optional[int],
                 upload: UploadFile) -> Tuple[str, Dict[str, str]]:
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.lower().startswith("multipart/form-data"):
            boundary = boundary_of(content_type)
            if not boundary:
                raise MultipartError("multipart/form-data without a boundary")
            reader = FormReader(read_body(stream, length), boundary, upload.write)
            reader.parse()
            return reader.filename or "", reader.fields
        for chunk in read_body(stream, length):
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
    return _IdleClosingServer(listen(*settings.http), UploadApp(settings, tracker), log=None, error_log=_ErrorLog(),
                              idle_timeout=settings.idle_timeout, **tls)


class _IdleClosingServer(WSGIServer):
    """pywsgi's server with a read timeout on every connection, from its accept (so a TLS handshake has it too):
    a client that stalls mid-upload, or keeps a connection open saying nothing, is let go after ``idle_timeout``
    seconds instead of holding a connection, a greenlet and a partial upload for as long as it likes. A stalled
    upload ends as a bad upload (400: its partial file removed, counted as rejected); a silent connection is
    closed."""

    def __init__(self, *args: Any, idle_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_timeout = idle_timeout

    def do_read(self) -> Any:
        accepted = super().do_read()
        if accepted:
            accepted[0].settimeout(self.idle_timeout)
        return accepted


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
