"""Screenshots of the monitor in mock mode (desktop and phone width) for the docs.

    python bench/screenshots.py [OUTPUT_DIR]     # default: docs/

Serves ``fth-web --mock`` on a free loopback port and drives the OS Chromium
(``/usr/bin/chromium``, or $FTH_CHROMIUM) with Playwright; never downloads a browser.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fth  # noqa: F401  (gevent monkey-patching first)
from fth_web import create_app
from fth_web.server import start_in_background
from fth_web.settings import WebSettings

CHROMIUM = os.environ.get("FTH_CHROMIUM", "/usr/bin/chromium")


def main() -> int:
    from playwright.sync_api import sync_playwright

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    out.mkdir(parents=True, exist_ok=True)
    handle = start_in_background(create_app(WebSettings(mock=True, mock_rate=8)), "127.0.0.1", 0)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            for name, size, scale in (("monitor-desktop.png", (1600, 1000), 1), ("monitor-phone.png", (390, 844), 2)):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]}, device_scale_factor=scale)
                page.goto(handle.url + "/")
                page.wait_for_selector("#tx-body tr.row", timeout=10000)
                page.wait_for_selector(".conn", timeout=10000)
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / name), full_page=name.endswith("phone.png"))
                print(f"wrote {out / name}")
                page.close()
            browser.close()
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
