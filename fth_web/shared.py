"""Polled JSON answers repeated as bytes for the rest of their cache interval, without going through Flask.

Every open monitor page polls the same few URLs, and within one cache interval the
app gives all of them the same answer (the JSON body is computed once per interval,
:meth:`fth_web.sources.CachedSource.cached_at`). Building that answer through Flask
(request context, session, routing, argument checks, after-request headers) cost about
0.5 ms of CPU per request, so 50 pollers per endpoint queued for a core. The view marks
such an answer as shared (:func:`share`, with the time its body was computed);
:class:`SharedAnswers`, a WSGI middleware, keeps the exact status line, headers and body
the app produced and answers the next GETs of the same path and query string with them
until the body's interval ends (or the cache is invalidated). Anything else, and every
request with the cache off, goes to the app as before.
"""

from typing import Any, Callable, Iterable, List, Optional, Tuple

from flask import request

from fth_web.sources import CachedSource

_SHARED_AT = "fth_web.shared_at"  # environ key: the monotonic time the answer's body was computed

Answer = Tuple[str, List[Tuple[str, str]], bytes]


def share(at: float) -> None:
    """Mark the current request's answer as the same for every GET of its URL until ``at`` + the cache interval."""
    request.environ[_SHARED_AT] = at


class SharedAnswers:
    """WSGI middleware in front of the Flask app (``app.wsgi_app = SharedAnswers(app.wsgi_app, cache)``)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], cache: CachedSource) -> None:
        self.app = app
        self.cache = cache

    def __call__(self, environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or self.cache.ttl <= 0:
            return self.app(environ, start_response)
        key = ("wsgi", environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        answer: Optional[Answer] = self.cache.peek(key)
        if answer is not None:
            status, headers, body = answer
            start_response(status, list(headers))
            return [body]
        began: List[Any] = []

        def remember(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            began[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, remember)
        at = environ.get(_SHARED_AT)
        if at is None:
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if began and began[0].startswith("200 "):
            self.cache.put(key, (began[0], began[1], body), at)
        return [body]
