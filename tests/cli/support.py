"""Helpers for the command-line tests: run the CLI in a subprocess or in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Optional

import pytest

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
SERVICES = TESTS / "services"
EXAMPLES = ROOT / "examples"


class Result(NamedTuple):
    code: int
    out: str
    err: str


def clean_env(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment for a CLI subprocess: no token from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k != "BENTO_CLOUD_API_KEY"}
    env.update(extra or {})
    return env


def run_cli(*args: str, env: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None) -> Result:
    """``python -m bentoclient ARGS`` in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "bentoclient", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(env),
        cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


class CliRunner:
    """Runs ``bentoclient.__main__.main(argv)`` in this process; returns code, stdout, stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *args: str) -> Result:
        from bentoclient.__main__ import main

        self._capsys.readouterr()
        code = main(list(args))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


def one_error_line(err: str) -> str:
    """The single stderr line of a failed command (and no traceback)."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith("bentoclient: error: "), err
    return lines[0]
