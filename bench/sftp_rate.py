"""SFTP throughput of fth's transport beside OpenSSH's own ``sftp`` client, same private sshd, same run.

    python bench/sftp_rate.py [--small 1000] [--per-file 60] [--big-mib 200] [--rounds 3] [--no-pin]

Measures, alternating fth and OpenSSH in each round:
  * 1 KB files over one connection (fth ``connection: reuse`` vs ``sftp -b`` with N puts), files/s;
  * 1 KB files with a new connection per file (fth ``per-file`` vs one ``sftp -b`` run per file), files/s;
  * one big file (fth vs ``sftp -b put``), MiB/s.
Both sides include connecting and logging in. With two or more CPUs, sshd is pinned to
CPU 0 and the clients to CPU 1 (as in the project's performance notes). Figures are
medians over the rounds, with the range; compare ratios, not absolute numbers.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fth  # noqa: F401  (gevent monkey-patching first)
from fth.protocols.base import TransferRequest
from fth.protocols.sftp import SftpTransport
from fth.templates import TransferContext
from tests.fixtures.sshd import SshServer, sftp_job, start_sshd

MIB = 1024 * 1024


def request_for(path: Path, seq: int) -> TransferRequest:
    context = TransferContext(uuid=f"bench-{seq}", filename=path.name, job="bench", username="bench", seq=seq,
                              timestamp="2026-01-01T00:00:00.000Z", epoch=0, date="2026-01-01")
    return TransferRequest(path=str(path), context=context)


def fth_upload(server: SshServer, files: List[Path], remote_dir: str, connection: str) -> float:
    """Seconds for fth to send ``files`` (connect and login included)."""
    transport = SftpTransport(sftp_job(server, files[0].parent, remote_dir=remote_dir, connection=connection))
    started = time.perf_counter()
    try:
        for seq, path in enumerate(files):
            result = transport.send(request_for(path, seq))
            if not result.ok:
                raise SystemExit(f"fth upload failed: {result.fault}: {result.detail}")
    finally:
        transport.close()
    return time.perf_counter() - started


def openssh_args(server: SshServer, batch: Path) -> List[str]:
    return ["sftp", "-q", "-b", str(batch), "-P", str(server.port), "-i", str(server.key_file),
            "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", f"{server.user}@{server.host}"]


def quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def openssh_upload(server: SshServer, files: List[Path], remote_dir: str, per_file: bool, work: Path) -> float:
    """Seconds for OpenSSH ``sftp -b`` to put ``files``: one session, or one session per file."""
    groups = [[path] for path in files] if per_file else [files]
    batches = []
    for index, group in enumerate(groups):
        batch = work / f"batch-{index}.txt"
        batch.write_text("".join(f"put {quote(str(p))} {quote(remote_dir + '/' + p.name)}\n" for p in group))
        batches.append(batch)
    started = time.perf_counter()
    for batch in batches:
        subprocess.run(openssh_args(server, batch), check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def fresh_dir(server: SshServer, name: str) -> Tuple[str, Path]:
    path = server.data_dir / name
    shutil.rmtree(path, ignore_errors=True)
    server.make_dir(name)
    return str(path), path


def check_identical(local: List[Path], remote: Path) -> None:
    for path in local[:: max(1, len(local) // 20)] + local[-1:]:
        target = remote / path.name
        if target.stat().st_size != path.stat().st_size:
            raise SystemExit(f"{target} differs in size from {path}")


def measure(server: SshServer, name: str, files: List[Path], work: Path, rounds: int,
            fth_mode: str, openssh_per_file: bool, unit: Callable[[float], float]) -> Dict[str, List[float]]:
    figures: Dict[str, List[float]] = {"fth": [], "openssh": []}
    for _ in range(rounds):
        remote, local_path = fresh_dir(server, f"{name}-fth")
        figures["fth"].append(unit(fth_upload(server, files, remote, fth_mode)))
        check_identical(files, local_path)
        shutil.rmtree(local_path, ignore_errors=True)
        remote, local_path = fresh_dir(server, f"{name}-openssh")
        figures["openssh"].append(unit(openssh_upload(server, files, remote, openssh_per_file, work)))
        check_identical(files, local_path)
        shutil.rmtree(local_path, ignore_errors=True)
    return figures


def report(label: str, unit: str, figures: Dict[str, List[float]]) -> None:
    ours, theirs = statistics.median(figures["fth"]), statistics.median(figures["openssh"])
    print(f"{label:<34} fth {ours:9.1f} {unit} ({min(figures['fth']):.1f}–{max(figures['fth']):.1f})   "
          f"OpenSSH sftp {theirs:9.1f} {unit} ({min(figures['openssh']):.1f}–{max(figures['openssh']):.1f})   "
          f"ratio {ours / theirs:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="1 KB files over one connection (default 1000)")
    parser.add_argument("--per-file", type=int, default=60, help="1 KB files, one connection each (default 60)")
    parser.add_argument("--big-mib", type=int, default=200, help="size of the big file in MiB (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement (default 3)")
    parser.add_argument("--only", action="append", choices=("reuse", "per-file", "big"),
                        help="run only this measurement (repeatable; default: all three)")
    parser.add_argument("--in", dest="where", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="directory for the server's files and the sources (default /dev/shm, so that "
                             "the disk is not what is measured)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin sshd and the clients to separate CPUs")
    args = parser.parse_args()
    if shutil.which("sftp") is None:
        raise SystemExit("OpenSSH's sftp client is needed for the comparison (apt-get install openssh-client)")

    work = Path(tempfile.mkdtemp(prefix="fth-bench-sftp-", dir=args.where))
    server = start_sshd(Path(tempfile.mkdtemp(prefix="fth-bench-sshd-", dir=args.where)))
    try:
        pinned = not args.no_pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
        if pinned:
            cpus = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(server.process.pid, {cpus[0]})  # sessions are forked later: they inherit it
            os.sched_setaffinity(0, {cpus[1]})  # this process and the sftp clients it starts
        small_dir, big_dir = work / "small", work / "big"
        small_dir.mkdir()
        big_dir.mkdir()
        small = []
        for index in range(max(args.small, args.per_file)):
            path = small_dir / f"f{index:05d}.dat"
            path.write_bytes(os.urandom(1024))
            small.append(path)
        big = big_dir / "big.dat"
        with open(big, "wb") as out:
            for _ in range(args.big_mib):
                out.write(os.urandom(MIB))

        print(f"OpenSSH sshd on 127.0.0.1:{server.port}, files in {args.where or tempfile.gettempdir()}; "
              + ("sshd on one CPU, clients on another" if pinned else "not pinned")
              + f"; medians of {args.rounds} rounds (range)")
        wanted = set(args.only or ("reuse", "per-file", "big"))
        if "reuse" in wanted:
            reuse = measure(server, "reuse", small[: args.small], work, args.rounds, "reuse", False,
                            lambda seconds: args.small / seconds)
            report(f"{args.small} × 1 KB, one connection", "files/s", reuse)
        if "per-file" in wanted:
            per_file = measure(server, "perfile", small[: args.per_file], work, args.rounds, "per-file", True,
                               lambda seconds: args.per_file / seconds)
            report(f"{args.per_file} × 1 KB, connection per file", "files/s", per_file)
        if "big" in wanted:
            big_figures = measure(server, "big", [big], work, args.rounds, "reuse", False,
                                  lambda seconds: args.big_mib / seconds)
            report(f"1 × {args.big_mib} MiB", "MiB/s", big_figures)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
