"""The JSON API and pages through Flask's test client: mock data, example rows, bad input, live run."""

import re

import pytest

from fth_web.settings import Features, WebSettings
from fth_web.sources.base import STATUSES


def test_every_page_renders(client):
    for url in ("/", "/reports/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<!doctype html>" in response.data


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"There is no page at this address" in response.data
    assert b"Traceback" not in response.data


def test_monitor_page_embeds_layout_config(client):
    html = client.get("/").get_data(as_text=True)
    assert 'id="fth-config"' in html
    for label in ("Username", "File name", "File size", "Ingress time", "Egress time", "Transit", "Status"):
        assert f">{label}</th>" in html
    assert 'value="3" selected' in html  # dashboard default refresh 3 s
    assert 'value="50" selected' in html  # dashboard default 50 rows


def test_page_references_nothing_outside_the_server(client):
    pages = [client.get(url).get_data(as_text=True) for url in ("/", "/reports/", "/admin/")]
    assets = []
    for path in ("/static/css/fth.css", "/static/js/monitor.js", "/static/img/favicon.svg"):
        with client.get(path) as response:
            assert response.status_code == 200
            assets.append(response.get_data(as_text=True))
    for text in pages + assets:
        urls = re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}", text)
        assert [u for u in urls if "www.w3.org" not in u] == []


def test_mock_transactions_cover_every_status(client):
    data = client.get("/api/transactions?limit=200").get_json()
    assert data["source"] == "mock" and data["examples"] is False
    assert data["count"] == 200
    assert set(STATUSES["dashboard"]) <= {row["status"] for row in data["rows"]}
    times = [row["ingress_time"] for row in data["rows"]]
    assert times == sorted(times, reverse=True)


def test_filters_apply(client):
    rows = client.get("/api/transactions?limit=200&status=complete").get_json()["rows"]
    assert rows and {row["status"] for row in rows} == {"COMPLETE"}
    user = rows[0]["username"]
    rows = client.get("/api/transactions", query_string={"limit": 200, "username": user}).get_json()["rows"]
    assert rows and {row["username"] for row in rows} == {user}


@pytest.mark.parametrize("query, message", [
    ("limit=0", "limit must be between 1 and 200"),
    ("limit=201", "limit must be between 1 and 200"),
    ("limit=abc", "limit must be a whole number"),
    ("status=LOST", "status must be one of"),
    ("username=" + "x" * 256, "username must be at most 255"),
])
def test_transactions_reject_bad_parameters(client, query, message):
    response = client.get("/api/transactions?" + query)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("window, ok", [("10", True), ("30", True), ("60", True), ("15", False), ("x", False)])
def test_panel_windows(client, window, ok):
    response = client.get(f"/api/panels?window={window}")
    assert (response.status_code == 200) is ok
    if ok:
        stages = response.get_json()["stages"]
        assert [stage["key"] for stage in stages] == ["ingress", "cd", "egress"]
        labels = [f["label"] for stage in stages for f in stage["figures"]]
        assert labels == ["Bad request", "CD unavailable", "Submitted", "Complete", "EP unavailable",
                          "Data rate", "Transactions/s"]
        for figure in (f for stage in stages for f in stage["figures"]):
            assert figure["value"] == round(figure["value"], 1)


def test_status_and_usernames(client):
    status = client.get("/api/status").get_json()
    assert status["healthy"] is True and status["connections"][0]["state"] == "up"
    names = client.get("/api/usernames").get_json()["usernames"]
    assert names == sorted(names) and len(names) >= 2


def test_filtering_can_be_switched_off(make_app):
    app = make_app(WebSettings(mock=True, cache_s=0, features=Features(filtering=False, sorting=False, copy=False)))
    client = app.test_client()
    assert client.get("/api/transactions?status=COMPLETE").status_code == 400
    html = client.get("/").get_data(as_text=True)
    assert 'id="f-username"' not in html and "sortable" not in html and "Copy the whole record" not in html


def test_examples_without_database_or_mock(make_app):
    client = make_app(WebSettings(cache_s=0)).test_client()
    data = client.get("/api/transactions").get_json()
    assert data["examples"] is True and data["source"] == "example"
    assert 1 <= len(data["rows"]) <= 3
    assert all(row["example"] for row in data["rows"])
    assert all("EXAMPLE" in row["file_name"] for row in data["rows"])
    assert "example" in data["notice"].lower()
    status = client.get("/api/status").get_json()
    assert status["connections"][0]["state"] == "unconfigured" and status["healthy"] is False
    assert client.get("/api/panels").get_json()["examples"] is True
    assert b"Example data" in client.get("/").data


def test_examples_in_pair_layout(make_app):
    client = make_app(WebSettings(layout="pair", cache_s=0)).test_client()
    data = client.get("/api/transactions").get_json()
    assert data["examples"] is True and 1 <= len(data["rows"]) <= 3
    assert {"uuid", "username", "filename", "start", "end", "duration_s", "ingress_status", "status"} <= set(
        data["rows"][0])
    assert [c["name"] for c in client.get("/api/status").get_json()["connections"]] == ["ingress", "egress"]


def test_pair_mock_uses_pair_vocabulary(make_app):
    client = make_app(WebSettings(layout="pair", mock=True, mock_rate=20, cache_s=0)).test_client()
    rows = client.get("/api/transactions?limit=1000").get_json()["rows"]
    assert {row["status"] for row in rows} == set(STATUSES["pair"])
    assert client.get("/api/transactions?limit=1001").status_code == 400
    stages = client.get("/api/panels?window=60").get_json()["stages"]
    assert [s["title"] for s in stages] == ["Ingress", "In flight", "Egress"]


def test_live_panel(make_app):
    figures = {"elapsed_s": 12.5, "jobs": [{"name": "orders-http", "protocol": "http", "target_rate_per_s": 2.0,
                                            "achieved_rate_per_s": 1.9, "succeeded": 20, "failed": 1,
                                            "p95_ms": 41.2, "in_flight": 1}]}
    app = make_app(WebSettings(mock=True, cache_s=0), live_provider=lambda: figures)
    client = app.test_client()
    assert client.get("/api/live").get_json()["jobs"][0]["name"] == "orders-http"
    assert b'id="live-panel"' in client.get("/").data


def test_live_panel_absent_and_failing(make_app):
    client = make_app(WebSettings(mock=True, cache_s=0)).test_client()
    assert client.get("/api/live").status_code == 404
    assert b'id="live-panel"' not in client.get("/").data

    def broken():
        raise RuntimeError("engine gone")

    client = make_app(WebSettings(mock=True, cache_s=0), live_provider=broken).test_client()
    response = client.get("/api/live")
    assert response.status_code == 503 and "RuntimeError" in response.get_json()["error"]


@pytest.mark.parametrize("cache_s, computations", [(3600, 1), (0, 2)])
def test_cache_serves_one_computation_per_interval(make_app, cache_s, computations):
    app = make_app(WebSettings(mock=True, mock_rate=50, cache_s=cache_s))
    inner = app.extensions["fth_web"].source.inner
    calls = []
    original = inner.recent

    def counting_recent(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    inner.recent = counting_recent
    client = app.test_client()
    first = client.get("/api/transactions").get_json()["rows"]
    second = client.get("/api/transactions").get_json()["rows"]
    assert len(calls) == computations
    if computations == 1:
        assert first == second


def test_html_in_data_is_escaped_in_pages(make_app):
    from fth_web.sources.memory import MemorySource

    class Evil(MemorySource):
        kind = "database"

        def connections(self):
            return []

        def usernames(self):
            return ["<script>alert(1)</script>"]

    app = make_app(WebSettings(cache_s=0), source=Evil("dashboard"))
    html = app.test_client().get("/reports/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_mock_banner_and_transactions_per_second_agree(make_app):
    """The banner said "5 generated transactions per second" beside TRANSACTIONS/S 3.0: the figure counts
    COMPLETE and EP_UNAVAILABLE only (seed 002), the generator every status. Both now come from the panel's
    counts: the figure and, in its hint, the rate of every status, which is the generator's rate."""
    client = make_app(WebSettings(mock=True, mock_rate=5.0, cache_s=0.0)).test_client()
    notice = client.get("/api/transactions").get_json()["notice"]
    egress = client.get("/api/panels?window=10").get_json()["stages"][2]
    figure = next(f for f in egress["figures"] if f["label"] == "Transactions/s")
    every = float(figure["hint"].split("; ")[1].split("/s")[0])
    assert 4.9 <= every <= 5.1  # the same counts, every status: the generator's 5/s
    assert figure["value"] < every and "every status" in figure["hint"]
    assert "5/s" in notice and "COMPLETE and EP_UNAVAILABLE only" in notice
    assert "generated transactions per second" not in notice
