"""Scale benchmark of fth-report: N pairs in a real MariaDB → HTML, then the HTML in headless Chromium.

    python bench/report_scale.py --pairs 100000
    python bench/report_scale.py --pairs 1000000 --keep report-1m.html

Starts its own throw-away MariaDB (the test fixture's start logic), loads N ingress/egress pairs
(0.1 % ingress-only, 2 % FAILED, ~1 % TIMEOUT, one username of five matching no job) with
MariaDB's sequence engine, runs ``fth-report`` end to end in a child process and prints rows/s,
peak RSS of that process, HTML size, then the page load and filter times in Chromium.
Acceptance (issue 4): 100,000 pairs in under 30 s, peak RSS under 500 MB, filter under 1 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.mariadb import start_mariadb  # noqa: E402
from tests.report.dataset import create_tables  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SPAN = "2026-02-01T00:00:00+00:00 .. 2026-02-01T02:00:00+00:00"
CONFIG = """\
jobs:
{jobs}
tracking:
  timezone: UTC
  defaults: {{host: 127.0.0.1, port: {port}, user: bench_reader, password: bench-pw}}
  ingress: {{database: bench_ingress}}
  egress: {{database: bench_egress}}
"""
JOB = """\
  - name: job-{i}
    protocol: http
    username: user{i}
    source: ./nowhere
    rate: 10/s
    url: http://127.0.0.1:9/
"""


def load(server, pairs: int) -> float:
    began = time.monotonic()
    for database in ("bench_ingress", "bench_egress"):
        create_tables(server, database)
    # rows spread evenly over one hour from 00:00; egress 0.5-5.5 s later
    spacing_us = max(1, 3_600_000_000 // pairs)
    server.execute(
        "INSERT INTO bench_ingress.transfers (UUID, username, filename, startTime, endTime, status) "
        "SELECT CONCAT('00000000-0000-4000-8000-', LPAD(seq, 12, '0')), CONCAT('user', seq % 5), "
        "CONCAT('file-', seq, '.dat'), TIMESTAMP'2026-02-01 00:00:00' + INTERVAL seq * " + str(spacing_us)
        + " MICROSECOND, TIMESTAMP'2026-02-01 00:00:00.2' + INTERVAL seq * " + str(spacing_us)
        + " MICROSECOND, 'SUCCESS' FROM seq_1_to_" + str(pairs),
        "INSERT INTO bench_egress.transfers (UUID, username, filename, startTime, endTime, status) "
        "SELECT UUID, username, filename, startTime + INTERVAL 0.3 SECOND, "
        "startTime + INTERVAL (500 + (CRC32(UUID) % 5000)) * 1000 MICROSECOND, "
        "CASE WHEN CRC32(UUID) % 50 = 0 THEN 'FAILED' WHEN CRC32(UUID) % 97 = 0 THEN 'TIMEOUT' ELSE 'SUCCESS' END "
        "FROM bench_ingress.transfers WHERE RIGHT(UUID, 3) <> '000'",
        database="bench_ingress",
    )
    server.create_user("bench_reader", "bench-pw", ["GRANT SELECT ON bench_ingress.* TO {user}",
                                                    "GRANT SELECT ON bench_egress.* TO {user}"])
    return time.monotonic() - began


def run_report(config: Path, output: Path, summary: Path) -> Tuple[float, float]:
    """Run fth-report in a child process; (seconds, peak RSS of that process in MB)."""
    code = "import sys; from fth.main import report_main; sys.exit(report_main(sys.argv[1:]))"
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, "-c", str(config), "--span", SPAN, "-o", str(output),
                             "--summary-json", str(summary), "--no-color"], cwd=str(ROOT))
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"fth-report failed with exit status {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def browser_figures(output: Path) -> None:
    if not os.path.exists(CHROMIUM):
        print(f"chromium: {CHROMIUM} not found, skipped")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        began = time.monotonic()
        page.goto(output.as_uri(), timeout=120_000)
        page.wait_for_function("window.fthTable !== undefined", timeout=120_000)
        print(f"chromium: page loaded and list drawn in {time.monotonic() - began:.2f} s "
              f"({page.locator('#tx-count').inner_text()})")
        for query in ("file-4242", "user3", "failed", ""):
            took = page.evaluate("""q => { const f = document.getElementById('tx-filter'); f.value = q;
                const t0 = performance.now(); window.fthTable.apply(); return performance.now() - t0; }""", query)
            print(f"chromium: filter {query!r:12} → {page.locator('#tx-count').inner_text():>24} "
                  f"in {took:.0f} ms (in page)")
        before = page.locator("#tx-count").inner_text()
        began = time.monotonic()
        page.fill("#tx-filter", "file-99")
        page.wait_for_function("t => document.getElementById('tx-count').textContent !== t", arg=before,
                               timeout=10_000)
        print(f"chromium: typing 'file-99' until the list shows {page.locator('#tx-count').inner_text()}: "
              f"{time.monotonic() - began:.2f} s (includes the 120 ms input debounce)")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--keep", metavar="FILE", help="copy the HTML report to FILE")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fth-bench-"))
    server = start_mariadb(extra_args=["--innodb-buffer-pool-size=512M"])
    try:
        loaded = load(server, args.pairs)
        ingress_rows = args.pairs
        egress_rows = args.pairs - args.pairs // 1000
        print(f"loaded {ingress_rows:,} ingress + {egress_rows:,} egress rows in {loaded:.1f} s")
        config = work / "bench.yml"
        config.write_text(CONFIG.format(port=server.port, jobs="".join(JOB.format(i=i) for i in range(4))),
                          encoding="utf-8")
        output, summary = work / "report.html", work / "summary.json"
        elapsed, rss_mb = run_report(config, output, summary)
        size_mb = output.stat().st_size / 1e6
        rows = ingress_rows + egress_rows
        print(f"fth-report: {args.pairs:,} pairs ({rows:,} rows) in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s, "
              f"peak RSS {rss_mb:.0f} MB, HTML {size_mb:.1f} MB")
        if args.keep:
            Path(args.keep).write_bytes(output.read_bytes())
        if not args.no_browser:
            browser_figures(output)
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
