"""``map()`` on batchable endpoints and with ``concurrency="auto"`` through ``AsyncHTTPClient``,
against real ``bentoml serve`` processes of ``tests/services/batching.py`` (``Batching`` and
``Limited``).  ``tests/integration/test_map_batch.py`` is generated from this module
(tools/unasync.py); awaiting a whole map is async-only."""

from __future__ import annotations

import asyncio  # async-only
from typing import Any

import pytest

from bentoclient import NO_RETRY, Backoff, MapError, Retry
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient

pytestmark = pytest.mark.timeout(240)


TEXTS = [f"text {n}" for n in range(200)]


async def collect(results: Any) -> list[Any]:
    """Every result of a map, in order (iterating it)."""
    return [r async for r in results]  # async-only
    # sync-only: return list(results)


def test_batched_results_come_back_per_input_in_order(batching_urls: dict[str, str]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"]) as client:
            before = sum(await client.batch_sizes())
            results = client.map("upper", TEXTS, batch_size=25, concurrency=2)
            assert await collect(results) == [t.upper() for t in TEXTS]
            assert results.batch_size == 25
            sizes = await client.batch_sizes()
        assert sum(sizes) - before == len(TEXTS)  # every input ran once
        assert max(sizes) >= 25  # in batches (the server may merge two requests, never split one of 25)

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_a_bad_input_is_found_by_splitting_its_batch(batching_urls: dict[str, str]) -> None:
    inputs: list[Any] = list(TEXTS[:40])
    inputs[13] = 13  # not a string: the server refuses the whole batch with a 400

    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"]) as client:
            out = await collect(client.map("upper", inputs, batch_size=16, return_exceptions=True))
            with pytest.raises(exc.InvalidArgument) as info:
                await collect(client.map("upper", inputs, batch_size=16))
        assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [13]
        error = out[13]
        assert isinstance(error, MapError)
        assert isinstance(error.exception, exc.InvalidArgument)
        assert error.batch is None  # this input's own failure
        assert error.input == 13
        assert all(out[n] == inputs[n].upper() for n in range(40) if n != 13)
        assert "input 13 failed" in "".join(getattr(info.value, "__notes__", ["input 13 failed"]))

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_an_error_inside_the_batch_function_is_pinned_on_its_input(batching_urls: dict[str, str]) -> None:
    inputs = ["a", "b", "c", "boom", "d", "e", "f"]

    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"]) as client:  # one request at a time: no merging
            out = await collect(client.map("upper", inputs, batch_size=7, concurrency=1, return_exceptions=True))
        assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [3]
        assert isinstance(out[3].exception, exc.InternalServerError)
        assert out[:3] == ["A", "B", "C"]

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_a_failed_request_fails_all_its_inputs_with_one_cause(batching_urls: dict[str, str]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"], retry=NO_RETRY) as client:
            out = await collect(client.map("unavailable", TEXTS[:10], batch_size=4, return_exceptions=True))
        assert all(isinstance(r, MapError) for r in out)
        assert [r.batch for r in out] == [range(4)] * 4 + [range(4, 8)] * 4 + [range(8, 10)] * 2
        assert all(isinstance(r.exception, exc.ServiceUnavailable) for r in out)
        assert out[0].exception is out[3].exception  # one request, one cause

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_a_request_the_batcher_sheds_fails_unless_503_is_asked_for(batching_urls: dict[str, str]) -> None:
    # BentoML's batcher drops requests that waited past max_latency_ms with a 503 that looks
    # like one the service's code raised (docs/bulk.md): surfaced by default, resent on request.
    inputs = TEXTS[:32]
    again = Retry(total=30, backoff=Backoff(initial=0.05, factor=1.5, maximum=0.5), extra_statuses=frozenset({503}))

    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"], max_connections=16) as client:
            shed = await collect(client.map("shed", inputs, batch_size=1, concurrency=16, return_exceptions=True))
            resent = await collect(client.map("shed", inputs, batch_size=1, concurrency=16, retry=again))
        failed = [r for r in shed if isinstance(r, MapError)]
        assert failed, "16 requests at once for a 20 ms latency bound: the batcher shed none"
        unavailable = [r.exception for r in failed if isinstance(r.exception, exc.ServiceUnavailable)]
        assert len(unavailable) == len(failed), failed[:3]
        assert all(e.attempts == 1 for e in unavailable)  # not resent by default
        assert [r for r in shed if not isinstance(r, MapError)] == [
            text.upper() for text, r in zip(inputs, shed) if not isinstance(r, MapError)
        ]
        assert resent == [text.upper() for text in inputs]  # every shed request sent again

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_batch_size_is_refused_where_it_cannot_apply(batching_urls: dict[str, str]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["batching"]) as client:
            with pytest.raises(exc.ArgumentError, match=r"'batch_sizes'.*batchable.*leave out batch_size"):
                client.map("batch_sizes", [{}], batch_size=4)
            with pytest.raises(exc.ConfigurationError, match="batch_size must be a positive integer"):
                client.map("upper", TEXTS, batch_size=0)

    asyncio.run(main())  # async-only
    # sync-only: main()


ROWS = [{"n": n, "seconds": 0.05} for n in range(160)]


def test_auto_concurrency_rides_the_server_limit_without_surfacing_429(batching_urls: dict[str, str]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["limited"], retry=NO_RETRY) as client:
            results = client.map("wait", ROWS, concurrency="auto", return_exceptions=True)
            out = await collect(results)
            assert results.limit is not None
            overloads, value = results.limit.overloads, results.limit.value
            running = await client.most_running()
        seen = f"limit {value}, {overloads} overloads, at most {running} running on the server"
        assert running <= 4, seen
        failed = [r for r in out if isinstance(r, MapError)]
        assert not failed, f"{seen}; surfaced: {failed[:3]}"  # every 429 was sent again
        assert out == [row["n"] for row in ROWS]
        # The limit went past what the server takes (a noisy machine can hold it back for a
        # while, hence the number of rows: about 40 round trips at 4 in flight) and came back.
        assert overloads > 0, seen
        assert 1 <= value <= 6, seen

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_a_fixed_concurrency_above_the_server_limit_meets_429(batching_urls: dict[str, str]) -> None:
    # What "auto" saves you from: the same map at a fixed 8 without retries.
    async def main() -> None:
        async with AsyncHTTPClient(batching_urls["limited"], retry=NO_RETRY) as client:
            out = await collect(client.map("wait", ROWS[:40], concurrency=8, return_exceptions=True))
        rejected = [r for r in out if isinstance(r, MapError)]
        assert rejected
        assert all(isinstance(r.exception, exc.TooManyRequests) for r in rejected)

    asyncio.run(main())  # async-only
    # sync-only: main()


# async-only: begin
def test_async_batched_map_awaited_whole(batching_urls: dict[str, str]) -> None:
    async def main() -> list[Any]:
        inputs: list[Any] = list(TEXTS)
        inputs[150] = None
        async with AsyncHTTPClient(batching_urls["batching"]) as client:
            return await client.map("upper", inputs, batch_size=32, return_exceptions=True)

    out = asyncio.run(main())
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [150]
    assert [r for n, r in enumerate(out) if n != 150] == [t.upper() for n, t in enumerate(TEXTS) if n != 150]


# async-only: end
