"""Every benchmark in one command: ``python -m bench [--soak-minutes 30] [--skip NAME ...]``.

Runs each script in turn (they pin servers to core 0 and clients to core 1, so never two at
once), shows its own output, and ends with a table of what ran, how long it took and whether it
finished. Locust is optional (bench-only): install it, or pass --locust PATH to its executable.
"""

import argparse
import shutil
import subprocess
import sys
import time

BENCHES = [
    ("http", "HTTP files/s per core and schedule accuracy", ["bench.http_rate", "--rates", "10,100,1000"]),
    ("locust", "fth beside Locust HttpUser / FastHttpUser", ["bench.vs_locust"]),
    ("fire", "10,000 transfers in flight (fire mode)", ["bench.fire_scale"]),
    ("hostile", "fire overload at 20,000/s and a 2 GiB answer: RSS, exit", ["bench.hostile"]),
    ("sftp", "SFTP files/s and 200 MiB beside OpenSSH sftp", ["bench.sftp_rate"]),
    ("processes", "1 vs 2 worker processes (--processes): HTTP and SFTP", ["bench.processes"]),
    ("report", "fth-report with 1M pairs", ["bench.report_scale", "--pairs", "1000000"]),
    ("web", "fth-web API p50/p95 at 1M rows", ["bench.web_api"]),
    ("metrics", "one /metrics scrape (Prometheus) at 1-20 jobs", ["bench.metrics_scrape"]),
    ("soak", "RSS over a long run at 200 files/s", ["bench.soak"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip", action="append", default=[], choices=[name for name, _, _ in BENCHES])
    parser.add_argument("--soak-minutes", type=float, default=30)
    parser.add_argument("--locust", default=shutil.which("locust"))
    args = parser.parse_args()
    if not args.locust and "locust" not in args.skip:
        print("locust not found: skipping the Locust comparison (pip install locust, or --locust PATH)")
        args.skip.append("locust")
    results = []
    for name, title, command in BENCHES:
        if name in args.skip:
            continue
        extra = {"locust": ["--locust", args.locust or ""], "soak": ["--minutes", str(args.soak_minutes)]}.get(name, [])
        print(f"\n== {title}", flush=True)
        started = time.monotonic()
        status = subprocess.run([sys.executable, "-m", *command, *extra], check=False).returncode
        results.append((name, title, time.monotonic() - started, status))
    print("\n" + f"{'bench':8s} {'what':48s} {'seconds':>8s}  result")
    for name, title, seconds, status in results:
        print(f"{name:8s} {title:48s} {seconds:8.0f}  {'ok' if status == 0 else f'exit {status}'}")


if __name__ == "__main__":
    main()
