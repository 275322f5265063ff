"""CI=true turns any skip into a failing exit status, with the skip reasons listed by -rs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = '''
import pytest

def test_passes():
    pass

def test_needs_a_component():
    pytest.skip("no MariaDB here")

@pytest.mark.xfail(reason="known")
def test_known_bug():
    assert False
'''


def _pytest(tmp_path: Path, ci: str, body: str = SAMPLE) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sample.py").write_text(body)
    env = dict(os.environ, CI=ci, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.fixtures.ci_skips", "-p", "no:cacheprovider",
                           "-rs", "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_a_skip_fails_the_run_under_ci(tmp_path, ci):
    result = _pytest(tmp_path, ci)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "SKIPPED [1] test_sample.py:8: no MariaDB here" in result.stdout
    assert "CI=true: 1 skipped test(s) fail the run" in result.stdout
    assert "1 passed, 1 skipped, 1 xfailed" in result.stdout


@pytest.mark.parametrize("ci", ["", "false"])
def test_a_skip_is_only_a_skip_outside_ci(tmp_path, ci):
    result = _pytest(tmp_path, ci)
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "fail the run" not in result.stdout


def test_without_skips_ci_passes(tmp_path):
    result = _pytest(tmp_path, "true", "def test_passes():\n    pass\n")
    assert result.returncode == pytest.ExitCode.OK, result.stdout
