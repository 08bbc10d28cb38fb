#!/usr/bin/env python3
"""Set up and run bentoclient's checks on a machine with only Python installed.

    python3 dev.py demo     # the example BentoML service, called through every client
    python3 dev.py test     # lint, mypy --strict and every test session (what CI runs)
    python3 dev.py build    # wheels and sdists of the three distributions in dist/
    python3 dev.py nox ...  # any nox command line, e.g. `python3 dev.py nox -s lint`

The first run makes ``.venv-tools/`` (ignored by git) with nox and uv in it; every run then
calls nox from there, with the arguments after the command passed on (``python3 dev.py test
-s lint`` runs one session).  nox makes the test environments and the BentoML server's own;
the Python versions the sessions name (3.9-3.13) are found on PATH or under pyenv, and the
ones that are not are downloaded by uv.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".venv-tools"
# nox 2025.2.9 and later download a session's missing Python through uv (--download-python auto).
TOOL_REQUIREMENTS = ["nox>=2025.2.9", "uv>=0.5"]
COMMANDS = {
    "demo": ["-s", "demo"],
    # A missing interpreter fails the run, never skips a session (also set in the noxfile).
    "test": ["--error-on-missing-interpreters"],
    "build": ["-s", "build"],
    "nox": [],
}
USAGE = "usage: python3 dev.py {demo,test,build,nox} [nox arguments...]"


def _bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return TOOLS / folder / (name + (".exe" if os.name == "nt" else ""))


def _ensure_tools() -> None:
    """``.venv-tools`` with the tool requirements, made or refreshed when they change."""
    marker = TOOLS / ".requirements"
    wanted = hashlib.sha256("\n".join(TOOL_REQUIREMENTS).encode()).hexdigest()
    if _bin("nox").exists() and marker.exists() and marker.read_text() == wanted:
        return
    print(f"dev.py: setting up {TOOLS.name}/ with {', '.join(TOOL_REQUIREMENTS)}", file=sys.stderr)
    try:
        venv.EnvBuilder(clear=True, with_pip=True).create(TOOLS)
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            f"dev.py: cannot create {TOOLS} ({exc}). This Python has no working venv/ensurepip module: "
            "install it (on Debian or Ubuntu: apt install python3-venv) and run again"
        )
    pip = [str(_bin("python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *TOOL_REQUIREMENTS], check=True)
    marker.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    _ensure_tools()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(_bin("nox").parent), env.get("PATH", "")])  # nox finds uv there
    command = [str(_bin("nox")), *COMMANDS[argv[0]], *argv[1:]]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:  # nox got the Ctrl-C too: let it stop its sessions, then leave
        return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
