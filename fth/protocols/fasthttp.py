"""``client: fast``: HTTP(S) uploads on geventhttpclient, several times requests' files/s per core.

An optional dependency (``pip install 'file-transfer-harness[fast]'``). One
connection per transport, kept alive; the scheme, host and port of the URL are
fixed for a job (templates may vary the path and query).
"""

import socket
import ssl
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from fth import faults
from fth.config.model import HttpJobConfig
from fth.errors import UsageError
from fth.protocols.http import HttpUpload

try:
    from geventhttpclient import HTTPClient
    from geventhttpclient.response import HTTPConnectionClosed, HTTPParseError
except ImportError:  # pragma: no cover - exercised where the extra is missing
    HTTPClient = None


class FastHttpTransport(HttpUpload):
    def __init__(self, job: HttpJobConfig):
        if HTTPClient is None:
            raise UsageError(f"job {job.name}: client: fast needs geventhttpclient",
                             hint="pip install 'file-transfer-harness[fast]', or use client: requests")
        super().__init__(job)
        parts = urlsplit(job.url)
        self.https = parts.scheme.lower() == "https"
        self.client = HTTPClient(
            parts.hostname, parts.port or (443 if self.https else 80),
            connection_timeout=job.connect_timeout, network_timeout=job.timeout, concurrency=1,
            ssl=self.https, ssl_context_factory=self._ssl_context if self.https else None,
            insecure=not job.verify, headers={"User-Agent": "fth"}, block_size=65536,
        )
        self._origin_length = len(f"{parts.scheme}://{parts.netloc}")

    def _ssl_context(self, *args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.job.ca_file)
        if not self.job.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.job.cert_file:
            context.load_cert_chain(self.job.cert_file, self.job.key_file)
        return context

    def exchange(self, url: str, headers: Dict[str, str], body: Any) -> Tuple[int, str]:
        response = self.client.request(self.job.method, url[self._origin_length:] or "/", body=body,
                                       headers=headers)
        try:
            response.read()
        finally:
            response.release()
        return response.status_code, getattr(response, "status_message", "") or ""

    def classify(self, exc: Exception) -> Optional[Tuple[str, str]]:
        if isinstance(exc, ssl.SSLError):
            return faults.TLS, getattr(exc, "reason", None) or str(exc)
        if isinstance(exc, (HTTPConnectionClosed, HTTPParseError)):
            return faults.RESET, "the server closed the connection without a complete response"
        if isinstance(exc, socket.timeout):
            return faults.READ_TIMEOUT, "timed out"
        return faults.classify_os_error(exc)

    def close(self) -> None:
        self.client.close()
