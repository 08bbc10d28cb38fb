"""``map()`` on batchable endpoints and with ``concurrency="auto"``, both clients, against real
``bentoml serve`` processes of ``tests/services/batching.py`` (``Batching`` and ``Limited``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from bentoserve import bentoml_executable, serve

from bentoclient import NO_RETRY, AsyncHTTPClient, MapError, SyncHTTPClient
from bentoclient import exceptions as exc

from .conftest import SERVICES

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    """Both services, started side by side."""
    with contextlib.ExitStack() as stack:
        bentoml = bentoml_executable()

        def start(target: str) -> str:
            url: str = stack.enter_context(serve(target, cwd=SERVICES, bentoml=bentoml))
            return url

        with ThreadPoolExecutor(max_workers=2) as pool:
            batching, limited = pool.submit(start, "batching:Batching"), pool.submit(start, "batching:Limited")
            yield {"batching": batching.result(), "limited": limited.result()}


TEXTS = [f"text {n}" for n in range(200)]


def test_batched_results_come_back_per_input_in_order(urls: dict[str, str]) -> None:
    with SyncHTTPClient(urls["batching"]) as client:
        before = sum(client.batch_sizes())
        results = client.map("upper", TEXTS, batch_size=25, concurrency=2)
        assert list(results) == [t.upper() for t in TEXTS]
        assert results.batch_size == 25
        sizes = client.batch_sizes()
    assert sum(sizes) - before == len(TEXTS)  # every input ran once
    assert max(sizes) >= 25  # in batches (the server may merge two requests, never split one of 25)


def test_a_bad_input_is_found_by_splitting_its_batch(urls: dict[str, str]) -> None:
    inputs: list[Any] = list(TEXTS[:40])
    inputs[13] = 13  # not a string: the server refuses the whole batch with a 400
    with SyncHTTPClient(urls["batching"]) as client:
        out = list(client.map("upper", inputs, batch_size=16, return_exceptions=True))
        with pytest.raises(exc.InvalidArgument) as info:
            list(client.map("upper", inputs, batch_size=16))
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [13]
    error = out[13]
    assert isinstance(error, MapError)
    assert isinstance(error.exception, exc.InvalidArgument)
    assert error.batch is None  # this input's own failure
    assert error.input == 13
    assert all(out[n] == inputs[n].upper() for n in range(40) if n != 13)
    assert "input 13 failed" in "".join(getattr(info.value, "__notes__", ["input 13 failed"]))


def test_an_error_inside_the_batch_function_is_pinned_on_its_input(urls: dict[str, str]) -> None:
    inputs = ["a", "b", "c", "boom", "d", "e", "f"]
    with SyncHTTPClient(urls["batching"]) as client:  # one request at a time: no server-side merging
        out = list(client.map("upper", inputs, batch_size=7, concurrency=1, return_exceptions=True))
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [3]
    assert isinstance(out[3].exception, exc.InternalServerError)
    assert out[:3] == ["A", "B", "C"]


def test_a_failed_request_fails_all_its_inputs_with_one_cause(urls: dict[str, str]) -> None:
    with SyncHTTPClient(urls["batching"], retry=NO_RETRY) as client:
        out = list(client.map("unavailable", TEXTS[:10], batch_size=4, return_exceptions=True))
    assert all(isinstance(r, MapError) for r in out)
    assert [r.batch for r in out] == [range(4)] * 4 + [range(4, 8)] * 4 + [range(8, 10)] * 2
    assert all(isinstance(r.exception, exc.ServiceUnavailable) for r in out)
    assert out[0].exception is out[3].exception  # one request, one cause


def test_batch_size_is_refused_where_it_cannot_apply(urls: dict[str, str]) -> None:
    with SyncHTTPClient(urls["batching"]) as client:
        with pytest.raises(exc.ArgumentError, match=r"'batch_sizes'.*batchable.*leave out batch_size"):
            client.map("batch_sizes", [{}], batch_size=4)
        with pytest.raises(exc.ConfigurationError, match="batch_size must be a positive integer"):
            client.map("upper", TEXTS, batch_size=0)


def test_async_batched_map(urls: dict[str, str]) -> None:
    async def main() -> list[Any]:
        inputs: list[Any] = list(TEXTS)
        inputs[150] = None
        async with AsyncHTTPClient(urls["batching"]) as client:
            return await client.map("upper", inputs, batch_size=32, return_exceptions=True)

    out = asyncio.run(main())
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [150]
    assert [r for n, r in enumerate(out) if n != 150] == [t.upper() for n, t in enumerate(TEXTS) if n != 150]


ROWS = [{"n": n, "seconds": 0.05} for n in range(120)]


def test_auto_concurrency_rides_the_server_limit_without_surfacing_429(urls: dict[str, str]) -> None:
    with SyncHTTPClient(urls["limited"], retry=NO_RETRY) as client:
        results = client.map("wait", ROWS, concurrency="auto", return_exceptions=True)
        out = list(results)
        assert results.limit is not None
        overloads, value = results.limit.overloads, results.limit.value
        assert client.most_running() <= 4
    assert out == list(range(120))  # no MapError: every 429 was sent again
    assert overloads > 0  # the limit did go past what the server takes, and came back
    assert 1 <= value <= 6


def test_a_fixed_concurrency_above_the_server_limit_meets_429(urls: dict[str, str]) -> None:
    # What "auto" saves you from: the same map at a fixed 8 without retries.
    with SyncHTTPClient(urls["limited"], retry=NO_RETRY) as client:
        out = list(client.map("wait", ROWS[:40], concurrency=8, return_exceptions=True))
    rejected = [r for r in out if isinstance(r, MapError)]
    assert rejected
    assert all(isinstance(r.exception, exc.TooManyRequests) for r in rejected)


def test_async_auto_concurrency(urls: dict[str, str]) -> None:
    async def main() -> tuple[list[Any], int]:
        async with AsyncHTTPClient(urls["limited"], retry=NO_RETRY) as client:
            out = await client.map("wait", ROWS, concurrency="auto", return_exceptions=True)
            return out, await client.most_running()

    out, most = asyncio.run(main())
    assert out == list(range(120))
    assert most <= 4
