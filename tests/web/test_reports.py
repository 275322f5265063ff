"""The report form: validation on the form, streamed CSV equal to the table rows, HTML via fth.report."""

import csv
import io
from datetime import datetime, timedelta

import pytest

from fth_web.csvout import cell
from fth_web.settings import WebSettings


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def test_form_defaults_to_the_last_24_hours_and_all_users(client):
    html = client.get("/reports/").get_data(as_text=True)
    assert 'name="from"' in html and 'name="to"' in html
    start = datetime.strptime(html.split('name="from" id="from" value="')[1][:16], "%Y-%m-%dT%H:%M")
    end = datetime.strptime(html.split('name="to" id="to" value="')[1][:16], "%Y-%m-%dT%H:%M")
    assert timedelta(hours=23, minutes=59) <= end - start <= timedelta(hours=24, minutes=2)
    assert '<option value="">All users</option>' in html
    assert 'value="csv" checked' in html and 'value="html" checked' in html


@pytest.mark.parametrize("query, message", [
    ({"from": "yesterday-ish", "to": "2026-01-01T00:00", "format": "csv"}, "is not a date and time"),
    ({"from": "2026-01-02T00:00", "to": "2026-01-01T00:00", "format": "csv"}, "From must be earlier than To"),
    ({"from": "2020-01-01T00:00", "to": "2026-01-01T00:00", "format": "csv"}, "at most 400 days"),
    ({"from": "2026-01-01T00:00", "to": "2026-01-02T00:00"}, "Choose at least one format"),
    ({"from": "2026-01-01T00:00", "to": "2026-01-02T00:00", "format": "pdf"}, "Unknown format"),
    ({"from": "2026-01-01T00:00", "to": "2026-01-02T00:00", "format": "csv", "username": "u" * 256},
     "at most 255 characters"),
    ({"from": "0001-01-01", "to": "0001-01-02", "format": "json"}, "From: reports cover dates from 0001-01-02"),
    ({"from": "9999-12-31T00:00", "to": "9999-12-31T23:59", "format": "html"}, "To: reports cover dates from"),
])
def test_bad_input_is_explained_on_the_form(client, query, message):
    response = client.get("/reports/generate", query_string=query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="form-errors"' in html and message in html and "Traceback" not in html


def test_both_formats_offer_two_downloads(client):
    now = datetime.now()
    response = client.get("/reports/generate", query_string={
        "from": fmt(now - timedelta(hours=1)), "to": fmt(now), "format": ["csv", "html"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="report-links"' in html
    assert html.count("/reports/generate?") == 2


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("plain", "plain"), (12, "12"), (None, ""), (-5, "-5"),
    (" =1+2", "' =1+2"), ("\n=1+2", "'\n=1+2"), ("\r\n@x", "'\r\n@x"), ("\tx", "'\tx"), ("  \u3000-3", "'  \u3000-3"),
    ("\uff1dHYPERLINK(1)", "'\uff1dHYPERLINK(1)"), ("\uff0b1", "'\uff0b1"), ("\uff0d1", "'\uff0d1"),
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"), ("\ufe661", "'\ufe661"), (" alice", " alice"), ("a=b", "a=b"),
])
def test_csv_cells_are_neutralised(value, expected):
    assert cell(value) == expected


def test_csv_equals_the_table_rows(dashboard_table, make_app):
    evil = "=cmd|' /C calc'!A0.csv"
    dashboard_table.insert(
        [{"age_s": 100 + i, "status": "COMPLETE", "username": "alice" if i % 2 else "bob", "file_name": f"f{i}.bin",
          "file_size": 1000 * i, "transit_s": 1.5} for i in range(30)]
        + [{"age_s": 50, "status": "BAD_REQUEST", "username": "alice", "file_name": evil}]
        + [{"age_s": 3 * 86400, "status": "COMPLETE", "username": "alice", "file_name": "old.bin", "transit_s": 1}])
    client = make_app(dashboard_table.settings()).test_client()
    now = dashboard_table.fetch("SELECT NOW(3)")[0][0]
    query = {"from": fmt(now - timedelta(hours=24)), "to": fmt(now + timedelta(minutes=1)),
             "username": "alice", "format": "csv"}
    response = client.get("/reports/generate", query_string=query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["transaction_id", "username", "file_name", "file_size", "ingress_server", "ingress_time",
                        "egress_server", "egress_time", "status"]
    expected = dashboard_table.fetch(
        "SELECT transaction_id, username, file_name, file_size, ingress_server, ingress_time, egress_server,"
        " egress_time, status FROM transactions WHERE username = %s AND ingress_time >= %s AND ingress_time < %s"
        " ORDER BY ingress_time, transaction_id",
        ("alice", now - timedelta(hours=24), now + timedelta(minutes=1)))
    assert len(lines) - 1 == len(expected) == 16
    assert lines[1:] == [[cell(v) for v in row] for row in expected]
    assert ["'" + evil] == [line[2] for line in lines if "calc" in line[2]]
    assert all(line[1] == "alice" for line in lines[1:])


def test_html_report_uses_the_shared_engine(dashboard_table, make_app):
    dashboard_table.insert([{"age_s": 100, "status": "COMPLETE", "username": "alice", "file_size": 4000,
                             "transit_s": 2.0},
                            {"age_s": 90, "status": "EP_UNAVAILABLE", "username": "bob", "file_size": 6000,
                             "transit_s": 4.0},
                            {"age_s": 80, "status": "SUBMITTED", "username": "bob", "file_name": "<b>bold</b>.txt"}])
    client = make_app(dashboard_table.settings()).test_client()
    now = dashboard_table.fetch("SELECT NOW(3)")[0][0]
    response = client.get("/reports/generate", query_string={
        "from": fmt(now - timedelta(hours=1)), "to": fmt(now + timedelta(minutes=1)), "format": "html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "transaction report" in html and "alice" in html and "bob" in html
    assert "<b>bold</b>" not in html
    assert "http://" not in html.replace("http://www.w3.org", "")

    document = client.get("/reports/generate", query_string={
        "from": fmt(now - timedelta(hours=1)), "to": fmt(now + timedelta(minutes=1)), "format": "json"}).get_json()
    total = document["total"]
    assert (total["paired"], total["passed"], total["failed"], total["pending"]) == (3, 1, 1, 1)  # SUBMITTED: pending
    assert 'data-transit="avg">3.0 s<' in html and 'data-transit="max">4.0 s<' in html  # seed 002: 1 decimal


def test_database_down_is_reported_on_the_form(dashboard_table, make_app):
    client = make_app(dashboard_table.settings()).test_client()
    dashboard_table.server.stop()
    try:
        now = datetime.now()
        for fmt_name in ("csv", "html"):
            response = client.get("/reports/generate", query_string={
                "from": fmt(now - timedelta(hours=1)), "to": fmt(now), "format": fmt_name})
            assert response.status_code == 503
            html = response.get_data(as_text=True)
            assert "could not be read from the database" in html and "Traceback" not in html
        assert "The user list is unavailable" in client.get("/reports/").get_data(as_text=True)
    finally:
        dashboard_table.server.start()


def test_mock_reports(make_app):
    client = make_app(WebSettings(mock=True, mock_rate=5, cache_s=0)).test_client()
    now = datetime.now()
    response = client.get("/reports/generate", query_string={
        "from": fmt(now - timedelta(hours=2)), "to": fmt(now + timedelta(minutes=1)), "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(lines) > 1000
    response = client.get("/reports/generate", query_string={
        "from": fmt(now - timedelta(minutes=10)), "to": fmt(now + timedelta(minutes=1)), "format": "html"})
    assert response.status_code == 200 and "hooli-media" in response.get_data(as_text=True)
