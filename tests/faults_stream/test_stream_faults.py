"""The stream rows of the fault matrix: SyncHTTPClient's streaming endpoints (bentoclient-stream).

A stream that breaks must say so (``StreamTruncated``, ``ReadTimeout``, a typed HTTP error),
never end quietly with partial data; one abandoned half-way must give its connection back;
items must decode whatever the chunk boundaries.  After every test the ``no_leaks`` fixture
checks descriptors, threads, temporary folders and ResourceWarnings, and the client factory
checks that every pooled connection was given back.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from faultserver import Behaviour, FaultServer, retry_after, status

from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient_stream import SyncStream

from .conftest import ClientFactory
from .streaming import (
    ITEMS_WIRE,
    NUMBERS,
    NUMBERS_WIRE,
    TEXT,
    close_delimited,
    item,
    item_bytes,
    random_splits,
    split_every,
    stream,
)

ITEMS = [item(i) for i in range(3)]
SLACK = 0.5  # seconds allowed beyond a time limit (scheduling on a busy machine)
#: Item 0 whole, then the first 10 bytes of item 1.
CUT_PIECES = [item_bytes(0), item_bytes(1)[:10]]


def posts(server: FaultServer, path: str) -> int:
    return len([r for r in server.requests_for(path) if r.method == "POST"])


def read_until_error(items: SyncStream) -> tuple[list[Any], BaseException]:
    """The items a stream gave before it raised, and what it raised."""
    got: list[Any] = []
    try:
        for value in items:
            got.append(value)
    except exc.BentoClientError as err:
        return got, err
    pytest.fail(f"the stream ended quietly after {got!r}")


def test_well_behaved_streams_decode_and_keep_the_connection(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    with client.stream_items(n=3) as items:
        assert isinstance(items, SyncStream)
        assert list(items) == ITEMS
    assert "".join(client.stream_text(n=2)) == f"0: {TEXT}1: {TEXT}"
    chunks = list(client.stream_bytes(n=3))
    assert b"".join(chunks) == b"\x00" * 4 + b"\x01" * 4 + b"\x02" * 4
    assert all(isinstance(c, bytes) for c in chunks)
    assert list(client.stream_numbers(n=7)) == NUMBERS
    assert list(client.stream_items(n=0)) == []
    assert server.connections == 1  # a stream read to its end gives its connection back for reuse


# --- cut short --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [stream(CUT_PIECES, end="complete"), stream(CUT_PIECES, end="close"), close_delimited(CUT_PIECES)],
    ids=["chunked-ends-cleanly-mid-item", "chunked-closed-without-last-chunk", "close-delimited"],
)
def test_stream_cut_mid_json_item_is_stream_truncated(
    server: FaultServer, make_client: ClientFactory, behaviour: Behaviour
) -> None:
    client = make_client(max_connections=1)
    server.script("/stream_items", behaviour)
    got, error = read_until_error(client.stream_items(n=2))
    assert got == [item(0)]  # the whole items first, then the error: never a quiet end
    assert isinstance(error, exc.StreamTruncated)
    assert isinstance(error, exc.ReadError)
    assert error.attempts == 1
    assert list(client.stream_items(n=2)) == ITEMS[:2]  # the connection was given back


def test_text_stream_cut_inside_a_character_is_stream_truncated(
    server: FaultServer, make_client: ClientFactory
) -> None:
    client = make_client()
    data = TEXT.encode()
    cut = data.index("\U0001f600".encode()) + 2  # half of a 4-byte character
    server.script("/stream_text", stream([data[:cut]]))
    got, error = read_until_error(client.stream_text(n=1))
    assert "".join(got) == TEXT[: TEXT.index("\U0001f600")]
    assert isinstance(error, exc.StreamTruncated)
    assert "UTF-8" in str(error)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [([item_bytes(0), item_bytes(1)], ITEMS[:2]), (CUT_PIECES, ITEMS[:1])],
    ids=["between-items", "mid-item"],
)
def test_chunked_stream_broken_by_a_reset_is_stream_truncated(
    server: FaultServer, make_client: ClientFactory, pieces: list[bytes], expected: list[Any]
) -> None:
    client = make_client(max_connections=1)
    server.script("/stream_items", stream(pieces, end="reset"))
    got, error = read_until_error(client.stream_items(n=3))
    assert got == expected
    assert isinstance(error, exc.StreamTruncated)
    assert (error.attempts, posts(server, "/stream_items")) == (1, 1)
    assert list(client.stream_items(n=1)) == ITEMS[:1]


# --- stalls and time limits ---------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [
        stream([item_bytes(0), item_bytes(1)], gap=10),
        stream([item_bytes(0), item_bytes(1)[:10], item_bytes(1)[10:]], gap=10),
        stream([item_bytes(0)], end="stall"),
    ],
    ids=["between-items", "mid-item", "before-the-last-chunk"],
)
def test_stall_between_chunks_is_read_timeout(
    server: FaultServer, make_client: ClientFactory, behaviour: Behaviour
) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=0.3, write=2, pool=0.5))
    server.script("/stream_items", behaviour)
    items = client.stream_items(n=2)
    assert next(items) == item(0)
    started = time.monotonic()
    with pytest.raises(exc.ReadTimeout):
        next(items)
    assert time.monotonic() - started < 0.3 + SLACK
    assert list(client.stream_items(n=1)) == ITEMS[:1]  # its connection was given back at the error
    assert list(items) == []  # ended: no item after the error


def test_stream_longer_than_the_total_timeout_is_timeout(server: FaultServer, make_client: ClientFactory) -> None:
    # Every chunk comes well within the read timeout; the whole stream would take 2 s.
    client = make_client(timeout=Timeout(connect=2, read=1, write=2, pool=2, total=0.6))
    server.script("/stream_items", stream([item_bytes(i % 3) for i in range(20)], gap=0.1))
    started = time.monotonic()
    got, error = read_until_error(client.stream_items(n=20))
    assert isinstance(error, exc.TimeoutException)
    assert time.monotonic() - started < 0.6 + SLACK
    assert 2 <= len(got) < 20


# --- error statuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "cls", "attempts"),
    [
        (status(500), exc.InternalServerError, 1),
        (status(400), exc.InvalidArgument, 1),
        (stream([b'{"error": "boom"}'], status=500, content_type="application/json"), exc.InternalServerError, 1),
        (retry_after(503, "3600"), exc.ServiceUnavailable, 1),
    ],
    ids=["500", "400", "500-chunked", "503-retry-after-an-hour"],
)
def test_error_status_before_the_first_item_is_a_typed_error(
    server: FaultServer, make_client: ClientFactory, behaviour: Behaviour, cls: type[exc.HTTPStatusError], attempts: int
) -> None:
    client = make_client(max_connections=1)
    server.script("/stream_items", behaviour)
    items = client.stream_items(n=2)
    with pytest.raises(cls) as info:
        next(items)
    assert info.value.attempts == attempts
    assert list(items) == []  # nothing, and the request is not sent again
    assert posts(server, "/stream_items") == 1
    server.script("/stream_items", behaviour)
    with pytest.raises(cls), client.stream_items(n=2):  # raised on entering the with block
        pass  # pragma: no cover
    assert list(client.stream_items(n=1)) == ITEMS[:1]


def test_429_every_time_is_too_many_requests_before_any_item(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.set_default("/stream_items", retry_after(429, "0"))
    with pytest.raises(exc.TooManyRequests) as info:
        list(client.stream_items(n=2))
    assert (info.value.attempts, info.value.retry_after) == (3, 0)


def test_503_before_the_first_item_is_retried(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/stream_items", status(503))
    assert list(client.stream_items(n=3)) == ITEMS
    assert posts(server, "/stream_items") == 2


# --- abandoned streams ----------------------------------------------------------------------


def test_abandoned_stream_releases_its_connection(server: FaultServer, make_client: ClientFactory) -> None:
    # One connection and a short pool timeout: a stream that kept it would make the next call fail.
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=2, write=2, pool=0.3))
    for _ in range(3):
        items = client.stream_items(n=200)
        assert next(items) == item(0)
        items.close()
        assert list(items) == []
    with client.stream_items(n=200) as items:
        assert next(items) == item(0)  # leaving the with block early
    server.script("/stream_items", stream([item_bytes(0)], end="stall"))
    items = client.stream_items(n=2)
    assert next(items) == item(0)
    started = time.monotonic()
    items.close()  # a stream whose server went silent closes at once too
    assert time.monotonic() - started < SLACK
    assert client.info() == {"ok": True}
    assert list(client.stream_items(n=3)) == ITEMS
    abandoned = server.requests_for("/stream_items")[:5]
    assert len({r.connection for r in abandoned}) == 5  # never reused mid-body


def test_stream_dropped_half_way_releases_its_connection_at_once(
    server: FaultServer, make_client: ClientFactory
) -> None:
    # "break" with neither "with" nor close(): dropping the stream must give the connection
    # back by itself, without waiting for the cyclic garbage collector (switched off here).
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=2, write=2, pool=0.3))
    gc.disable()
    try:
        for _ in range(3):
            for value in client.stream_items(n=200):
                assert value == item(0)
                break
            assert client.info() == {"ok": True}
    finally:
        gc.enable()


def test_stream_entered_but_never_read_releases_its_connection(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=2, write=2, pool=0.3))
    with client.stream_items(n=3) as items:
        assert items.status_code == 200
    assert client.info() == {"ok": True}


# --- chunk boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_items_split_across_chunks_decode(server: FaultServer, make_client: ClientFactory, size: int) -> None:
    client = make_client()
    server.script("/stream_items", stream(split_every(ITEMS_WIRE, size)))
    assert list(client.stream_items(n=3)) == ITEMS


def test_items_split_at_random_places_decode(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    for seed in range(20):
        server.script("/stream_items", stream(random_splits(ITEMS_WIRE, seed)))
        assert list(client.stream_items(n=3)) == ITEMS, f"seed {seed}"


def test_items_split_at_every_single_place_decode(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    for cut in range(1, len(item_bytes(0)) + 3):  # every byte of the first item, and into the next
        server.script("/stream_items", stream([ITEMS_WIRE[:cut], ITEMS_WIRE[cut:]]))
        assert list(client.stream_items(n=3)) == ITEMS, f"cut at {cut}"


def test_text_split_inside_multibyte_characters_decodes(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    data = TEXT.encode()
    server.script("/stream_text", stream(split_every(data, 1)))
    parts = list(client.stream_text(n=1))
    assert "".join(parts) == TEXT
    assert len(parts) > 1  # it really came in pieces
    for cut in range(1, len(data)):
        server.script("/stream_text", stream([data[:cut], data[cut:]]))
        assert "".join(client.stream_text(n=1)) == TEXT, f"cut at {cut}"


def test_numbers_split_inside_decode_whole(server: FaultServer, make_client: ClientFactory) -> None:
    # "123" cut after "12" must not give 12 and 3; "1000.0" cut after "1" must not give 1.
    client = make_client()
    server.script("/stream_numbers", stream(split_every(NUMBERS_WIRE, 1)))
    assert list(client.stream_numbers(n=7)) == NUMBERS
    for cut in range(1, len(NUMBERS_WIRE)):
        server.script("/stream_numbers", stream([NUMBERS_WIRE[:cut], NUMBERS_WIRE[cut:]]))
        assert list(client.stream_numbers(n=7)) == NUMBERS, f"cut at {cut}"


def test_bytes_stream_passes_chunks_through(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    data = bytes(range(256)) * 4
    server.script("/stream_bytes", stream(split_every(data, 100)))
    assert b"".join(client.stream_bytes(n=1)) == data


# --- undecodable items ----------------------------------------------------------------------


def test_invalid_json_item_is_decode_error_after_the_good_ones(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=2, write=2, pool=0.3))
    server.script("/stream_items", stream([item_bytes(0), b'{"name": nope}', item_bytes(2)]))
    got, error = read_until_error(client.stream_items(n=3))
    assert got == [item(0)]
    assert isinstance(error, exc.ResponseDecodeError)
    assert client.info() == {"ok": True}


def test_invalid_utf8_in_a_text_stream_is_decode_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=2, write=2, pool=0.3))
    server.script("/stream_text", stream([b"fine ", b"\xff\xfe broken"]))
    got, error = read_until_error(client.stream_text(n=1))
    assert got == ["fine "]
    assert isinstance(error, exc.ResponseDecodeError)
    assert client.info() == {"ok": True}
