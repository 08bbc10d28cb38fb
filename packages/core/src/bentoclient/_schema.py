"""The service description from ``GET /schema.json``, turned into endpoint records (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

from .exceptions import SchemaError

__all__ = ["Endpoint", "Field", "ServiceSchema", "is_binary_schema", "parse_schema", "schema_dialect"]


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
        "server_line",
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
        server_line: Optional[str] = None,
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
        #: The BentoML line an older schema dialect revealed ("1.2", "1.3"); None for the
        #: newest dialect (or a schema that does not tell).
        self.server_line = server_line
        self._by_name = {f.name: f for f in fields}
        # Whether call values need a look before plain JSON encoding (files, bytes fields,
        # data frames); decided once here rather than on every call.
        self.needs_inspection = root_input or any(
            f.is_file or f.schema.get("type") == "dataframe" or is_binary_schema(f.schema) for f in fields
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
    #: "1.2" or "1.3" when the schema is in that line's dialect, else None (1.4 or unknown).
    server_line: Optional[str] = None


# --- older schema dialects ------------------------------------------------------------------
#
# BentoML 1.2 and 1.3 describe some things differently from 1.4; each difference is turned into
# the 1.4 shape here, once, so the rest of the client reads one dialect (docs/compatibility.md).
#
# Telling the lines apart (from /schema.json alone, no other request): 1.4 adds a top-level
# "paths"; 1.3 and 1.4 write "is_task" on every route; 1.2 titles every output schema
# "<type>IODescriptor".  A schema that matches neither old dialect is read as 1.4.


def _is_descriptor_title(schema: Any) -> bool:
    return isinstance(schema, Mapping) and str(schema.get("title", "")).endswith("IODescriptor")


def schema_dialect(data: Mapping[str, Any]) -> Optional[str]:
    """The older line whose schema dialect ``data`` is in ("1.2", "1.3"), or None for 1.4's
    (and for a schema that does not tell, such as one without routes)."""
    routes = data.get("routes")
    if "paths" in data or not isinstance(routes, list) or not routes:
        return None
    routes = [r for r in routes if isinstance(r, Mapping)]
    if any("is_task" in r for r in routes):
        return "1.3"
    if any(_is_descriptor_title(r.get("output")) for r in routes):
        return "1.2"
    return None


def _normalize_output(schema: Mapping[str, Any], line: str) -> Mapping[str, Any]:
    out = dict(schema)
    if line == "1.2":
        if _is_descriptor_title(out):
            # "strIODescriptor", "PathIODescriptor", ...: 1.4 writes no title.  ``Any`` is only
            # {"title": "AnyIODescriptor"}, which becomes {} (anything), as 1.4 writes it.
            out.pop("title")
        if out.get("type") == "file" and out.get("format") == "image" and "content_type" not in out:
            # A PIL image: 1.4 adds "pil": true; 1.2 has format "image" only for PIL images.
            out["pil"] = True
    if line == "1.3":
        media = out.get("media_type")
        if not out.get("is_stream") and media == "text/event-stream":
            # 1.3 leaks the stream media type into some plain outputs; they are not streams.
            out.pop("media_type")
        if (
            out.get("type") == "file"
            and out.get("format") == "binary"
            and isinstance(media, str)
            and media.startswith("text/")
        ):
            # A text file (ContentType("text/...")): 1.3 says binary + media_type, 1.4 "text".
            out["format"] = "text"
            out.setdefault("content_type", media)
    return out


def _normalize_input(schema: Mapping[str, Any], line: str) -> Mapping[str, Any]:
    if line != "1.2" or not isinstance(schema.get("properties"), Mapping):
        return schema
    props = {}
    for name, field in schema["properties"].items():
        if isinstance(field, Mapping) and field.get("type") == "file" and field.get("format") == "image":
            field = {**field, "pil": True}  # a PIL image input (see _normalize_output)
        props[name] = field
    return {**schema, "properties": props}


def is_binary_schema(schema: Mapping[str, Any]) -> bool:
    """``bytes`` (``{"type": "string", "format": "binary"}``), alone or as a branch of an
    ``anyOf`` (``Optional[bytes]``)."""

    def binary(s: Any) -> bool:
        return isinstance(s, Mapping) and s.get("type") == "string" and s.get("format") == "binary"

    options = schema.get("anyOf")
    return binary(schema) or (isinstance(options, list) and any(binary(o) for o in options))


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


def _parse_endpoint(route: Any, index: int, line: Optional[str] = None) -> Endpoint:
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
    if line is not None:
        input_schema = _normalize_input(input_schema, line)
        output_schema = _normalize_output(output_schema, line)
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
        server_line=line,
    )


def parse_schema(data: Any) -> ServiceSchema:
    """Validate a decoded ``/schema.json`` document and build the endpoint records.

    Raises :class:`~bentoclient.exceptions.SchemaError` for anything that is not a BentoML
    service schema, naming the part that is wrong.  A BentoML 1.2 or 1.3 schema is read into
    the 1.4 shape (see ``schema_dialect``) and its endpoints remember the line.
    """
    if not isinstance(data, Mapping):
        raise SchemaError("schema.json: the document is not a JSON object")
    routes = data.get("routes", [])
    if not isinstance(routes, list):
        raise SchemaError("schema.json: 'routes' is not a list")
    line = schema_dialect(data)
    endpoints: dict[str, Endpoint] = {}
    for index, route in enumerate(routes):
        endpoint = _parse_endpoint(route, index, line)
        endpoints[endpoint.name] = endpoint
    name = data.get("name", "")
    description = data.get("description")
    return ServiceSchema(
        name=name if isinstance(name, str) else "",
        endpoints=endpoints,
        description=description if isinstance(description, str) else None,
        server_line=line,
    )
