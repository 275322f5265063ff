"""What one /metrics scrape costs the run: the engine's greenlets wait while it is rendered.

    python -m bench.metrics_scrape [--jobs 1,3,20] [--kinds 3] [--scrapes 50]

Builds a run of ``--jobs`` HTTP jobs (nothing is sent), fills each job's latency histogram
with 20,000 log-normal values (hundreds of buckets, as in a long run) and ``--kinds`` fault
kinds, then renders /metrics ``--scrapes`` times and prints the mean time and the size of a
scrape. Prometheus scrapes every 15-60 s, so a scrape should stay at a few milliseconds.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

import yaml

import fth  # noqa: F401  (monkey-patches for gevent, as in a run)
from fth.config import load_run_config
from fth.engine.runner import Runner
from fth.metrics import exposition, run_registry


def scrape_cost(jobs: int, kinds: int, scrapes: int, workdir: Path) -> str:
    (workdir / "src").mkdir(exist_ok=True)
    (workdir / "src" / "a.dat").write_bytes(b"x" * 1024)
    config_path = workdir / f"job{jobs}.yml"
    config_path.write_text(yaml.safe_dump({"jobs": [
        {"name": f"job{index}", "protocol": "http", "username": "bench", "source": str(workdir / "src"),
         "rate": "10/s", "url": "http://127.0.0.1:9/"} for index in range(jobs)]}))
    config = load_run_config(str(config_path))
    runner = Runner(config, config.jobs)
    runner.start()
    runner.stop("bench")
    chance = random.Random(1)
    for state in runner.states.values():
        for _ in range(20_000):
            state.stats.latency.record(chance.lognormvariate(-3, 1.5))
        state.stats.errors.update({f"http_5{code:02d}": 1 for code in range(kinds)})
    registry = run_registry(runner)
    started = time.perf_counter()
    for _ in range(scrapes):
        body, _ = exposition(registry)
    mean_ms = (time.perf_counter() - started) / scrapes * 1000
    return f"{jobs:4d} jobs × {kinds} fault kinds: {mean_ms:6.2f} ms per scrape, {len(body):,} bytes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", default="1,3,20", help="job counts to try, comma-separated")
    parser.add_argument("--kinds", type=int, default=3, help="fault kinds per job")
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for jobs in (int(text) for text in args.jobs.split(",")):
            print(scrape_cost(jobs, args.kinds, args.scrapes, Path(workdir)), flush=True)


if __name__ == "__main__":
    main()
