"""What the distributions promise: stdlib-only core, vendoring, one version, optional parts."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import bentoclient
from bentoclient import exceptions as exc
from bentoclient._messages import install_command

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"
COMBO = os.environ.get("BENTOCLIENT_COMBO", "")

_PROBE = """
import json, sys
before = set(sys.modules)
import bentoclient
added = sorted(set(sys.modules) - before)
files = {m: getattr(sys.modules[m], "__file__", None) for m in added}
print(json.dumps({"added": added, "files": files}))
"""


def _stdlib_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return [os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib")]


def test_import_adds_only_standard_library_modules() -> None:
    # Every public name, so the lazily loaded modules are checked too.
    every_name = (
        "import bentoclient\n"
        "for name in bentoclient.__all__:\n"
        "    if not name.startswith('Async'):\n"
        "        getattr(bentoclient, name)\n"
        "import bentoclient.transport, bentoclient.streaming, bentoclient.aio, bentoclient.testing"
    )
    probe = _PROBE.replace("import bentoclient", every_name)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    stdlib = _stdlib_dirs()
    site = [os.path.realpath(p) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])]
    outside = []
    for name, file in report["files"].items():
        if name == "bentoclient" or name.startswith("bentoclient."):
            continue
        if file is None:  # built into the interpreter
            continue
        real = os.path.realpath(file)
        in_site = any(real.startswith(s + os.sep) for s in site)
        if in_site or not any(real.startswith(d + os.sep) for d in stdlib):
            outside.append(name)
    assert outside == [], f"import bentoclient pulled in non-stdlib modules: {outside}"
    assert "http.client" in report["added"]
    assert "bentoclient.testing" in report["added"]


# Counts from a fresh interpreter with nothing imported before the statement (json, which
# reports the result, is imported after it, so it counts where the statement imports it).
_COUNT_PROBE = """
import sys
before = set(sys.modules)
{statement}
added = sorted(set(sys.modules) - before)
import json
print(json.dumps(added))
"""


def _added_modules(statement: str) -> set[str]:
    probe = _COUNT_PROBE.format(statement=statement)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_import_stays_small() -> None:
    # The bound: import bentoclient loads at most 15 % more modules than what a plain
    # standard-library HTTP client needs (measured here, in the same interpreter), its own
    # modules included.  The package's names load on first use (PEP 562).
    baseline = _added_modules("import http.client, json")
    ours = _added_modules("import bentoclient")
    assert len(baseline) > 40, sorted(baseline)  # the probe measured a real import (71 on 3.11)
    assert len(ours) <= 1.15 * len(baseline), (len(ours), len(baseline), sorted(ours - baseline))
    for heavy in ("typing", "threading", "http.client", "bentoclient._sync.client", "bentoclient.exceptions"):
        assert heavy not in ours, f"import bentoclient imports {heavy} eagerly"


def test_the_client_import_loads_nothing_heavy() -> None:
    # What the transport needs anyway (http.client brings email parsing, ssl, socket ...).
    baseline = _added_modules("import http.client, json, select, socket, ssl, threading, urllib.parse")
    ours = _added_modules("from bentoclient import SyncHTTPClient") - baseline
    # A guard against accidental heavy imports: these load lazily, when first needed.
    for heavy in ("asyncio", "logging", "tempfile", "random", "inspect", "dataclasses", "difflib", "mimetypes"):
        assert heavy not in ours, f"from bentoclient import SyncHTTPClient imports {heavy} eagerly"
    assert "importlib" not in ours, "the lazy names load through __import__, not importlib"
    assert len(ours - {m for m in ours if m.startswith("bentoclient")}) < 15, sorted(ours)


@pytest.mark.parametrize(
    ("statement", "baseline"),
    [
        ("from bentoclient import SyncHTTPClient", "import http.client, json"),
        ("from bentoclient import AsyncHTTPClient", "import asyncio, json"),
    ],
)
def test_the_import_users_write_stays_within_its_bound(statement: str, baseline: str) -> None:
    # What users write first, against what a raw client of the same kind imports: at most
    # 1.15x its modules (issue 17; docs/performance.md), on every Python the tests run on.
    if "Async" in statement:
        pytest.importorskip("bentoclient_async")
    base = _added_modules(baseline)
    ours = _added_modules(statement)
    assert len(base) > 40, sorted(base)  # the probe measured a real import
    assert len(ours) <= 1.15 * len(base), (len(ours), len(base), sorted(ours - base))
    # Beyond the bentoclient modules: a few small standard-library ones, nothing else.
    extra = {m for m in ours - base if not m.startswith(("bentoclient", "_"))}
    assert extra <= {"__future__", "contextlib", "threading", "typing", "typing.io", "typing.re", "weakref"}, sorted(
        extra
    )


# What defining the client classes needs; the rest (protocol layer, transport, error tree)
# loads on the first call, through bentoclient._lazy.
_CLASS_MODULES = {
    "bentoclient",
    "bentoclient._version",
    "bentoclient._lazy",
    "bentoclient._base",
    "bentoclient._backends",
}


def test_the_client_import_loads_only_what_defining_the_class_needs() -> None:
    ours = _added_modules("from bentoclient import SyncHTTPClient")
    own = {m for m in ours if m.startswith("bentoclient")}
    assert own == _CLASS_MODULES | {"bentoclient._sync", "bentoclient._sync.client"}, sorted(own)
    for later in ("http.client", "socket", "ssl", "json", "typing", "threading"):
        assert later not in ours, f"from bentoclient import SyncHTTPClient imports {later} before the first call"


def test_the_async_client_import_loads_no_transport() -> None:
    pytest.importorskip("bentoclient_async")
    ours = _added_modules("from bentoclient import AsyncHTTPClient")
    own = {m for m in ours if m.startswith("bentoclient.")} | {"bentoclient"}
    assert own == _CLASS_MODULES | {"bentoclient.aio", "bentoclient._async", "bentoclient._async.client"}, sorted(own)
    # The async package's transports (and the HTTP libraries under them) load on first use.
    for later in ("httpx", "httpx2", "httpcore", "h11", "anyio", "ssl", "bentoclient_async._asyncio"):
        assert later not in ours, f"from bentoclient import AsyncHTTPClient imports {later} before the first call"


def test_the_first_call_loads_the_rest_and_works_in_a_fresh_interpreter() -> None:
    # The lazily loaded modules come in on first use, through any public path: a request
    # through an in-memory transport, in a fresh interpreter, with nothing imported before.
    code = (
        "import sys\n"
        "from bentoclient import SyncHTTPClient\n"
        "from bentoclient.testing import FakeService\n"
        "class Svc:\n"
        "    def echo(self, text: str) -> str:\n"
        "        return text\n"
        "fake = FakeService.from_class(Svc)\n"
        "with SyncHTTPClient(fake.url, transport=fake.transport()) as client:\n"
        "    print(client.echo(text='hi'), 'bentoclient._decode' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.split() == ["hi", "True"]


def test_the_command_line_help_is_cheap() -> None:
    code = (
        "import sys, json\nbefore = set(sys.modules)\n"
        "from bentoclient.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert "usage: bentoclient" in result.stdout
    for heavy in ("bentoclient._sync.client", "bentoclient._transport", "http.client", "ssl"):
        assert heavy not in loaded, f"bentoclient --help imports {heavy}"


def test_lazy_names_are_listed_and_typed_the_same() -> None:
    import bentoclient as b

    assert set(b.__all__) <= set(dir(b))
    from bentoclient._sync.client import SyncHTTPClient

    assert b.SyncHTTPClient is SyncHTTPClient
    assert b.exceptions is exc
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        b.Nope  # noqa: B018


def test_vendored_copy_imports_without_site_packages(tmp_path: Path) -> None:
    source = Path(bentoclient.__file__).parent
    shutil.copytree(source, tmp_path / "myapp" / "_vendor" / "bentoclient")
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "_vendor" / "__init__.py").write_text("")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from myapp._vendor import bentoclient as b;"
        "from myapp._vendor.bentoclient.exceptions import ArgumentError;"
        "assert b.__file__.startswith(sys.argv[1]), b.__file__;"
        "assert 'bentoclient' not in sys.modules;"
        "print(b.__version__)"
    )
    # -S: no site-packages at all, so nothing installed (not even metadata) can help.
    result = subprocess.run([sys.executable, "-S", "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == bentoclient.__version__


@pytest.mark.skipif(importlib.util.find_spec("bentoclient_stream") is None, reason="needs the stream package")
def test_vendored_copy_refuses_the_installed_stream_package_clearly(tmp_path: Path) -> None:
    # The installed plugin would raise the installed bentoclient's errors, which except clauses
    # written against the vendored copy cannot catch: one exception tree, or a clear refusal.
    source = Path(bentoclient.__file__).parent
    shutil.copytree(source, tmp_path / "myapp" / "_vendor" / "bentoclient")
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "_vendor" / "__init__.py").write_text("")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from myapp._vendor.bentoclient.streaming import load_stream_plugin;"
        "from myapp._vendor.bentoclient.exceptions import MissingDependencyError;\n"
        "try:\n    load_stream_plugin('generate')\n"
        "except MissingDependencyError as exc:\n    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "vendored as 'myapp._vendor.bentoclient'" in result.stdout
    assert "import bentoclient itself" in result.stdout


def _pyproject(name: str) -> str:
    return (PACKAGES / name / "pyproject.toml").read_text()


def _compatible_range(version: str) -> str:
    """``>=X.Y.Z,<X.(Y+1)``: the range the three distributions pin each other to."""
    major, minor, _ = version.split(".", 2)
    return f">={version},<{major}.{int(minor) + 1}"


def test_one_version_for_all_distributions_pinned_to_a_compatible_range() -> None:
    # The siblings use core's public API only (see the test below), so they pin a compatible
    # range of each other, not one exact version: a core patch needs no sibling release.
    version = bentoclient.__version__
    for name in ("core", "async", "stream"):
        found = re.search(r'^version = "([^"]+)"', _pyproject(name), re.M)
        assert found is not None
        assert found.group(1) == version, f"packages/{name} is at {found.group(1)}, bentoclient at {version}"
    wanted = _compatible_range(version)
    core = _pyproject("core")
    pins = re.findall(r'"bentoclient-(async|stream)([^"]*)"', core)
    assert {p for p, _ in pins} == {"async", "stream"}
    assert all(spec == wanted for _, spec in pins), pins
    for name in ("async", "stream"):
        assert f'"bentoclient{wanted}"' in _pyproject(name)


@pytest.mark.parametrize(
    ("name", "package"), [("core", "bentoclient"), ("async", "bentoclient_async"), ("stream", "bentoclient_stream")]
)
def test_each_distribution_reports_its_own_version(name: str, package: str) -> None:
    # Read from the source (not imported): each package's __version__ is its own distribution's.
    init = PACKAGES / name / "src" / package / ("_version.py" if name == "core" else "__init__.py")
    found = re.search(r'^__version__ = "([^"]+)"', init.read_text(), re.M)
    assert found is not None, f"{init.relative_to(ROOT)} does not set __version__ itself"
    declared = re.search(r'^version = "([^"]+)"', _pyproject(name), re.M)
    assert declared is not None
    assert found.group(1) == declared.group(1)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize("package", ["async", "stream"])
def test_siblings_import_only_the_public_api_of_core_and_the_plugin_module(package: str) -> None:
    # bentoclient._plugin is the one module for the siblings beyond the public API.
    private = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted((PACKAGES / package / "src").rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] == "bentoclient"
        and any(part.startswith("_") for part in name.split(".")[1:])
        and name != "bentoclient.__version__"
        and name.split(".")[:2] != ["bentoclient", "_plugin"]
    ]
    assert private == [], "a sibling imports a private part of core"


def test_core_loads_its_plugins_only_where_documented() -> None:
    # Core never imports a sibling at import time; it looks them up lazily, in these modules.
    allowed = {"__init__.py", "_backends.py", "streaming.py"}
    core = PACKAGES / "core" / "src" / "bentoclient"
    users = {
        str(path.relative_to(core))
        for path in core.rglob("*.py")
        for _, name in _imports(path)
        if name.split(".")[0] in ("bentoclient_async", "bentoclient_stream")
    }
    assert users <= allowed, users


@pytest.mark.skipif(COMBO != "core", reason="checks the core-only environment")
def test_core_environment_has_no_http_library() -> None:
    # Proves the core tests ran with nothing but the standard library under the client.
    for name in ("httpx", "httpcore", "anyio", "requests", "urllib3", "bentoml", "bentoclient_async"):
        assert importlib.util.find_spec(name) is None, f"{name} is installed in the core-only environment"


@pytest.mark.skipif(importlib.util.find_spec("bentoclient_async") is not None, reason="the async package is here")
def test_async_client_without_its_package_says_how_to_install() -> None:
    with pytest.raises(exc.MissingDependencyError) as info:
        bentoclient.AsyncHTTPClient  # noqa: B018
    assert install_command("async") in str(info.value)  # the command for where bentoclient is
    assert isinstance(info.value, ImportError)


def test_streaming_without_its_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from bentoclient.streaming import load_stream_plugin

    monkeypatch.setitem(sys.modules, "bentoclient_stream", None)  # import now fails as if absent
    with pytest.raises(exc.MissingDependencyError) as info:
        load_stream_plugin("generate")
    assert install_command("stream") in str(info.value)
    assert "'generate'" in str(info.value)
    assert isinstance(info.value, ImportError)


_BUILD_WHEEL = "import sys, flit_core.buildapi as b; print(b.build_wheel(sys.argv[1]))"


@pytest.mark.parametrize(
    ("folder", "dist"), [("core", "bentoclient"), ("async", "bentoclient_async"), ("stream", "bentoclient_stream")]
)
def test_wheel_carries_apache_licence(folder: str, dist: str, tmp_path: Path) -> None:
    # flit_core's build API straight from the test environment: no build isolation, no index.
    if importlib.util.find_spec("flit_core") is None:
        pytest.fail("flit_core>=3.12 is needed to build the wheels (nox installs it with the test requirements)")
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_WHEEL, str(tmp_path)],
        cwd=PACKAGES / folder,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    wheel = tmp_path / result.stdout.strip().splitlines()[-1]
    info = f"{dist}-{bentoclient.__version__}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{info}/METADATA").decode()
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: Apache-2.0" in headers
    assert "License-File: LICENSE" in headers
    assert not any(h.startswith("Classifier: License ::") for h in headers)  # PEP 639: the expression only
    assert licence == (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence
    assert "Version 2.0, January 2004" in licence


def test_every_distribution_folder_has_the_top_licence() -> None:
    top = (ROOT / "LICENSE").read_bytes()
    for name in ("core", "async", "stream"):
        assert (PACKAGES / name / "LICENSE").read_bytes() == top, f"packages/{name}/LICENSE differs from LICENSE"
        assert re.search(r'^license = "Apache-2\.0"$', _pyproject(name), re.M), name
        assert re.search(r'^license-files = \["LICENSE"\]$', _pyproject(name), re.M), name


def _runtime_imports(path: Path, package: str) -> set[str]:
    """The core modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out;
    a module taken from ``_lazy`` counts as imported: it is, on first use)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and id(node) not in typing_only:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {target} if node.module else {f"{target}.{alias.name}" for alias in node.names}
            if target.endswith("._lazy"):
                found |= {f"{target.rpartition('.')[0]}.{alias.name}" for alias in node.names}
    return found


def test_core_modules_import_no_cycle() -> None:
    # Each module can be understood (and imported) without the ones that depend on it.
    core = PACKAGES / "core" / "src" / "bentoclient"
    graph: dict[str, set[str]] = {}
    for path in core.rglob("*.py"):
        parts = list(path.relative_to(core.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        graph[name] = _runtime_imports(path, name if is_package else name.rpartition(".")[0]) - {name}

    def cycle_from(start: str) -> list[str]:
        stack, seen = [start], {start}
        while stack:
            for target in sorted(graph.get(stack[-1], ())):
                if target == start:
                    return [*stack, start]
                if target in graph and target not in seen:
                    seen.add(target)
                    stack.append(target)
                    break
            else:
                stack.pop()
        return []

    cycles = [" -> ".join(c) for name in sorted(graph) if (c := cycle_from(name))]
    assert cycles == []
