"""bentoclient.testing against the real thing: ``schema_from_class`` of a service class, run
where BentoML is installed, gives the ``/schema.json`` that ``bentoml serve`` serves for it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bentoclient import SyncHTTPClient

ROOT = Path(__file__).resolve().parents[2]
CORE_SRC = ROOT / "packages" / "core" / "src"

_SCRIPT = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
module = __import__(sys.argv[3])
from bentoclient.testing import schema_from_class
print(json.dumps(schema_from_class(getattr(module, sys.argv[4]))))
"""


def _without_titles(value: Any) -> Any:
    # Model titles differ in name only (BentoML adds "IODescriptor" to a model it wraps).
    if isinstance(value, dict):
        return {k: _without_titles(v) for k, v in value.items() if k not in ("title", "description")}
    if isinstance(value, list):
        return [_without_titles(v) for v in value]
    return value


def _from_class(folder: Path, module: str, cls: str) -> dict[str, Any]:
    python = Path(os.environ["BENTOCLIENT_BENTOML"]).parent / "python"
    result = subprocess.run(
        [str(python), "-c", _SCRIPT, str(CORE_SRC), str(folder), module, cls],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    schema: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return schema


@pytest.mark.parametrize(
    ("fixture", "folder", "module", "cls"),
    [("demo_url", ROOT / "examples", "service", "Demo"), ("wire_url", ROOT / "tests" / "services", "wire", "Wire")],
)
def test_schema_from_class_matches_the_served_schema(
    request: pytest.FixtureRequest, fixture: str, folder: Path, module: str, cls: str
) -> None:
    url = request.getfixturevalue(fixture)
    with SyncHTTPClient(url) as client:
        served = client.request("GET", "/schema.json").json()
    made = _from_class(folder, module, cls)
    assert made["name"] == served["name"]
    keys = ("name", "route", "input", "output", "is_task")
    want = {r["name"]: _without_titles({k: r[k] for k in keys}) for r in served["routes"]}
    got = {r["name"]: _without_titles({k: r[k] for k in keys}) for r in made["routes"]}
    assert got == want
