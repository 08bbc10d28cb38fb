"""Streaming endpoints through AsyncHTTPClient (needs bentoclient-async and bentoclient-stream)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from serverlines import EMPTY_ERROR_STREAM, limitation

from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient
from bentoclient_stream import AsyncStream


@limitation(EMPTY_ERROR_STREAM)
def test_async_stream_examples(demo_url: str, wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            resp = client.stream(prompt="hello")
            assert isinstance(resp, AsyncStream)
            pieces = [data async for data in resp]
            assert "".join(pieces) == "hello 0\nhello 1\nhello 2\n"
        async with AsyncHTTPClient(wire_url) as client:
            async with client.stream_models(n=3) as models:
                items: list[Any] = [m async for m in models]
            assert [m["name"] for m in items] == ["item-0", "item-1", "item-2"]
            with pytest.raises(exc.InternalServerError):
                async for _ in client.stream_fail(before=0):
                    pass

    asyncio.run(main())


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
