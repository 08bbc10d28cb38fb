"""Every ```python block of README.md and docs/*.md runs against the example service.

The blocks of one file run in order in one namespace, as a reader goes through the page
(a later block may use the ``client`` an earlier one made), with the example URLs
(``http://localhost:3000``, ``http://127.0.0.1:3000``) pointing to a real ``bentoml serve``
of ``examples/service.py``.  A block with top-level ``await`` / ``async with`` runs in
``asyncio.run``, as at the ``python -m asyncio`` prompt.

A block that cannot run here says why in the Markdown, on the line before it::

    <!-- not-run: needs a deployed service with a token -->

and a marker without a reason fails.  Blocks that need the async or stream package are
skipped only where that package is not installed (nox runs this folder with all of them).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.util
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple, Optional

import pytest

from bentoclient import SyncHTTPClient

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE_URLS = ("http://localhost:3000", "http://127.0.0.1:3000")
COMBO = os.environ.get("BENTOCLIENT_COMBO", "")

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"^<!--\s*not-run\b(.*?)-->\s*$")


class Block(NamedTuple):
    page: Path
    line: int  # of the opening fence, 1-based
    code: str
    not_run: Optional[str]  # the marker's text after "not-run", when there is a marker

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def needs(self) -> set[str]:
        packages = set()
        if "AsyncHTTPClient" in self.code:
            packages.add("bentoclient_async")
        if re.search(r"\.stream\(", self.code):
            packages.add("bentoclient_stream")
        return packages


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        marker = _MARKER.match(before[-1].strip()) if before else None
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match.group(1), marker.group(1) if marker else None))
    return found


class DocBlockError(AssertionError):
    """A documentation block that broke, or a not-run marker without a reason."""


def _reason(block: Block) -> str:
    """The not-run reason; an empty or missing one is an error."""
    assert block.not_run is not None
    reason = block.not_run.strip()
    if reason.startswith(":"):
        reason = reason[1:].strip()
    if not reason:
        raise DocBlockError(f"{block.where}: a not-run marker needs a reason: <!-- not-run: why it cannot run -->")
    return reason


def _run(block: Block, namespace: dict[str, Any], url: str) -> None:
    code = block.code
    for example in EXAMPLE_URLS:
        code = code.replace(example, url)
    # Line numbers in tracebacks point into the Markdown file.
    source = "\n" * (block.line) + code
    compiled = compile(source, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)  # the project's own documentation
    if asyncio.iscoroutine(result):  # top-level await: run it as `python -m asyncio` would
        asyncio.run(result)


def run_blocks(blocks: list[Block], url: str) -> list[str]:
    """Run ``blocks`` in order in one namespace; return what was skipped and why."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    skipped: list[str] = []
    for block in blocks:
        if block.not_run is not None:
            skipped.append(f"{block.where}: {_reason(block)}")
            continue
        missing = sorted(p for p in block.needs() if importlib.util.find_spec(p) is None)
        if missing:
            if COMBO == "all":
                raise DocBlockError(f"{block.where} needs {missing}, which the 'all' combination has installed")
            skipped.append(f"{block.where}: needs {', '.join(missing)}")
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _run(block, namespace, url)
        except Exception as exc:
            raise DocBlockError(
                f"{block.where} failed: {type(exc).__name__}: {exc}\n--- the block ---\n{block.code}"
            ) from exc
    return skipped


@pytest.fixture
def close_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SyncHTTPClient]]:
    """Every SyncHTTPClient the blocks make (also those dropped by rebinding a name), closed after."""
    made: list[SyncHTTPClient] = []
    original = SyncHTTPClient.__init__

    def recording_init(self: SyncHTTPClient, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SyncHTTPClient, "__init__", recording_init)
    yield made
    for client in made:
        with contextlib.suppress(AttributeError):  # a constructor that failed before its transport
            client.close()


@pytest.mark.parametrize("page", [p for p in PAGES if blocks_of(p)], ids=lambda p: p.name)
def test_page_examples_run(page: Path, demo_url: str, close_clients: list[SyncHTTPClient]) -> None:
    blocks = blocks_of(page)
    skipped = run_blocks(blocks, demo_url)
    assert len(skipped) < len(blocks), f"no block of {page.name} ran: {skipped}"


def test_every_page_with_python_is_collected() -> None:
    pages = {p.name for p in PAGES if blocks_of(p)}
    assert {"README.md", "usage.md", "errors.md", "reliability.md", "compatibility.md"} <= pages


def test_a_broken_block_fails_naming_its_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2, 'x is not 2'\n```\n")
    blocks = [b._replace(page=ROOT / "docs" / "page.md") for b in blocks_of(page)]
    with pytest.raises(DocBlockError, match=r"docs/page\.md:9 failed: AssertionError: x is not 2"):
        run_blocks(blocks, "http://127.0.0.1:9")


def test_top_level_await_runs_in_asyncio_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nimport asyncio\nawait asyncio.sleep(0)\ndone = True\n```\n\n```python\nassert done\n```\n"
    )
    blocks = [b._replace(page=ROOT / "page.md") for b in blocks_of(page)]
    assert run_blocks(blocks, "http://127.0.0.1:9") == []


@pytest.mark.parametrize("marker", ["<!-- not-run -->", "<!-- not-run: -->", "<!--not-run:   -->"])
def test_a_not_run_marker_needs_a_reason(tmp_path: Path, marker: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(f"{marker}\n```python\nraise SystemExit\n```\n")
    blocks = [b._replace(page=ROOT / "page.md") for b in blocks_of(page)]
    with pytest.raises(DocBlockError, match="needs a reason"):
        run_blocks(blocks, "http://127.0.0.1:9")


def test_a_not_run_block_with_a_reason_is_skipped(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- not-run: needs a deployed service -->\n```python\nraise SystemExit\n```\n")
    blocks = [b._replace(page=ROOT / "page.md") for b in blocks_of(page)]
    assert run_blocks(blocks, "http://127.0.0.1:9") == ["page.md:2: needs a deployed service"]
