"""Responses -> values (BentoML protocol §4), and safe names for file outputs."""

from __future__ import annotations

import importlib.util
import os
import sys
import unicodedata
import warnings
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._decode import decode_value, is_file_output, output_filename, sanitize_filename, wants_pil
from bentoclient._models import Headers
from bentoclient.exceptions import BentoClientError, MissingDependencyWarning, ResponseDecodeError

from ._helpers import make_endpoint, object_input, response, wire_schema

NO_INPUT = object_input({})


def _decode(output: dict[str, Any], body: bytes, content_type: Optional[str] = None) -> Any:
    return decode_value(make_endpoint(NO_INPUT, output, name="out"), response(200, body, content_type))


# --- strings and bytes ------------------------------------------------------------------------


def test_string_is_text_verbatim() -> None:
    assert _decode({"type": "string"}, "héllo".encode(), "text/plain; charset=utf-8") == "héllo"
    # no JSON parsing for a plain string schema, as in BentoML
    assert _decode({"type": "string"}, b'"quoted"', "text/plain; charset=utf-8") == '"quoted"'
    assert _decode({"type": "string"}, b"42", "text/plain") == "42"


def test_string_honours_the_charset() -> None:
    assert _decode({"type": "string"}, "é".encode("latin-1"), "text/plain; charset=latin-1") == "é"
    assert _decode({"type": "string"}, "é".encode("latin-1"), "text/plain; charset=nonsense-charset") == "\ufffd"


def test_binary_string_is_bytes() -> None:
    raw = bytes(range(256))
    value = _decode({"format": "binary", "type": "string"}, raw, "text/plain; charset=utf-8")
    assert value == raw
    assert isinstance(value, bytes)


def test_optional_str_with_plain_text_labelled_json_is_the_text() -> None:
    # The server sends Optional[str] results raw but labelled application/json; BentoML's
    # client crashes with a JSONDecodeError on them.
    output = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert _decode(output, b"maybe so", "application/json") == "maybe so"
    assert _decode(output, "été".encode(), "application/json") == "été"
    assert _decode(output, b"null", "application/json") is None


def test_optional_str_that_looks_like_a_number_stays_a_string() -> None:
    # The schema says string-or-null; the server sent the str "42" raw.  An int is not a
    # value this endpoint can return.
    output = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert _decode(output, b"42", "application/json") == "42"
    assert _decode(output, b"true", "application/json") == "true"
    assert _decode(output, b"[1, 2]", "application/json") == "[1, 2]"


def test_optional_str_empty_body_is_the_empty_string() -> None:
    # tests/services/NOTES.md (observed): maybe_text returning "" sends an empty body, while
    # returning None sends `null`.  So an empty body is "", not None.
    output = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert _decode(output, b"", "application/json") == ""
    assert _decode(output, b"null", "application/json") is None


def test_captured_maybe_text_endpoint() -> None:
    endpoint = wire_schema().endpoints["maybe_text"]
    assert decode_value(endpoint, response(200, b"plain words", "application/json")) == "plain words"


@pytest.mark.parametrize(
    ("fmt", "body", "expected"),
    [
        ("date-time", b'"2024-01-02T03:04:05"', "2024-01-02T03:04:05"),
        ("date", b'"2024-01-02"', "2024-01-02"),
        ("uuid", b'"12345678-1234-5678-1234-567812345678"', "12345678-1234-5678-1234-567812345678"),
        ("date-time", b"2024-01-02T03:04:05", "2024-01-02T03:04:05"),  # already bare
        ("date-time", b'"broken', '"broken'),
        ("date-time", b'"a"b"', '"a"b"'),  # not one JSON string: left alone
    ],
)
def test_json_quoted_formatted_string_under_text_plain_is_unquoted(fmt: str, body: bytes, expected: str) -> None:
    assert _decode({"format": fmt, "type": "string"}, body, "text/plain; charset=utf-8") == expected


# --- JSON ---------------------------------------------------------------------------------------


def test_json_object_and_array() -> None:
    assert _decode({"type": "object", "additionalProperties": True}, b'{"a": [1, 2.5, null]}', "application/json") == {
        "a": [1, 2.5, None]
    }
    assert _decode({"items": {"type": "integer"}, "type": "array"}, b"[1, 2, 3]", "application/json") == [1, 2, 3]
    assert _decode({"type": "number"}, b"3.5", "application/json") == 3.5
    assert _decode({"type": "boolean"}, b"true", "application/json") is True
    assert _decode({}, b'{"any": "thing"}', "application/json") == {"any": "thing"}


def test_json_object_keeps_undeclared_keys() -> None:
    output = {"properties": {"a": {"type": "integer"}}, "type": "object"}
    assert _decode(output, b'{"a": 1, "extra": 2}', "application/json") == {"a": 1, "extra": 2}


def test_json_with_utf8_content() -> None:
    assert _decode({"type": "object"}, '{"t": "日本"}'.encode(), "application/json") == {"t": "日本"}


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"plain text"])
def test_invalid_json_for_an_object_schema(body: bytes) -> None:
    endpoint = make_endpoint(NO_INPUT, {"type": "object", "properties": {"a": {"type": "integer"}}}, name="obj")
    with pytest.raises(ResponseDecodeError) as info:
        decode_value(endpoint, response(200, body, "application/json"))
    err = info.value
    assert isinstance(err, BentoClientError)
    assert err.endpoint == "obj"
    assert err.body == body
    assert "'obj'" in str(err)
    assert "application/json" in str(err)


def test_invalid_json_for_an_any_schema_is_the_text() -> None:
    assert _decode({}, b"not json at all", "application/json") == "not json at all"


def test_text_media_type_for_a_string_union_is_the_text() -> None:
    output = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert _decode(output, b"123", "text/plain; charset=utf-8") == "123"
    assert _decode(output, b"123", "application/json") == 123


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ({"type": "string"}, ""),
        ({"format": "binary", "type": "string"}, b""),
        ({"type": "object", "additionalProperties": True}, None),
        ({}, None),
    ],
)
def test_empty_body(output: dict[str, Any], expected: Any) -> None:
    assert _decode(output, b"", "application/json") == expected
    assert _decode(output, b"") == expected


def test_file_and_pil_outputs_are_recognised() -> None:
    schema = wire_schema()
    assert is_file_output(schema.endpoints["make_file"])
    assert not is_file_output(schema.endpoints["text"])
    assert not wants_pil(schema.endpoints["make_file"])
    assert wants_pil(make_endpoint(NO_INPUT, {"format": "image", "pil": True, "type": "file"}))


# --- file names from Content-Disposition ---------------------------------------------------------


def _name(disposition: Optional[str], content_type: Optional[str] = None) -> str:
    headers = Headers()
    if disposition is not None:
        headers.add("Content-Disposition", disposition)
    if content_type is not None:
        headers.add("Content-Type", content_type)
    return output_filename(headers)


def test_plain_filename() -> None:
    assert _name('attachment; filename="a.csv"', "text/csv") == "a.csv"
    assert _name("attachment; filename=a.csv") == "a.csv"
    assert _name('inline; filename="photo.png"') == "photo.png"
    assert _name('attachment;filename="spaced name.txt"') == "spaced name.txt"


def test_extended_filename_is_preferred() -> None:
    disposition = "attachment; filename=\"fallback.txt\"; filename*=utf-8''%E2%82%AC.txt"
    name = _name(disposition)
    assert name != "fallback.txt"
    assert name.endswith(".txt")
    assert _name("attachment; filename*=utf-8''na%C3%AFve%20caf%C3%A9.csv; filename=\"x.csv\"") == "naïve café.csv"
    assert _name("attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt") == "日本.txt"
    # as a real BentoML server sends it (tests/services/NOTES.md, make_file "résumé 1.txt")
    assert _name("attachment; filename*=utf-8''r%C3%A9sum%C3%A9%201.txt", "text/plain; charset=utf-8") == "résumé 1.txt"


def test_bad_extended_filename_falls_back_to_filename() -> None:
    assert _name("attachment; filename*=no-such-charset''%41x.txt; filename=\"plain.txt\"") == "plain.txt"
    assert _name("attachment; filename*=utf-8''%FF%FE.txt; filename=\"plain.txt\"") == "plain.txt"
    assert _name('attachment; filename*=nocharsetmarker.txt; filename="plain.txt"') == "plain.txt"


def test_quoted_filename_with_escapes() -> None:
    name = _name(r'attachment; filename="a\"b.txt"')
    assert name.endswith(".txt")
    assert '"' not in name
    assert _name('attachment; filename="semi;colon.txt"').endswith(".txt")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/x", "x"),
        ("/abs/path", "path"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("a\x00b.txt", "ab.txt"),
        ("a\x1b[31mred\x07.txt", "a_31mred.txt"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("..", ""),
        ("...", ""),
        (".hidden", "hidden"),
        ("  spaced  ", "spaced"),
    ],
)
def test_sanitize_filename(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize(
    "disposition",
    [
        'attachment; filename="../../etc/passwd"',
        'attachment; filename="/etc/passwd"',
        'attachment; filename="..\\\\..\\\\x.bat"',
        "attachment; filename*=utf-8''..%2F..%2Fetc%2Fpasswd",
        "attachment; filename*=utf-8''%00%2F%0A",
    ],
)
def test_hostile_dispositions_give_a_plain_name(disposition: str) -> None:
    name = _name(disposition, "text/plain")
    assert name
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert name not in (".", "..")
    assert os.path.basename(name) == name


def test_empty_or_missing_name_uses_the_content_type() -> None:
    assert _name(None, "image/png") == "output.png"
    assert _name("attachment", "image/png") == "output.png"
    assert _name('attachment; filename=""', "image/png") == "output.png"
    assert _name('attachment; filename=".."', "image/png") == "output.png"
    assert _name(None, "application/x-no-such-type") == "output"
    assert _name(None) == "output"


def test_long_names_are_shortened_keeping_the_extension() -> None:
    name = sanitize_filename("x" * 500 + ".csv")
    assert len(name) <= 200
    assert name.endswith(".csv")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_sanitize_filename_never_leaves_a_separator_or_control_character(raw: str) -> None:
    name = sanitize_filename(raw)
    assert "/" not in name
    assert "\\" not in name
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)
    assert name not in (".", "..")
    assert not name.startswith((".", " "))
    assert len(name) <= 200
    assert sanitize_filename(name) == name  # already safe: unchanged


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_output_filename_never_raises_and_is_a_plain_name(value: str) -> None:
    disposition = "attachment; " + value
    name = _name(disposition, "text/csv")
    assert name
    assert os.path.basename(name) == name
    assert "\\" not in name


# --- outputs whose type comes from an optional library: one rule, never a silent change ---------


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``without("numpy")``: importing it fails for the rest of the test, as if not installed."""

    def hide(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError

    return hide


@pytest.mark.parametrize(
    ("output", "body", "package", "plain"),
    [
        ({"type": "tensor", "format": "numpy-array", "dtype": "float32"}, b"[[1, 2]]", "numpy", [[1, 2]]),
        ({"type": "dataframe", "orient": "records"}, b'[{"a": 1}]', "pandas", [{"a": 1}]),
    ],
)
def test_a_plain_value_for_want_of_a_library_comes_with_a_warning_naming_it(
    without: Any, output: dict[str, Any], body: bytes, package: str, plain: Any
) -> None:
    without(package)
    with pytest.warns(MissingDependencyWarning, match=rf"endpoint 'out' .* {package} is not installed") as record:
        assert _decode(output, body) == plain
    assert [w.message.package for w in record if isinstance(w.message, MissingDependencyWarning)] == [package]
    assert f"pip install {package}" in str(record[0].message)
    with warnings.catch_warnings():  # taking plain values on purpose: the documented way
        warnings.simplefilter("ignore", MissingDependencyWarning)
        assert _decode(output, body) == plain


def test_a_pil_output_without_pillow_is_the_path_with_a_warning(without: Any, tmp_path: Any) -> None:
    from bentoclient._files import file_result

    saved = tmp_path / "image.png"
    saved.write_bytes(b"\x89PNG\r\n\x1a\n")
    without("PIL", "PIL.Image")
    endpoint = make_endpoint(NO_INPUT, {"type": "file", "format": "image", "pil": True}, name="picture")
    with pytest.warns(MissingDependencyWarning, match=r"endpoint 'picture' .*pip install pillow"):
        assert file_result(endpoint, str(saved)) == saved


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="numpy is not installed in this combination")
def test_with_the_library_there_is_no_warning() -> None:
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = _decode({"type": "tensor", "format": "numpy-array", "dtype": "float32"}, b"[[1, 2]]")
    assert isinstance(value, np.ndarray)
