"""Stream framing: items come out the same however the network splits the bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._schema import Endpoint
from bentoclient._stream import BytesDecoder, JSONSeqDecoder, StreamDecoder, TextDecoder, stream_decoder
from bentoclient.exceptions import ResponseDecodeError, StreamTruncated

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=10,
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[start:p])
        start = p
    return pieces


def _run(decoder: StreamDecoder, pieces: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.finish()


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, max_size=6), st.lists(st.integers(min_value=0), max_size=12))
def test_concatenated_json_values_survive_any_split(values: list[Any], cuts: list[int]) -> None:
    # BentoML sends compact values back to back; only bare scalars need a space to stay apart.
    def framed(v: Any) -> str:
        return json.dumps(v, separators=(",", ":")) + ("" if isinstance(v, (dict, list, str)) else " ")

    data = "".join(framed(v) for v in values).encode()
    assert _run(JSONSeqDecoder("e"), _split(data, cuts)) == values


@settings(max_examples=150, deadline=None)
@given(st.text(), st.lists(st.integers(min_value=0), max_size=12))
def test_text_survives_splits_inside_characters(text: str, cuts: list[int]) -> None:
    assert "".join(_run(TextDecoder("e"), _split(text.encode(), cuts))) == text


@given(st.binary(), st.lists(st.integers(min_value=0), max_size=8))
def test_bytes_pass_through(data: bytes, cuts: list[int]) -> None:
    assert b"".join(_run(BytesDecoder("e"), _split(data, cuts))) == data


def test_value_cut_off_at_the_end_is_truncation() -> None:
    decoder = JSONSeqDecoder("gen")
    assert decoder.feed(b'{"a": 1}{"b": ') == [{"a": 1}]
    with pytest.raises(StreamTruncated, match="'gen'"):
        decoder.finish()


def test_text_ending_inside_a_character_is_truncation() -> None:
    decoder = TextDecoder("gen")
    assert decoder.feed("é".encode()[:1]) == []
    with pytest.raises(StreamTruncated):
        decoder.finish()


def test_garbage_after_good_items_keeps_the_items_then_fails() -> None:
    decoder = JSONSeqDecoder("gen")
    assert decoder.feed(b'{"a": 1} nonsense that is not json') == [{"a": 1}]
    with pytest.raises(ResponseDecodeError, match="not valid JSON"):
        decoder.feed(b"more")


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        ({"type": "string", "is_stream": True}, TextDecoder),
        ({"type": "string", "format": "binary", "is_stream": True}, BytesDecoder),
        ({"type": "object", "properties": {}, "is_stream": True}, JSONSeqDecoder),
        ({"type": "array", "items": {"type": "string"}, "is_stream": True}, JSONSeqDecoder),
    ],
)
def test_decoder_follows_the_output_schema(output: dict[str, Any], kind: type) -> None:
    endpoint = Endpoint("s", "/s", {"type": "object", "properties": {}}, output, is_stream=True)
    assert isinstance(stream_decoder(endpoint), kind)
