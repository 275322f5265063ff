"""Scale benchmark of fth-report: N pairs in a real MariaDB → HTML, then the HTML in headless Chromium.

    python bench/report_scale.py --pairs 100000
    python bench/report_scale.py --pairs 1000000 --keep report-1m.html --reuse /tmp/fthbench-1m

Starts its own MariaDB (the test fixture's start logic), loads N ingress/egress pairs (0.1 %
ingress-only, 2 % FAILED, ~1 % TIMEOUT, one username of five matching no job) with MariaDB's
sequence engine, times the ``mariadb`` command-line client reading the same six columns of both
tables, runs ``fth-report`` end to end in a child process and prints its wall and CPU time, the
ratio to the client, its peak RSS, the HTML and full-list sizes, then the page load and filter
times in Chromium. ``--reuse DIR`` keeps the loaded datadir in DIR (short path: a unix socket
lives there) for the next run with the same ``--pairs``.
Goals (issue 16, 1M pairs): peak RSS under 500 MB, wall time at most 4x the client's, HTML
under 25 MB that opens in under 3 s; 5M pairs: peak RSS under 2 GB (issue 4: 100,000 pairs, filter
under 1 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
# fth-report's session setting (fth.tracking.mysql.SORT_ROWS_THEMSELVES; not imported: importing fth
# monkey-patches this process for gevent), for the client's second baseline
SORT_ROWS_THEMSELVES = "SET SESSION max_length_for_sort_data = 65536"
sys.path.insert(0, str(ROOT))

from tests.fixtures.mariadb import MariaDBServer, find_binary, restart_kept, start_mariadb  # noqa: E402
from tests.report.dataset import create_tables  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SERVER_ARGS = ["--innodb-buffer-pool-size=512M"]
GOAL_RSS_MB, GOAL_RATIO, GOAL_HTML_MB, GOAL_OPEN_S = 500, 4.0, 25, 3.0  # at a million pairs
GOAL_RSS_LARGE_MB, LARGE = 2000, 5_000_000  # five million pairs complete under 2 GB
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


def server_for(pairs: int, reuse: Optional[str]) -> Tuple[MariaDBServer, float]:
    """A server holding ``pairs`` loaded pairs, and the seconds loading took (0 when a kept datadir had them)."""
    if reuse is None:
        server = start_mariadb(extra_args=SERVER_ARGS)
        return server, load(server, pairs)
    base = Path(reuse)
    marker = base / f"loaded-{pairs}"
    if marker.exists():
        return restart_kept(base, SERVER_ARGS), 0.0
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    server = start_mariadb(base, extra_args=SERVER_ARGS)
    loaded = load(server, pairs)
    marker.touch()
    return server, loaded


def client_read(server: MariaDBServer, session: str = "") -> Tuple[float, int]:
    """Seconds the ``mariadb`` client takes to read the window's six columns of both tables, and the rows read;
    ``session``: statements run first in each client's session."""
    client = find_binary(["mariadb", "mysql"])
    if client is None:
        raise SystemExit("the mariadb command-line client is not installed")
    began, rows = time.monotonic(), 0
    for database in ("bench_ingress", "bench_egress"):
        sql = (f"{session}SELECT UUID, username, filename, startTime, endTime, status FROM transfers "
               "WHERE startTime >= '2026-02-01 00:00:00' AND startTime < '2026-02-01 02:00:00' ORDER BY startTime")
        out = subprocess.run([client, "-h", "127.0.0.1", "-P", str(server.port), "-u", "bench_reader",
                              "-pbench-pw", "-N", "-B", "--quick", database, "-e", sql],
                             check=True, stdout=subprocess.PIPE).stdout
        rows += out.count(b"\n")
    return time.monotonic() - began, rows


def run_report(config: Path, output: Path, summary: Path, max_rows: Optional[int]) -> Tuple[float, float, float]:
    """Run fth-report in a child process; (wall seconds, CPU seconds, peak RSS of that process in MB)."""
    code = "import sys; from fth.main import report_main; sys.exit(report_main(sys.argv[1:]))"
    extra = [] if max_rows is None else ["--max-rows", str(max_rows)]
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, "-c", str(config), "--span", SPAN, "-o", str(output),
                             "--summary-json", str(summary), "--no-color", *extra], cwd=str(ROOT))
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"fth-report failed with exit status {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KiB


def verdict(ok: bool) -> str:
    return "meets the goal" if ok else "MISSES the goal"


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
        opened = time.monotonic() - began
        print(f"chromium: page loaded and list drawn in {opened:.2f} s ({page.locator('#tx-count').inner_text()}); "
              f"goal under {GOAL_OPEN_S:.0f} s: {verdict(opened < GOAL_OPEN_S)}")
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
    parser.add_argument("--max-rows", type=int, help="fth-report --max-rows (default: fth-report's)")
    parser.add_argument("--reuse", metavar="DIR", help="keep the loaded datadir in DIR and reuse it next time")
    parser.add_argument("--keep", metavar="FILE", help="copy the HTML report to FILE")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fth-bench-"))
    server, loaded = server_for(args.pairs, args.reuse)
    try:
        ingress_rows = args.pairs
        egress_rows = args.pairs - args.pairs // 1000
        print(f"loaded {ingress_rows:,} ingress + {egress_rows:,} egress rows in {loaded:.1f} s"
              if loaded else f"reused the datadir in {args.reuse} ({ingress_rows:,} + {egress_rows:,} rows)")
        config = work / "bench.yml"
        config.write_text(CONFIG.format(port=server.port, jobs="".join(JOB.format(i=i) for i in range(4))),
                          encoding="utf-8")
        cold_s, client_rows = client_read(server)
        client_s = min(cold_s, client_read(server)[0])  # the server's cache warm, as fth-report finds it
        print(f"mariadb client: {client_rows:,} rows of both tables in {client_s:.2f} s (first read {cold_s:.2f} s)")
        sorting_s = client_read(server, f"{SORT_ROWS_THEMSELVES}; ")[0]
        output, summary = work / "report.html", work / "summary.json"
        elapsed, cpu, rss_mb = run_report(config, output, summary, args.max_rows)
        size_mb = output.stat().st_size / 1e6
        rows = ingress_rows + egress_rows
        print(f"fth-report: {args.pairs:,} pairs ({rows:,} rows) in {elapsed:.2f} s wall, {cpu:.2f} s CPU = "
              f"{rows / elapsed:,.0f} rows/s")
        ratio = elapsed / client_s
        print(f"  wall time / client time: {ratio:.1f}x; goal at most {GOAL_RATIO:.0f}x: "
              f"{verdict(ratio <= GOAL_RATIO)}")
        print(f"  (the client with fth-report's sort setting, {SORT_ROWS_THEMSELVES!r}: {sorting_s:.2f} s, "
              f"{elapsed / sorting_s:.1f}x)")
        if args.pairs >= LARGE:
            print(f"  peak RSS {rss_mb:.0f} MB; goal under {GOAL_RSS_LARGE_MB} MB at {LARGE:,} pairs: "
                  f"{verdict(rss_mb < GOAL_RSS_LARGE_MB)}")
            print(f"  HTML {size_mb:.1f} MB (the goal of {GOAL_HTML_MB} MB is for a million pairs)")
        else:
            print(f"  peak RSS {rss_mb:.0f} MB; goal under {GOAL_RSS_MB} MB: {verdict(rss_mb < GOAL_RSS_MB)}")
            print(f"  HTML {size_mb:.1f} MB; goal under {GOAL_HTML_MB} MB: {verdict(size_mb < GOAL_HTML_MB)}")
        full = output.with_name("report.transactions.csv")
        if full.exists():
            with full.open("rb") as handle:
                listed = sum(1 for _ in handle) - 1  # less the header
            print(f"  full list {full.name}: {full.stat().st_size / 1e6:.1f} MB, {listed:,} transactions")
        if args.keep:
            Path(args.keep).write_bytes(output.read_bytes())
        if not args.no_browser:
            browser_figures(output)
    finally:
        if args.reuse:
            server.stop()
        else:
            server.destroy()


if __name__ == "__main__":
    main()
