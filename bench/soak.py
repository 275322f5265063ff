"""Memory over a long run: RSS of an fth process sending 1 KiB files at a fixed rate to an nginx sink.

    python -m bench.soak [--minutes 10] [--rate 200/s] [--mode wait|fire]

Prints RSS every 30 s and, at the end, the growth after the first minute (the warm-up:
imports, connection pools, histogram buckets). Acceptance: under 20 MB over 10 minutes.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import yaml

from bench.fthrun import make_files
from bench.sink import nginx_sink, pinned


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", default="200/s")
    parser.add_argument("--mode", default="wait", choices=("wait", "fire"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, nginx_sink(core=0) as url:
        source = make_files(os.path.join(directory, "files"), count=500)
        config = os.path.join(directory, "job.yml")
        with open(config, "w") as out:
            yaml.safe_dump({"jobs": [{"name": "soak", "protocol": "http", "username": "soak", "source": source,
                                      "url": url, "rate": args.rate, "mode": args.mode, "workers": 50,
                                      "headers": {"X-Transaction-ID": "{uuid}"}}]}, out)
        summary = os.path.join(directory, "summary.json")
        command = [sys.executable, "-m", "fth", "-c", config, "--duration", f"{args.minutes * 60:.0f}s", "-q",
                   "--summary-json", summary]
        process = subprocess.Popen([*pinned(1), *command])
        started = time.monotonic()
        samples = []
        while process.poll() is None:
            time.sleep(5)
            if process.poll() is None:
                elapsed = time.monotonic() - started
                samples.append((elapsed, rss_mb(process.pid)))
                if len(samples) % 6 == 0:
                    print(f"{elapsed / 60:5.1f} min  RSS {samples[-1][1]:7.1f} MB", flush=True)
        with open(summary) as src:
            import json

            job = json.load(src)["jobs"][0]
    after_warmup = next(rss for elapsed, rss in samples if elapsed >= 60)
    peak = max(rss for _, rss in samples)
    print(f"files {job['succeeded']} ok / {job['failed']} failed at {job['achieved_rate_per_s']:.1f}/s; "
          f"RSS at 1 min {after_warmup:.1f} MB, last {samples[-1][1]:.1f} MB, peak {peak:.1f} MB, "
          f"growth after the first minute {samples[-1][1] - after_warmup:+.1f} MB")


if __name__ == "__main__":
    main()
