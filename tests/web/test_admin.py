"""Admin: clearing the dashboard table is off by default, needs POST + CSRF + typed confirmation."""

import logging
import re

import pytest

from fth_web.settings import Features, WebSettings


def token(client) -> str:
    html = client.get("/admin/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_disabled_by_default(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": 1, "status": "COMPLETE", "transit_s": 1}])
    client = make_app(dashboard_table.settings()).test_client()
    html = client.get("/admin/").get_data(as_text=True)
    assert "disabled" in html and 'name="confirm"' not in html
    response = client.post("/admin/clear", data={"confirm": "CLEAR"})
    assert response.status_code == 403
    assert dashboard_table.count() == 1


def test_get_is_not_allowed(client):
    assert client.get("/admin/clear").status_code == 405


def test_refused_without_csrf_or_confirmation(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": 1, "status": "COMPLETE", "transit_s": 1}] * 3)
    client = make_app(dashboard_table.settings(features=Features(admin=True))).test_client()
    good = token(client)
    for data in ({"confirm": "CLEAR"}, {"confirm": "CLEAR", "csrf_token": "forged"},
                 {"confirm": "clear", "csrf_token": good}, {"csrf_token": good}):
        response = client.post("/admin/clear", data=data)
        assert response.status_code == 400, data
        assert 'id="admin-error"' in response.get_data(as_text=True)
    other = make_app(dashboard_table.settings(features=Features(admin=True))).test_client()
    assert other.post("/admin/clear", data={"confirm": "CLEAR", "csrf_token": good}).status_code == 400
    assert dashboard_table.count() == 3


@pytest.mark.parametrize("cache_s", [0.0, 3600.0])  # with the cache on, the answers after a clear are made afresh
def test_clear_removes_exactly_the_rows_it_reports(dashboard_table, make_app, caplog, cache_s):
    dashboard_table.insert([{"age_s": i, "status": "SUBMITTED"} for i in range(17)])
    client = make_app(dashboard_table.settings(features=Features(admin=True), cache_s=cache_s)).test_client()
    assert len(client.get("/api/transactions").get_json()["rows"]) == 17
    assert client.get("/api/panels").get_json()["stages"][1]["figures"][0]["value"] == 17
    with caplog.at_level(logging.WARNING, logger="fth_web.views.admin"):
        response = client.post("/admin/clear", data={"confirm": "CLEAR", "csrf_token": token(client)})
    assert response.status_code == 200
    removed = int(re.search(r'id="rows-removed">(\d+)<', response.get_data(as_text=True)).group(1))
    assert removed == 17 and dashboard_table.count() == 0
    assert any("17 rows removed" in record.getMessage() for record in caplog.records)
    assert dashboard_table.password not in caplog.text
    assert client.get("/api/transactions").get_json()["rows"] == []
    assert client.get("/api/panels").get_json()["stages"][1]["figures"][0]["value"] == 0


def test_pair_layout_is_read_only(make_app):
    client = make_app(WebSettings(layout="pair", mock=True, cache_s=0, features=Features(admin=True))).test_client()
    html = client.get("/admin/").get_data(as_text=True)
    assert "read-only" in html and 'name="confirm"' not in html
    with client.session_transaction() as session:
        session["csrf"] = "known-token"
    response = client.post("/admin/clear", data={"confirm": "CLEAR", "csrf_token": "known-token"})
    assert response.status_code == 403 and "read-only" in response.get_data(as_text=True)


def test_mock_data_can_be_cleared(make_app):
    client = make_app(WebSettings(mock=True, cache_s=0, features=Features(admin=True))).test_client()
    assert client.get("/api/transactions").get_json()["rows"]
    response = client.post("/admin/clear", data={"confirm": "CLEAR", "csrf_token": token(client)})
    assert response.status_code == 200 and 'id="rows-removed"' in response.get_data(as_text=True)
