"""``SyncHTTPClient.map()`` over 10,000 inputs while the real ``bentoml serve`` restarts.

The server (``examples/service.py``: Demo) is stopped when a fifth of the calls are done and
started again on the same port.  With a retry policy that covers the outage, every input ends
with its own result; with ``NO_RETRY`` and ``return_exceptions=True`` every input ends with its
result or a typed ``MapError``.  Either way the map ends in bounded time, the counts add up,
and no connection, thread or file descriptor is left behind.  The async twin is in
``tests/integration/load_async``.
"""

from __future__ import annotations

import threading
import time

import pytest
from pools import pool_of
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

from bentoclient import NO_RETRY, Backoff, Retry, SyncHTTPClient, Timeout

# Long: its own time limit above the suite's default (pyproject.toml).
pytestmark = pytest.mark.timeout(900)

#: Enough retries, 0.1 s .. 1 s apart, to wait out a restart (~5-10 s on 2 busy cores).
SURVIVE = Retry(total=60, backoff=Backoff(initial=0.1, factor=2.0, maximum=1.0, jitter=0.1), retry_sent_requests=True)
LIMITS = Timeout(connect=5, read=20, write=20, pool=60, total=60)


def busy_connections(client: SyncHTTPClient) -> int:
    pool = pool_of(client)
    return pool.max_connections - pool._slots._value  # the free slots of the pool's semaphore


def test_sync_map_survives_a_restart_with_retries() -> None:
    fds = open_fds()
    threads = threading.active_count()
    with Restartable() as server:
        restart = RestartWhen(server, STOP_AT)
        with SyncHTTPClient(server.url, max_connections=CONCURRENCY, timeout=LIMITS, retry=SURVIVE) as client:
            started = time.monotonic()
            results = client.map(
                "summarize", (item(n) for n in range(ITEMS)), concurrency=CONCURRENCY, progress=restart.progress
            )
            out = list(results)
            elapsed = time.monotonic() - started
            restart.join()
            assert check_results(out, allow_errors=False) == (ITEMS, 0)
            assert (results.started, results.done, results.failed, results.yielded) == (ITEMS, ITEMS, 0, ITEMS)
            assert server.restarts == 1
            assert restart.done_at_stop is not None
            assert restart.done_at_start is not None
            assert restart.done_at_start < ITEMS  # the server came back with calls still to make
            assert elapsed < TIME_LIMIT
            assert busy_connections(client) == 0
            assert pool_of(client).idle_connections <= CONCURRENCY
            print(f"\n{ITEMS} calls through a restart in {elapsed:.1f} s; stopped at {restart.done_at_stop} done")
    assert leaked_fds(fds) == set()
    assert threading.active_count() <= threads


def test_sync_map_without_retries_ends_every_item_as_a_result_or_a_map_error() -> None:
    fds = open_fds()
    with Restartable() as server:
        restart = RestartWhen(server, STOP_AT)
        with SyncHTTPClient(server.url, max_connections=CONCURRENCY, timeout=LIMITS, retry=NO_RETRY) as client:
            started = time.monotonic()
            results = client.map(
                "summarize",
                (item(n) for n in range(ITEMS)),
                concurrency=CONCURRENCY,
                return_exceptions=True,
                progress=restart.progress,
            )
            out = list(results)
            elapsed = time.monotonic() - started
            ok, errors = check_results(out, allow_errors=True)
            assert ok >= STOP_AT
            assert errors > 0  # the outage is seen, item by item, as typed errors
            assert (results.done, results.failed, results.yielded) == (ITEMS, errors, ITEMS)
            assert elapsed < TIME_LIMIT
            assert busy_connections(client) == 0
            restart.join()
            # The restarted server serves the same client again.
            assert list(client.map("summarize", [item(1), item(2)])) == ["Item 1.", "Item 2."]
            print(
                f"\n{ITEMS} calls without retries through a restart in {elapsed:.1f} s: {ok} results, {errors} errors"
            )
    assert leaked_fds(fds) == set()
