"""A fast loopback HTTP sink for benchmarks: nginx answering 201 to everything, on one core."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator, Optional

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        client_max_body_size 1g;
        location / {{ return 201; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(core: Optional[int]) -> list:
    """A taskset prefix pinning a command to ``core`` (nothing if taskset is missing)."""
    if core is None or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(core)]


@contextmanager
def nginx_sink(core: Optional[int] = 0) -> Iterator[str]:
    """Start nginx on a free port; yields the upload URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise SystemExit("nginx is not installed: apt-get install nginx-light")
    with tempfile.TemporaryDirectory(prefix="fth-sink-") as directory:
        port = free_port()
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as out:
            out.write(NGINX_CONF.format(dir=directory, port=port))
        process = subprocess.Popen([*pinned(core), binary, "-c", conf, "-p", directory],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None:
                        raise SystemExit("nginx failed: " + process.stderr.read().decode()) from None
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/upload"
        finally:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
