"""The minimal vendor set: the files of ``bentoclient`` that both clients need, as listed in
``docs/vendoring.md``, and a project that copied only those files, using both clients against
a real ``bentoml serve`` under ``python -I``."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "packages" / "core" / "src" / "bentoclient"
TESTS = ROOT / "tests"
DOC = ROOT / "docs" / "vendoring.md"

#: The public modules a client user imports; the vendor set is what they import, transitively.
ENTRY_MODULES = ("bentoclient", "bentoclient.aio", "bentoclient.exceptions", "bentoclient.transport")
#: Files of the package that are not Python but belong to the set.
DATA_FILES = ("py.typed",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports anywhere (lazily, or for type checkers too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names} & modules
            if target.endswith("._lazy"):  # modules loaded on first use (bentoclient._lazy)
                found |= {f"{target.rpartition('.')[0]}.{alias.name}" for alias in node.names} & modules
        elif (  # bentoclient/__init__.py's lazy names: {"Name": "_module", ...}
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            for value in node.value.values:
                assert isinstance(value, ast.Constant)
                assert isinstance(value.value, str)
                found.add(f"{package}.{value.value}")
    return found & modules


def client_closure() -> set[str]:
    """The package-relative paths of the files both clients need."""
    paths = {_module_name(path): path for path in CORE.rglob("*.py")}
    needed: set[str] = set()
    todo = list(ENTRY_MODULES)
    while todo:
        name = todo.pop()
        if name in needed or name not in paths:
            continue
        needed.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # the packages above it
        todo += sorted(_imports(paths[name], set(paths)))
    files = {paths[name].relative_to(CORE.parent).as_posix() for name in needed}
    return files | {f"bentoclient/{name}" for name in DATA_FILES}


def documented_set() -> set[str]:
    text = DOC.read_text()
    found = re.search(r"<!-- vendor-set -->\s*```text\n(.*?)```", text, re.S)
    assert found is not None, "docs/vendoring.md has no '<!-- vendor-set -->' list"
    return {line.strip() for line in found.group(1).splitlines() if line.strip()}


def test_the_documented_vendor_set_is_what_the_clients_import() -> None:
    needed = client_closure()
    documented = documented_set()
    assert sorted(needed - documented) == [], "the clients import files docs/vendoring.md does not list"
    assert sorted(documented - needed) == [], "docs/vendoring.md lists files the clients do not import"


def test_the_vendor_set_leaves_out_the_tools() -> None:
    everything = {path.relative_to(CORE.parent).as_posix() for path in CORE.rglob("*") if path.is_file()}
    everything = {name for name in everything if "__pycache__" not in name}
    left_out = everything - documented_set()
    assert left_out == {
        "bentoclient/__main__.py",
        "bentoclient/_cli.py",
        "bentoclient/_gen.py",
        "bentoclient/_plugin.py",
        "bentoclient/testing.py",
    }
    text = DOC.read_text()
    for name in left_out:
        assert f"`{name.split('/', 1)[1]}`" in text, f"docs/vendoring.md does not say why {name} is left out"


def test_a_copy_of_only_the_vendor_set_runs_both_clients(tmp_path: Path) -> None:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from bentoserve import serve

    vendor = tmp_path / "project" / "myapp" / "_vendor"
    for name in sorted(documented_set()):
        (vendor / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORE.parent / name, vendor / name)
    (vendor.parent / "__init__.py").write_text("")
    (vendor / "__init__.py").write_text("")
    proof = shutil.copy(Path(__file__).with_name("vendor_set_proof.py"), tmp_path)  # outside the repository
    with serve("service:Demo", cwd=ROOT / "examples") as url:
        result = subprocess.run(
            [sys.executable, "-I", str(proof), str(tmp_path / "project"), url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "sync and async clients ok" in result.stdout
