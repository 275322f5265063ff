"""Run fth as a subprocess (optionally pinned to a core) and collect its summary and CPU time."""

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import yaml

from bench.sink import pinned


@dataclass
class FthRun:
    summary: Dict[str, Any]
    cpu_seconds: float
    wall_seconds: float

    @property
    def job(self) -> Dict[str, Any]:
        return self.summary["jobs"][0]


def make_files(directory: str, count: int = 20, size: int = 1024) -> str:
    os.makedirs(directory, exist_ok=True)
    for index in range(count):
        with open(os.path.join(directory, f"f{index:03d}.dat"), "wb") as out:
            out.write(os.urandom(size))
    return directory


def run_fth(jobs: List[Dict[str, Any]], duration: str, core: Optional[int] = 1, extra: Optional[dict] = None,
            args: Optional[List[str]] = None) -> FthRun:
    import time

    with tempfile.TemporaryDirectory(prefix="fth-bench-") as directory:
        config = {"stop_timeout": "10s", "jobs": jobs}
        config.update(extra or {})
        path = os.path.join(directory, "job.yml")
        with open(path, "w") as out:
            yaml.safe_dump(config, out)
        summary_path = os.path.join(directory, "summary.json")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(pinned(core) + [sys.executable, "-m", "fth", "-c", path, "--duration", duration, "-q",
                                       "--summary-json", summary_path] + (args or []), check=True)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(summary_path) as src:
            summary = json.load(src)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return FthRun(summary, cpu, wall)
