"""HTTP files/s per core: fth beside Locust, same sink, same payload, same core, in one run.

    pip install locust            # bench-only; a separate venv is fine: --locust /path/to/venv/bin/locust
    python -m bench.vs_locust [--seconds 20] [--rounds 3] [--users 50] [--locust locust]

The nginx sink runs on core 0; each client runs alone on core 1 (taskset) with 50 concurrent
senders and no wait, POSTing the same 1 KiB body with a uuid header. Prints files/s for Locust
HttpUser and FastHttpUser, and for fth with client: requests and client: fast, with the ratios.
Back-to-back runs on a shared VM differ by 10-30 %, so the four clients take turns for
``--rounds`` rounds and the ratios are of the medians (each round's ratios are printed too).
"""

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import tempfile
from typing import Dict, List

from bench.fthrun import make_files, run_fth
from bench.sink import nginx_sink, pinned

LOCUSTFILE = '''
import uuid
from locust import {base}, task

BODY = open({body!r}, "rb").read()


class Uploader({base}):
    host = {host!r}

    @task
    def upload(self):
        self.client.post("/upload", data=BODY, headers={{"X-Transaction-ID": str(uuid.uuid4())}})
'''


def locust_rate(locust: str, base: str, host: str, body: str, users: int, seconds: int, directory: str) -> float:
    path = os.path.join(directory, f"locust_{base}.py")
    with open(path, "w") as out:
        out.write(LOCUSTFILE.format(base=base, body=body, host=host))
    prefix = os.path.join(directory, base)
    subprocess.run([*pinned(1), locust, "-f", path, "--headless", "-u", str(users), "-r", str(users),
                    "-t", f"{seconds}s", "--csv", prefix, "--only-summary", "--loglevel", "ERROR"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(prefix + "_stats.csv") as src:
        for row in csv.DictReader(src):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise RuntimeError("no Aggregated row in Locust's CSV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--locust", default=shutil.which("locust") or "locust")
    args = parser.parse_args()
    pairs = (("fth client: requests", "locust HttpUser"), ("fth client: fast", "locust FastHttpUser"))
    rates: Dict[str, List[float]] = {}
    with tempfile.TemporaryDirectory() as directory, nginx_sink(core=0) as url:
        source = make_files(os.path.join(directory, "files"), count=1)
        body = os.path.join(source, os.listdir(source)[0])
        host = url.rsplit("/", 1)[0]
        for round_number in range(1, args.rounds + 1):
            measured = {}
            for base in ("HttpUser", "FastHttpUser"):
                measured[f"locust {base}"] = locust_rate(args.locust, base, host, body, args.users, args.seconds,
                                                         directory)
            for client in ("requests", "fast"):
                job = {"name": "bench", "protocol": "http", "username": "bench", "source": source, "url": url,
                       "rate": "1000000/s", "mode": "wait", "workers": args.users, "client": client,
                       "headers": {"X-Transaction-ID": "{uuid}"}}
                run = run_fth([job], f"{args.seconds}s").job
                measured[f"fth client: {client}"] = run["succeeded"] / run["active_s"]
            print(f"round {round_number}: " + ", ".join(f"{name} {rate:.0f}" for name, rate in measured.items())
                  + "; ratios " + ", ".join(f"{measured[ours] / measured[theirs]:.2f}x" for ours, theirs in pairs),
                  flush=True)
            for name, rate in measured.items():
                rates.setdefault(name, []).append(rate)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{'client':28s} {'median files/s':>15s} {'range':>15s}")
    for name, values in rates.items():
        print(f"{name:28s} {medians[name]:15.0f} {min(values):7.0f}-{max(values):<7.0f}")
    print(f"fth requests / Locust HttpUser:     {medians['fth client: requests'] / medians['locust HttpUser']:.2f}x")
    print(f"fth fast     / Locust FastHttpUser: {medians['fth client: fast'] / medians['locust FastHttpUser']:.2f}x")

if __name__ == "__main__":
    main()
