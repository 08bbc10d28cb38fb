"""``SyncHTTPClient.map()`` against a real ``bentoml serve`` (examples/service.py: Demo).

Stopping early (``break``, leaving a ``with`` block, Ctrl-C) gives every connection back to
the pool, read from ``HTTPTransport``'s counters: no connection checked out, at most
``max_connections`` idle, and no ``bentoclient-map`` thread left.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pools import pool_of

from bentoclient import MapError, SyncHTTPClient
from bentoclient import exceptions as exc

CONCURRENCY = 6


def endless() -> Iterator[dict[str, str]]:
    n = 0
    while True:
        yield {"text": f"Item {n}. Tail."}
        n += 1


def checked_out(client: SyncHTTPClient) -> int:
    pool = pool_of(client)
    return pool.max_connections - pool._slots._value  # the free slots of the pool's semaphore


def drain_for(results: Iterator[Any], seconds: float) -> None:
    """Read ``results`` for at most ``seconds``, then fail: a test never waits for ever."""
    deadline = time.monotonic() + seconds
    for _ in results:
        if time.monotonic() > deadline:
            pytest.fail(f"still running {seconds} s later: no KeyboardInterrupt arrived")


def map_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bentoclient-map")]


def test_results_in_order_and_a_typed_error_per_bad_input(demo_url: str) -> None:
    rows: list[dict[str, Any]] = [{"input_series": [[9.0, 9.0]] if n % 3 else [[1.0]]} for n in range(60)]
    rows[31] = {"input_series": "not rows"}
    with SyncHTTPClient(demo_url, max_connections=CONCURRENCY) as client:
        out = list(client.map("classify", rows, concurrency=CONCURRENCY, return_exceptions=True))
        assert checked_out(client) == 0
    assert [n for n, r in enumerate(out) if isinstance(r, MapError)] == [31]
    error = out[31]
    assert isinstance(error, MapError)
    assert isinstance(error.exception, exc.InvalidArgument)
    assert all(out[n] == ([1] if n % 3 else [0]) for n in range(60) if n != 31)


def test_break_gives_back_every_connection(demo_url: str) -> None:
    with SyncHTTPClient(demo_url, max_connections=CONCURRENCY) as client:
        for n, summary in enumerate(client.map("summarize", endless(), concurrency=CONCURRENCY)):
            assert summary == f"Item {n}."
            if n == 100:
                break
        assert map_threads() == []
        assert checked_out(client) == 0
        assert 1 <= pool_of(client).idle_connections <= CONCURRENCY
        with client.map("summarize", endless(), concurrency=CONCURRENCY) as results:
            assert next(results) == "Item 0."
        assert map_threads() == []
        assert checked_out(client) == 0


@pytest.mark.parametrize("concurrency", [1, CONCURRENCY])
def test_ctrl_c_stops_the_map_and_gives_back_every_connection(demo_url: str, concurrency: int) -> None:
    with SyncHTTPClient(demo_url, max_connections=CONCURRENCY) as client:
        results = client.map("summarize", endless(), concurrency=concurrency)
        assert next(results) == "Item 0."  # running: calls in flight in the workers
        # Python's own Ctrl-C handler, whatever the run started with: a run started in the
        # background by a non-interactive shell, by nohup or by some CI runners ignores SIGINT.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        started = time.monotonic()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                drain_for(results, seconds=30)  # endless: only the interrupt ends it in time
        finally:
            timer.cancel()
            signal.signal(signal.SIGINT, previous)
        assert time.monotonic() - started < 10  # the calls in flight finished promptly
        assert map_threads() == []
        assert checked_out(client) == 0
        assert pool_of(client).idle_connections <= CONCURRENCY
        assert results.done >= 1
        assert results.started == results.done + results.stopped  # the counts add up
        assert results.stopped <= concurrency
        with pytest.raises(StopIteration):
            next(results)  # the map is over
        assert client.summarize("Still. Works.") == "Still."
