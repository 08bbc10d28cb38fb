"""Calls run once unless asked, on AsyncHTTPClient (the sync half: ``../test_retry_policy.py``)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bentoclient import Backoff, Retry
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient

QUICK = Backoff(initial=0.05, factor=1.0, maximum=0.05, jitter=0.0)
#: The opt-in: retry a 503 or 500 even when the service's own code answered it.
SERVICE_ERRORS_TOO = Retry(backoff=QUICK, extra_statuses=frozenset({500, 503}))
#: Enough patience for a 0.6 s call holding the only slot.
PATIENT = Retry(total=20, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))


def key() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize(
    ("endpoint", "error"), [("unavailable", exc.ServiceUnavailable), ("broken", exc.InternalServerError)]
)
def test_async_default_call_runs_the_service_code_once(runs_url: str, endpoint: str, error: type[Exception]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(runs_url) as client:
            k = key()
            with pytest.raises(error) as info:
                await client.call(endpoint, key=k)
            assert info.value.attempts == 1  # type: ignore[attr-defined]  # HTTPStatusError subclasses have it
            assert await client.call("runs", key=k) == 1

    asyncio.run(main())


def test_async_opt_in_retries_what_the_service_raised(runs_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(runs_url, retry=SERVICE_ERRORS_TOO) as client:
            k = key()
            with pytest.raises(exc.InternalServerError) as info:
                await client.call("broken", key=k)
            assert info.value.attempts == 3
            assert await client.call("runs", key=k) == 3

    asyncio.run(main())


def test_async_overload_rejection_is_retried_and_the_call_succeeds(busy_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(busy_url, retry=PATIENT) as client:
            keys = [key(), key()]
            responses = await asyncio.gather(
                *(client.request("POST", "/hold", json={"key": k, "seconds": 0.6}) for k in keys)
            )
            assert [r.text for r in responses] == [f"held {k}" for k in keys]
            assert max(r.attempts for r in responses) >= 2
            assert [await client.call("runs", key=k) for k in keys] == [1, 1]

    asyncio.run(main())
