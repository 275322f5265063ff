"""The report screenshot for the README (docs/report.png), from a realistic demo data set.

    python bench/report_screenshot.py [OUTPUT_PNG]     # default: docs/report.png

Starts a throw-away MariaDB, loads a 30-minute run of two jobs (plus one unknown user, a few
failures, timeouts and unpaired rows), runs fth-report and photographs the page with the OS
Chromium (/usr/bin/chromium); never downloads a browser.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fth  # noqa: E402, F401  (gevent monkey-patching first)
from fth.main import report_main  # noqa: E402
from tests.fixtures.mariadb import start_mariadb  # noqa: E402
from tests.report.dataset import create_tables, insert_rows  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CONFIG = """\
jobs:
  - {{name: orders-http, protocol: http, username: orders, source: ./data, rate: 20/min,
      url: https://ingest.example.com/upload}}
  - {{name: partner-sftp, protocol: sftp, username: partner1, source: ./data, rate: 10/min,
      host: sftp.example.com, password: x}}
tracking:
  timezone: UTC
  defaults: {{host: 127.0.0.1, port: {port}, user: root, password: {password}}}
  ingress: {{database: demo_ingress}}
  egress: {{database: demo_egress}}
"""


def rows(start: dt.datetime):
    rng = random.Random(7)
    ingress, egress = [], []
    for index in range(900):
        user = rng.choices(["orders", "partner1", "batch-bot"], [0.62, 0.35, 0.03])[0]
        t0 = start + dt.timedelta(seconds=index * 2 + rng.random())
        uuid = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-" \
               f"a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
        name = f"{'PO' if user == 'orders' else 'INV'}-{20260000 + index}.xml"
        slow = 1 + (index % 300) / 60
        transit = rng.lognormvariate(0.4, 0.35) * slow
        status = "SUCCESS"
        roll = rng.random()
        if roll < 0.02:
            status = "FAILED"
        elif roll < 0.03:
            status, transit = "TIMEOUT", 30.0
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        ingress.append((uuid, user, name, t0.strftime(fmt), (t0 + dt.timedelta(seconds=0.2)).strftime(fmt), "SUCCESS"))
        if index in (123, 456, 789):
            continue
        e_start = t0 + dt.timedelta(seconds=transit * 0.6)
        egress.append((uuid, user, name, e_start.strftime(fmt), (t0 + dt.timedelta(seconds=transit)).strftime(fmt),
                       status))
    return ingress, egress


def main() -> int:
    from playwright.sync_api import sync_playwright

    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "report.png")
    server = start_mariadb()
    work = Path(tempfile.mkdtemp(prefix="fth-shot-"))
    try:
        start = dt.datetime(2026, 11, 22, 9, 0)
        ingress, egress = rows(start)
        for database, data in (("demo_ingress", ingress), ("demo_egress", egress)):
            create_tables(server, database)
            insert_rows(server, database, data)
        config = work / "job.yml"
        config.write_text(CONFIG.format(port=server.port, password=server.root_password), encoding="utf-8")
        html = work / "report.html"
        code = report_main(["-c", str(config), "--span", "2026-11-22T09:00Z .. 2026-11-22T09:31Z", "-o", str(html),
                            "--title", "Acme ingest platform — load test report", "-q"])
        if code:
            return code
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1700}, device_scale_factor=1)
            page.goto(html.as_uri())
            page.screenshot(path=str(target), full_page=False)
            browser.close()
        print(f"wrote {target}")
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
