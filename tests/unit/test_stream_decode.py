"""Stream framing: items come out the same however the network splits the bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._schema import Endpoint
from bentoclient._stream import BytesDecoder, JSONSeqDecoder, StreamDecoder, TextDecoder, stream_decoder
from bentoclient.exceptions import ResponseDecodeError, StreamItemTooLarge, StreamTruncated

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


def _big_item(n: int) -> bytes:
    # strings with escapes and quotes, nesting, numbers: everything the end-scanner tracks
    rows = [{"i": i, "s": 'a "quoted" \\ back\\slash ]}', "l": [[i], {"x": -1.5e3}]} for i in range(n)]
    return json.dumps({"rows": rows}).encode()


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_one_large_item_in_many_chunks_is_parsed_in_linear_work(chunk: int) -> None:
    small, large = _big_item(50), _big_item(800)  # 16x the bytes

    def work(data: bytes) -> int:
        decoder = JSONSeqDecoder("gen")
        items = _run(decoder, [data[i : i + chunk] for i in range(0, len(data), chunk)])
        assert items == [json.loads(data)]
        return decoder.parsed

    # Characters examined, not time: at most a constant number of passes over each byte
    # (a re-parse of the buffer on every chunk would be thousands of passes here).
    assert work(small) <= 3 * len(small)
    assert work(large) <= 3 * len(large)


def test_many_small_items_are_parsed_once_each() -> None:
    data = b"".join(json.dumps({"token": n, "text": "x" * 20}).encode() for n in range(1000))
    decoder = JSONSeqDecoder("gen")
    assert len(_run(decoder, [data[i : i + 100] for i in range(0, len(data), 100)])) == 1000
    assert decoder.parsed <= 3 * len(data)


def test_an_item_past_the_bound_fails_with_the_bound_named() -> None:
    decoder = JSONSeqDecoder("gen", max_item_size=1000)
    assert decoder.feed(b'{"ok": 1}') == [{"ok": 1}]
    assert decoder.feed(b'{"text": "' + b"x" * 900) == []
    with pytest.raises(StreamItemTooLarge, match=r"'gen'.*max_item_size=1000") as info:
        decoder.feed(b"x" * 200)
    assert info.value.limit == 1000
    assert isinstance(info.value, ResponseDecodeError)
    with pytest.raises(StreamItemTooLarge):  # the stream stays failed
        decoder.feed(b'"}')


def test_an_item_up_to_the_bound_is_fine() -> None:
    value = {"text": "x" * 980}
    data = json.dumps(value).encode()
    decoder = JSONSeqDecoder("gen", max_item_size=len(data))
    assert _run(decoder, [data[i : i + 10] for i in range(0, len(data), 10)]) == [value]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b'"a\\"b" "c\\\\" 12 true [1, "]"] {"}": "{"} null -0.5e1 ',
            ['a"b', "c\\", 12, True, [1, "]"], {"}": "{"}, None, -5.0],
        ),
        (b'[[[]]]{"a": [{}]}', [[[[]]], {"a": [{}]}]),
    ],
)
def test_split_everywhere_gives_the_same_items(data: bytes, expected: list[Any]) -> None:
    for cut in range(len(data) + 1):
        assert _run(JSONSeqDecoder("e"), [data[:cut], data[cut:]]) == expected, cut
    assert _run(JSONSeqDecoder("e"), [data[i : i + 1] for i in range(len(data))]) == expected


def test_garbage_in_a_split_value_fails_when_the_value_ends() -> None:
    decoder = JSONSeqDecoder("gen")
    assert decoder.feed(b'{"a": ') == []
    with pytest.raises(ResponseDecodeError, match="not valid JSON"):
        decoder.feed(b"nope}")
