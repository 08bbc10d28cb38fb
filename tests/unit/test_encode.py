"""JSON bodies and root-input bodies (BentoML protocol §3.1, §3.3, §3.5, §3.7)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._body import encode_body
from bentoclient._encode import NO_VALUE, encode_json_fields, encode_root, to_jsonable
from bentoclient._schema import Endpoint
from bentoclient.exceptions import ArgumentError, BentoClientError

from ._helpers import collect, make_endpoint, object_input, wire_schema

ANY_FIELDS = make_endpoint(
    object_input({"a": {}, "b": {}, "c": {}, "text": {"type": "string"}}),
    name="predict",
)


def _json_body(endpoint: Endpoint, **bound: Any) -> bytes:
    body = encode_body(endpoint, bound)
    assert body.content_type == "application/json"
    data = collect(body.content)
    assert body.length == len(data)
    return data


# --- the JSON object body -------------------------------------------------------------------


def test_body_is_compact_json_in_bound_order() -> None:
    assert _json_body(ANY_FIELDS, a=1, b=[1, 2], c={"x": None}) == b'{"a":1,"b":[1,2],"c":{"x":null}}'


def test_no_arguments_is_an_empty_object() -> None:
    assert _json_body(ANY_FIELDS) == b"{}"


def test_non_ascii_is_sent_as_utf8_not_escaped() -> None:
    data = _json_body(ANY_FIELDS, text="héllo €, 日本")
    assert data == '{"text":"héllo €, 日本"}'.encode()
    assert b"\\u" not in data


def test_lone_surrogates_are_an_argument_error_or_escaped() -> None:
    # A str with a lone surrogate cannot be UTF-8 encoded; it must not escape as a raw UnicodeEncodeError.
    outcome: Any
    try:
        data = _json_body(ANY_FIELDS, text="a\udcff")
    except ArgumentError as err:
        outcome = err.argument
    else:
        outcome = json.loads(data)["text"]
    assert outcome in ("text", "a\udcff")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"deep": [math.inf]}])
def test_nan_and_infinity_name_the_argument(bad: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        encode_json_fields(ANY_FIELDS, {"a": 1, "b": bad})
    err = info.value
    assert err.argument == "b"
    assert err.endpoint == "predict"
    assert "'b'" in str(err)
    assert "NaN" in str(err)
    assert isinstance(err, TypeError)
    assert isinstance(err, BentoClientError)


class Opaque:
    pass


def test_unserialisable_object_names_the_argument() -> None:
    with pytest.raises(ArgumentError) as info:
        encode_body(ANY_FIELDS, {"a": 1, "c": [Opaque()]})
    assert info.value.argument == "c"
    assert "'c'" in str(info.value)
    assert "Opaque" in str(info.value)
    assert "'predict'" in str(info.value)


def test_circular_structure_names_the_argument() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ArgumentError) as info:
        encode_json_fields(ANY_FIELDS, {"a": 1, "b": loop})
    assert info.value.argument == "b"
    assert "circular" in str(info.value)


def test_non_string_dict_keys_that_json_cannot_take() -> None:
    with pytest.raises(ArgumentError) as info:
        encode_json_fields(ANY_FIELDS, {"a": {(1, 2): "tuple key"}})
    assert info.value.argument == "a"


# --- duck-typed conversions ----------------------------------------------------------------------


class FakeArray:
    """numpy-like: only ``tolist()``."""

    def __init__(self, data: list[Any]) -> None:
        self.data = data

    def tolist(self) -> list[Any]:
        return self.data


class FakeTensor(FakeArray):
    """torch-like: ``detach().cpu()`` first, then ``tolist()``."""

    def __init__(self, data: list[Any]) -> None:
        super().__init__(data)
        self.calls: list[str] = []

    def detach(self) -> FakeTensor:
        self.calls.append("detach")
        return self

    def cpu(self) -> FakeTensor:
        self.calls.append("cpu")
        return self


class FakeModel:
    """pydantic-v2-like: ``model_dump(mode=...)``."""

    def __init__(self) -> None:
        self.modes: list[Optional[str]] = []

    def model_dump(self, mode: Optional[str] = None) -> dict[str, Any]:
        self.modes.append(mode)
        return {"name": "n", "when": "2024-01-02" if mode == "json" else datetime.date(2024, 1, 2)}


class FakeV1Model:
    """pydantic-v1-like: ``dict()``, ``json()`` and ``__fields__``."""

    __fields__: ClassVar[dict[str, None]] = {"x": None}

    def dict(self) -> dict[str, Any]:
        return {"x": object()}

    def json(self) -> str:
        return '{"x": 1}'


class FakeFrame:
    """pandas-like: ``to_dict(orient=...)`` and ``columns``."""

    columns: ClassVar[list[str]] = ["a", "b"]

    def __init__(self) -> None:
        self.orients: list[str] = []

    def to_dict(self, orient: str = "dict") -> Any:
        self.orients.append(orient)
        if orient == "records":
            return [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
        if orient == "list":
            return {"a": [1, 2], "b": ["x", "y"]}
        raise AssertionError(f"unexpected orient {orient!r}")


@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date


class Color(enum.Enum):
    RED = "red"
    ONE = 1


def test_tolist() -> None:
    assert _json_body(ANY_FIELDS, a=FakeArray([[1, 2], [3, 4]])) == b'{"a":[[1,2],[3,4]]}'


def test_tensor_is_detached_before_tolist() -> None:
    tensor = FakeTensor([1.5])
    assert _json_body(ANY_FIELDS, a=tensor) == b'{"a":[1.5]}'
    assert tensor.calls == ["detach", "cpu"]


def test_model_dump_in_json_mode() -> None:
    model = FakeModel()
    assert json.loads(_json_body(ANY_FIELDS, a=model)) == {"a": {"name": "n", "when": "2024-01-02"}}
    assert model.modes == ["json"]


def test_pydantic_v1_model_uses_its_json() -> None:
    assert json.loads(_json_body(ANY_FIELDS, a=FakeV1Model())) == {"a": {"x": 1}}


def test_dataclass_with_nested_conversions() -> None:
    data = _json_body(ANY_FIELDS, a=Point(1, datetime.date(2024, 1, 2)))
    assert json.loads(data) == {"a": {"x": 1, "when": "2024-01-02"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        (
            datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            "2024-01-02T03:04:05+00:00",
        ),
        (datetime.date(2024, 1, 2), "2024-01-02"),
        (datetime.time(3, 4, 5), "03:04:05"),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (decimal.Decimal("1.10"), "1.10"),
        (Color.RED, "red"),
        (Color.ONE, 1),
        ({3}, [3]),
        (frozenset({"z"}), ["z"]),
        ((1, "two"), [1, "two"]),
        (PurePosixPath("/data/in.csv"), "/data/in.csv"),
        (Path("relative/x.txt"), str(Path("relative/x.txt"))),
    ],
)
def test_standard_library_values(value: Any, expected: Any) -> None:
    assert to_jsonable(value) == expected
    assert json.loads(_json_body(ANY_FIELDS, a=value)) == {"a": expected}


def test_set_of_several_items_keeps_every_item() -> None:
    assert sorted(json.loads(_json_body(ANY_FIELDS, a={3, 1, 2}))["a"]) == [1, 2, 3]


def test_to_jsonable_rejects_unknown_types_with_type_error() -> None:
    with pytest.raises(TypeError, match="Opaque"):
        to_jsonable(Opaque())


@pytest.mark.parametrize(("orient", "expected"), [("records", ["records"]), ("columns", ["list"]), (None, ["records"])])
def test_dataframe_orient_comes_from_the_schema(orient: Optional[str], expected: list[str]) -> None:
    schema: dict[str, Any] = {"type": "dataframe"}
    if orient is not None:
        schema["orient"] = orient
    endpoint = make_endpoint(object_input({"df": schema}, ["df"]), name="frame")
    frame = FakeFrame()
    data = json.loads(_json_body(endpoint, df=frame))
    assert frame.orients == expected
    if expected == ["list"]:
        assert data == {"df": {"a": [1, 2], "b": ["x", "y"]}}
    else:
        assert data == {"df": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}


def test_dataframe_in_an_untyped_field_uses_records() -> None:
    frame = FakeFrame()
    assert json.loads(_json_body(ANY_FIELDS, a=frame)) == {"a": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}
    assert frame.orients == ["records"]


# --- property: any JSON value survives the trip -----------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=80, deadline=None)
@given(_json, _json)
def test_json_values_round_trip(a: Any, b: Any) -> None:
    data = _json_body(ANY_FIELDS, a=a, b=b)
    assert json.loads(data) == {"a": a, "b": b}
    # compact separators, UTF-8 rather than \u escapes
    assert data == json.dumps({"a": a, "b": b}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- root bodies ------------------------------------------------------------------------------

ROOT_TEXT = make_endpoint({"type": "string", "root_input": True}, name="root_text")
ROOT_BYTES = make_endpoint({"format": "binary", "type": "string", "root_input": True}, name="root_bytes")
ROOT_LIST = make_endpoint({"items": {"type": "integer"}, "type": "array", "root_input": True}, name="root_list")
ROOT_MODEL = make_endpoint(
    {
        "properties": {"name": {"type": "string"}, "quantity": {"default": 1, "type": "integer"}},
        "required": ["name"],
        "title": "ItemIODescriptor",
        "type": "object",
        "root_input": True,
    },
    name="root_model",
)


@pytest.mark.parametrize("endpoint", [ROOT_TEXT, ROOT_BYTES, ROOT_LIST, ROOT_MODEL])
def test_root_str_is_text_plain_utf8(endpoint: Endpoint) -> None:
    body = encode_body(endpoint, {"": "hé €"})
    assert body.content_type == "text/plain"
    assert collect(body.content) == "hé €".encode()
    assert body.length == len("hé €".encode())


@pytest.mark.parametrize("value", [b"\x00\xffraw", bytearray(b"\x00\xffraw"), memoryview(b"\x00\xffraw")])
def test_root_bytes_are_text_plain_verbatim(value: Any) -> None:
    body = encode_root(ROOT_BYTES, value)
    assert body.content_type == "text/plain"
    assert collect(body.content) == b"\x00\xffraw"
    assert body.length == 5


def test_root_model_dict_is_json() -> None:
    body = encode_body(ROOT_MODEL, {"": {"name": "apple", "quantity": 2}})
    assert body.content_type == "application/json"
    assert collect(body.content) == b'{"name":"apple","quantity":2}'
    assert body.length == len(collect(body.content))


def test_root_model_accepts_a_model_or_dataclass_instance() -> None:
    model = FakeModel()
    assert json.loads(collect(encode_root(ROOT_MODEL, model).content)) == {"name": "n", "when": "2024-01-02"}
    assert model.modes == ["json"]
    assert json.loads(collect(encode_root(ROOT_MODEL, Point(1, datetime.date(2024, 1, 2))).content)) == {
        "x": 1,
        "when": "2024-01-02",
    }


@pytest.mark.parametrize("value", [["name", "apple"], 3, None, 1.5, Opaque()])
def test_root_model_rejects_non_dicts(value: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        encode_body(ROOT_MODEL, {"": value})
    assert info.value.endpoint == "root_model"
    assert "'root_model'" in str(info.value)
    assert "name, quantity" in str(info.value)


def test_root_list_is_json() -> None:
    body = encode_body(ROOT_LIST, {"": [1, 2, 3]})
    assert body.content_type == "application/json"
    assert collect(body.content) == b"[1,2,3]"
    assert body.length == 7
    assert collect(encode_body(ROOT_LIST, {"": (4, 5)}).content) == b"[4,5]"
    assert collect(encode_body(ROOT_LIST, {"": FakeArray([6])}).content) == b"[6]"


def test_root_without_a_value_is_an_empty_json_body() -> None:
    for endpoint in (ROOT_TEXT, ROOT_LIST, ROOT_MODEL):
        body = encode_body(endpoint, {"": NO_VALUE})
        assert body.content_type == "application/json"
        assert collect(body.content) == b""
        assert body.length == 0


def test_root_with_nan_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="NaN") as info:
        encode_body(ROOT_LIST, {"": [1.0, math.nan]})
    assert info.value.endpoint == "root_list"
    assert "'root_list'" in str(info.value)


def test_root_with_unserialisable_value() -> None:
    with pytest.raises(ArgumentError, match="Opaque"):
        encode_body(ROOT_LIST, {"": [Opaque()]})


def test_captured_root_endpoints() -> None:
    schema = wire_schema()
    assert encode_body(schema.endpoints["root_text"], {"": "hi"}).content_type == "text/plain"
    assert collect(encode_body(schema.endpoints["root_list"], {"": [1]}).content) == b"[1]"
    with pytest.raises(ArgumentError):
        encode_body(schema.endpoints["root_model"], {"": 3})


def test_optional_bytes_take_bytes_as_utf8_text_and_none_as_null() -> None:
    schema = {"anyOf": [{"type": "string", "format": "binary"}, {"type": "null"}], "default": None}
    endpoint = make_endpoint(object_input({"data": schema}))
    assert endpoint.needs_inspection
    assert encode_body(endpoint, {"data": "\u00e9".encode()}).content == '{"data":"\u00e9"}'.encode()
    assert encode_body(endpoint, {"data": None}).content == b'{"data":null}'
    with pytest.raises(ArgumentError, match=r"argument 'data'.*not UTF-8"):
        encode_body(endpoint, {"data": b"\xff"})
