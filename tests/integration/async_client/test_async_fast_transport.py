"""The opt-in ``AsyncioTransport`` (core's HTTP/1.1 rules on asyncio streams) against a real ``bentoml serve``.

The rest of ``tests/integration/async_client`` runs on the default transport (httpx's pool);
these are the same kinds of calls with ``transport=AsyncioTransport(url)``, so both transports
are checked against the server users run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from serverlines import ROOT_INPUTS, limitation

from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient, AsyncioTransport


def fast(url: str, **options: Any) -> AsyncHTTPClient:
    return AsyncHTTPClient(url, transport=AsyncioTransport(url, max_connections=8), **options)


def test_calls_files_and_errors_on_the_fast_transport(wire_url: str) -> None:
    async def main() -> None:
        async with fast(wire_url, token="tok") as client:
            assert isinstance(client._transport, AsyncioTransport)
            assert await client.text("ab", repeat=2) == "abab"
            assert await client.raw_bytes(n=3) == b"\x00\x01\x02"
            assert (await client.headers())["authorization"] == "Bearer tok"
            with pytest.raises(exc.InvalidArgument):
                await client.fail(kind="InvalidArgument", message="nope")
            assert (await client.request("GET", "/no/such/path")).status_code == 404

    asyncio.run(main())


@limitation(ROOT_INPUTS)
def test_a_root_input_on_the_fast_transport(wire_url: str) -> None:
    async def main() -> None:
        async with fast(wire_url) as client:
            assert await client.root_text("root") == "root"

    asyncio.run(main())


def test_read_timeout_on_the_fast_transport(wire_url: str) -> None:
    async def main() -> None:
        async with fast(wire_url, timeout=Timeout(connect=5, read=0.3)) as client:
            with pytest.raises(exc.ReadTimeout) as info:
                await client.slow(seconds=1.5)
            assert info.value.__cause__ is not None
            assert await client.with_options(timeout=10).slow(seconds=0) == 0

    asyncio.run(main())


def test_concurrent_calls_on_the_fast_transport(demo_url: str) -> None:
    async def main() -> list[object]:
        async with fast(demo_url) as client:
            rows = [[[float(i), float(i)]] for i in range(40)]
            results = list(await asyncio.gather(*(client.classify(row) for row in rows)))
            transport = client._transport
            assert isinstance(transport, AsyncioTransport)
            assert 1 <= transport.open_connections <= 8
            assert transport.open_connections == transport.idle_connections
            return results

    assert asyncio.run(main()) == [[1 if i > 5 else 0] for i in range(40)]
