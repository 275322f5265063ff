"""Mutation score of the modules whose figures the product promises (mutmut; by hand, never in CI).

    python -m bench.mutation                      # every module below, one after the other
    python -m bench.mutation fth/units.py ...     # only these

Each module runs on its own in a scratch copy of the git-tracked tree (mutmut writes
``mutants/`` beside the code), against only the fast tests that exercise it, so a run takes
minutes, not hours, on a busy machine. The script prints, per module, the score
(killed + timed out) / (mutants - skipped) and the names of the survivors; ``--keep`` leaves the
scratch copy so ``mutmut show NAME`` can be run in it to review a survivor.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent

# module → the tests that exercise it (scoped so each mutant runs in seconds)
MODULES: Dict[str, List[str]] = {
    "fth/units.py": ["tests/test_units.py"],
    "fth/engine/pacing.py": ["tests/engine/test_pacing.py", "tests/test_segment.py"],
    "fth/engine/recorder.py": ["tests/engine/test_recorder.py"],
    "fth/stats.py": ["tests/test_stats.py", "tests/engine/test_recorder.py"],
    "fth/faults.py": ["tests/test_fault_kinds.py"],
    "fth_web/csvout.py": ["tests/web/test_csvout.py"],
    "fth/report/pairing.py": ["tests/report/test_pairing.py", "tests/report/test_pairing_known.py"],
    "fth/report/compute.py": ["tests/report/test_compute.py"],
}
# what the tests import or read besides the mutated package (mutmut copies tests/ itself)
COPIED = ("fth", "fth_web", "contrib")


def _copy_tree(scratch: Path) -> None:
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listing, cwd=ROOT, check=True, capture_output=True).stdout
    for name in files.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _configure(scratch: Path, module: str, tests: List[str]) -> None:
    """Add mutmut's section to the scratch pyproject.toml: mutate one module, run its tests only."""
    package = module.split("/", 1)[0]
    also_copy = [f"{name}/" for name in COPIED if name != package]
    section = (
        "\n[tool.mutmut]\n"
        f"source_paths = [{package!r}]\n"
        f"only_mutate = [{module!r}]\n"
        f"also_copy = {json.dumps(also_copy)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
    )
    with open(scratch / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(section)


class MutmutFailed(Exception):
    pass


def _mutmut(scratch: Path, *args: str, timeout: float) -> str:
    completed = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=scratch, capture_output=True,
                               text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise MutmutFailed(f"mutmut {' '.join(args)} failed in {scratch}:\n{completed.stdout[-2000:]}"
                           f"{completed.stderr[-2000:]}")
    return completed.stdout


def measure(module: str, *, keep: bool, timeout: float) -> float:
    scratch = Path(tempfile.mkdtemp(prefix="fth-mutation-"))
    try:
        _copy_tree(scratch)
        _configure(scratch, module, MODULES[module])
        _mutmut(scratch, "run", timeout=timeout)
        _mutmut(scratch, "export-cicd-stats", timeout=60)
        stats = json.loads((scratch / "mutants" / "mutmut-cicd-stats.json").read_text())
        survivors = [line.strip() for line in _mutmut(scratch, "results", timeout=60).splitlines() if line.strip()]
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    tested = stats["total"] - stats["skipped"]
    score = 100.0 * (stats["killed"] + stats["timeout"]) / tested if tested else 0.0
    print(f"{module}: {score:.1f} % ({stats['killed'] + stats['timeout']} of {tested} mutants killed)")
    for line in survivors:
        print(f"    {line}")
    if keep:
        print(f"    scratch copy: {scratch}")
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"modules to mutate (default: all of {', '.join(MODULES)})")
    parser.add_argument("--keep", action="store_true", help="keep each scratch copy to review survivors")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per module (default 3600)")
    args = parser.parse_args()
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"not a measured module: {', '.join(unknown)}")
    failed = []
    for module in args.modules or list(MODULES):
        try:
            measure(module, keep=args.keep, timeout=args.timeout)
        except MutmutFailed as exc:
            print(exc, file=sys.stderr)
            failed.append(module)
    if failed:
        raise SystemExit(f"mutmut did not finish for: {', '.join(failed)}")


if __name__ == "__main__":
    main()
