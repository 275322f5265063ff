"""``client: fast``: HTTP(S) uploads over :mod:`fth.protocols.rawhttp`, several times requests' files/s per core.

One kept-alive connection per transport. The scheme, host and port of the URL are
fixed for a job (templates may vary the path and query); proxies are not used.
"""

import ssl
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from requests.utils import requote_uri

from fth import __version__
from fth.config.model import HttpJobConfig
from fth.protocols.http import HttpUpload
from fth.protocols.rawhttp import HttpFault, RawHttpConnection


class FastHttpTransport(HttpUpload):
    def __init__(self, job: HttpJobConfig):
        super().__init__(job)
        self.fixed_url = None if "{" in job.url.replace("{{", "") else job.url
        parts = urlsplit(job.url)
        https = parts.scheme.lower() == "https"
        port = parts.port or (443 if https else 80)
        self.connection = RawHttpConnection(parts.hostname or "", port, tls=self._tls_context() if https else None,
                                            connect_timeout=job.connect_timeout, timeout=job.timeout)
        default_port = port == (443 if https else 80)
        host_header = parts.hostname if default_port else f"{parts.hostname}:{port}"
        if parts.hostname and ":" in parts.hostname:  # IPv6 literal
            host_header = f"[{parts.hostname}]" + ("" if default_port else f":{port}")
        self.fixed_head = f"Host: {host_header}\r\nUser-Agent: fth/{__version__}\r\nAccept: */*\r\n"
        self.request_line = f"{job.method} {{}} HTTP/1.1\r\n"
        self._origin_length = len(f"{parts.scheme}://{parts.netloc}")
        self.fixed_target = None if self.fixed_url is None else self._target(job.url)

    def _target(self, url: str) -> str:
        return requote_uri(url[self._origin_length:]) or "/"

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.job.ca_file)
        if not self.job.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.job.cert_file:
            context.load_cert_chain(self.job.cert_file, self.job.key_file)
        return context

    def exchange(self, url: str, headers: Dict[str, str], body: Any) -> Tuple[int, str]:
        target = self.fixed_target or self._target(url)
        head = "".join([self.request_line.format(target), self.fixed_head,
                        *(f"{name}: {value}\r\n" for name, value in headers.items()), "\r\n"])
        return self.connection.request(head.encode("latin-1"), body)

    def classify(self, exc: Exception) -> Optional[Tuple[str, str]]:
        return (exc.kind, exc.cause) if isinstance(exc, HttpFault) else None

    def close(self) -> None:
        self.connection.close()
