"""The stream rows of the fault matrix through AsyncHTTPClient (bentoclient-async and -stream).

The same faults as tests/faults_stream, with httpx underneath: a stream that breaks says so
(``StreamTruncated``, ``ReadTimeout``, a typed HTTP error, never an ``httpx`` error), one
abandoned half-way, or whose task is cancelled, gives its connection back, and items decode
whatever the chunk boundaries.  ``clients.run`` closes every client in the test's event loop
and fails on a response left open; ``no_leaks`` checks ResourceWarnings, descriptors,
threads and temporary folders after every test.

The sync client's stream rows, ``tests/faults_stream/test_stream_faults.py``, are generated from
this module (tools/unasync.py); the cancellation tests are async-only.
"""

from __future__ import annotations

import asyncio  # async-only
import gc
import time
from typing import Any

import pytest
from faults_async.support import AsyncClients, open_responses
from faults_stream.streaming import (
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
from faultserver import Behaviour, FaultServer, retry_after, status

from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient
from bentoclient_stream import AsyncStream

ITEMS = [item(i) for i in range(3)]
SLACK = 0.5  # seconds allowed beyond a time limit (scheduling on a busy machine)
#: Item 0 whole, then the first 10 bytes of item 1.
CUT_PIECES = [item_bytes(0), item_bytes(1)[:10]]
#: One connection, and a pool timeout short enough that a connection kept by mistake fails the next call.
ONE: dict[str, Any] = {"max_connections": 1, "timeout": Timeout(connect=2, read=2, write=2, pool=0.3)}


def posts(server: FaultServer, path: str) -> int:
    return len([r for r in server.requests_for(path) if r.method == "POST"])


async def collect(items: AsyncStream) -> list[Any]:
    return [value async for value in items]  # async-only
    # sync-only: return list(items)


async def read_until_error(items: AsyncStream) -> tuple[list[Any], BaseException]:
    """The items a stream gave before it raised, and what it raised."""
    got: list[Any] = []
    try:
        async for value in items:
            got.append(value)
    except exc.BentoClientError as err:
        return got, err
    pytest.fail(f"the stream ended quietly after {got!r}")


async def next_item(items: AsyncStream) -> Any:
    return await items.__anext__()


async def still_works(client: AsyncHTTPClient) -> None:
    """The next call gets a connection (with ``ONE``, only if the stream gave its own back)."""
    assert await client.info() == {"ok": True}
    assert open_responses(client) == 0


def test_well_behaved_streams_decode_and_keep_the_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        async with client.stream_items(n=3) as items:
            assert isinstance(items, AsyncStream)
            assert await collect(items) == ITEMS
        assert "".join(await collect(client.stream_text(n=2))) == f"0: {TEXT}1: {TEXT}"
        chunks = await collect(client.stream_bytes(n=3))
        assert b"".join(chunks) == b"\x00" * 4 + b"\x01" * 4 + b"\x02" * 4
        assert await collect(client.stream_numbers(n=7)) == NUMBERS
        assert await collect(client.stream_items(n=0)) == []
        assert server.connections == 1  # a stream read to its end gives its connection back for reuse

    clients.run(main)


# --- cut short --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [stream(CUT_PIECES, end="complete"), stream(CUT_PIECES, end="close"), close_delimited(CUT_PIECES)],
    ids=["chunked-ends-cleanly-mid-item", "chunked-closed-without-last-chunk", "close-delimited"],
)
def test_stream_cut_mid_json_item_is_stream_truncated(
    server: FaultServer, clients: AsyncClients, behaviour: Behaviour
) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", behaviour)
        got, error = await read_until_error(client.stream_items(n=2))
        assert got == [item(0)]  # the whole items first, then the error: never a quiet end
        assert isinstance(error, exc.StreamTruncated)
        assert isinstance(error, exc.ReadError)
        assert error.attempts == 1
        assert await collect(client.stream_items(n=2)) == ITEMS[:2]  # the connection was given back

    clients.run(main)


def test_text_stream_cut_inside_a_character_is_stream_truncated(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        data = TEXT.encode()
        cut = data.index("\U0001f600".encode()) + 2  # half of a 4-byte character
        server.script("/stream_text", stream([data[:cut]]))
        got, error = await read_until_error(client.stream_text(n=1))
        assert "".join(got) == TEXT[: TEXT.index("\U0001f600")]
        assert isinstance(error, exc.StreamTruncated)
        assert "UTF-8" in str(error)

    clients.run(main)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [([item_bytes(0), item_bytes(1)], ITEMS[:2]), (CUT_PIECES, ITEMS[:1])],
    ids=["between-items", "mid-item"],
)
def test_chunked_stream_broken_by_a_reset_is_stream_truncated(
    server: FaultServer, clients: AsyncClients, pieces: list[bytes], expected: list[Any]
) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", stream(pieces, end="reset"))
        got, error = await read_until_error(client.stream_items(n=3))
        assert got == expected
        assert isinstance(error, exc.StreamTruncated)
        assert (error.attempts, posts(server, "/stream_items")) == (1, 1)
        await still_works(client)

    clients.run(main)


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
def test_stall_between_chunks_is_read_timeout(server: FaultServer, clients: AsyncClients, behaviour: Behaviour) -> None:
    async def main() -> None:
        client = await clients.ready(max_connections=1, timeout=Timeout(connect=2, read=0.3, write=2, pool=0.5))
        server.script("/stream_items", behaviour)
        items = client.stream_items(n=2)
        assert await next_item(items) == item(0)
        started = time.monotonic()
        with pytest.raises(exc.ReadTimeout):
            await next_item(items)
        assert time.monotonic() - started < 0.3 + SLACK
        await still_works(client)  # released at the error, without a with block or a close
        assert await collect(items) == []  # ended: no item after the error

    clients.run(main)


def test_stream_longer_than_the_total_timeout_is_timeout(server: FaultServer, clients: AsyncClients) -> None:
    # Every chunk comes well within the read timeout; the whole stream would take 2 s.
    async def main() -> None:
        client = await clients.ready(timeout=Timeout(connect=2, read=1, write=2, pool=2, total=0.6))
        server.script("/stream_items", stream([item_bytes(i % 3) for i in range(20)], gap=0.1))
        started = time.monotonic()
        got, error = await read_until_error(client.stream_items(n=20))
        assert isinstance(error, exc.TimeoutException)
        assert time.monotonic() - started < 0.6 + SLACK
        assert 2 <= len(got) < 20

    clients.run(main)


# --- error statuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "cls"),
    [
        (status(500), exc.InternalServerError),
        (status(400), exc.InvalidArgument),
        (stream([b'{"error": "boom"}'], status=500, content_type="application/json"), exc.InternalServerError),
        (retry_after(503, "3600"), exc.ServiceUnavailable),
    ],
    ids=["500", "400", "500-chunked", "503-retry-after-an-hour"],
)
def test_error_status_before_the_first_item_is_a_typed_error(
    server: FaultServer, clients: AsyncClients, behaviour: Behaviour, cls: type[exc.HTTPStatusError]
) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", behaviour)
        items = client.stream_items(n=2)
        with pytest.raises(cls) as info:
            await next_item(items)
        assert info.value.attempts == 1
        assert await collect(items) == []  # nothing, and the request is not sent again
        assert posts(server, "/stream_items") == 1
        server.script("/stream_items", behaviour)
        # async-only: begin
        with pytest.raises(cls):
            async with client.stream_items(n=2):  # raised on entering the with block
                pass  # pragma: no cover
        # async-only: end
        # sync-only: begin
        # with pytest.raises(cls), client.stream_items(n=2):  # raised on entering the with block
        #     pass  # pragma: no cover
        # sync-only: end
        assert await collect(client.stream_items(n=1)) == ITEMS[:1]

    clients.run(main)


def test_429_every_time_is_too_many_requests_before_any_item(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.set_default("/stream_items", retry_after(429, "0"))
        with pytest.raises(exc.TooManyRequests) as info:
            await collect(client.stream_items(n=2))
        assert (info.value.attempts, info.value.retry_after) == (3, 0)

    clients.run(main)


def test_503_before_the_first_item_is_retried(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/stream_items", status(503))
        assert await collect(client.stream_items(n=3)) == ITEMS
        assert posts(server, "/stream_items") == 2

    clients.run(main)


# --- abandoned and cancelled streams -------------------------------------------------------


def test_abandoned_stream_releases_its_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        for _ in range(3):
            items = client.stream_items(n=200)
            assert await next_item(items) == item(0)
            await items.aclose()
            assert await collect(items) == []
        async with client.stream_items(n=200) as items:
            assert await next_item(items) == item(0)  # leaving the with block early
        server.script("/stream_items", stream([item_bytes(0)], end="stall"))
        items = client.stream_items(n=2)
        assert await next_item(items) == item(0)
        started = time.monotonic()
        await items.aclose()  # a stream whose server went silent closes at once too
        assert time.monotonic() - started < SLACK
        await still_works(client)
        assert await collect(client.stream_items(n=3)) == ITEMS
        abandoned = server.requests_for("/stream_items")[:5]
        assert len({r.connection for r in abandoned}) == 5  # never reused mid-body

    clients.run(main)


def test_stream_dropped_half_way_releases_its_connection(server: FaultServer, clients: AsyncClients) -> None:
    # async-only: begin
    # "break" with neither "async with" nor aclose(): dropping the stream gives the connection
    # back through the event loop's async-generator finalizer, with the cyclic collector off.
    # async-only: end
    # sync-only: begin
    # # "break" with neither "with" nor close(): dropping the stream must give the connection
    # # back by itself, without waiting for the cyclic garbage collector (switched off here).
    # sync-only: end
    async def main() -> None:
        client = await clients.ready(**ONE)
        gc.disable()
        try:
            for _ in range(3):
                async for value in client.stream_items(n=200):
                    assert value == item(0)
                    break
                await still_works(client)
        finally:
            gc.enable()

    clients.run(main)


def test_stream_entered_but_never_read_releases_its_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        async with client.stream_items(n=3) as items:
            assert items.status_code == 200
        await still_works(client)

    clients.run(main)


# async-only: begin
def test_cancelled_reader_releases_its_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", stream([item_bytes(0)], end="stall"))
        items = client.stream_items(n=2)
        got: list[Any] = []

        async def reader() -> None:
            async for value in items:  # no "async with": the cancellation alone must release it
                got.append(value)

        task = asyncio.ensure_future(reader())
        for _ in range(100):  # until item 0 arrived (at most 1 s)
            if got:
                break
            await asyncio.sleep(0.01)
        assert got == [item(0)]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await still_works(client)

    clients.run(main)


def test_stream_cut_off_by_wait_for_releases_its_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", stream([item_bytes(0)], end="stall"))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(collect(client.stream_items(n=2)), 0.2)
        await still_works(client)

    clients.run(main)


# async-only: end


# --- chunk boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_items_split_across_chunks_decode(server: FaultServer, clients: AsyncClients, size: int) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/stream_items", stream(split_every(ITEMS_WIRE, size)))
        assert await collect(client.stream_items(n=3)) == ITEMS

    clients.run(main)


def test_items_split_at_random_places_decode(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        for seed in range(20):
            server.script("/stream_items", stream(random_splits(ITEMS_WIRE, seed)))
            assert await collect(client.stream_items(n=3)) == ITEMS, f"seed {seed}"

    clients.run(main)


def test_items_split_at_every_single_place_decode(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        for cut in range(1, len(item_bytes(0)) + 3):  # every byte of the first item, and into the next
            server.script("/stream_items", stream([ITEMS_WIRE[:cut], ITEMS_WIRE[cut:]]))
            assert await collect(client.stream_items(n=3)) == ITEMS, f"cut at {cut}"

    clients.run(main)


def test_text_split_inside_multibyte_characters_decodes(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        data = TEXT.encode()
        server.script("/stream_text", stream(split_every(data, 1)))
        parts = await collect(client.stream_text(n=1))
        assert "".join(parts) == TEXT
        assert len(parts) > 1  # it really came in pieces
        for cut in range(1, len(data)):
            server.script("/stream_text", stream([data[:cut], data[cut:]]))
            assert "".join(await collect(client.stream_text(n=1))) == TEXT, f"cut at {cut}"

    clients.run(main)


def test_numbers_split_inside_decode_whole(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/stream_numbers", stream(split_every(NUMBERS_WIRE, 1)))
        assert await collect(client.stream_numbers(n=7)) == NUMBERS
        for cut in range(1, len(NUMBERS_WIRE)):
            server.script("/stream_numbers", stream([NUMBERS_WIRE[:cut], NUMBERS_WIRE[cut:]]))
            assert await collect(client.stream_numbers(n=7)) == NUMBERS, f"cut at {cut}"

    clients.run(main)


def test_bytes_stream_passes_chunks_through(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        data = bytes(range(256)) * 4
        server.script("/stream_bytes", stream(split_every(data, 100)))
        assert b"".join(await collect(client.stream_bytes(n=1))) == data

    clients.run(main)


# --- undecodable items ----------------------------------------------------------------------


def test_invalid_json_item_is_decode_error_after_the_good_ones(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_items", stream([item_bytes(0), b'{"name": nope}', item_bytes(2)]))
        got, error = await read_until_error(client.stream_items(n=3))
        assert got == [item(0)]
        assert isinstance(error, exc.ResponseDecodeError)
        await still_works(client)  # released without a with block or a close

    clients.run(main)


def test_invalid_utf8_in_a_text_stream_is_decode_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(**ONE)
        server.script("/stream_text", stream([b"fine ", b"\xff\xfe broken"]))
        got, error = await read_until_error(client.stream_text(n=1))
        assert got == ["fine "]
        assert isinstance(error, exc.ResponseDecodeError)
        await still_works(client)

    clients.run(main)
