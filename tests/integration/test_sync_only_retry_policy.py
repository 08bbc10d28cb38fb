"""The sync client's overload tests against a real ``bentoml serve`` (``max_concurrency`` 1).

Hand-written: concurrent calls through one SyncHTTPClient are threads (the async twin, in
``async_client/test_async_retry_policy.py``, gathers tasks on one event loop and is marked
async-only there).  The other retry-policy tests, ``test_retry_policy.py``, are generated from
the async ones.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from bentoclient import Backoff, Retry, SyncHTTPClient
from bentoclient import exceptions as exc

#: Enough patience for a 0.6 s call holding the only slot.
PATIENT = Retry(total=20, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))


def key() -> str:
    return uuid.uuid4().hex


def _both_succeed_with_one_run_each(client: Any, results: dict[str, Any], keys: list[str]) -> None:
    assert results == {k: f"held {k}" for k in keys}
    assert [client.runs(key=k) for k in keys] == [1, 1]


def test_sync_overload_rejection_is_retried_and_the_call_succeeds(busy_url: str) -> None:
    with SyncHTTPClient(busy_url, retry=PATIENT) as client:
        keys = [key(), key()]
        results: dict[str, Any] = {}
        attempts: dict[str, int] = {}

        def hold(k: str) -> None:
            response = client.request("POST", "/hold", json={"key": k, "seconds": 0.6})
            results[k], attempts[k] = response.text, response.attempts

        threads = [threading.Thread(target=hold, args=(k,)) for k in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        _both_succeed_with_one_run_each(client, results, keys)
        assert max(attempts.values()) >= 2  # one of them met the 429 and went again


def test_overload_rejection_without_retries_is_too_many_requests(busy_url: str) -> None:
    with SyncHTTPClient(busy_url, retry=PATIENT) as client:
        once = client.with_options(retry=Retry(total=0))
        k = key()
        errors: list[BaseException] = []
        holder = threading.Thread(target=lambda: client.hold(key=k, seconds=1.0))
        holder.start()
        try:
            for _ in range(40):  # until the holder has the slot: then the next call is turned away
                try:
                    once.hold(key=key(), seconds=0.0)
                except exc.TooManyRequests as err:
                    errors.append(err)
                    break
        finally:
            holder.join(60)
        assert errors, "the server never turned a call away"
        rejected = errors[0]
        assert isinstance(rejected, exc.TooManyRequests)
        assert rejected.request_id is None  # BentoML answered before dispatch
        assert rejected.attempts == 1
