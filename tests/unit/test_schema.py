"""``/schema.json`` -> endpoint records (BentoML protocol §2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._schema import Endpoint, parse_schema
from bentoclient.exceptions import BentoClientError, SchemaError

from ._helpers import load_schema_doc, make_endpoint, object_input

# --- the schema captured from a real BentoML server ------------------------------------


def test_captured_schema_parses_with_every_route_in_document_order() -> None:
    doc = load_schema_doc()
    schema = parse_schema(doc)
    assert schema.name == doc["name"] == "Wire"
    assert list(schema.endpoints) == [route["name"] for route in doc["routes"]]
    assert schema.description == doc.get("description")
    for route in doc["routes"]:
        endpoint = schema.endpoints[route["name"]]
        assert endpoint.route == route["route"]
        assert endpoint.input == route["input"]
        assert endpoint.output == route["output"]
        assert endpoint.is_task is bool(route.get("is_task"))
        assert endpoint.is_stream is bool(route["output"].get("is_stream"))
        assert endpoint.root_input is bool(route["input"].get("root_input"))
        if not endpoint.root_input:
            assert [f.name for f in endpoint.fields] == list(route["input"].get("properties", {}))
            required = set(route["input"].get("required", []))
            assert {f.name for f in endpoint.fields if f.required} == required


def test_captured_schema_details() -> None:
    schema = parse_schema(load_schema_doc())
    text = schema.endpoints["text"]
    assert [(f.name, f.required, f.is_file) for f in text.fields] == [("text", True, False), ("repeat", False, False)]
    assert not text.multipart
    assert text.signature_text() == "text(text: string, repeat: integer = 1)"

    file_info = schema.endpoints["file_info"]
    upload = file_info.get_field("upload")
    assert upload is not None
    assert upload.is_file
    assert upload.required
    assert file_info.multipart

    assert schema.endpoints["root_text"].root_input
    assert schema.endpoints["root_text"].fields == ()
    assert schema.endpoints["root_model"].root_input
    assert schema.endpoints["root_list"].root_input
    assert not schema.endpoints["root_list"].multipart

    assert schema.endpoints["echo_task"].is_task
    assert not schema.endpoints["echo_task"].is_stream
    assert schema.endpoints["stream_bytes"].is_stream
    assert schema.endpoints["stream_bytes"].output_media_type == "text/event-stream"
    assert not schema.endpoints["text"].is_stream
    assert schema.endpoints["text"].output_media_type is None


def test_captured_demo_schema_parses() -> None:
    doc = load_schema_doc("demo_schema.json")
    schema = parse_schema(doc)
    assert list(schema.endpoints) == [route["name"] for route in doc["routes"]]


# --- hand-written schemas ---------------------------------------------------------------


def _route(name: str, input_schema: Any = None, output: Any = None, **extra: Any) -> dict[str, Any]:
    route: dict[str, Any] = {"name": name, "route": f"/{name}"}
    route["input"] = input_schema if input_schema is not None else {"properties": {}, "type": "object"}
    route["output"] = output if output is not None else {}
    route.update(extra)
    return route


def test_endpoint_order_is_the_document_order_not_alphabetical() -> None:
    doc = {"routes": [_route("zeta"), _route("alpha"), _route("mid")]}
    assert list(parse_schema(doc).endpoints) == ["zeta", "alpha", "mid"]


def test_fields_follow_schema_order_with_required_flags() -> None:
    endpoint = make_endpoint(
        object_input(
            {
                "z_last_alpha": {"type": "string"},
                "a_first_alpha": {"type": "integer", "default": 3},
                "m": {"type": "number"},
            },
            required=["z_last_alpha", "m"],
        )
    )
    assert [f.name for f in endpoint.fields] == ["z_last_alpha", "a_first_alpha", "m"]
    assert [f.required for f in endpoint.fields] == [True, False, True]
    assert endpoint.signature_text() == "ep(z_last_alpha: string, a_first_alpha: integer = 3, m: number)"


def test_missing_required_list_means_all_optional() -> None:
    endpoint = make_endpoint({"properties": {"a": {"type": "string"}}, "type": "object"})
    assert [f.required for f in endpoint.fields] == [False]
    assert endpoint.signature_text() == "ep(a: string = <server default>)"


@pytest.mark.parametrize(
    ("field_schema", "is_file"),
    [
        ({"type": "file", "format": "binary"}, True),
        ({"type": "file", "format": "image", "pil": True}, True),
        ({"type": "file", "format": "audio", "content_type": "audio/mp3"}, True),
        ({"type": "array", "items": {"type": "file", "format": "binary"}}, True),
        ({"type": "array", "items": {"type": "string"}}, False),
        ({"type": "array"}, False),
        ({"type": "string", "format": "binary"}, False),
        ({"type": "string"}, False),
        ({"type": "tensor", "format": "numpy-array"}, False),
    ],
)
def test_file_fields_and_multipart_decision(field_schema: dict[str, Any], is_file: bool) -> None:
    endpoint = make_endpoint(object_input({"x": field_schema, "note": {"type": "string"}}, ["x"]))
    field = endpoint.get_field("x")
    assert field is not None
    assert field.is_file is is_file
    assert endpoint.multipart is is_file
    note = endpoint.get_field("note")
    assert note is not None
    assert not note.is_file


@pytest.mark.parametrize(
    "input_schema",
    [
        {"type": "string", "root_input": True},
        {"format": "binary", "type": "file", "root_input": True},
        {"items": {"type": "string"}, "type": "array", "root_input": True},
        {
            "properties": {"prompt": {"type": "string"}},
            "required": ["prompt"],
            "title": "ParamsIODescriptor",
            "type": "object",
            "root_input": True,
        },
    ],
)
def test_root_inputs(input_schema: dict[str, Any]) -> None:
    endpoint = make_endpoint(input_schema)
    assert endpoint.root_input
    assert endpoint.fields == ()
    assert not endpoint.multipart  # a root file is a raw body, never a form
    assert endpoint.signature_text().endswith(", /)")


def test_stream_and_task_flags() -> None:
    doc = {
        "routes": [
            _route("s", output={"type": "string", "is_stream": True, "media_type": "text/event-stream"}),
            _route("t", is_task=True),
            _route("plain", is_task=False, batchable=True),
        ]
    }
    eps = parse_schema(doc).endpoints
    assert (eps["s"].is_stream, eps["s"].is_task) == (True, False)
    assert (eps["t"].is_stream, eps["t"].is_task) == (False, True)
    assert (eps["plain"].is_stream, eps["plain"].is_task, eps["plain"].batchable) == (False, False, True)
    assert "streaming endpoint" in eps["s"].doc()
    assert "task endpoint" in eps["t"].doc()


def test_route_without_leading_slash_gets_one_and_defaults() -> None:
    endpoint = parse_schema({"routes": [{"name": "x", "route": "v1/x"}]}).endpoints["x"]
    assert endpoint.route == "/v1/x"
    assert endpoint.fields == ()
    assert not endpoint.root_input
    assert not endpoint.is_task


def test_description_from_route_and_service() -> None:
    doc = {"name": "Svc", "description": "Service doc.", "routes": [_route("a", description="Does a.")]}
    schema = parse_schema(doc)
    assert schema.description == "Service doc."
    assert schema.endpoints["a"].description == "Does a."
    assert "Does a." in schema.endpoints["a"].doc()


def test_empty_routes_and_missing_routes() -> None:
    assert dict(parse_schema({"name": "Cmd", "routes": []}).endpoints) == {}
    assert dict(parse_schema({}).endpoints) == {}


# --- malformed documents ----------------------------------------------------------------


@pytest.mark.parametrize("doc", [[], "schema", 3, None, True])
def test_document_not_an_object(doc: Any) -> None:
    with pytest.raises(SchemaError, match="not a JSON object"):
        parse_schema(doc)


@pytest.mark.parametrize("routes", [{}, "a", 1, {"name": "x"}])
def test_routes_not_a_list(routes: Any) -> None:
    with pytest.raises(SchemaError, match="'routes'"):
        parse_schema({"routes": routes})


def test_route_not_an_object_names_its_index() -> None:
    with pytest.raises(SchemaError, match=r"routes\[1\]"):
        parse_schema({"routes": [_route("ok"), "oops"]})


@pytest.mark.parametrize("route", [{"route": "/x"}, {"name": 5, "route": "/x"}, {"name": None, "route": "/x"}])
def test_route_without_a_name_names_its_index_and_key(route: dict[str, Any]) -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema({"routes": [_route("ok"), route]})
    assert "routes[1]" in str(info.value)
    assert "'name'" in str(info.value)


def test_route_without_a_path_names_the_endpoint() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema({"routes": [{"name": "predict"}]})
    assert "'predict'" in str(info.value)
    assert "'route'" in str(info.value)


@pytest.mark.parametrize("key", ["input", "output"])
@pytest.mark.parametrize("bad", [[], "x", 1, None])
def test_non_object_input_or_output_names_the_endpoint(key: str, bad: Any) -> None:
    route = _route("predict")
    route[key] = bad
    with pytest.raises(SchemaError) as info:
        parse_schema({"routes": [route]})
    assert "'predict'" in str(info.value)
    assert "input or output" in str(info.value)


@pytest.mark.parametrize(
    "input_schema",
    [
        {"properties": [], "type": "object"},
        {"properties": {}, "required": "a", "type": "object"},
        {"properties": {"a": "string"}, "type": "object"},
        {"properties": {"a": None}, "type": "object"},
    ],
)
def test_malformed_properties_name_the_endpoint(input_schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaError, match="'predict'"):
        parse_schema({"routes": [_route("predict", input_schema)]})


def test_schema_error_is_a_bentoclient_error() -> None:
    with pytest.raises(BentoClientError):
        parse_schema([])


# --- property: anything that is JSON gives endpoints or SchemaError, nothing else --------

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(["properties", "required", "root_input", "type", "items", "is_stream", "format", "default"])
# Documents shaped like a schema, so the parser gets past the first checks and into the fields.
_schemaish = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=10,
)
_types = st.sampled_from(["file", "array", "string", "integer", "object", "tensor"]) | _json_scalars
_field_schema = st.fixed_dictionaries(
    {},
    optional={
        "type": _types,
        "items": st.fixed_dictionaries({}, optional={"type": _types}) | _schemaish,
        "default": _schemaish,
        "format": _json_scalars,
        "anyOf": _schemaish,
    },
)
_io_schema = st.fixed_dictionaries(
    {},
    optional={
        "properties": st.dictionaries(st.text(max_size=4), _field_schema, max_size=4),
        "required": st.lists(st.text(max_size=4), max_size=3),
        "root_input": _json_scalars,
        "type": st.sampled_from(["object", "string", "file", "array"]),
        "is_stream": _json_scalars,
        "items": _schemaish,
    },
)
_route_strategy = st.fixed_dictionaries(
    {"name": st.text(max_size=4), "route": st.text(max_size=4), "input": _io_schema},
    optional={
        "output": _io_schema | _schemaish,
        "is_task": _json_scalars,
        "batchable": _json_scalars,
        "description": _json_scalars,
        "doc": _json_scalars,
    },
)
_routes = st.lists(_route_strategy, max_size=3) | st.lists(_schemaish, max_size=3)


def _check(doc: Any) -> None:
    try:
        schema = parse_schema(doc)
    except SchemaError:
        return
    for endpoint in schema.endpoints.values():
        assert isinstance(endpoint, Endpoint)
        assert endpoint.route.startswith("/")
        endpoint.signature_text()
        endpoint.doc()


@settings(max_examples=100, deadline=None)
@given(_json_values)
def test_arbitrary_json_only_raises_schema_error(doc: Any) -> None:
    _check(doc)


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries({"routes": _routes}, optional={"name": _json_scalars, "description": _json_scalars}))
def test_schema_shaped_json_only_raises_schema_error(doc: Any) -> None:
    _check(doc)


@settings(max_examples=50, deadline=None)
@given(_json_values)
def test_arbitrary_json_round_trips_through_text(doc: Any) -> None:
    # The client decodes the body with json.loads first; the parser must cope with that too.
    _check(json.loads(json.dumps(doc)))


# --- older BentoML lines: their schema dialects read into the 1.4 shape ----------------
# tests/services/lines/*.json: /schema.json of the test services served by BentoML 1.2.20
# and 1.3.22 (see tests/services/NOTES.md).


def _line_doc(service: str, line: str) -> dict[str, Any]:
    return load_schema_doc(f"lines/{service}_schema_{line.replace('.', '_')}.json")


@pytest.mark.parametrize(
    ("service", "line", "expected"),
    [
        ("wire", "1.2", "1.2"),
        ("media", "1.2", "1.2"),
        ("demo", "1.2", "1.2"),
        ("wire", "1.3", "1.3"),
        ("media", "1.3", "1.3"),
        ("demo", "1.3", "1.3"),
    ],
)
def test_the_line_is_told_from_the_schema_alone(service: str, line: str, expected: str) -> None:
    schema = parse_schema(_line_doc(service, line))
    assert schema.server_line == expected
    assert {e.server_line for e in schema.endpoints.values()} == {expected}


def test_a_14_schema_and_hand_written_ones_are_the_newest_dialect() -> None:
    assert parse_schema(load_schema_doc()).server_line is None  # 1.4 has "paths"
    doc = load_schema_doc()
    del doc["paths"]  # no "paths", "is_task" on routes, no descriptor titles: 1.3 only by "is_task"
    assert parse_schema(doc).server_line == "1.3"
    plain = {"routes": [{"name": "f", "route": "/f", "input": object_input({}), "output": {"type": "string"}}]}
    assert parse_schema(plain).server_line is None
    assert parse_schema({"routes": []}).server_line is None


def test_12_outputs_lose_descriptor_titles_and_any_is_any() -> None:
    endpoints = parse_schema(_line_doc("wire", "1.2")).endpoints
    assert endpoints["anything"].output == {}  # {"title": "AnyIODescriptor"} in 1.2
    assert endpoints["text"].output == {"type": "string"}
    assert endpoints["raw_bytes"].output == {"type": "string", "format": "binary"}
    assert endpoints["make_file"].output == {"type": "file", "format": "binary"}
    assert not any("title" in e.output for e in endpoints.values())
    assert endpoints["echo_task"].is_task is False  # a plain endpoint: 1.2 has no tasks


def test_12_images_are_pil_images_and_14_image_files_stay_files() -> None:
    media = parse_schema(_line_doc("media", "1.2")).endpoints
    assert media["make_image"].output == {"type": "file", "format": "image", "pil": True}
    assert media["flip_image"].get_field("image").schema["pil"] is True  # type: ignore[union-attr]  # the field exists
    assert media["make_file"].output.get("pil") is None
    # 1.4 writes format "image" for Annotated[Path, ContentType("image/*")] too: a file, not PIL.
    doc = load_schema_doc()
    doc["routes"][0]["output"] = {"type": "file", "format": "image", "content_type": "image/*"}
    route = doc["routes"][0]["name"]
    assert parse_schema(doc).endpoints[route].output.get("pil") is None


def test_13_text_files_and_stray_stream_media_types() -> None:
    media = parse_schema(_line_doc("media", "1.3")).endpoints
    # 1.3: {"format": "binary", "media_type": "text/plain"}; 1.2 and 1.4: format "text".
    assert media["make_text_file"].output == {
        "type": "file",
        "format": "text",
        "media_type": "text/plain",
        "content_type": "text/plain",
    }
    assert media["make_file"].output == {"type": "file", "format": "binary"}
    wire = parse_schema(_line_doc("wire", "1.3")).endpoints
    assert wire["raw_bytes"].output == {"type": "string", "format": "binary"}  # 1.3 adds text/event-stream
    assert wire["stream_bytes"].output["media_type"] == "text/event-stream"  # a real stream keeps it
    assert wire["echo_task"].is_task is True


def test_the_dialects_give_the_14_reading_of_every_shared_output() -> None:
    # Everything the client decodes by: the same on every line once normalised (tensor shapes
    # and data frame columns are missing from 1.2/1.3 schemas: the server does not write them).
    newest = parse_schema(load_schema_doc()).endpoints
    for line in ("1.2", "1.3"):
        old = parse_schema(_line_doc("wire", line)).endpoints
        for name, endpoint in newest.items():
            keys = ("type", "format", "pil", "is_stream")
            assert {k: old[name].output.get(k) for k in keys} == {k: endpoint.output.get(k) for k in keys}, (
                line,
                name,
            )


def test_a_task_function_on_a_12_endpoint_names_the_version_it_needs() -> None:
    from bentoclient._tasks import not_a_task_hint

    old = parse_schema(_line_doc("demo", "1.2")).endpoints["long_job"]
    assert "BentoML 1.2, which has no task endpoints: tasks need BentoML 1.3" in not_a_task_hint(old)
    newest = parse_schema(load_schema_doc()).endpoints["text"]
    assert "@bentoml.task" in not_a_task_hint(newest)
    assert "BentoML 1.3" not in not_a_task_hint(newest)


def test_a_schema_made_from_a_class_reads_as_the_newest_line() -> None:
    from bentoclient.testing import schema_from_class

    class Echo:
        def echo(self, text: str) -> str:
            return text

    doc = schema_from_class(Echo)
    assert parse_schema(doc).server_line is None
    del doc["paths"]
    assert parse_schema(doc).server_line == "1.3"  # "is_task" on routes and no "paths": 1.3's dialect
