"""The repository's entry points: the README's two commands and CI run the same things."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def dev_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert first_block is not None
    commands = [line.split("#", 1)[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    assert readme.index("## Two commands") < readme.index("## Install") < readme.index("## Development")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'exec python3 dev.py test "$@"' in ci


def test_commands_map_to_nox_and_the_test_command_fails_on_a_missing_interpreter() -> None:
    dev = dev_script()
    assert dev.COMMANDS["demo"] == ["-s", "demo"]
    assert dev.COMMANDS["build"] == ["-s", "build"]
    assert "--error-on-missing-interpreters" in dev.COMMANDS["test"]
    assert ".venv-tools/" in (ROOT / ".gitignore").read_text().splitlines()


def test_an_unknown_command_prints_the_usage_and_sets_nothing_up() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "tset"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 2
    assert "usage: python3 dev.py {demo,test,build,nox}" in result.stderr
