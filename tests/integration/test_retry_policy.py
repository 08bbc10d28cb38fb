"""Calls run once unless asked: the retry policy against real ``bentoml serve`` processes.

``tests/services/runs.py`` counts how often its code ran.  A 503 the service raises and a
500 run the code once per default call, on both clients; with the opt-in they run again.
BentoML's own overload rejection (``max_concurrency`` reached: a 429 before dispatch) is
retried by default, and the call then succeeds, having run once.  The async client's half
is ``async_client/test_async_retry_policy.py``.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from bentoclient import Backoff, Retry, SyncHTTPClient
from bentoclient import exceptions as exc

QUICK = Backoff(initial=0.05, factor=1.0, maximum=0.05, jitter=0.0)
#: The default policy's rules with a quick back-off (the statuses are the defaults).
DEFAULT_RULES = Retry(backoff=QUICK)
#: The opt-in: retry a 503 or 500 even when the service's own code answered it.
SERVICE_ERRORS_TOO = Retry(backoff=QUICK, extra_statuses=frozenset({500, 503}))
#: Enough patience for a 0.6 s call holding the only slot.
PATIENT = Retry(total=20, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))


def key() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize(
    ("endpoint", "error"), [("unavailable", exc.ServiceUnavailable), ("broken", exc.InternalServerError)]
)
def test_sync_default_call_runs_the_service_code_once(runs_url: str, endpoint: str, error: type[Exception]) -> None:
    with SyncHTTPClient(runs_url) as client:  # the default policy, as users get it
        k = key()
        with pytest.raises(error) as info:
            client.call(endpoint, key=k)
        assert info.value.attempts == 1  # type: ignore[attr-defined]  # HTTPStatusError subclasses have it
        assert client.runs(key=k) == 1


def test_sync_opt_in_retries_what_the_service_raised(runs_url: str) -> None:
    with SyncHTTPClient(runs_url, retry=SERVICE_ERRORS_TOO) as client:
        k = key()
        with pytest.raises(exc.ServiceUnavailable) as info:
            client.unavailable(key=k)
        assert info.value.attempts == 3
        assert client.runs(key=k) == 3
        assert client.flaky(key=key(), failures=2).startswith("done")


def test_a_flaky_service_503_is_not_retried_by_default(runs_url: str) -> None:
    with SyncHTTPClient(runs_url, retry=DEFAULT_RULES) as client:
        k = key()
        with pytest.raises(exc.ServiceUnavailable) as info:
            client.flaky(key=k, failures=1)
        assert info.value.request_id  # BentoML's mark of a dispatched call: the service ran it
        assert client.runs(key=k) == 1


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
