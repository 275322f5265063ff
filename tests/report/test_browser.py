"""The report in real headless Chromium: escaped, not executed, and the list filters."""

import pytest

from fth.main import report_main
from tests.report import dataset


@pytest.fixture
def page(browser, tracking_db, tmp_path):
    out = tmp_path / "report.html"
    assert report_main(["-c", str(tracking_db.config_path), "--span", dataset.SPAN, "-o", str(out), "-q"]) == 0
    page = browser.new_page()
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    page.goto(out.as_uri())
    yield page
    page.close()


def count(page):
    return page.locator("#tx-count").inner_text()


def test_script_filename_is_shown_as_text_and_never_runs(page):
    page.fill("#tx-filter", "alert")
    page.wait_for_function("document.getElementById('tx-count').textContent.startsWith('1 of')")
    cells = page.locator("#tx-body td").all_inner_texts()
    assert dataset.SCRIPT_NAME in cells
    assert page.dialogs == [] and page.errors == []
    assert page.evaluate("document.scripts.length") == 2  # the data block and the table script
    assert page.locator("#tx-body script").count() == 0


def test_unicode_filename_survives(page):
    page.fill("#tx-filter", "文件")
    page.wait_for_function("document.getElementById('tx-count').textContent.startsWith('1 of')")
    assert dataset.UNICODE_NAME.replace("\u2028", "") in "".join(page.locator("#tx-body td").all_inner_texts()) \
        .replace("\u2028", "").replace("\n", "")


def test_list_filters_by_text_outcome_and_kind(page):
    assert count(page) == "10 of 10 rows"
    page.select_option("#tx-outcome", "unpaired")
    assert count(page) == "3 of 10 rows"
    assert page.locator("#tx-body tr.k-ingress_only").count() == 2
    page.select_option("#tx-outcome", "")
    page.select_option("#tx-kind", "unknown")
    assert count(page) == "2 of 10 rows"
    page.select_option("#tx-kind", "")
    page.select_option("#tx-outcome", "timeout")
    assert count(page) == "1 of 10 rows"
    assert page.locator("#tx-body td").first.inner_text() == "u-a4"


def test_sorting_by_transit(page):
    page.click("#tx th[data-col='5']")
    first = page.locator("#tx-body tr").first.locator("td").nth(5).inner_text()
    assert first == "1.000"
    page.click("#tx th[data-col='5']")
    assert page.locator("#tx-body tr").first.locator("td").nth(5).inner_text() == "120.000"
