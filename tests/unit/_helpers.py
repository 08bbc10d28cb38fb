"""Shared helpers for the unit tests: schema fixtures and small builders."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional, Union

from bentoclient._models import Headers, ResponseData
from bentoclient._schema import Endpoint, ServiceSchema, parse_schema

SERVICES = Path(__file__).resolve().parent.parent / "services"


def load_schema_doc(name: str = "wire_schema.json") -> dict[str, Any]:
    """A ``/schema.json`` document captured from a real BentoML server (tests/services/)."""
    data = json.loads((SERVICES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def wire_schema() -> ServiceSchema:
    return parse_schema(load_schema_doc("wire_schema.json"))


def object_input(properties: Mapping[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """An input schema as BentoML writes it for ordinary parameters."""
    return {"properties": dict(properties), "required": list(required), "title": "Input", "type": "object"}


def make_endpoint(
    input_schema: Mapping[str, Any],
    output_schema: Optional[Mapping[str, Any]] = None,
    *,
    name: str = "ep",
    is_task: bool = False,
) -> Endpoint:
    """One endpoint, built through :func:`parse_schema` as the client builds it."""
    route = {
        "name": name,
        "route": f"/{name}",
        "batchable": False,
        "input": dict(input_schema),
        "output": dict(output_schema if output_schema is not None else {}),
        "is_task": is_task,
    }
    return parse_schema({"name": "S", "type": "service", "routes": [route]}).endpoints[name]


def collect(content: Union[bytes, Iterable[bytes]]) -> bytes:
    """The bytes of a request body, whether given whole or as re-iterable chunks."""
    if isinstance(content, bytes):
        return content
    return b"".join(content)


def response(
    status: int = 200,
    content: bytes = b"",
    content_type: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
) -> ResponseData:
    hdrs = Headers(headers or {})
    if content_type is not None:
        hdrs.add("Content-Type", content_type)
    return ResponseData(status, hdrs, content)
