"""Polled JSON answers repeated as bytes within their cache interval (fth_web.shared): exactly the status line,
headers and body Flask makes for that URL, without running Flask again; never for errors, other methods, other
URLs, or with the cache off."""

import time
from typing import Any, List

import pytest
from flask import request
from werkzeug.test import Client

from fth_web.settings import WebSettings

POLLED = ["/api/transactions?limit=5", "/api/transactions?limit=5&status=FAILED", "/api/panels?window=10",
          "/api/panels?window=60", "/api/status"]


def dispatched(app: Any) -> List[str]:
    """The requests that reached Flask (its request context and views), in order."""
    seen: List[str] = []
    app.before_request(lambda: seen.append(request.full_path.rstrip("?")))
    return seen


def answer(response: Any) -> Any:
    return response.status, list(response.headers), response.get_data()


@pytest.mark.parametrize("url", POLLED)
def test_repeated_answers_are_the_bytes_flask_makes(make_app, url):
    app = make_app(WebSettings(layout="pair", mock=True, cache_s=3600))
    seen = dispatched(app)
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200 and first.get_json()["generated_at"]
    repeats = [client.get(url) for _ in range(5)]
    unoptimised = Client(app.wsgi_app.app).get(url)  # Flask's own WSGI app, under the shared answers
    assert seen == [url, url]  # the first request and the unoptimised one: the repeats never reached Flask
    for response in [*repeats, unoptimised]:
        assert answer(response) == answer(first)
    assert first.headers["Content-Security-Policy"] and first.headers["X-Content-Type-Options"] == "nosniff"


def test_each_url_has_its_own_answer_until_the_interval_ends(make_app):
    app = make_app(WebSettings(layout="pair", mock=True, cache_s=0.3))
    seen = dispatched(app)
    client = app.test_client()
    small, large = client.get("/api/transactions?limit=2"), client.get("/api/transactions?limit=3")
    assert (small.get_json()["count"], large.get_json()["count"]) == (2, 3)
    assert client.get("/api/transactions?limit=2").get_data() == small.get_data()
    assert len(seen) == 2
    time.sleep(0.4)  # the interval ends: the next request is made afresh
    later = client.get("/api/transactions?limit=2")
    assert len(seen) == 3 and later.get_json()["generated_at"] != small.get_json()["generated_at"]


def test_errors_other_methods_and_the_cache_off_always_reach_flask(make_app):
    app = make_app(WebSettings(layout="pair", mock=True, cache_s=3600))
    seen = dispatched(app)
    client = app.test_client()
    for _ in range(2):
        response = client.get("/api/transactions?limit=0")
        assert response.status_code == 400 and "limit" in response.get_json()["error"]
        assert client.head("/api/panels?window=10").status_code == 200
    assert len(seen) == 4

    off = make_app(WebSettings(layout="pair", mock=True, cache_s=0))
    seen = dispatched(off)
    client = off.test_client()
    stamps = {client.get("/api/status").get_json()["generated_at"] for _ in range(3)}
    assert len(seen) == 3 and stamps
