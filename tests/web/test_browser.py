"""The monitor page in a real headless Chromium (the OS package, driven by Playwright; never downloaded)."""

import json
from typing import Any, Dict, Iterator, List, Optional

import pytest

from fth_web import create_app
from fth_web.server import start_in_background
from fth_web.settings import LayoutLimits, WebSettings
from fth_web.sources.base import STATUSES

FAST = LayoutLimits(refresh_choices=(1, 3, 5, 10), refresh_default=1, refresh_min=1, refresh_max=10,
                    row_choices=(50, 100, 200), row_default=50, row_max=200)


class Served:
    """A running fth-web plus a browser page that records every request and every console error."""

    def __init__(self, browser: Any, settings: WebSettings, viewport: Dict[str, int], source: Any = None) -> None:
        self.app = create_app(settings, source=source)
        self.handle = start_in_background(self.app, "127.0.0.1", 0)
        self.origin = f"http://127.0.0.1:{self.handle.port}"
        # en-US: toLocaleTimeString() would be a 12-hour clock here, the page must not use it
        self.context = browser.new_context(viewport=viewport, locale="en-US")
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.origin)
        self.page = self.context.new_page()
        self.requests: List[str] = []
        self.errors: List[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if "Content Security Policy" in msg.text
                     else None)

    def api_calls(self, path: str = "/api/transactions") -> int:
        return sum(1 for url in self.requests if url.startswith(self.origin + path))

    def close(self) -> None:
        self.context.close()
        self.handle.stop()
        self.app.extensions["fth_web"].source.close()

    def assert_clean(self) -> None:
        outside = [url for url in self.requests if not url.startswith(self.origin + "/")]
        assert outside == [], f"requests left the server's origin: {outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def serve(browser) -> Iterator[Any]:
    served: List[Served] = []

    def start(settings: WebSettings, viewport: Optional[Dict[str, int]] = None, source: Any = None) -> Served:
        s = Served(browser, settings, viewport or {"width": 1400, "height": 900}, source)
        served.append(s)
        return s

    yield start
    for s in served:
        s.close()


SIZES_JS = "tds => tds.map(t => Number(t.title.split(' ')[0]))"


def statuses_shown(page: Any) -> set:
    return set(page.eval_on_selector_all("#tx-body tr.row", "rows => rows.map(r => r.dataset.status)"))


def test_mock_monitor_fills_refreshes_and_shows_every_status(serve):
    s = serve(WebSettings(mock=True, mock_rate=10, cache_s=0, limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row", timeout=5000)
    wanted = json.dumps(list(STATUSES["dashboard"]))
    page.wait_for_function(
        f"() => {{ const s = new Set([...document.querySelectorAll('#tx-body tr.row')].map(r => r.dataset.status));"
        f" return {wanted}.every(x => s.has(x)); }}", timeout=5000)
    assert page.locator("#tx-body tr.row").count() == 50
    assert page.locator(".stage .figure").count() == 7
    assert page.locator(".conn.state-up").count() == 1
    # refresh: the last-update stamp changes on its own
    first = page.get_attribute("#last-update", "data-updated")
    page.wait_for_function(f"() => document.getElementById('last-update').dataset.updated !== {json.dumps(first)}",
                           timeout=5000)
    s.assert_clean()


def test_pause_and_resume(serve):
    s = serve(WebSettings(mock=True, mock_rate=10, cache_s=0, limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    page.click("#pause")
    assert page.get_attribute("#pause", "aria-pressed") == "true"
    assert page.text_content("#pause-label") == "Resume"
    page.wait_for_timeout(300)  # let a request already in flight land
    calls = s.api_calls()
    page.wait_for_timeout(2500)  # 2.5 refresh periods: a running timer would have polled twice
    assert s.api_calls() == calls
    page.click("#pause")
    assert page.get_attribute("#pause", "aria-pressed") == "false"
    assert page.text_content("#pause-label") == "Pause"
    page.wait_for_function(f"() => performance.getEntriesByType('resource').filter(e => "
                           f"e.name.includes('/api/transactions')).length > {calls}", timeout=5000)
    s.assert_clean()


def test_filters_sorting_and_row_count(serve):
    s = serve(WebSettings(mock=True, mock_rate=20, cache_s=0, limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    page.select_option("#f-status", "TIMEOUT")
    page.wait_for_function("() => { const r = [...document.querySelectorAll('#tx-body tr.row')];"
                           " return r.length > 0 && r.every(x => x.dataset.status === 'TIMEOUT'); }", timeout=5000)
    page.select_option("#f-status", "")
    user = page.text_content("#tx-body tr.row td")
    page.fill("#f-username", user.strip())
    page.wait_for_function(
        "user => { const r = [...document.querySelectorAll('#tx-body tr.row')];"
        " return r.length > 0 && r.every(x => x.cells[0].textContent.trim() === user); }",
        arg=user.strip(), timeout=5000)
    page.fill("#f-username", "")
    page.select_option("#rows", "100")
    page.wait_for_function("() => document.querySelectorAll('#tx-body tr.row').length === 100", timeout=5000)
    page.click("#pause")  # keep the rows still while checking the sort
    page.click("th[data-key='file_size']")
    sizes = page.eval_on_selector_all("#tx-body tr.row td:nth-child(3)", SIZES_JS)
    assert sizes == sorted(sizes)
    assert page.get_attribute("th[data-key='file_size']", "aria-sort") == "ascending"
    page.click("th[data-key='file_size']")
    sizes = page.eval_on_selector_all("#tx-body tr.row td:nth-child(3)", SIZES_JS)
    assert sizes == sorted(sizes, reverse=True)
    s.assert_clean()


def test_copy_puts_the_whole_record_on_the_clipboard(serve):
    s = serve(WebSettings(mock=True, mock_rate=10, cache_s=0, limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    page.click("#pause")
    page.wait_for_timeout(300)
    name = page.text_content("#tx-body tr.row td:nth-child(2)").strip()
    page.click("#tx-body tr.row button.copy")
    page.wait_for_selector("#toast:not([hidden])")
    record = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert record["file_name"] == name
    assert {"transaction_id", "username", "file_size", "ingress_server", "ingress_time", "status"} <= set(record)
    s.assert_clean()


def test_copy_falls_back_without_the_clipboard_api(serve):
    """On plain http from another host navigator.clipboard does not exist: the hidden textarea is used."""
    s = serve(WebSettings(mock=True, mock_rate=10, cache_s=0, limits=FAST))
    page = s.page
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});"
                         "document.addEventListener('copy', e => { const t = e.target;"
                         " window.__copied = t.value.substring(t.selectionStart, t.selectionEnd); });")
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    page.click("#pause")
    page.wait_for_timeout(300)
    name = page.text_content("#tx-body tr.row td:nth-child(2)").strip()
    page.click("#tx-body tr.row button.copy")
    page.wait_for_selector("#toast:not([hidden])")
    assert "copied" in page.text_content("#toast")
    assert json.loads(page.evaluate("window.__copied"))["file_name"] == name
    s.assert_clean()


def test_example_rows_without_database_or_mock(serve):
    s = serve(WebSettings(cache_s=0, limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    assert 1 <= page.locator("#tx-body tr.row").count() <= 3
    assert page.locator("#tx-body tr.row.is-example").count() == page.locator("#tx-body tr.row").count()
    assert page.locator(".tag-example").count() >= 1
    assert "EXAMPLE DATA" in page.text_content("#notice")
    assert page.is_visible("#notice")
    assert "Example data" in page.text_content("#source-badge")
    page.wait_for_selector(".conn.state-unconfigured")
    s.assert_clean()


def test_phone_width_has_no_horizontal_scroll(serve):
    s = serve(WebSettings(mock=True, mock_rate=10, cache_s=0, limits=FAST), viewport={"width": 390, "height": 844})
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.is_visible("#pause") and page.is_visible("#f-status")
    s.assert_clean()


def test_reports_and_admin_pages_load_cleanly(serve):
    s = serve(WebSettings(mock=True, cache_s=0, limits=FAST))
    for path in ("/reports/", "/admin/"):
        s.page.goto(s.origin + path)
        s.page.wait_for_load_state("load")
    assert s.page.is_visible("#admin-blocked")
    s.assert_clean()


def test_database_outage_turns_the_status_panel_red_and_recovers(serve, dashboard_table):
    from tests.web.conftest import FAST_RETRY

    dashboard_table.insert([{"age_s": 5, "status": "COMPLETE", "file_name": "real.bin", "transit_s": 1.0}])
    s = serve(dashboard_table.settings(limits=FAST, retry=FAST_RETRY))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector(".conn.state-up")
    page.wait_for_selector("#tx-body tr.row:not(.is-example)")
    assert page.text_content("#source-badge").strip() == "Live database"
    dashboard_table.server.stop()
    page.wait_for_selector(".conn.state-down", timeout=5000)  # within one refresh (1 s) plus slack
    assert "is-down" in page.get_attribute("#db-status", "class")
    # the header pill no longer says "Live database": it is red and says the database is down
    page.wait_for_selector("#source-badge.badge-down", timeout=5000)
    assert page.text_content("#source-badge").strip() == "Database down"
    assert page.eval_on_selector("#source-badge", "b => getComputedStyle(b).backgroundColor") == "rgb(239, 68, 68)"
    assert page.text_content(".conn.state-down .err").strip()
    page.wait_for_selector("#tx-body tr.row.is-example", timeout=5000)
    assert "EXAMPLE DATA" in page.text_content("#notice")
    dashboard_table.server.start()
    page.wait_for_selector(".conn.state-up", timeout=30000)
    page.wait_for_selector("#tx-body tr.row:not(.is-example)", timeout=10000)
    assert "is-down" not in page.get_attribute("#db-status", "class")
    page.wait_for_selector("#source-badge.badge-database", timeout=5000)
    assert page.text_content("#source-badge").strip() == "Live database"
    s.assert_clean()


def test_live_run_panel(browser):
    figures = {"elapsed_s": 75.0, "jobs": [
        {"name": "orders-http", "protocol": "http", "target_rate_per_s": 2.0, "achieved_rate_per_s": 1.2,
         "succeeded": 90, "failed": 3, "not_sent": 7, "p95_ms": 41.5, "in_flight": 2},
        {"name": "partner-sftp", "protocol": "sftp", "target_rate_per_s": 0.5, "achieved_rate_per_s": 0.5,
         "succeeded": 30, "failed": 0, "not_sent": 0, "p95_ms": 120.0, "in_flight": 0}]}
    calls = []

    def provider():
        calls.append(1)
        return figures

    app = create_app(WebSettings(mock=True, cache_s=0, limits=FAST), live_provider=provider)
    handle = start_in_background(app, "127.0.0.1", 0)
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{handle.port}/")
        page.wait_for_selector("#live-body tr td:has-text('partner-sftp')")
        cells = page.eval_on_selector_all("#live-body tr:first-child td", "tds => tds.map(t => t.textContent)")
        assert cells == ["orders-http", "http", "2.00", "1.20", "90", "3", "7", "41.5", "2"]
        assert "warn" in page.get_attribute("#live-body tr:first-child td:nth-child(7)", "class")  # not sent
        assert "warn" in page.get_attribute("#live-body tr:first-child td:nth-child(4)", "class")
        assert "1 m 15 s" in page.text_content("#live-elapsed")
        assert calls  # the page polled the provider through /api/live
    finally:
        page.close()
        handle.stop()


def test_phone_rows_are_compact_labelled_cards(serve):
    s = serve(WebSettings(mock=True, mock_rate=20, cache_s=0, limits=FAST, layout="pair"),
              viewport={"width": 390, "height": 844})
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row")
    page.select_option("#rows", "100")
    page.wait_for_function("() => document.querySelectorAll('#tx-body tr.row').length === 100", timeout=5000)
    labels = page.eval_on_selector_all(
        "#tx-body tr.row:first-child td[data-label]",
        "tds => tds.filter(t => getComputedStyle(t).display !== 'none')"
        ".map(t => [t.dataset.key, getComputedStyle(t, '::before').content])")
    shown = dict(labels)
    # which badge is ingress and which egress is written beside it
    assert shown["ingress_status"] == '"Ingress"' and shown["status"] == '"Egress"'
    assert shown["username"] == '"Username"' and shown["start"] == '"Start"'
    heights = page.eval_on_selector_all("#tx-body tr.row", "rs => rs.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 130  # compact cards (each value on a line of its own made ~230 px)
    assert page.evaluate("document.documentElement.scrollHeight") < 15000  # 100 rows made 23,000 px
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    s.assert_clean()


def test_pair_layout_still_connecting_is_not_a_red_alarm(serve):
    from fth_web.sources.memory import ExampleSource

    connecting = [{"name": name, "target": f"mysql://reader@127.0.0.1:3306/{name}", "state": "connecting",
                   "last_success": None, "last_error": None, "last_error_at": None, "retry_in_s": None,
                   "failures": 0} for name in ("ingress", "egress")]
    source = ExampleSource("pair", notice="pair ingress database busy: no free connection after 2s",
                           connections=connecting)
    source.kind = "database"
    s = serve(WebSettings(cache_s=0, limits=FAST, layout="pair"), source=source)
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector(".conn.state-connecting")
    page.wait_for_selector("#tx-body tr.row")
    page.wait_for_selector("#source-badge.badge-connecting")
    assert page.text_content("#source-badge").strip() == "Connecting…"
    assert "is-down" not in page.get_attribute("#db-status", "class")
    assert page.text_content("#db-summary") == "connecting…"
    assert "notice-error" not in page.get_attribute("#notice", "class")
    s.assert_clean()


def test_24_hour_clock_and_dates_on_rows_of_another_day(serve, dashboard_table):
    dashboard_table.insert([{"age_s": 5, "status": "COMPLETE", "file_name": "today.bin", "transit_s": 1.0},
                            {"age_s": 2 * 86400, "status": "COMPLETE", "file_name": "old.bin", "transit_s": 1.0}])
    s = serve(dashboard_table.settings(limits=FAST))
    page = s.page
    page.goto(s.origin + "/")
    page.wait_for_selector("#tx-body tr.row:not(.is-example)")
    page.wait_for_selector(".conn.state-up")
    clock = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    page.wait_for_function("() => /^[0-9]/.test(document.getElementById('last-update').textContent)")
    import re

    assert re.match(clock + "$", page.text_content("#last-update")), page.text_content("#last-update")
    assert re.match(clock + r" \(", page.text_content(".conn dd")), page.text_content(".conn dd")
    times = dict(page.eval_on_selector_all(
        "#tx-body tr.row", "rs => rs.map(r => [r.querySelector('td[data-key=file_name]').textContent,"
                           " r.querySelector('td[data-key=ingress_time]').textContent])"))
    assert re.match(clock + r"\.[0-9]{3}$", times["today.bin"]), times
    assert re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} " + clock[1:], times["old.bin"]), times
    s.assert_clean()
