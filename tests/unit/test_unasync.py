"""tools/unasync.py: token-level generation of the sync code, its markers and its checks; the
generated files are current and read as sync code (no ``await``, ``async``, coroutines)."""

from __future__ import annotations

import importlib.util
import io
import pydoc
import re
import shutil
import sys
import textwrap
import tokenize
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_tool", ROOT / "tools" / "unasync.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


unasync = _load_tool()
ALL_FILES = {**unasync.FILES, **unasync.TEST_FILES}
GENERATED = [ROOT / target for target in ALL_FILES.values()]

# Words that must not appear in sync code, its strings, docstrings or comments ...
ASYNC_WORDS = re.compile(r"\b(?:await\w*|async|coroutines?|\w*async\w*)\b", re.IGNORECASE)
# ... but for the strings the generator lets through, as true of the sync code too.
ALLOWED_IN_SYNC: frozenset[str] = unasync.PROSE_KEPT


def convert(source: str) -> str:
    """The sync twin of a snippet (renames need not all be used here)."""
    text: str = unasync.unasync_text(textwrap.dedent(source), "pkg/src/mod.py", set())
    return text.split("\n", 2)[2]  # without the two header lines


def test_the_generated_files_are_current() -> None:
    for path, text in unasync.generate().items():
        assert path.read_text() == text, f"{path} is stale: run 'nox -s unasync'"


@pytest.mark.parametrize("path", GENERATED, ids=lambda path: path.name)
def test_generated_sync_code_has_no_async_word_outside_allowed_names(path: Path) -> None:
    text = path.read_text()
    found = []
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.start[0] <= 2:  # the header names the async source file
            continue
        kind = tokenize.tok_name[tok.type]
        if kind in ("FSTRING_START", "TSTRING_START"):
            depth += 1
        elif kind in ("FSTRING_END", "TSTRING_END"):
            depth -= 1
        if tok.type == tokenize.NAME and not depth:
            if tok.string in unasync.KEEP:
                continue
            if tok.string in ("async", "await") or unasync.ASYNC_LOOKING.search(tok.string):
                found.append((tok.start[0], tok.string))
        elif (
            tok.type in (tokenize.STRING, tokenize.COMMENT) or kind == "FSTRING_MIDDLE"
        ) and tok.string not in ALLOWED_IN_SYNC:
            found.extend((tok.start[0], word) for word in ASYNC_WORDS.findall(tok.string))
    assert found == []


def test_the_generator_reports_async_prose_in_sync_code() -> None:
    text = convert(
        '''
        async def f() -> None:
            """Await it."""
            x = "an AsyncThing"  # in a coroutine
        '''
    )
    found = unasync.async_prose("# header\n# header\n" + text)
    assert [word for _, word in found] == ["Await", "AsyncThing", "coroutine"]


def test_every_allowed_exception_is_still_needed() -> None:
    texts = "".join(path.read_text() for path in GENERATED)
    for allowed in ALLOWED_IN_SYNC:
        assert allowed in texts, f"not in the generated code any more: remove {allowed!r} from ALLOWED_IN_SYNC"
    assert unasync.KEEP, "KEEP is empty: the test's NAME exception is then unused"
    for name in unasync.KEEP:
        assert re.search(rf"\b{name}\b", texts), f"{name} is in KEEP but not in the generated code"


def test_help_of_the_sync_classes_reads_as_sync() -> None:
    from bentoclient import SyncHTTPClient
    from bentoclient._sync.bulk import MapIterator
    from bentoclient._sync.client import Task

    for cls in (SyncHTTPClient, Task, MapIterator):
        text = pydoc.plain(pydoc.render_doc(cls))
        assert ASYNC_WORDS.findall(text) == [], cls.__name__


def test_async_and_await_go_names_are_renamed_prose_stays() -> None:
    out = convert(
        '''
        async def fetch(client: AsyncHTTPClient) -> AsyncGenerator[bytes, None]:
            """Await the AsyncHTTPClient's aread(); ``async with`` it."""
            # await this: an AsyncHTTPClient comment
            async with client:
                data = await client.aread()
                text = f"{data!r} awaited from AsyncHTTPClient"
                async for chunk in client.aiter_bytes():
                    yield chunk, "aclose", text
        '''
    )
    assert out == textwrap.dedent(
        '''
        def fetch(client: SyncHTTPClient) -> Generator[bytes, None, None]:
            """Await the AsyncHTTPClient's aread(); ``async with`` it."""
            # await this: an AsyncHTTPClient comment
            with client:
                data = client.read()
                text = f"{data!r} awaited from AsyncHTTPClient"
                for chunk in client.iter_bytes():
                    yield chunk, "aclose", text
        '''
    )


def test_async_comprehensions_and_dunder_all() -> None:
    out = convert(
        """
        __all__ = ["AsyncStream", "async_stream", "other"]

        async def collect(stream: AsyncStream) -> list[int]:
            return [item async for item in stream]
        """
    )
    assert '__all__ = ["SyncStream", "sync_stream", "other"]' in out
    assert "return [item for item in stream]" in out
    assert "def collect(stream: SyncStream) -> list[int]:" in out


def test_markers_leave_out_and_put_in_code() -> None:
    out = convert(
        '''
        class Client:
            # async-only: begin
            """An async client."""

            # async-only: end
            # sync-only: begin
            # """A sync client.
            #
            # Two paragraphs."""
            # sync-only: end

            def hooks(self) -> bool:
                allowed = True  # async-only
                # sync-only: allowed = False
                return allowed

            aclose = close  # async-only

            def last(self) -> None:
                pass
        '''
    )
    assert out == textwrap.dedent(
        '''
        class Client:
            """A sync client.

            Two paragraphs."""

            def hooks(self) -> bool:
                allowed = False
                return allowed

            def last(self) -> None:
                pass
        '''
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n# async-only: begin\ny = 2\n", "'# async-only: begin' has no '# async-only: end'"),
        ("x = 1\n# async-only: end\n", "without its '# async-only: begin'"),
        ("# sync-only: begin\n# x = 1\n# async-only: end\n", "without its '# async-only: begin'"),
        ("# sync-only: begin\n# sync-only: x = 1\n# sync-only: end\n", "inside the sync-only block"),
        ("# async-only: begin\n# async-only: begin\n# async-only: end\n", "inside the async-only block"),
        ("x = 1  # async-only: begin\n", "must stand on a line of its own"),
        ("# sync-only: begin\nx = 1\n# sync-only: end\n", "only comment lines may stand in a sync-only block"),
        ("x = 1\n# async-only:begin\n", "misplaced or unknown marker"),
        ("x = 1\n# async only\n", "misplaced or unknown marker"),
        ("x = 1  # sync-only: y = 2\n", "misplaced or unknown marker"),
        ("x = f(\n    1,\n)  # async-only\n", "must end a statement that starts and ends on its line"),
        ("x = f(  # async-only\n    1,\n)\n", "must end a statement that starts and ends on its line"),
        ("# sync-only: x = (\n", "does not parse"),
        ("# sync-only: x = = 1\n", "does not parse"),
        ("x = AsyncThing()\n", "still has asynchronous names (line 3: AsyncThing)"),
        ("import os\n# async-only: begin\nos.getcwd()\n# async-only: end\n", "only async-only code uses (line 3: os)"),
        ("async def f() -> None:\n    await g(\n        1)\n    x.anext_item()\n", "line 6: anext_item"),
    ],
)
def test_bad_sources_are_refused_with_the_place_and_the_fix(source: str, message: str) -> None:
    with pytest.raises(unasync.GenerationError) as caught:
        unasync.unasync_text(source, "pkg/src/mod.py", set())
    assert message in str(caught.value)
    assert "pkg/src/mod.py" in str(caught.value)


def test_a_marker_in_a_string_is_not_a_marker() -> None:
    out = convert('x = """\n# async-only: begin\n"""\ny = 1  # async-only\n')
    assert out == 'x = """\n# async-only: begin\n"""\n'


def test_no_double_blank_line_where_code_was_left_out() -> None:
    out = convert(
        """
        if True:
            import asyncio  # async-only

            import os


        # async-only: begin
        def only_async() -> None:
            pass


        # async-only: end


        def both() -> str:
            return os.sep
        """
    )
    assert out == "\nif True:\n    import os\n\n\ndef both() -> str:\n    return os.sep\n"


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_an_unused_rename_fails_generation(tmp_path: Path) -> None:
    _write_tree(tmp_path, {"src/a.py": "async def f(x: AsyncHTTPClient) -> None:\n    await x.aclose()\n"})
    with pytest.raises(unasync.GenerationError, match="renames never used") as caught:
        unasync.generate({"src/a.py": "src/b.py"}, tmp_path)
    assert "'AsyncHTTPClient'" not in str(caught.value)
    assert "'AsyncTask'" in str(caught.value)


def test_check_fails_on_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for source, target in ALL_FILES.items():
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / source, tmp_path / source)
        shutil.copy(ROOT / target, tmp_path / target)
    monkeypatch.setattr(unasync, "ROOT", tmp_path)
    assert unasync.main(["--check"]) == 0

    stale = tmp_path / next(iter(unasync.FILES.values()))
    stale.write_text(stale.read_text().replace("def close(self)", "def close(self, now=True)", 1))
    assert unasync.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().out
    assert unasync.main([]) == 0
    assert unasync.main(["--check"]) == 0
    assert stale.read_text() == (ROOT / next(iter(unasync.FILES.values()))).read_text()

    source = tmp_path / next(iter(unasync.FILES))
    source.write_text(source.read_text() + "\n# async-only: begin\n")
    assert unasync.main(["--check"]) == 2
    assert "has no '# async-only: end'" in capsys.readouterr().err


def test_every_test_module_pair_is_generated() -> None:
    generated = unasync.generate()
    for target in unasync.TEST_FILES.values():
        assert ROOT / target in generated
    assert set(unasync.FILES.values()).isdisjoint(unasync.TEST_FILES.values())


def _convert_test(source: str) -> str:
    text: str = unasync.unasync_text(textwrap.dedent(source), "tests/x_async/test_async_x.py", set(), test=True)
    return text


def test_a_test_module_gets_the_test_renames_and_a_header_naming_its_source() -> None:
    text = _convert_test(
        """
        from bentoclient_async import AsyncHTTPClient

        from .support import AsyncClients, async_sleep


        def test_x(clients: AsyncClients) -> None:
            async def main() -> None:
                async with AsyncHTTPClient("http://127.0.0.1:1") as client:
                    await async_sleep(0)
                    await client.aclose()

            clients.run(main)
        """
    )
    header, rest = text.split("\n", 1)
    assert header == "# Generated by tools/unasync.py from tests/x_async/test_async_x.py; do not edit."
    assert "from bentoclient import SyncHTTPClient" in rest
    assert "from .support import SyncClients, sync_sleep" in rest
    assert "    def main() -> None:\n        with SyncHTTPClient(" in rest
    assert "sync_sleep(0)\n" in rest
    assert "client.close()" in rest


@pytest.mark.parametrize(
    "line",
    ["import asyncio", "import httpx", "from bentoclient.aio import X", "import anyio"],
)
def test_a_generated_test_module_may_import_no_async_package(line: str) -> None:
    source = f"{line}\n\n\ndef test_x() -> None:\n    print({line.split()[-1]})\n"
    with pytest.raises(unasync.GenerationError) as caught:
        _convert_test(source)
    assert "async-only module" in str(caught.value) or "asynchronous names" in str(caught.value)
    # the same line, marked async-only, is left out (with the code that used it)
    marked = f"{line}  # async-only\n\n\ndef test_x() -> None:\n    pass\n"
    assert line not in _convert_test(marked)


def test_an_unused_test_rename_fails_generation(tmp_path: Path) -> None:
    _write_tree(tmp_path, {"tests/a_async/test_a.py": "async def f(x: AsyncClients) -> None:\n    await x.ready()\n"})
    with pytest.raises(unasync.GenerationError, match="TEST_RENAMES") as caught:
        unasync.generate({}, tmp_path, {"tests/a_async/test_a.py": "tests/a/test_a.py"})
    assert "'bentoclient_async'" in str(caught.value)
    assert "'AsyncClients'" not in str(caught.value)


def test_a_sync_only_line_keeps_the_blank_lines_after_it() -> None:
    out = convert(
        """
        async def collect(items: Any) -> list[Any]:
            return [value async for value in items]  # async-only
            # sync-only: return list(items)


        def after() -> None:
            pass
        """
    )
    assert "    return list(items)\n\n\ndef after() -> None:\n" in out
