"""fth against a server it cannot keep up with, and against an answer it must not keep: peak RSS and exit time.

    python -m bench.hostile [--rate 20000] [--cap 100] [--answer-gib 2]

1. Fire overload: --rate files/s in fire mode with max_in_flight --cap, against a server that
   answers after 5 s; a 3 s run with stop_timeout 2 s. fth should exit within stop_timeout + 1 s
   of the run's end with every send counted (attempted = succeeded + failed + not sent).
2. A huge answer: one upload whose answer is a --answer-gib GiB body, with each client, in a 3 s run
   with stop_timeout 2 s: memory stays flat, and an answer still arriving is aborted in time.

Each server runs in its own process; fth's peak RSS is its own (os.wait4), not the bench's.
Target (issue 12): under 300 MB and within stop_timeout + 1 s.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from typing import Any, Dict, List, Tuple

import yaml

from bench.fthrun import make_files
from bench.sink import free_port, pinned

LATE_SERVER = """
import sys
from gevent import monkey; monkey.patch_all()
import gevent
from gevent.server import StreamServer
def handle(sock, _):
    try:
        while sock.recv(65536):
            gevent.sleep(5.0)
            sock.sendall(b"HTTP/1.1 201 Created\\r\\nContent-Length: 0\\r\\n\\r\\n")
    except OSError:
        pass
StreamServer(("127.0.0.1", int(sys.argv[1])), handle, backlog=8192).serve_forever()
"""

HUGE_SERVER = """
import sys
from gevent import monkey; monkey.patch_all()
from gevent.server import StreamServer
size = int(sys.argv[2])
block = memoryview(bytes(1 << 20))
def handle(sock, _):
    try:
        while sock.recv(65536):
            sock.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % size)
            left = size
            while left > 0:
                sock.sendall(block[:min(left, len(block))])
                left -= len(block)
    except OSError:
        pass
StreamServer(("127.0.0.1", int(sys.argv[1])), handle).serve_forever()
"""

STOP_TIMEOUT = 2.0
DURATION = 3.0


def run_fth(directory: str, job: Dict[str, Any], args: List[str]) -> Tuple[Dict[str, Any], float, float, float]:
    """(summary, wall seconds, peak RSS in MB, exit time as a Unix time) of one fth process."""
    config = os.path.join(directory, "job.yml")
    with open(config, "w") as out:
        yaml.safe_dump({"stop_timeout": f"{STOP_TIMEOUT}s", "jobs": [job]}, out)
    summary = os.path.join(directory, "summary.json")
    started = time.monotonic()
    process = subprocess.Popen([*pinned(1), sys.executable, "-m", "fth", "-c", config, "-q", "--summary-json",
                                summary, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    exited = time.time()
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"fth exited with {process.returncode}")
    with open(summary) as src:
        return json.load(src), wall, usage.ru_maxrss / 1024, exited


def serve(code: str, *args: object) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([*pinned(0), sys.executable, "-c", code, str(port), *map(str, args)])
    time.sleep(1.0)
    return server, port


def overload(directory: str, rate: float, cap: int, client: str) -> None:
    server, port = serve(LATE_SERVER)
    try:
        summary, _, rss, exited = run_fth(directory, {
            "name": "flood", "protocol": "http", "username": "flood", "source": make_files(
                os.path.join(directory, "files"), count=50), "url": f"http://127.0.0.1:{port}/up",
            "rate": f"{rate}/s", "mode": "fire", "max_in_flight": cap, "client": client, "timeout": "30s"},
            ["--duration", f"{DURATION}s"])
    finally:
        server.kill()
        server.wait()
    job = summary["jobs"][0]
    accounted = job["attempted"] == job["succeeded"] + job["failed"] + job["not_sent"]
    print(f"fire {rate:.0f}/s cap {cap} ({client}): peak RSS {rss:.0f} MB, exit {_after_end(summary, exited):.2f} s "
          f"after the run's end (limit {STOP_TIMEOUT + 1:g} s); peak in flight {job['peak_in_flight']}; attempted "
          f"{job['attempted']} = ok {job['succeeded']} + failed {job['failed']} + not sent {job['not_sent']}: "
          f"{'yes' if accounted else 'NO'}")


def huge_answer(directory: str, gib: float, client: str) -> None:
    size = int(gib * (1 << 30))
    server, port = serve(HUGE_SERVER, size)
    try:
        summary, _, rss, exited = run_fth(directory, {
            "name": "huge", "protocol": "http", "username": "huge", "source": make_files(
                os.path.join(directory, "files"), count=1), "url": f"http://127.0.0.1:{port}/up", "rate": "1/s",
            "count": 1, "client": client, "timeout": "600s", "expect_status": [200]}, ["--duration", f"{DURATION}s"])
    finally:
        server.kill()
        server.wait()
    job = summary["jobs"][0]
    print(f"{gib:g} GiB answer ({client}): peak RSS {rss:.0f} MB, exit {_after_end(summary, exited):.2f} s after "
          f"the run's end (limit {STOP_TIMEOUT + 1:g} s); outcome {job['errors'] or 'ok'}")


def _after_end(summary: Dict[str, Any], exited: float) -> float:
    """Seconds from the run's end (its start, after Python's own start-up, plus the duration) to the exit."""
    return exited - (datetime.fromisoformat(summary["started"]).timestamp() + DURATION)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--answer-gib", type=float, default=2.0)
    args = parser.parse_args()
    for client in ("fast", "requests"):
        with tempfile.TemporaryDirectory(prefix="fth-hostile-") as directory:
            overload(directory, args.rate, args.cap, client)
    for client in ("fast", "requests"):
        with tempfile.TemporaryDirectory(prefix="fth-hostile-") as directory:
            huge_answer(directory, args.answer_gib, client)


if __name__ == "__main__":
    main()
