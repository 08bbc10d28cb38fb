"""The sync client's own faults: what has no async twin in ``tests/faults_async``.

Hand-written, and kept apart from the generated ``test_faults.py``, because they really
differ between the clients: concurrency through threads sharing one client (the async tests
use tasks on one event loop: ``asyncio.gather``/``ensure_future``, marked async-only in the
source), the keep-alive expiry of the standard-library pool (``bentoclient._transport``), and
the checks of this folder's own leak and pool helpers.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from faultserver import FaultServer, drip
from pools import pool_of

import bentoclient._transport
from bentoclient import NO_RETRY, SyncHTTPClient, Timeout
from bentoclient import exceptions as exc

from .conftest import QUICK, ClientFactory

ROWS = [[1, 2, 3], [9, 9, 9]]  # classify -> [0, 1]
LABELS = [0, 1]


def test_idle_connection_expires_before_the_server_drops_it(
    server: FaultServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bentoclient._transport, "KEEPALIVE_EXPIRY", 0.1)
    client = make_client()
    assert client.classify(ROWS) == LABELS
    time.sleep(0.2)
    assert client.classify(ROWS) == LABELS
    first, second = server.requests_for("/classify")
    assert second.connection != first.connection


def test_pool_bounds_connections_under_threads(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=2)
    server.set_default("/classify", drip(b"[0, 1]", 0.01))
    results: list[Any] = []

    def work() -> None:
        for _ in range(3):
            results.append(client.classify(ROWS))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == [LABELS] * 18
    assert server.connections <= 2
    assert pool_of(client).idle_connections <= 2


def test_pool_timeout_when_every_connection_is_busy(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=3, write=2, pool=0.1))
    server.script("/classify", drip(b"[0, 1]", 0.2))
    holder = threading.Thread(target=client.classify, args=(ROWS,))
    holder.start()
    time.sleep(0.2)
    try:
        with pytest.raises(exc.PoolTimeout) as info:
            client.info()
        assert info.value.request_sent is False
        assert info.value.attempts == 3  # nothing was sent: retried as a connect failure
    finally:
        holder.join(10)


def test_a_timeout_message_gives_the_seconds_as_the_async_client_does(
    server: FaultServer, make_client: ClientFactory
) -> None:
    # "busy for 1 s", not "1.0 s": the same text as AsyncHTTPClient's transports.
    client = make_client(max_connections=1, retry=NO_RETRY, timeout=Timeout(connect=2, read=3, write=2, pool=1.0))
    server.script("/classify", drip(b"[0, 1]", 0.4))
    holder = threading.Thread(target=client.classify, args=(ROWS,))
    holder.start()
    time.sleep(0.2)
    try:
        with pytest.raises(exc.PoolTimeout, match=r"stayed busy for 1 s$"):
            client.info()
    finally:
        holder.join(10)


# --- this folder's leak and pool checks themselves --------------------------------------------------------------


def test_pool_check_sees_a_slot_never_released(server: FaultServer) -> None:
    from bentoclient._models import Request

    from .conftest import assert_pool_clean

    client = SyncHTTPClient(server.url, timeout=QUICK)
    response = pool_of(client).send(Request("GET", "/info"), QUICK)
    client.close()
    with pytest.raises(AssertionError, match="never released"):
        assert_pool_clean(client)
    response.close()
    assert_pool_clean(client)


def test_leak_check_sees_an_open_descriptor() -> None:
    from .conftest import assert_nothing_leaked, snapshot

    before = snapshot()
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        with pytest.raises(pytest.fail.Exception, match="file descriptors left open"):
            assert_nothing_leaked(before, grace=0)
    finally:
        os.close(fd)
