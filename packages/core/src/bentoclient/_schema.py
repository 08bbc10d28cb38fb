"""The service description from ``GET /schema.json``, turned into endpoint records (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

from .exceptions import SchemaError

__all__ = ["Endpoint", "Field", "ServiceSchema", "parse_schema"]


class Field(NamedTuple):
    """One input field of an endpoint."""

    name: str
    schema: Mapping[str, Any]
    required: bool
    is_file: bool  # a file, or an array of files

    @property
    def type_label(self) -> str:
        return _type_label(self.schema)


class Endpoint:
    """One API of a BentoML service, as its schema describes it (read-only by convention)."""

    __slots__ = (
        "_by_name",
        "batchable",
        "description",
        "fields",
        "input",
        "is_stream",
        "is_task",
        "name",
        "needs_inspection",
        "output",
        "root_input",
        "route",
    )

    def __init__(
        self,
        name: str,
        route: str,
        input: Mapping[str, Any],
        output: Mapping[str, Any],
        fields: tuple[Field, ...] = (),
        root_input: bool = False,
        is_task: bool = False,
        is_stream: bool = False,
        batchable: bool = False,
        description: Optional[str] = None,
    ) -> None:
        self.name = name
        self.route = route
        self.input = input
        self.output = output
        self.fields = fields
        self.root_input = root_input
        self.is_task = is_task
        self.is_stream = is_stream
        self.batchable = batchable
        self.description = description
        self._by_name = {f.name: f for f in fields}
        # Whether call values need a look before plain JSON encoding (files, bytes fields,
        # data frames); decided once here rather than on every call.
        self.needs_inspection = root_input or any(
            f.is_file
            or f.schema.get("type") == "dataframe"
            or (f.schema.get("type") == "string" and f.schema.get("format") == "binary")
            for f in fields
        )

    def __repr__(self) -> str:
        return f"<Endpoint {self.signature_text()} POST {self.route}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Endpoint):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable mappings inside: not hashable

    @property
    def multipart(self) -> bool:
        """Whether calls are sent as multipart form data (decided by the schema, as BentoML does)."""
        return not self.root_input and any(f.is_file for f in self.fields)

    @property
    def output_media_type(self) -> Optional[str]:
        value = self.output.get("media_type")
        return value if isinstance(value, str) else None

    def get_field(self, name: str) -> Optional[Field]:
        return self._by_name.get(name)

    def signature_text(self) -> str:
        """``name(a: string, b: integer = 5)``, for docs, reprs and error messages."""
        if self.root_input:
            return f"{self.name}(value: {_type_label(self.input)}, /)"
        params = []
        for f in self.fields:
            text = f"{f.name}: {f.type_label}"
            if not f.required:
                text += f" = {json.dumps(f.schema['default'])}" if "default" in f.schema else " = <server default>"
            params.append(text)
        return f"{self.name}({', '.join(params)})"

    def doc(self) -> str:
        kind = "streaming endpoint" if self.is_stream else "task endpoint" if self.is_task else "endpoint"
        lines = [f"{self.signature_text()} -> {_type_label(self.output)}", "", f"Calls the {kind} POST {self.route}."]
        if self.description:
            lines += ["", self.description]
        return "\n".join(lines)


class ServiceSchema(NamedTuple):
    """The whole service: name, description and endpoints by name (schema order)."""

    name: str
    endpoints: Mapping[str, Endpoint]
    description: Optional[str] = None


def _is_file_schema(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("type") == "file":
        return True
    return (
        schema.get("type") == "array"
        and isinstance(schema.get("items"), Mapping)
        and schema["items"].get("type") == "file"
    )


def _type_label(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"array[{_type_label(schema['items'])}]"
    if kind == "file" and schema.get("pil"):
        return "image"
    if kind == "tensor":
        dtype = schema.get("dtype")
        return f"tensor[{dtype}]" if dtype else "tensor"
    if isinstance(kind, str):
        fmt = schema.get("format")
        return f"{kind}<{fmt}>" if kind == "string" and isinstance(fmt, str) else kind
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return " | ".join(_type_label(o) if isinstance(o, Mapping) else "any" for o in options)
    return "any"


def _require(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise SchemaError(f"schema.json: {where} has no valid {key!r} ({kind.__name__} expected, got {value!r})")
    return value


def _parse_endpoint(route: Any, index: int) -> Endpoint:
    if not isinstance(route, Mapping):
        raise SchemaError(f"schema.json: routes[{index}] is not an object")
    name = _require(route, "name", str, f"routes[{index}]")
    where = f"endpoint {name!r}"
    path = _require(route, "route", str, where)
    if not path.startswith("/"):
        path = "/" + path
    input_schema = route.get("input", {})
    output_schema = route.get("output", {})
    if not isinstance(input_schema, Mapping) or not isinstance(output_schema, Mapping):
        raise SchemaError(f"schema.json: {where} has a non-object input or output schema")
    root = bool(input_schema.get("root_input", False))
    fields: list[Field] = []
    if not root:
        props = input_schema.get("properties", {})
        required = input_schema.get("required", [])
        if not isinstance(props, Mapping) or not isinstance(required, list):
            raise SchemaError(f"schema.json: {where} has malformed 'properties' or 'required'")
        for fname, fschema in props.items():
            if not isinstance(fname, str) or not isinstance(fschema, Mapping):
                raise SchemaError(f"schema.json: {where} field {fname!r} has a malformed schema")
            fields.append(Field(fname, fschema, fname in required, _is_file_schema(fschema)))
    doc = route.get("description", route.get("doc"))
    return Endpoint(
        name=name,
        route=path,
        input=input_schema,
        output=output_schema,
        fields=tuple(fields),
        root_input=root,
        is_task=bool(route.get("is_task", False)),
        is_stream=bool(output_schema.get("is_stream", False)),
        batchable=bool(route.get("batchable", False)),
        description=doc if isinstance(doc, str) else None,
    )


def parse_schema(data: Any) -> ServiceSchema:
    """Validate a decoded ``/schema.json`` document and build the endpoint records.

    Raises :class:`~bentoclient.exceptions.SchemaError` for anything that is not a BentoML
    service schema, naming the part that is wrong.
    """
    if not isinstance(data, Mapping):
        raise SchemaError("schema.json: the document is not a JSON object")
    routes = data.get("routes", [])
    if not isinstance(routes, list):
        raise SchemaError("schema.json: 'routes' is not a list")
    endpoints: dict[str, Endpoint] = {}
    for index, route in enumerate(routes):
        endpoint = _parse_endpoint(route, index)
        endpoints[endpoint.name] = endpoint
    name = data.get("name", "")
    description = data.get("description")
    return ServiceSchema(
        name=name if isinstance(name, str) else "",
        endpoints=endpoints,
        description=description if isinstance(description, str) else None,
    )
