"""HTTP(S) uploads: the part every HTTP client shares, and the requests client.

:class:`HttpUpload` renders the templates of a transfer, streams the body from
disk (raw or multipart, always with a Content-Length) and judges the answer
against ``expect_status``; a client subclass only performs the exchange and
classifies its own exceptions. :class:`HttpTransport` is the default client, on
requests; ``client: fast`` selects :mod:`fth.protocols.fasthttp`.
"""

import base64
import io
import logging
import os
from typing import Any, BinaryIO, Dict, Optional, Tuple, Union
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
from requests.structures import CaseInsensitiveDict

from fth import faults
from fth.config.model import HttpJobConfig
from fth.protocols.base import (
    TransferDeadline,
    TransferRequest,
    TransferResult,
    close_fd,
    open_regular,
    transfer_deadline,
)
from fth.protocols.multipart import MultipartStream
from fth.templates import compile_template, header_escape, url_escape

log = logging.getLogger(__name__)

# A body up to this size is read in one go and its file closed before the request, so
# thousands of transfers waiting on a slow server do not each hold a file descriptor.
SMALL_BODY = 64 * 1024
# The answer's body is read and dropped in chunks of this size (never held whole).
ANSWER_CHUNK = 64 * 1024
def _open_body(path: str) -> Tuple[Union[bytes, BinaryIO], int]:
    """(the bytes of a small file, or the open file to stream, size).

    Small files take five system calls (open, fstat, fcntl, read, close) and no file object.
    """
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > SMALL_BODY:
            return os.fdopen(fd, "rb"), size
        data = os.read(fd, size) if size else b""  # short only if the file shrank meanwhile
    except BaseException:
        close_fd(fd)
        raise
    close_fd(fd)
    return data, len(data)


class HttpUpload:
    """Templates, body and verdict of an HTTP upload; subclasses implement :meth:`exchange`."""

    def __init__(self, job: HttpJobConfig):
        self.job = job
        self.auth_header = _basic_auth(job.username, job.password) if job.password is not None else None
        self.url = compile_template(job.url, url_escape)
        self.headers = {name: compile_template(value, header_escape) for name, value in job.headers.items()}
        self.form = {name: compile_template(value) for name, value in job.form.items()}
        self.remote_name = compile_template(job.remote_name)
        self.expect = set(job.expect_status)
        parts = urlsplit(job.url)
        self.where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        # the whole exchange (connect, send the file, read the answer) ends within this
        self.deadline = job.connect_timeout + job.timeout
        if not job.verify:
            _warn_unverified(job.name)

    def exchange(self, url: str, headers: Dict[str, str], body: Any) -> Tuple[int, str]:
        """Send the request; return (status, reason). Raise the client's own exceptions."""
        raise NotImplementedError

    def classify(self, exc: Exception) -> Optional[Tuple[str, str]]:
        """(fault kind, cause) for an exception of :meth:`exchange`, or None if it is not the client's."""
        raise NotImplementedError

    def send(self, request: TransferRequest) -> TransferResult:
        values = request.values
        remote_name = self.remote_name(values)
        try:
            content, size = _open_body(request.path)
        except OSError as exc:
            return TransferResult(ok=False, fault=faults.LOCAL_FILE, remote_name=remote_name,
                                  detail=f"cannot read {request.path}: {exc.strerror or exc}")
        try:
            headers: Dict[str, str] = {name: render(values) for name, render in self.headers.items()}
            if self.auth_header:
                headers["Authorization"] = self.auth_header
            if self.job.body == "multipart":
                file = io.BytesIO(content) if isinstance(content, bytes) else content
                body: Any = MultipartStream(file, size, self.job.field_name, remote_name,
                                            {name: render(values) for name, render in self.form.items()})
                headers.setdefault("Content-Type", body.content_type)
                headers["Content-Length"] = str(len(body))
            else:
                body = content
                headers.setdefault("Content-Type", "application/octet-stream")
                headers["Content-Length"] = str(size)
            status, reason = self._exchange_within_deadline(self.url(values), headers, body)
        except Exception as exc:  # every failure of the exchange becomes a counted fault
            found = (faults.READ_TIMEOUT, str(exc)) if isinstance(exc, TransferDeadline) else self.classify(exc)
            if found is None:
                if not isinstance(exc, OSError):
                    raise
                found = faults.LOCAL_FILE, f"reading {request.path}: {exc.strerror or exc}"
            return TransferResult(ok=False, fault=found[0], remote_name=remote_name,
                                  detail=f"{self.job.method} {self.where}: {found[1]}")
        finally:
            if not isinstance(content, bytes):
                content.close()
        if status in self.expect if self.expect else 200 <= status < 300:
            return TransferResult(ok=True, bytes_sent=size, remote_name=remote_name, status=status)
        return TransferResult(ok=False, fault=f"http_{status}", status=status, remote_name=remote_name,
                              detail=f"{self.job.method} {self.where} answered {status} "
                                                    f"{reason or ''}".rstrip())

    def _exchange_within_deadline(self, url: str, headers: Dict[str, str], body: Any) -> Tuple[int, str]:
        try:
            with transfer_deadline(self.deadline):
                return self.exchange(url, headers, body)
        except BaseException:  # cut short (the deadline, the stop timeout): the connection is out of step
            self.close()  # the next exchange connects afresh
            raise


class HttpTransport(HttpUpload):
    """requests, through its adapter directly.

    ``Session.request`` merges environment, cookies, hooks and settings on every
    call; all of that is fixed for a job, so it is resolved once here and each
    transfer only builds a prepared request (-20 % CPU per file against
    ``session.post``). ``trust_env`` would re-read proxy settings per request
    (26-58 % slower); the proxies for the URL are resolved once instead.
    """

    def __init__(self, job: HttpJobConfig):
        super().__init__(job)
        self.proxies = requests.utils.get_environ_proxies(job.url.split("{", 1)[0])
        self.adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        self.verify = job.ca_file if (job.verify and job.ca_file) else job.verify
        self.cert = (job.cert_file, job.key_file) if job.key_file else job.cert_file
        self.timeout: Tuple[float, float] = (job.connect_timeout, job.timeout)
        self.base_headers = CaseInsensitiveDict(requests.utils.default_headers())
        self.fixed_url = None if "{" in job.url.replace("{{", "") else self._prepared_url(job.url)

    @staticmethod
    def _prepared_url(url: str) -> str:
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(url, None)
        return prepared.url

    def exchange(self, url: str, headers: Dict[str, str], body: Any) -> Tuple[int, str]:
        prepared = requests.models.PreparedRequest()
        prepared.method = self.job.method
        prepared.url = self.fixed_url or self._prepared_url(url)
        merged = self.base_headers.copy()
        merged.update(headers)
        prepared.headers = merged
        prepared.body = body
        prepared.hooks = {"response": []}
        prepared._cookies = None
        response = self.adapter.send(prepared, stream=True, timeout=self.timeout, verify=self.verify,
                                     cert=self.cert, proxies=self.proxies)
        try:
            # the transfer ends when the whole answer has arrived; it is dropped as it comes
            for _ in response.iter_content(ANSWER_CHUNK):
                pass
        finally:
            response.close()
        return response.status_code, response.reason

    def classify(self, exc: Exception) -> Optional[Tuple[str, str]]:
        return classify_request_error(exc) if isinstance(exc, requests.RequestException) else None

    def close(self) -> None:
        self.adapter.close()  # its pools are emptied; a later send opens a new connection


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


_UNVERIFIED_WARNED = set()


def _warn_unverified(job_name: str) -> None:
    """verify: false is a choice, made once in the config: say so once, not per request."""
    if job_name not in _UNVERIFIED_WARNED:
        _UNVERIFIED_WARNED.add(job_name)
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        log.warning("job %s: verify is false: the server's certificate is not checked", job_name)


def classify_request_error(exc: requests.RequestException) -> Tuple[str, str]:
    """(fault kind, cause) for an exception raised by requests."""
    if isinstance(exc, requests.exceptions.SSLError):
        return faults.TLS, innermost_text(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return faults.CONNECT_TIMEOUT, "timed out connecting"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return faults.READ_TIMEOUT, "timed out waiting for the response"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader)):
        return faults.PROTOCOL, str(exc)
    chain = list(causes(exc))
    if any(type(cause).__name__ == "ReadTimeoutError" for cause in chain):
        return faults.READ_TIMEOUT, "timed out reading the response"
    connecting = not isinstance(exc, requests.exceptions.ChunkedEncodingError)
    # urllib3 wraps what http.client could not parse in a ProtocolError, which is no reset
    not_http = next((_NOT_HTTP[name] for name in (type(cause).__name__ for cause in chain) if name in _NOT_HTTP), None)
    for cause in chain:
        found = faults.classify_os_error(cause, connecting=connecting)
        if found:
            return found
        name = type(cause).__name__
        if name == "NameResolutionError":
            return faults.DNS, "name resolution failed"
        if not_http is not None:
            return faults.PROTOCOL, not_http
        if name in ("RemoteDisconnected", "ProtocolError", "IncompleteRead"):
            return faults.RESET, "the server closed the connection without a complete response"
    return faults.UNEXPECTED, innermost_text(exc)


# What http.client and urllib3 raise for an answer they cannot read as HTTP (RemoteDisconnected, a
# BadStatusLine for an empty answer, is a reset: its name is not here), in the words of fth's own client
_NOT_HTTP = {
    "BadStatusLine": "the answer was not HTTP",
    "UnknownProtocol": "the answer was not HTTP",
    "LineTooLong": "the answer's head is too large: not HTTP?",
    "HTTPException": "the answer's head is too large: not HTTP?",  # http.client: "got more than 100 headers"
    "InvalidChunkLength": "the answer has a bad chunk size",
}


def causes(exc: BaseException):
    """The exception, its causes and contexts, and exceptions held in args (urllib3 wraps them)."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        stack.extend(item for item in linked if isinstance(item, BaseException))


def innermost_text(exc: BaseException) -> str:
    last: Optional[BaseException] = None
    for last in causes(exc):  # noqa: B007 - we want the deepest
        pass
    text = str(last or exc)
    return text if len(text) < 200 else text[:197] + "..."
