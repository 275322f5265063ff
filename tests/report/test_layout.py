"""The report's presentation in real headless Chromium: the transaction table fits the page, the
throughput chart covers the data's span with distinct tick labels, and links are styled."""

import time
import uuid

import pytest

from fth.report.compute import Record, summarize
from fth.report.render import ReportContext, render_report


def _records(start: float, seconds: float, count: int):
    """``count`` transfers spread over ``seconds``, with long names, sizes, and every outcome."""
    out = []
    for i in range(count):
        begin = start + seconds * i / count
        status = ("SUCCESS", "FAILED", "TIMEOUT")[i % 3]
        out.append(Record(f"partner-user-with-a-long-name-{i % 4}", f"orders/2026/11/22/batch-{i:05d}-{'x' * 40}.csv",
                          begin, begin + 1.25, status, status == "SUCCESS", size=1_234_567 + i,
                          uuid=str(uuid.uuid4()), ingress_status="SUCCESS"))
    return out


def _report(tmp_path, window_s: float, data_s: float, count: int = 60) -> str:
    end = time.time()
    start = end - window_s
    records = _records(end - data_s - 1, data_s, count)
    jobs = {f"partner-user-with-a-long-name-{i}": f"job-{i}" for i in range(4)}
    summary = summarize(records, jobs=jobs, window=(start, end))
    path = tmp_path / "report.html"
    path.write_text(render_report(summary, ReportContext(jobs=[(n, u, "http") for u, n in jobs.items()])),
                    encoding="utf-8")
    return path.as_uri()


@pytest.mark.parametrize("width", [1280, 1400, 1920])
def test_transaction_table_fits_the_page(browser, tmp_path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(_report(tmp_path, 900, 20))
        page.wait_for_selector("#tx-body tr")
        fits = page.evaluate("""() => [document.querySelector('.tx-wrap'), document.documentElement]
            .map(e => e.scrollWidth <= e.clientWidth)""")
        assert fits == [True, True]
        result = page.locator("#tx-body tr").first.locator("td").last
        box, wrap = result.bounding_box(), page.locator(".tx-wrap").bounding_box()
        assert box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 0.5  # the result column is on screen
        assert result.inner_text() in ("pass", "fail", "timeout")
    finally:
        page.close()


def _tick_labels(page):
    return page.eval_on_selector_all("#overall svg.chart:first-of-type text[text-anchor=middle]",
                                     "ts => ts.map(t => t.textContent)")


def test_chart_ticks_of_a_30_s_window_are_distinct(browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(_report(tmp_path, 30, 29))
        labels = _tick_labels(page)
        assert len(labels) >= 4 and len(set(labels)) == len(labels), labels
        assert all(label.count(":") == 2 for label in labels)  # seconds shown
    finally:
        page.close()


def test_a_short_run_in_a_long_window_fills_the_chart(browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(_report(tmp_path, 900, 20))  # --since 15m after a 20 s run
        xs = sorted(set(page.eval_on_selector_all("#overall svg.chart:first-of-type rect",
                                                  "rs => rs.map(r => Number(r.getAttribute('x')))")))
        assert len(xs) >= 10  # many bars across the chart, not two at the right edge
        assert xs[0] < 100 and xs[-1] > 600
        assert len(set(_tick_labels(page))) == len(_tick_labels(page))
    finally:
        page.close()


def test_job_links_are_styled(browser, tmp_path):
    page = browser.new_page()
    try:
        page.goto(_report(tmp_path, 900, 20))
        colour = page.eval_on_selector("#jobs a", "a => getComputedStyle(a).color")
        assert colour not in ("rgb(0, 0, 238)", "rgb(85, 26, 139)")  # not the browser's default blue/purple
    finally:
        page.close()
