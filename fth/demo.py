"""``fth --demo``: the whole story on one machine, with no servers and no network.

Makes a work directory (``./fth-demo``, or ``$FTH_DEMO_DIR``) with sample files of a few
sizes, starts the built-in target in-process on free loopback ports (HTTP and SFTP, tracking
rows in an SQLite file there), writes a job file for it (``demo-job.yml``), runs three jobs
through the normal run path (live view, summary): one over HTTP, one over SFTP with a password
and a temporary name, and one HTTP job ramping until the target's capacity refuses uploads.
Then it waits for the target's egress rows, writes the HTML report from the tracking rows with
``fth-report`` and prints how to open it and how to watch the same rows with ``fth-web``.
"""

import argparse
import datetime as dt
import logging
import os
import random
import shlex
from pathlib import Path
from typing import Any, Dict, List

import yaml

from fth.config import load_run_config
from fth.console import write_lines
from fth.errors import FthError
from fth.status import ExitStatus
from fth.target import Target, TargetSettings
from fth.target.settings import parse_mix

log = logging.getLogger(__name__)

DEFAULT_DURATION = 30.0
DEMO_PASSWORD = "demo"  # noqa: S105  (the built-in target's documented demo password, loopback only)
CAPACITY = 40.0  # files/s the demo target accepts; the ramp goes past it about half-way (503s from then on)
RAMP_PEAK = 60.0
SAMPLES = {
    "orders": [("order-{:03d}.csv", 1024), ("order-{:03d}.csv", 8 * 1024), ("order-{:03d}.csv", 64 * 1024)],
    "partner": [("invoice-{:03d}.xml", 4 * 1024), ("scan-{:03d}.pdf", 256 * 1024), ("archive-{:03d}.zip", 1 << 20)],
    "sensors": [("reading-{:03d}.json", 512), ("reading-{:03d}.json", 2 * 1024)],
}


def work_dir() -> Path:
    return Path(os.environ.get("FTH_DEMO_DIR") or "fth-demo").expanduser().resolve()


def make_samples(base: Path) -> Dict[str, Path]:
    """A few files of a few sizes per source directory (kept between demo runs)."""
    rng = random.Random(1)
    sources = {}
    for name, kinds in SAMPLES.items():
        directory = base / "data" / name
        directory.mkdir(parents=True, exist_ok=True)
        for index in range(12):
            pattern, size = kinds[index % len(kinds)]
            path = directory / pattern.format(index + 1)
            if not path.exists() or path.stat().st_size != size:
                path.write_bytes(rng.getrandbits(8 * size).to_bytes(size, "little") if size else b"")
        sources[name] = directory
    return sources


def job_file(base: Path, target: Target, sources: Dict[str, Path], duration: float) -> Dict[str, Any]:
    """The demo's job file: three jobs against the running target and its SQLite tracking store."""
    http = target.http_url
    return {
        "duration": f"{duration:g}s",
        "interval": "2s",
        "stop_timeout": "10s",
        "jobs": [
            {"name": "orders-http", "protocol": "http", "username": "orders", "password": DEMO_PASSWORD,
             "source": str(sources["orders"]), "rate": "8/s", "mode": "wait", "workers": 2,
             "url": http + "/orders", "method": "POST",
             "headers": {"X-Transaction-ID": "{uuid}", "X-Filename": "{filename}"}},
            {"name": "partner-sftp", "protocol": "sftp", "username": "partner1", "password": DEMO_PASSWORD,
             "host": target.sftp_host, "port": target.sftp_port, "host_key_policy": "accept-new",
             "known_hosts": str(base / "known_hosts"), "remote_dir": "/", "remote_name": "{uuid}_{filename}",
             "temp_name": ".{filename}.part", "source": str(sources["partner"]), "rate": "3/s", "mode": "fire",
             "max_in_flight": 10},
            {"name": "sensors-ramp", "protocol": "http", "username": "sensors", "password": DEMO_PASSWORD,
             "source": {"path": str(sources["sensors"]), "order": "random"}, "mode": "fire", "max_in_flight": 50,
             "rate": "2/s", "ramp": [{"to": f"{RAMP_PEAK:g}/s", "over": f"{duration:g}s"}],
             "url": http + "/sensors", "body": "multipart", "field": "file", "form": {"uuid": "{uuid}"}},
        ],
        "tracking": target.tracking_yaml(),
        "web": {"host": "127.0.0.1", "port": 8080},
    }


def write_job_file(path: Path, document: Dict[str, Any]) -> None:
    header = ("# Written by `fth --demo`: the jobs it ran against the built-in target (on ports that were free\n"
              "# then) and the target's SQLite tracking store. fth-report and fth-web read the tracking: section.\n")
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def run_demo(args: argparse.Namespace) -> int:
    from fth.main import report_main
    from fth.run import run_config

    base = work_dir()
    base.mkdir(parents=True, exist_ok=True)
    sources = make_samples(base)
    store = base / "tracking.sqlite"
    for stale in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
        if stale.exists():
            stale.unlink()
    duration = float(args.duration or DEFAULT_DURATION)
    settings = TargetSettings(http=("127.0.0.1", 0), sftp=("127.0.0.1", 0), store=str(store),
                              host_key=str(base / "target_host_key"), delay=(0.2, 1.5), mix=parse_mix("90/7/3"),
                              drop=0.01, capacity=CAPACITY, sftp_password=DEMO_PASSWORD)
    job_path = base / "demo-job.yml"
    report_path = base / "report.html"
    summary_path = base / "report-summary.json"
    try:
        target = Target(settings).start()
    except OSError as exc:
        raise FthError(f"the demo target cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
    try:
        write_job_file(job_path, job_file(base, target, sources, duration))
        config = load_run_config(str(job_path))
        config.duration = duration
        config.summary_json = getattr(args, "summary_json", None)
        config.transfer_log = getattr(args, "transfer_log", None) or str(base / "transfers.jsonl")
        if os.path.exists(config.transfer_log) and not getattr(args, "transfer_log", None):
            os.unlink(config.transfer_log)
        if not args.quiet:
            write_lines([f"fth demo: built-in target on {target.http_url} (HTTP) and "
                         f"{target.sftp_host}:{target.sftp_port} (SFTP), work directory {base}", ""])
        status, summary = run_config(config, args)
        longest = settings.delay[1] + 10.0
        if not args.quiet:
            write_lines(["", "waiting for the target to finish processing (egress rows)…"])
        if not target.wait_idle(longest):
            log.warning("the target still had files in processing after %.0fs", longest)
    finally:
        target.stop()
    started = dt.datetime.fromisoformat(summary["started"]) - dt.timedelta(seconds=1)
    ended = dt.datetime.now().astimezone() + dt.timedelta(seconds=1)
    report_args = ["-c", str(job_path), "--from", started.isoformat(timespec="seconds"),
                   "--to", ended.isoformat(timespec="seconds"), "-o", str(report_path),
                   "--summary-json", str(summary_path), "--transfer-log", config.transfer_log,
                   "--title", "fth demo: file transfer test report"]
    if args.quiet:
        report_args.append("-q")
    if args.no_color:
        report_args.append("--no-color")
    reported = report_main(report_args)
    if reported != ExitStatus.SUCCESS:
        raise FthError("the demo ran but writing its report failed (see above)")
    if not args.quiet:
        write_lines(next_steps(job_path, report_path, store))
    return int(status)


def next_steps(job_path: Path, report_path: Path, store: Path) -> List[str]:
    job = shlex.quote(str(job_path))
    return [
        "",
        f"Report:   {report_path}",
        f"  open it: xdg-open {shlex.quote(str(report_path))}   (or {report_path.as_uri()} in a browser)",
        f"Tracking: {store} (tables ingress_transfers, egress_transfers)",
        "Watch the same rows in the live monitor:",
        f"  fth-web -c {job}     then open http://127.0.0.1:8080",
        "Report on them again, or on another window:",
        f"  fth-report -c {job} --since 1h -o report.html",
        "Run the target on its own and send to it with your own job file:",
        "  fth-target      (HTTP 127.0.0.1:8880, SFTP 127.0.0.1:8822, password demo)",
    ]
