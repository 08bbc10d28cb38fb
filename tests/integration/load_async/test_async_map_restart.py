"""``AsyncHTTPClient.map()`` over 10,000 inputs while the real ``bentoml serve`` restarts.

The twin of ``tests/integration/load/test_map_restart.py`` on the default async transport
(``HTTPXTransport``), whose pool counters show that every connection is back (or closed)
after the map and after ``close()``.  Also: a map cancelled mid-run against the real server
gives back every connection.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Union

import pytest
from restarts import (
    CONCURRENCY,
    ITEMS,
    STOP_AT,
    TIME_LIMIT,
    Restartable,
    RestartWhen,
    check_results,
    item,
    leaked_fds,
    open_fds,
)

from bentoclient import NO_RETRY, Backoff, Retry, Timeout
from bentoclient_async import AsyncHTTPClient, AsyncioTransport, HTTPXTransport

# Long: its own time limit above the suite's default (pyproject.toml).
pytestmark = pytest.mark.timeout(900)

SURVIVE = Retry(total=60, backoff=Backoff(initial=0.1, factor=2.0, maximum=1.0, jitter=0.1), retry_sent_requests=True)
LIMITS = Timeout(connect=5, read=20, write=20, pool=60, total=60)


def pool_of(client: AsyncHTTPClient) -> Union[AsyncioTransport, HTTPXTransport]:
    transport = client._transport
    assert isinstance(transport, (AsyncioTransport, HTTPXTransport))
    return transport


async def run_map(
    url: str, restart: RestartWhen, retry: Retry
) -> tuple[list[Any], Any, float, Union[AsyncioTransport, HTTPXTransport]]:
    async with AsyncHTTPClient(url, max_connections=CONCURRENCY, timeout=LIMITS, retry=retry) as client:
        started = time.monotonic()
        results = client.map(
            "summarize", (item(n) for n in range(ITEMS)), concurrency=CONCURRENCY, progress=restart.progress
        )
        out = [r async for r in results]
        elapsed = time.monotonic() - started
        pool = pool_of(client)
        assert pool.open_connections == pool.idle_connections <= CONCURRENCY  # none busy
    assert pool.open_connections == 0  # close() closed them all
    return out, results, elapsed, pool


def test_async_map_survives_a_restart_with_retries() -> None:
    fds = open_fds()
    threads = threading.active_count()
    with Restartable() as server:
        restart = RestartWhen(server, STOP_AT)
        out, results, elapsed, _ = asyncio.run(run_map(server.url, restart, SURVIVE))
        restart.join()
        assert check_results(out, allow_errors=False) == (ITEMS, 0)
        assert (results.started, results.done, results.failed, results.yielded) == (ITEMS, ITEMS, 0, ITEMS)
        assert server.restarts == 1
        assert restart.done_at_start is not None
        assert restart.done_at_start < ITEMS  # the server came back with calls still to make
        assert elapsed < TIME_LIMIT
        print(f"\n{ITEMS} async calls through a restart in {elapsed:.1f} s; stopped at {restart.done_at_stop} done")
    assert leaked_fds(fds) == set()
    assert threading.active_count() <= threads


def test_async_map_without_retries_ends_every_item_as_a_result_or_a_map_error() -> None:
    fds = open_fds()
    with Restartable() as server:
        restart = RestartWhen(server, STOP_AT)

        async def main() -> tuple[list[Any], int, int, float]:
            async with AsyncHTTPClient(server.url, max_connections=CONCURRENCY, timeout=LIMITS, retry=NO_RETRY) as c:
                started = time.monotonic()
                results = c.map(
                    "summarize",
                    (item(n) for n in range(ITEMS)),
                    concurrency=CONCURRENCY,
                    return_exceptions=True,
                    progress=restart.progress,
                )
                out = await results
                elapsed = time.monotonic() - started
                assert pool_of(c).open_connections == pool_of(c).idle_connections
                await asyncio.to_thread(restart.join)
                assert await c.map("summarize", [item(1), item(2)]) == ["Item 1.", "Item 2."]
                return out, results.done, results.failed, elapsed

        out, done, failed, elapsed = asyncio.run(main())
        ok, errors = check_results(out, allow_errors=True)
        assert ok >= STOP_AT
        assert errors > 0
        assert (done, failed) == (ITEMS, errors)
        assert elapsed < TIME_LIMIT
        print(f"\n{ITEMS} async calls without retries through a restart in {elapsed:.1f} s: {ok} ok, {errors} errors")
    assert leaked_fds(fds) == set()


def test_a_cancelled_async_map_gives_back_every_connection(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url, max_connections=CONCURRENCY) as client:
            got: list[str] = []

            async def consume() -> None:
                async for result in client.map("summarize", (item(n) for n in range(ITEMS)), concurrency=CONCURRENCY):
                    got.append(result)

            task = asyncio.ensure_future(consume())
            while len(got) < 200:
                await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            pool = pool_of(client)
            assert pool.open_connections == pool.idle_connections  # cancelled calls closed theirs
            assert got == [f"Item {n}." for n in range(len(got))]
            assert await client.summarize("Still. Works.") == "Still."
        assert pool.open_connections == 0

    asyncio.run(main())
