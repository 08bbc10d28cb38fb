"""Generated typed clients pass ``ruff`` and ``mypy --strict``, and make mistakes type errors.

Runs in the ``typed_clients`` nox session, which installs mypy and ruff (and all three
packages, so the async classes are checked too).  A missing tool fails the tests: they are
never skipped.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from cli.schemas import LONG_SCHEMA, ODD_SCHEMA, random_schema

from bentoclient._gen import generate

# Long: its own time limit above the suite's default (pyproject.toml).
pytestmark = pytest.mark.timeout(900)

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
SERVICES = TESTS / "services"
CONFIG = ROOT / "pyproject.toml"

USER_OK = """\
from __future__ import annotations

import asyncio
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Union, cast

from bentoclient import MapError, ResultStatus, Task
from bentoclient._async.bulk import AsyncMapIterator
from bentoclient._sync.bulk import MapIterator
from demo_client import DemoAsyncClient, DemoClient
from wire_client import Item, Result, WireAsyncClient, WireClient


def use_sync(url: str) -> None:
    with DemoClient(url) as demo:
        labels: list[int] = demo.classify([[1, 2, 3, 4]])
        short: str = demo.summarize(text="hello", max_length=3)
        quick: str = demo.with_options(timeout=5).summarize("hello")
        with demo.stream("hi", n=2) as pieces:
            for piece in pieces:
                print(piece.upper())
        print(labels, short, quick)
    with WireClient(url) as wire:
        item: Item = {"name": "a", "quantity": 2}
        result: Result = wire.echo_model(item, factor=2.0)
        total: float = result["total"]
        path: Path = wire.make_file("x", filename="a.txt")
        wire.file_info(path, note="n")
        wire.fail("NotFound")
        task: Task = wire.echo_task.submit(text="t")
        status: ResultStatus = wire.echo_task.get_status(task.id)
        echoed: dict[str, str] = wire.echo_task(text="now")
        print(total, status, echoed, wire.api_close())


async def use_async(url: str) -> None:
    async with DemoAsyncClient(url) as demo:
        short: str = await demo.summarize("hello")
        again: str = await demo.with_options(timeout=5).summarize("hello")
        async with demo.stream("hi") as pieces:
            async for piece in pieces:
                print(piece.upper(), short, again)
    async with WireAsyncClient(url) as wire:
        task = await wire.echo_task.submit(text="t")
        print(await task.result(), await wire.root_list([1, 2]))


class MyItem:
    # A model of the caller's own, shaped like a pydantic BaseModel (model_dump's signature).

    def __init__(self, name: str) -> None:
        self.name = name

    def model_dump(
        self, *, mode: str = "python", include: Any = None, exclude: Any = None, by_alias: bool = False
    ) -> dict[str, Any]:
        return {"name": self.name}


def use_own_models_and_copies(url: str) -> None:
    with WireClient(url) as wire:
        mine: Result = wire.echo_model(MyItem("a"), factor=2.0)  # the caller's own model, not a dict
        rooted: Result = wire.root_model(MyItem("b"))
        copy: WireClient = wire.with_options(timeout=5)
        called: Result = wire.call("echo_model", item={"name": "c"})  # call() on a known endpoint: typed
        anything = wire.call(str(copy))  # a name known only at run time: Any
        later: dict[str, str] = wire.echo_task.submit(text="t").result(timeout=5)  # the task's result: typed
        plain: Task = wire.echo_task.submit(text="t")  # still a bentoclient.Task
        print(later, plain.id)
        print(mine["total"], rooted, copy.echo_model({"name": "c"}), called["total"], anything)


def use_map(url: str, flag: bool) -> None:
    with DemoClient(url) as demo:
        with demo.map("summarize", [{"text": "a"}], concurrency=2, timeout=5) as results:
            for short in results:
                print(short.upper())
        labels: MapIterator[list[int]] = demo.map("classify", [[[1, 2, 3, 4]]], batch_size=8)
        every: list[str] = list(demo.with_options(timeout=5).map("summarize", ["a", "b"]))
        pairs: MapIterator[tuple[int, str]] = demo.map("summarize", [], ordered=False)
        failed: Iterator[Union[list[int], MapError]] = demo.map("classify", [], return_exceptions=True)
        both = demo.map("summarize", [], ordered=False, return_exceptions=True)
        mixed: MapIterator[tuple[int, Union[str, MapError]]] = both
        loose: MapIterator[bytes] = demo.map("summarize", [], ordered=flag)  # a plain bool: Any items
        named = cast(Any, str(demo))  # a name known only at run time, passed as Any: Any items
        anyhow: MapIterator[bytes] = demo.map(named, [], concurrency="auto")
        print(labels, every, pairs, failed, mixed, loose, anyhow)
    with WireClient(url) as wire:
        echoed: list[dict[str, str]] = list(wire.map("echo_task", [{"text": "t"}]))  # a task endpoint's result
        nothing: MapIterator[str] = wire.map("fail", [{"kind": "NotFound"}], total=1, progress_bar=False)
        print(echoed, nothing)


async def use_async_map(url: str) -> None:
    async with DemoAsyncClient(url) as demo:
        async with demo.map("summarize", ["a"]) as results:
            async for short in results:
                print(short.upper())
        every: list[str] = await demo.map("summarize", ["a", "b"])
        pairs: list[tuple[int, list[int]]] = await demo.with_options(timeout=5).map("classify", [], ordered=False)
        kept: AsyncMapIterator[Union[str, MapError]] = demo.map("summarize", [], return_exceptions=True)
        print(every, pairs, await kept)


asyncio.run(use_async("http://127.0.0.1:3000"))
"""

#: Mistakes inside ``with`` / ``async with`` (the documented way): each marked line must be an error.
USER_BAD_WITH = """\
from __future__ import annotations

from demo_client import DemoAsyncClient, DemoClient
from wire_client import WireAsyncClient, WireClient


def sync_use(url: str) -> None:
    with DemoClient(url) as demo:
        demo.summarize(text=1)  # error: Argument "text" to "summarize" of "DemoClient" has incompatible type "int"
        demo.nonexistent_endpoint(1)  # error: "DemoClient" has no attribute "nonexistent_endpoint"
        demo.with_options(timeout=1).classify("seven")  # error: Argument 1 to "classify" of "DemoClient"
        wrong: int = demo.summarize("x")  # error: Incompatible types in assignment
        labels: list[str] = demo.call("classify", [[1.0]])  # error: Incompatible types in assignment


async def async_use(url: str) -> None:
    async with DemoAsyncClient(url) as demo:
        await demo.summarize(text=1)  # error: Argument "text" to "summarize" of "_DemoAsyncClientMethods"
        await demo.nonexistent_endpoint(1)  # error: has no attribute "nonexistent_endpoint"
        short: int = await demo.call("summarize", "x")  # error: Incompatible types in assignment
    async with WireAsyncClient(url) as wire:
        task = await wire.echo_task.submit(text="t")
        count: int = await task.result()  # error: Incompatible types in assignment


def task_use(url: str) -> None:
    with WireClient(url) as wire:
        count: int = wire.echo_task.submit(text="t").result()  # error: Incompatible types in assignment


def map_use(url: str) -> None:
    with DemoClient(url) as demo:
        for label in demo.map("summarize", ["a"]):
            wrong: int = label  # error: Incompatible types in assignment
        demo.map("sumarize", ["a"])  # error: No overload variant of "map" of "DemoClient" matches
        demo.map("stream", ["a"])  # error: No overload variant of "map" of "DemoClient" matches
        demo.map(str(demo), ["a"])  # error: No overload variant of "map" of "DemoClient" matches
        demo.map("summarize", ["a"], concurency=2)  # error: Unexpected keyword argument "concurency" for
        pairs: list[str] = list(demo.map("summarize", [], ordered=False))  # error: "MapIterator[tuple[int, str]]"
        kept = demo.map("summarize", [], return_exceptions=True)
        texts: list[str] = list(kept)  # error: incompatible type "MapIterator[str | MapError]"; expected


async def async_map_use(url: str) -> None:
    async with DemoAsyncClient(url) as demo:
        labels: list[str] = await demo.map("classify", [])  # error: Incompatible types in assignment
        demo.map("nonexistent", [])  # error: No overload variant of "map" of "_DemoAsyncClientMethods" matches
"""

#: One mistake per line, each with the words mypy's error must contain.
USER_BAD = {
    "demo.summarize(text=1)": 'Argument "text" to "summarize" of "DemoClient" has incompatible type "int"',
    'demo.summarize(txt="a")': 'Unexpected keyword argument "txt" for "summarize" of "DemoClient"',
    "labels: list[str] = demo.classify([[1.0]])": "Incompatible types in assignment",
    'wire.fail("NoSuchKind")': 'Argument 1 to "fail" of "WireClient" has incompatible type',
    'wire.echo_model({"nme": "a"})': 'expected "Item | ModelLike"',
    "wire.echo_task.submit(text=3)": 'Argument "text" to "submit" of "EchoTaskEndpoint"',
    'wire.root_text("a", "b")': 'Too many arguments for "root_text" of "WireClient"',
}


#: Made-up schemas (tests/cli/schemas.py) whose modules mypy and ruff check too.
RANDOM_SEEDS = range(150)


class Checked(NamedTuple):
    folder: Path
    mypy: subprocess.CompletedProcess[str]


def _tool(module: str) -> list[str]:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed in this environment; the typed_clients nox session installs it")
    return [sys.executable, "-m", module]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """The generated modules and the two user scripts, type-checked in one mypy run."""
    folder = tmp_path_factory.mktemp("typed")
    for name, schema_file in (("demo_client", "demo_schema.json"), ("wire_client", "wire_schema.json")):
        schema = json.loads((SERVICES / schema_file).read_text())
        (folder / f"{name}.py").write_text(generate(schema, source=schema_file))
    (folder / "long_client.py").write_text(generate(LONG_SCHEMA, source="long.json"))
    (folder / "odd_client.py").write_text(generate(ODD_SCHEMA, source="odd.json"))
    random_dir = folder / "random"
    random_dir.mkdir()
    for seed in RANDOM_SEEDS:
        (random_dir / f"random_{seed}.py").write_text(generate(random_schema(seed), source=f"seed {seed}"))
    (folder / "user_ok.py").write_text(USER_OK)
    bad = ["from demo_client import DemoClient", "from wire_client import WireClient", ""]
    bad += ["demo = DemoClient('http://127.0.0.1:3000')", "wire = WireClient('http://127.0.0.1:3000')"]
    bad += list(USER_BAD)
    (folder / "user_bad.py").write_text("\n".join(bad) + "\n")
    (folder / "user_bad_with.py").write_text(USER_BAD_WITH)
    command = [
        *_tool("mypy"),
        "--config-file",
        str(CONFIG),
        "--strict",
        "--python-version",
        "3.10",  # the oldest mypy checks for; tests/cli imports the modules on 3.9
        "--no-error-summary",
        "--show-error-codes",
        "--cache-dir",
        str(folder / ".mypy_cache"),
        "demo_client.py",
        "wire_client.py",
        "long_client.py",
        "odd_client.py",
        "user_ok.py",
        "user_bad.py",
        "user_bad_with.py",
        "random",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=600)
    yield Checked(folder, result)
    shutil.rmtree(folder / ".mypy_cache", ignore_errors=True)


def _errors(result: subprocess.CompletedProcess[str], filename: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(filename + ":")]


@pytest.mark.parametrize(
    "filename", ["demo_client.py", "wire_client.py", "long_client.py", "odd_client.py", "user_ok.py"]
)
def test_mypy_strict_accepts_the_modules_and_correct_use(checked: Checked, filename: str) -> None:
    assert "error:" in checked.mypy.stdout or checked.mypy.returncode == 0, checked.mypy.stderr
    assert _errors(checked.mypy, filename) == []


def test_mypy_strict_rejects_wrong_types_and_names_the_argument(checked: Checked) -> None:
    assert checked.mypy.returncode == 1, checked.mypy.stdout + checked.mypy.stderr
    errors = _errors(checked.mypy, "user_bad.py")
    first = 6  # the first mistake's line in user_bad.py
    for offset, expected in enumerate(USER_BAD.values()):
        on_line = [e for e in errors if re.match(rf"user_bad\.py:{first + offset}: error:", e)]
        assert any(expected in e for e in on_line), (expected, on_line or errors)


def test_mypy_strict_rejects_mistakes_inside_with_and_async_with(checked: Checked) -> None:
    # Errors only: "No overload variant" comes with notes listing the overloads (a line may have two errors).
    errors = [e for e in _errors(checked.mypy, "user_bad_with.py") if ": error:" in e]
    lines = enumerate(USER_BAD_WITH.splitlines(), 1)
    marked = [(n, line.split("# error: ", 1)[1]) for n, line in lines if "# error: " in line]
    assert len(marked) == 19
    for number, expected in marked:
        on_line = [e for e in errors if e.startswith(f"user_bad_with.py:{number}: error:")]
        assert any(expected in e for e in on_line), (number, expected, on_line or errors)
    assert {int(e.split(":")[1]) for e in errors} == {n for n, _ in marked}, errors  # nothing else is an error


@pytest.mark.parametrize("filename", ["demo_client.py", "wire_client.py", "long_client.py", "odd_client.py"])
def test_ruff_check_and_format_accept_the_modules(checked: Checked, filename: str) -> None:
    ruff = _tool("ruff")
    path = str(checked.folder / filename)
    lint = subprocess.run([*ruff, "check", "--config", str(CONFIG), path], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--diff", "--config", str(CONFIG), path], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_accepts_modules_of_made_up_schemas(checked: Checked) -> None:
    errors = [line for line in checked.mypy.stdout.splitlines() if line.startswith("random")]
    assert errors == []


def test_ruff_accepts_modules_of_made_up_schemas(checked: Checked) -> None:
    ruff = _tool("ruff")
    folder = str(checked.folder / "random")
    lint = subprocess.run([*ruff, "check", "--config", str(CONFIG), folder], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = subprocess.run([*ruff, "format", "--check", "--config", str(CONFIG), folder], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:]
