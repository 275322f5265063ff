"""Security headers on every page and API answer of fth-web; the HTML report's inline code allowed by hash only."""

import re

import pytest

from fth_web.security import POLICY, policy_for

PAGES = ["/", "/reports/", "/admin/", "/no-such-page",
         "/reports/generate?format=csv", "/reports/generate?format=html", "/reports/generate?format=json",
         "/reports/generate?format=csv&format=html", "/reports/generate?from=nonsense&format=csv",
         "/api/transactions", "/api/transactions?limit=0", "/api/panels", "/api/status", "/api/usernames",
         "/api/live", "/metrics", "/static/js/monitor.js", "/static/css/fth.css"]


def _assert_secure(response, path):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("X-Frame-Options") == "DENY", path


@pytest.mark.parametrize("path", PAGES)
def test_every_page_and_api_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file's handle
    _assert_secure(response, path)


def test_admin_post_carries_the_security_headers(client):
    response = client.post("/admin/clear", data={"confirm": "CLEAR"})
    assert response.status_code in (400, 403)
    _assert_secure(response, "/admin/clear")


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/", "/reports/", "/admin/", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        assert " style=" not in html and "<style" not in html, path
        for attrs in re.findall(r"<script([^>]*)>", html):
            assert "src=" in attrs or "application/json" in attrs, (path, attrs)
        assert client.get(path).headers["Content-Security-Policy"] == POLICY


def test_html_report_allows_exactly_its_inline_blocks_by_hash(client):
    response = client.get("/reports/generate?format=html")
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert csp == policy_for(html)
    script = re.search(r"script-src ([^;]*)", csp).group(1).split()
    style = re.search(r"style-src ([^;]*)", csp).group(1).split()
    assert len(script) == 2 and script[1].startswith("'sha256-")  # the table script, not the JSON data block
    assert len(style) == 2 and style[1].startswith("'sha256-")
    assert " style=" not in html  # a style attribute cannot be allowed by a hash
