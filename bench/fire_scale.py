"""Fire mode at scale: transfers in flight against a server that answers after 5 s.

    python -m bench.fire_scale [--in-flight 10000] [--delay 5] [--seconds 15] [--client fast]

A gevent server in its own process holds every request for --delay seconds. fth runs in fire mode
at in-flight/delay files/s under a pseudo-terminal, so its live view is drawn as for a person.
Prints the peak transfers in flight, the largest gap between two live-view frames, how long fth
took to answer SIGINT (the "stopping" line), and the run's accounting.
"""

import argparse
import json
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml

from bench.fthrun import make_files
from bench.sink import free_port, pinned

SERVER = """
import sys
from gevent import monkey; monkey.patch_all()
import gevent, gevent.pool
from gevent import pywsgi
delay = float(sys.argv[2])
def app(environ, start_response):
    environ["wsgi.input"].read()
    gevent.sleep(delay)
    start_response("201 Created", [("Content-Length", "0")])
    return [b""]
pywsgi.WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, error_log=None, backlog=8192,
                  spawn=gevent.pool.Pool(50000)).serve_forever()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in-flight", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--client", default="fast", choices=("requests", "fast"))
    args = parser.parse_args()
    rate = args.in_flight / args.delay
    port = free_port()
    server = subprocess.Popen([*pinned(0), sys.executable, "-c", SERVER, str(port), str(args.delay)])
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as directory:
            source = make_files(os.path.join(directory, "files"), count=50)
            config = os.path.join(directory, "job.yml")
            with open(config, "w") as out:
                yaml.safe_dump({"stop_timeout": f"{args.delay * 3}s", "jobs": [{
                    "name": "scale", "protocol": "http", "username": "scale", "source": source,
                    "url": f"http://127.0.0.1:{port}/upload", "rate": f"{rate}/s", "mode": "fire",
                    "max_in_flight": int(args.in_flight * 1.2), "client": args.client,
                    "connect_timeout": "30s", "timeout": f"{args.delay * 4}s"}]}, out)
            summary = os.path.join(directory, "summary.json")
            primary, secondary = pty.openpty()
            process = subprocess.Popen([*pinned(1), sys.executable, "-m", "fth", "-c", config, "--duration", "1h",
                                        "--summary-json", summary], stdin=secondary, stdout=secondary,
                                       stderr=secondary, env=dict(os.environ, TERM="xterm"))
            os.close(secondary)
            frames, lines = [], []
            buffer = b""

            def read() -> None:
                nonlocal buffer
                while True:
                    try:
                        chunk = os.read(primary, 65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    now = time.monotonic()
                    frames.extend(now for _ in range(chunk.count(b"\x1b[1mfth ")))
                    buffer += chunk
                    lines.extend((now, line) for line in chunk.split(b"\n") if b"stopping" in line)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(args.seconds)
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            process.wait(timeout=args.delay * 6)
            reader.join(timeout=5)
            with open(summary) as src:
                job = json.load(src)["jobs"][0]
    finally:
        server.kill()
    steady = [t for t in frames if t < interrupted]
    gaps = [b - a for a, b in zip(steady[5:], steady[6:])]
    answered = next((t for t, _ in lines if t >= interrupted), None)
    text = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", buffer).decode(errors="replace")
    print(f"target {rate:.0f}/s for {args.seconds:.0f}s, server delay {args.delay}s, client {args.client}")
    print(f"peak in flight {job['peak_in_flight']}   live-view frames {len(steady)}, largest gap "
          f"{max(gaps) if gaps else float('nan'):.2f} s   SIGINT answered in "
          f"{(answered - interrupted) if answered else float('nan'):.2f} s")
    print(f"attempted {job['attempted']} = succeeded {job['succeeded']} + failed {job['failed']} + not sent "
          f"{job['not_sent']}; achieved {job['achieved_rate_per_s']}/s of {job['target_rate_per_s']}/s; "
          f"errors {job['errors']}")
    if "Run summary" not in text:
        print("no summary on the terminal!")


if __name__ == "__main__":
    main()
