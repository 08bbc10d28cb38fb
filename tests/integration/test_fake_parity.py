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
    "media_url": (ROOT / "tests" / "services", "media", "Media"),
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


# A service written as for BentoML (pydantic models, tensors, PIL images, files), faked with
# FakeService.from_class where pydantic, numpy and Pillow are installed: BentoML's environment.
_TYPED_SERVICE = """
import json, sys, tempfile
from pathlib import Path
from typing import Annotated

import bentoml
import numpy as np
import pydantic
from bentoml.validators import DType, Shape
from PIL import Image

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.testing import FakeService


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


@bentoml.service
class Typed:
    @bentoml.api
    def norm(self, p: Point, others: list[Point]) -> int:
        assert isinstance(p, Point), type(p)
        assert all(isinstance(q, Point) for q in others), [type(q) for q in others]
        return abs(p.x) + abs(p.y) + sum(q.x for q in others)

    @bentoml.api
    def double(self, arr: Annotated[np.ndarray, Shape((2, 2)), DType("float32")]) -> np.ndarray:
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float32, (type(arr), getattr(arr, "dtype", None))
        return arr * 2

    @bentoml.api
    def describe(self, image: Image.Image, upload: Path) -> dict:
        assert isinstance(image, Image.Image), type(image)
        assert isinstance(upload, Path), type(upload)
        return {"size": list(image.size), "text": upload.read_text()}


found = {}
folder = Path(tempfile.mkdtemp())
(folder / "note.txt").write_text("noted")
Image.new("RGB", (3, 2)).save(folder / "pic.png")
fake = FakeService.from_class(Typed)
with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
    found["norm"] = client.norm(p={"x": 3, "y": -4}, others=[{"x": 1}, Point(x=2)])
    found["double"] = client.double(arr=[[1, 2], [3, 4]]).tolist()
    found["describe"] = client.describe(image=folder / "pic.png", upload=folder / "note.txt")
    try:
        client.norm(p={"y": 1}, others=[])
    except exc.InvalidArgument as error:
        found["refused"] = json.loads(error.body)["detail"][0]["loc"]
fake.close()
print(json.dumps(found))
"""


def test_a_fake_of_a_pydantic_numpy_pil_service_hands_the_handler_bentomls_types() -> None:
    python = Path(os.environ["BENTOCLIENT_BENTOML"]).parent / "python"
    result = subprocess.run(
        [str(python), "-c", _TYPED_SERVICE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(CORE_SRC)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "norm": 10,
        "double": [[2.0, 4.0], [6.0, 8.0]],
        "describe": {"size": [3, 2], "text": "noted"},
        "refused": ["p", "x"],
    }
