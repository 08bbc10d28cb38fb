"""``map()`` on batchable endpoints and with ``concurrency="auto"`` through ``AsyncHTTPClient``,
against real ``bentoml serve`` processes of ``tests/services/batching.py`` (the sync client's
tests are ``tests/integration/test_map_batch.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bentoclient import NO_RETRY, MapError
from bentoclient_async import AsyncHTTPClient

pytestmark = pytest.mark.timeout(240)

TEXTS = [f"text {n}" for n in range(200)]
ROWS = [{"n": n, "seconds": 0.05} for n in range(120)]


def test_async_batched_map(batching_urls: dict[str, str]) -> None:
    async def main() -> list[Any]:
        inputs: list[Any] = list(TEXTS)
        inputs[150] = None
        async with AsyncHTTPClient(batching_urls["batching"]) as client:
            return await client.map("upper", inputs, batch_size=32, return_exceptions=True)

    out = asyncio.run(main())
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [150]
    assert [r for n, r in enumerate(out) if n != 150] == [t.upper() for n, t in enumerate(TEXTS) if n != 150]


def test_async_auto_concurrency(batching_urls: dict[str, str]) -> None:
    async def main() -> tuple[list[Any], int]:
        async with AsyncHTTPClient(batching_urls["limited"], retry=NO_RETRY) as client:
            out = await client.map("wait", ROWS, concurrency="auto", return_exceptions=True)
            return out, await client.most_running()

    out, most = asyncio.run(main())
    assert out == list(range(120))
    assert most <= 4
