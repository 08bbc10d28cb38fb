"""Streaming endpoints through AsyncHTTPClient (needs bentoclient-async and bentoclient-stream).

The sync tests, ``tests/integration/streams/test_sync_streams.py``, are generated from these
(tools/unasync.py); the test of a plain ``for`` on an async stream is async-only.
"""

from __future__ import annotations

import asyncio  # async-only
from typing import Any

import pytest
from serverlines import EMPTY_ERROR_STREAM, limitation

from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient
from bentoclient_stream import AsyncStream


async def collect(items: Any) -> list[Any]:
    return [value async for value in items]  # async-only
    # sync-only: return list(items)


def test_text_stream_from_the_example_service(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            stream = client.stream(prompt="hello", n=3)
            assert isinstance(stream, AsyncStream)
            assert "".join(await collect(stream)) == "hello 0\nhello 1\nhello 2\n"

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_items_by_schema(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url) as client:
            async with client.stream_models(n=4) as models:
                items = await collect(models)
            assert items == [{"name": f"item-{i}", "total": float(i), "tags": []} for i in range(4)]
            chunks = await collect(client.stream_bytes(n=3, size=2))
            assert b"".join(chunks) == b"\x00\x00\x01\x01\x02\x02"
            assert all(isinstance(c, bytes) for c in chunks)
            assert await collect(client.stream_models(n=0)) == []

    asyncio.run(main())  # async-only
    # sync-only: main()


@limitation(EMPTY_ERROR_STREAM)
def test_error_before_first_item_raises_typed_error(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url) as client:
            with pytest.raises(exc.InternalServerError):
                await collect(client.stream_fail(before=0))
            with pytest.raises(exc.ArgumentError, match="no argument 'm'"):
                client.stream_models(n=1, m=2)  # checked at call time, before anything is sent

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_abandoned_stream_releases_its_connection(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url, max_connections=1) as client:
            for _ in range(3):  # with one connection, a leaked one would block the next call
                stream = client.stream_models(n=50)
                assert (await stream.__anext__())["name"] == "item-0"
                await stream.aclose()
            assert await client.text("still works") == "still works"

    asyncio.run(main())  # async-only
    # sync-only: main()


# async-only: begin
def test_plain_for_on_an_async_stream_says_to_use_async_for(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            items = client.stream(prompt="x", n=1)
            with pytest.raises(TypeError, match="iterate it with 'async for'"):
                for _ in items:  # the mistake under test
                    pass  # pragma: no cover
            with pytest.raises(TypeError, match="use 'async with'"), items:  # the mistake under test
                pass  # pragma: no cover
            await items.aclose()

    asyncio.run(main())


# async-only: end
