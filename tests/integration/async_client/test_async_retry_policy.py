"""Calls run once unless asked: the retry policy against real ``bentoml serve`` processes.

``tests/services/runs.py`` counts how often its code ran.  A 503 the service raises and a
500 run the code once per default call, on both clients; with the opt-in they run again.
BentoML's own overload rejection (``max_concurrency`` reached: a 429 before dispatch) is
retried by default, and the call then succeeds, having run once.  The sync tests,
``tests/integration/test_retry_policy.py``, are generated from these (tools/unasync.py); the
sync client's overload tests, with threads, are in ``test_sync_only_retry_policy.py`` there.
"""

from __future__ import annotations

import asyncio  # async-only
import uuid

import pytest

from bentoclient import Backoff, Retry
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient

QUICK = Backoff(initial=0.05, factor=1.0, maximum=0.05, jitter=0.0)
#: The default policy's rules with a quick back-off (the statuses are the defaults).
DEFAULT_RULES = Retry(backoff=QUICK)
#: The opt-in: retry a 503 or 500 even when the service's own code answered it.
SERVICE_ERRORS_TOO = Retry(backoff=QUICK, extra_statuses=frozenset({500, 503}))
#: Enough patience for a 0.6 s call holding the only slot.
PATIENT = Retry(total=20, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))  # async-only


def key() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize(
    ("endpoint", "error"), [("unavailable", exc.ServiceUnavailable), ("broken", exc.InternalServerError)]
)
def test_default_call_runs_the_service_code_once(runs_url: str, endpoint: str, error: type[Exception]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(runs_url) as client:  # the default policy, as users get it
            k = key()
            with pytest.raises(error) as info:
                await client.call(endpoint, key=k)
            assert info.value.attempts == 1  # type: ignore[attr-defined]  # HTTPStatusError subclasses have it
            assert await client.call("runs", key=k) == 1

    asyncio.run(main())  # async-only
    # sync-only: main()


@pytest.mark.parametrize(
    ("endpoint", "error"), [("unavailable", exc.ServiceUnavailable), ("broken", exc.InternalServerError)]
)
def test_opt_in_retries_what_the_service_raised(runs_url: str, endpoint: str, error: type[Exception]) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(runs_url, retry=SERVICE_ERRORS_TOO) as client:
            k = key()
            with pytest.raises(error) as info:
                await client.call(endpoint, key=k)
            assert info.value.attempts == 3  # type: ignore[attr-defined]  # HTTPStatusError subclasses have it
            assert await client.runs(key=k) == 3
            assert (await client.flaky(key=key(), failures=2)).startswith("done")

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_a_flaky_service_503_is_not_retried_by_default(runs_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(runs_url, retry=DEFAULT_RULES) as client:
            k = key()
            with pytest.raises(exc.ServiceUnavailable) as info:
                await client.flaky(key=k, failures=1)
            assert info.value.request_id  # BentoML's mark of a dispatched call: the service ran it
            assert await client.runs(key=k) == 1

    asyncio.run(main())  # async-only
    # sync-only: main()


# async-only: begin
# Concurrent calls as tasks on one event loop; the sync client's, with threads:
# tests/integration/test_sync_only_retry_policy.py.
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


# async-only: end
