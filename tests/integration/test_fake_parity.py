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
# fixture of the running server -> (folder, module, class) of its service
SERVICES = {
    "demo_url": (ROOT / "examples", "service", "Demo"),
    "wire_url": (ROOT / "tests" / "services", "wire", "Wire"),
}

# One interpreter start (BentoML imports slowly) for every class.
_SCRIPT = """
import json, sys
from bentoclient.testing import schema_from_class
found = {}
for spec in sys.argv[1:]:
    folder, module, cls = spec.split("|")
    sys.path.insert(0, folder)
    found[cls] = schema_from_class(getattr(__import__(module), cls))
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def made_schemas() -> dict[str, Any]:
    python = Path(os.environ["BENTOCLIENT_BENTOML"]).parent / "python"
    specs = [f"{folder}|{module}|{cls}" for folder, module, cls in SERVICES.values()]
    result = subprocess.run(
        [str(python), "-c", _SCRIPT, *specs],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(CORE_SRC)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    schemas: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return schemas


def _without_titles(value: Any) -> Any:
    # Model titles differ in name only (BentoML adds "IODescriptor" to a model it wraps).
    if isinstance(value, dict):
        return {k: _without_titles(v) for k, v in value.items() if k not in ("title", "description")}
    if isinstance(value, list):
        return [_without_titles(v) for v in value]
    return value


@pytest.mark.parametrize("fixture", list(SERVICES))
def test_schema_from_class_matches_the_served_schema(
    request: pytest.FixtureRequest, made_schemas: dict[str, Any], fixture: str
) -> None:
    url = request.getfixturevalue(fixture)
    with SyncHTTPClient(url) as client:
        served = client.request("GET", "/schema.json").json()
    made = made_schemas[SERVICES[fixture][2]]
    assert made["name"] == served["name"]
    keys = ("name", "route", "input", "output", "is_task")
    want = {r["name"]: _without_titles({k: r[k] for k in keys}) for r in served["routes"]}
    got = {r["name"]: _without_titles({k: r[k] for k in keys}) for r in made["routes"]}
    assert got == want
