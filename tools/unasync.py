"""Generate the sync driver from the async one, or check that the generated files are current.

The client's I/O loop, readiness wait, task handles, file outputs and stream objects are
written once, as async code; this script rewrites each source file below into its sync
twin, line by line, with the rules in ``RULES`` (the approach httpcore takes), then formats
the result with ruff.  ``python tools/unasync.py`` writes the files; ``--check`` fails (and
shows the first differing line) when a generated file is stale, and also when a rule was
never used, so dead rules do not pile up.

Markers in the async source: a line ending in ``# async-only`` and the lines between
``# async-only: begin`` and ``# async-only: end`` are left out; a comment line
``# sync-only: CODE`` becomes ``CODE``.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "packages/core/src/bentoclient/_async/client.py": "packages/core/src/bentoclient/_sync/client.py",
    "packages/core/src/bentoclient/_async/bulk.py": "packages/core/src/bentoclient/_sync/bulk.py",
    "packages/stream/src/bentoclient_stream/_async_stream.py": "packages/stream/src/bentoclient_stream/_sync_stream.py",
}

# Applied in order, as regular expressions, to every line.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\bAsyncGenerator\[Any, None\]", "Generator[Any, None, None]"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bAsyncMapIterator\b", "MapIterator"),
    (r"\bAsyncWorkers\b", "SyncWorkers"),
    (r"\bAsyncHTTPClient\b", "SyncHTTPClient"),
    (r"\bAsyncTask\b", "Task"),
    (r"\bAsyncTransportClass\b", "SyncTransportClass"),
    (r"\bAsyncTransportOption\b", "SyncTransportOption"),
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\bAsyncResponse\b", "SyncResponse"),
    (r"\bAsyncItemStream\b", "SyncItemStream"),
    (r"\bAsyncOpener\b", "SyncOpener"),
    (r"\bAsyncStream\b", "SyncStream"),
    (r"\basync_sleep\b", "sync_sleep"),
    (r"\bIS_ASYNC\b", "IS_SYNC"),
    (r"\basync_call_hook\b", "sync_call_hook"),
    (r"\bdefault_async_transport\b", "default_sync_transport"),
    (r"\badapt_async_transport\b", "adapt_sync_transport"),
    (r"\basync_stream\b", "sync_stream"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\baread\b", "read"),
    (r"\baclose\b", "close"),
]
COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in RULES]
SYNC_ONLY = re.compile(r"^(\s*)# sync-only: (.*)$")


def unasync_text(source: str, origin: str, used: set[str]) -> str:
    lines = source.splitlines()
    short = origin.split("/src/", 1)[-1]
    out = [
        f"# Generated from {short} by tools/unasync.py: do not edit; run 'nox -s unasync'.",
        f'"""The sync twin of ``{short}``, generated from it (whose docstring explains it)."""',
    ]
    if lines and lines[0].startswith('"""'):  # the source's module docstring speaks of the source
        end = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and (i or line.count('"""') == 2))
        lines = lines[end + 1 :]
    skipping = False
    for line in lines:
        stripped = line.strip()
        if stripped == "# async-only: begin":
            skipping = True
            continue
        if stripped == "# async-only: end":
            skipping = False
            continue
        if skipping or line.rstrip().endswith("# async-only"):
            continue
        sync_only = SYNC_ONLY.match(line)
        if sync_only:
            line = sync_only.group(1) + sync_only.group(2)
        for (regex, replacement), (pattern, _) in zip(COMPILED, RULES):
            line, count = regex.subn(replacement, line)
            if count:
                used.add(pattern)
        out.append(line)
    return "\n".join(out) + "\n"


def ruff_format(text: str, filename: str) -> str:
    """Fix what renames upset (import order) and format, so the lint session passes as is."""
    ruff = shutil.which("ruff")
    if ruff is None:
        sys.exit("tools/unasync.py needs ruff on PATH to format the generated code (pip install ruff)")
    for command in (["check", "--fix", "--quiet", "--exit-zero"], ["format"]):
        result = subprocess.run(
            [ruff, *command, "--stdin-filename", filename, "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if result.returncode != 0:
            sys.exit(f"ruff {command[0]} failed on the code generated for {filename}:\n{result.stderr}")
        text = result.stdout
    return text


def generate() -> dict[Path, str]:
    used: set[str] = set()
    generated = {}
    for source, target in FILES.items():
        text = unasync_text((ROOT / source).read_text(), source, used)
        generated[ROOT / target] = ruff_format(text, target)
    unused = [pattern for pattern, _ in RULES if pattern not in used]
    if unused:
        sys.exit(f"tools/unasync.py: rules never used (remove them): {unused}")
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    stale = 0
    for path, text in generate().items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if not args.check:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
            continue
        stale += 1
        for number, (want, have) in enumerate(itertools.zip_longest(text.splitlines(), current.splitlines()), 1):
            if want != have:
                print(f"{path.relative_to(ROOT)}:{number}: is {have!r}, should be {want!r}")
                break
    if stale:
        print("generated code is stale: run 'nox -s unasync' (python tools/unasync.py) and commit the result")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
