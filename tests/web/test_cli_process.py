"""``fth-web --mock`` as a real process: serves the monitor, stops cleanly on SIGINT with exit status 0.

SIGINT is handled by a gevent signal handler: before, the KeyboardInterrupt landed in whichever
greenlet ran (often a request), printing a traceback in about half the runs on gevent 26.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fixtures.mariadb import free_port

REPO = Path(__file__).resolve().parents[2]
CODE = "import sys; from fth.main import web_main; sys.exit(web_main(sys.argv[1:]))"


def test_fth_web_mock_process(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), FTH_WEB_MOCK_RATE="50/s")
    proc = subprocess.Popen([sys.executable, "-c", CODE, "--mock", "--port", str(port)], cwd=str(tmp_path),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        data = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/transactions", timeout=5) as response:
                    data = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        assert data is not None, proc.stderr.read().decode() if proc.poll() is not None else "no answer"
        assert data["source"] == "mock" and data["count"] == 50
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"Recent transactions" in response.read()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert f"127.0.0.1:{port}".encode() in err  # the log says where it listens
    first = err.decode().splitlines()[0]  # the first line says which layout and data it chose
    assert "fth-web: dashboard layout (chosen from the configuration), data from mock data at 50/s" in first
