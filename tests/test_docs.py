"""The documents a new user follows literally: the README's Quick start and the RHEL 9 guide."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
RHEL9 = (ROOT / "contrib" / "RHEL9.md").read_text(encoding="utf-8")


def quick_start_commands() -> list:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert blocks, "no bash block in the Quick start"
    return [line for line in blocks[0].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_quick_start_is_two_one_line_commands_the_second_is_the_ci_script():
    commands = quick_start_commands()
    assert len(commands) == 2 and not any(command.rstrip().endswith("\\") for command in commands)
    assert commands[1] == "bash .ci/run"
    assert "venv" in commands[0] and "--demo" in commands[0]


@pytest.mark.timeout(900)
def test_the_first_quick_start_command_works_in_a_fresh_clone_with_only_the_system_python(tmp_path, state_home):
    """No pyenv, no activated environment: what a new user of a Debian 12 / RHEL 9 box has (PEP 668)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8",
           "XDG_STATE_HOME": str(state_home)}
    result = subprocess.run(["bash", "-c", quick_start_commands()[0]], cwd=clone, env=env, capture_output=True,
                            text=True, timeout=840)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = clone / "fth-demo" / "report.html"
    assert report.is_file() and "fth demo: file transfer test report" in report.read_text(encoding="utf-8")
    assert f"Report:   {report}" in result.stdout
    assert (clone / ".venv" / "pyvenv.cfg").is_file()


def test_documents_name_only_extras_that_exist():
    setup = (ROOT / "setup.py").read_text(encoding="utf-8")
    extras = set(re.findall(r'"(\w+)": \[', setup.split("extras_require", 1)[1].split("}", 1)[0]))
    named = set(re.findall(r"file-transfer-harness\[(\w+)\]", README + RHEL9)) | \
        set(re.findall(r"'\.\[(\w+)\]'", README + RHEL9))
    assert named and named <= extras, f"extras that do not exist: {named - extras}"


def test_the_rhel9_web_env_leaves_the_layout_to_web_yml():
    """contrib/RHEL9.md used to copy example.env whole: its FTH_WEB_LAYOUT=dashboard overrode layout: pair."""
    assert "cp fth_web/example.env /etc/fth/web.env" not in RHEL9
    env_lines = re.findall(r"printf '%s\\n' (.*?) \| sudo tee /etc/fth/web.env", RHEL9)
    assert env_lines and "FTH_WEB_LAYOUT" not in env_lines[0]
