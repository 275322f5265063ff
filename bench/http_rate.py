"""HTTP throughput per core and schedule accuracy against a fast loopback sink (nginx).

    python -m bench.http_rate [--duration 20s] [--senders 50]

The sink runs on core 0, fth on core 1 (taskset), as in shared PERF-ANCHORS. Prints:
- files/s of 1 KiB POSTs with 50 senders going flat out, and CPU seconds per 1,000 files;
- schedule accuracy at 200 files/s over 50 senders (wait mode) and in fire mode: achieved/target,
  latency p50/p99 beside the sink's own p50 (one sender at 20 files/s), and send lateness p50/p99;
- with --rates 10,100,1000: the same accuracy figures at each rate, fire and wait.
"""

import argparse
import os
import tempfile

from bench.fthrun import make_files, run_fth
from bench.sink import nginx_sink


def job(url: str, source: str, **settings) -> dict:
    base = {"name": "bench", "protocol": "http", "username": "bench", "source": source, "url": url,
            "headers": {"X-Transaction-ID": "{uuid}", "X-Filename": "{filename}"}}
    base.update(settings)
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--rates", default="200", help="comma-separated files/s for the accuracy runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, nginx_sink(core=0) as url:
        source = make_files(os.path.join(directory, "files"))
        flat_out = run_fth([job(url, source, rate="1000000/s", mode="wait", workers=args.senders)], args.duration)
        j = flat_out.job
        files = j["succeeded"]
        print(f"throughput   {files / j['active_s']:8.0f} files/s   "
              f"{flat_out.cpu_seconds / files * 1000:.3f} CPU s per 1,000 files   "
              f"({files} files, {j['failed']} failed, {args.senders} senders, 1 KiB POST, one core)")

        baseline = run_fth([job(url, source, rate="20/s", mode="wait", workers=1)], "10s").job
        sink_p50 = baseline["latency_ms"]["p50"]
        print(f"sink alone   p50 {sink_p50:.3f} ms (one sender at 20 files/s)")
        for rate in (float(r) for r in args.rates.split(",")):
            for mode in ("wait", "fire"):
                paced = run_fth([job(url, source, rate=f"{rate:g}/s", mode=mode, workers=args.senders)],
                                args.duration).job
                lat, late = paced["latency_ms"], paced["lateness_ms"]
                ratio = paced["achieved_rate_per_s"] / paced["target_rate_per_s"]
                print(f"{rate:6g}/s {mode:4s}   achieved/target {ratio:.4f}   "
                      f"p50 {lat['p50']:.3f} ms (sink {lat['p50'] - sink_p50:+.3f})   p99 {lat['p99']:.3f} ms   "
                      f"lateness p50 {late['p50']:.3f} ms p99 {late['p99']:.3f} ms   failed {paced['failed']}")

if __name__ == "__main__":
    main()
