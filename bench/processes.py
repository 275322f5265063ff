"""fth with 1 and 2 worker processes (``--processes``), taking turns over rounds.

    python -m bench.processes [--duration 20s] [--base 5s] [--rounds 3] [--senders 50] [--sftp-senders 20]

- HTTP: 1 KiB POSTs flat out (wait mode, ``client: fast``, --senders in total) against the nginx
  sink: files/s and CPU µs per file;
- SFTP: 1 KB uploads with a new connection per file (wait mode, --sftp-senders in total) against
  a private OpenSSH sshd: uploads/s and CPU µs per upload.

CPU is user + system time of every fth process (the parent of the workers included). Each process
spends about a second of CPU starting (Python imports), so CPU per file is taken from a long and
a short run: (CPU of --duration − CPU of --base) / (files of --duration − files of --base), the
cost of sending without the start-up; files/s is that of the long run.

Nothing is pinned: the point is to use more cores. On a 2-CPU machine the sink (or sshd) shares
the cores with fth, so two processes cannot double the rate; CPU per file is the figure that
says whether splitting costs anything. Medians of the rounds, with the range.
"""

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from bench.fthrun import FthRun, make_files, run_fth
from bench.sink import nginx_sink

Figures = Dict[int, List[Tuple[float, float]]]  # processes -> [(files/s, CPU µs per file)] per round


def http_job(url: str, source: str, senders: int) -> dict:
    return {"name": "bench", "protocol": "http", "username": "bench", "source": source, "url": url,
            "client": "fast", "rate": "1000000/s", "mode": "wait", "workers": senders,
            "headers": {"X-Transaction-ID": "{uuid}"}}


def sftp_job(server, source: str, senders: int) -> dict:
    return {"name": "bench", "protocol": "sftp", "username": server.user, "source": source, "host": server.host,
            "port": server.port, "key_file": str(server.key_file), "known_hosts": str(server.known_hosts),
            "remote_dir": ".", "remote_name": "{uuid}.dat", "connection": "per-file", "rate": "1000000/s",
            "mode": "wait", "workers": senders}


def files_sent(run: FthRun) -> int:
    total = run.summary["total"]
    if total["failed"]:
        print(f"  ({total['failed']} failed: {total['errors']})")
    return total["succeeded"]


def figures(long: FthRun, short: FthRun) -> Tuple[float, float]:
    """(files/s of the long run, CPU µs per file of the difference between the runs)."""
    files = files_sent(long)
    extra_files = files - files_sent(short)
    return files / long.summary["total"]["active_s"], (long.cpu_seconds - short.cpu_seconds) / extra_files * 1e6


def rounds(job: dict, duration: str, base: str, count: int) -> Figures:
    results: Figures = {1: [], 2: []}
    for _ in range(count):
        for processes in (1, 2):
            runs = [run_fth([job], length, core=None, args=["--processes", str(processes)])
                    for length in (duration, base)]
            results[processes].append(figures(*runs))
    return results


def report(title: str, unit: str, results: Figures) -> None:
    def spread(values: List[float], fmt: Callable[[float], str]) -> str:
        return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"

    print(title)
    for processes, values in results.items():
        rates, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"  {processes} process{'es' if processes > 1 else '  '}  {spread(rates, '{:,.0f}'.format)} {unit}   "
              f"{spread(cpu, '{:,.0f}'.format)} CPU µs per file")
    one, two = (statistics.median(v[1] for v in results[n]) for n in (1, 2))
    print(f"  CPU per file, 2 processes / 1: {two / one:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--base", default="5s", help="the short run whose CPU and files are subtracted")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--sftp-senders", type=int, default=20)
    parser.add_argument("--skip-sftp", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, nothing pinned; medians of {args.rounds} rounds (range), 1 and 2 processes "
          "taking turns")
    with tempfile.TemporaryDirectory() as directory, nginx_sink(core=None) as url:
        source = make_files(os.path.join(directory, "files"))
        report(f"HTTP 1 KiB POST flat out, {args.senders} senders, nginx sink", "files/s",
               rounds(http_job(url, source, args.senders), args.duration, args.base, args.rounds))
    if args.skip_sftp:
        return
    from tests.fixtures.sshd import start_sshd

    where = "/dev/shm" if os.path.isdir("/dev/shm") else None
    server = start_sshd(Path(tempfile.mkdtemp(prefix="fth-bench-sshd-", dir=where)))
    work = tempfile.mkdtemp(prefix="fth-bench-files-", dir=where)
    try:
        source = make_files(os.path.join(work, "files"))
        report(f"SFTP 1 KB, new connection per file, {args.sftp_senders} senders, OpenSSH sshd", "uploads/s",
               rounds(sftp_job(server, source, args.sftp_senders), args.duration, args.base, args.rounds))
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
