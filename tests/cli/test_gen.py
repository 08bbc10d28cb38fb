"""``bentoclient gen``: the generated typed client modules.

Pure checks on saved schemas (the module compiles, imports without bentoclient-async,
maps names safely, sends the wire names), then the generated client against the real
services.  Type checking and linting of the output: ``tests/typed_clients``.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bentoclient
from bentoclient._gen import default_class_name, generate, python_name

from .schemas import ODD_SCHEMA, random_schema
from .support import SERVICES, CliRunner, one_error_line

HAS_ASYNC = importlib.util.find_spec("bentoclient_async") is not None


def _load(source: str, tmp_path: Path, name: str) -> types.ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def odd(tmp_path: Path) -> types.ModuleType:
    return _load(generate(ODD_SCHEMA, source="odd.json"), tmp_path, "odd_client")


class _Recorder:
    """Stands in for ``SyncHTTPClient.call`` on an instance made without a server."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args, kwargs))
        return "result"


def _offline(cls: type) -> tuple[Any, _Recorder]:
    client: Any = object.__new__(cls)
    recorder = _Recorder()
    client.call = recorder
    return client, recorder


# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize("schema_file", ["demo_schema.json", "wire_schema.json"])
def test_saved_schemas_generate_modules_that_compile(schema_file: str) -> None:
    source = generate(json.loads((SERVICES / schema_file).read_text()), source=schema_file)
    compile(source, schema_file, "exec")


def test_header_names_the_service_source_and_version() -> None:
    source = generate(json.loads((SERVICES / "demo_schema.json").read_text()), source="demo_schema.json")
    head = source.split('"""')[1]
    assert "'Demo'" in head
    assert "the schema file demo_schema.json" in head
    assert f"bentoclient {bentoclient.__version__}" in head


def test_one_method_per_endpoint_with_schema_defaults(tmp_path: Path) -> None:
    module = _load(generate(json.loads((SERVICES / "demo_schema.json").read_text()), source="x"), tmp_path, "demo_a")
    cls = module.DemoClient
    assert issubclass(cls, bentoclient.SyncHTTPClient)
    sig = inspect.signature(cls.summarize)
    assert list(sig.parameters) == ["self", "text", "max_length"]
    assert sig.parameters["max_length"].default == 50
    assert sig.parameters["text"].default is inspect.Parameter.empty
    client, recorder = _offline(cls)
    assert client.summarize("hello") == "result"
    assert recorder.calls == [("summarize", (), {"text": "hello", "max_length": 50})]


def test_module_imports_without_the_async_package(tmp_path: Path) -> None:
    path = tmp_path / "wire_client.py"
    path.write_text(generate(json.loads((SERVICES / "wire_schema.json").read_text()), source="x"))
    code = (
        "import sys; sys.modules['bentoclient_async'] = None; sys.path.insert(0, sys.argv[1])\n"
        "import wire_client\n"
        "assert 'bentoclient.aio' not in sys.modules  # the async class is made on first use\n"
        "from bentoclient.aio import AsyncHTTPClient\n"
        "from bentoclient.exceptions import MissingDependencyError\n"
        "cls = wire_client.WireAsyncClient\n"
        "assert issubclass(cls, AsyncHTTPClient) and wire_client.WireAsyncClient is cls\n"
        "try:\n    cls('http://127.0.0.1:1')\nexcept MissingDependencyError as e:\n    print('missing', e.package)\n"
        "assert 'httpx' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "missing bentoclient-async"


def test_names_are_mapped_to_safe_identifiers(odd: types.ModuleType) -> None:
    cls = odd.OddServiceClient
    assert hasattr(cls, "api_close")  # ``close`` is the client's own method
    assert cls.close is bentoclient.SyncHTTPClient.close
    params = inspect.signature(cls.weird).parameters
    assert list(params) == ["self", "class_", "max_length", "_1st", "self_", "str_", "mode", "opts", "tags", "maybe"]
    # a required field after optional ones: every argument is keyword-only
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items() if name != "self")


def test_calls_send_the_wire_names_and_leave_out_unset_non_literal_defaults(odd: types.ModuleType) -> None:
    client, recorder = _offline(odd.OddServiceClient)
    client.weird(max_length=3, class_=2)
    name, args, kwargs = recorder.calls[-1]
    assert name == "weird"
    assert args == ()
    assert kwargs == {
        "class": 2,
        "max-length": 3,
        "1st": "a",
        "self": False,
        "str": "x",
        "mode": "fast",
        "tags": ("t",),
        "maybe": None,
    }  # ``opts`` (a dict default) is left to the server
    client.weird(max_length=3, opts={"b": 2})
    assert recorder.calls[-1][2]["opts"] == {"b": 2}
    client.api_close()
    assert recorder.calls[-1] == ("close", (), {})


def test_types_from_the_schema(odd: types.ModuleType) -> None:
    assert odd.WeirdMode.__args__ == ("fast", "slow")  # Literal alias for the enum
    assert odd.Point.__required_keys__ == frozenset({"x", "y"})  # TypedDict for the object
    assert odd.WeirdOut.__optional_keys__ == frozenset({"ok-key", "from"})  # keys that are no identifiers
    annotations = odd.OddServiceClient.nested.__annotations__
    assert annotations["labels"] == "Mapping[str, int]"
    assert annotations["either"] == "Optional[Union[int, str]]"
    assert annotations["upload"] == "FileInput"
    assert annotations["return"] == "list[P]"


def test_parameters_never_hide_the_result_type(odd: types.ModuleType) -> None:
    assert list(inspect.signature(odd.OddServiceClient.shadow).parameters) == ["self", "Res_", "odd_keys"]
    assert odd.OddServiceClient.shadow.__annotations__["return"] == "Res"
    assert odd.Odd.__required_keys__ == frozenset({"a file"})  # made at import time: FileInput exists
    client, recorder = _offline(odd.OddServiceClient)
    client.shadow("r", {"a file": b"x"})
    assert recorder.calls[-1] == ("shadow", (), {"Res": "r", "odd keys": {"a file": b"x"}})


def test_python_name_rules() -> None:
    assert python_name("class") == "class_"
    assert python_name("max-length") == "max_length"
    assert python_name("1st") == "_1st"
    assert python_name("text", ["text"]) == "text_"
    assert python_name("ok") == "ok"


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
@example(seed=1102)  # a long Optional[...] alias once written as Optional[X,], a tuple
def test_any_schema_gives_a_module_that_imports(seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Awkward names, nested and recursive types, defaults of every kind: the module always
    # imports (on every Python the suite runs on) and every endpoint has its method.
    schema = random_schema(seed)
    folder = tmp_path_factory.mktemp("random")
    module = _load(generate(schema, source=f"seed {seed}"), folder, f"random_{seed}")
    cls = getattr(module, default_class_name(schema["name"]))
    assert issubclass(cls, bentoclient.SyncHTTPClient)
    assert cls.__module__ == module.__name__
    taken = set(dir(bentoclient.SyncHTTPClient)) | {"setup", "aclose"}  # async-only names too
    for route in schema["routes"]:
        name = route["name"]
        expected = name if name not in taken and not name.startswith("_") else "api_" + name.lstrip("_")
        assert expected in cls.__dict__, (expected, sorted(cls.__dict__))
    sys.modules.pop(f"random_{seed}", None)


def test_not_a_schema_is_a_schema_error() -> None:
    with pytest.raises(bentoclient.exceptions.SchemaError, match="no 'routes' list"):
        generate({"name": "x"}, source="x")


# --- the command ---------------------------------------------------------------------------------


def test_gen_from_a_file_writes_the_module(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo_client.py"
    result = cli("gen", str(SERVICES / "demo_schema.json"), "-o", str(out), "--class-name", "Demo2")
    assert result.code == 0, result.err
    text = out.read_text()
    assert "class Demo2(SyncHTTPClient):" in text
    assert "AsyncDemo2" in text


def test_gen_sync_only_to_stdout(cli: CliRunner) -> None:
    result = cli("gen", str(SERVICES / "demo_schema.json"), "--sync-only")
    assert result.code == 0
    assert "class DemoClient(SyncHTTPClient):" in result.out
    assert "Async" not in result.out


def test_gen_rejects_a_bad_class_name(cli: CliRunner) -> None:
    result = cli("gen", str(SERVICES / "demo_schema.json"), "--class-name", "not a name")
    assert result.code == 2
    assert "--class-name" in one_error_line(result.err)


def test_gen_from_a_missing_file_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("gen", str(tmp_path / "nope.json"))
    assert result.code == 2
    assert "no such file" in one_error_line(result.err)


# --- against the real services -----------------------------------------------------------------------


def _generated(cli: CliRunner, url: str, tmp_path: Path, name: str) -> types.ModuleType:
    out = tmp_path / f"{name}.py"
    result = cli("gen", url, "-o", str(out))
    assert result.code == 0, result.err
    assert f"from {url}/schema.json" in out.read_text().split('"""')[1].replace("\n", " ")
    return _load(out.read_text(), tmp_path, name)


def test_generated_client_calls_the_demo_service(cli: CliRunner, demo_url: str, tmp_path: Path) -> None:
    module = _generated(cli, demo_url, tmp_path, "live_demo")
    with module.DemoClient(demo_url) as client:
        assert client.classify([[1, 2, 3, 4], [6, 7, 8, 9]]) == [0, 1]
        assert client.summarize(text="One. Two.", max_length=10) == "One."
        quick = client.with_options(timeout=5)
        assert isinstance(quick, module.DemoClient)
        assert quick.summarize("A. B.") == "A."
        texts = [{"text": "A. B."}, {"text": "C. D."}]
        assert list(client.map("summarize", texts, concurrency=2)) == ["A.", "C."]  # the typed map() override
        assert sorted(client.map("summarize", texts, ordered=False)) == [(0, "A."), (1, "C.")]


def test_generated_client_calls_the_wire_service(cli: CliRunner, wire_url: str, tmp_path: Path) -> None:
    module = _generated(cli, wire_url, tmp_path, "live_wire")
    upload = tmp_path / "in.csv"
    upload.write_bytes(b"a,b\n")
    with module.WireClient(wire_url, download_dir=tmp_path / "out") as client:
        assert client.echo_model({"name": "a", "quantity": 2}, factor=2.0) == {"name": "a", "total": 4.0, "tags": []}
        assert client.text("ab", repeat=2) == "abab"
        assert client.api_close() == "closed"
        assert client.api_call() == "call"
        assert client.root_list([1, 2]) == [1, 2]
        assert client.file_info(upload, note="n")["hex"] == b"a,b\n".hex()
        made = client.make_file("x", filename="m.txt")
        assert made.read_text() == "x"
        assert made.parent == tmp_path / "out"
        assert client.echo_task(text="now") == {"text": "now"}
        task = client.echo_task.submit(text="later", delay=0.2)
        assert isinstance(task, bentoclient.Task)
        assert task.result(timeout=30) == {"text": "later"}
        assert client.echo_task.get_status(task.id) is bentoclient.ResultStatus.COMPLETED
        assert client.echo_task.get(task.id) == {"text": "later"}
        with pytest.raises(bentoclient.exceptions.NotFound, match="wire failure"):
            client.fail("NotFound")
