"""Helpers of the sync fault tests that are generated from the async ones (tools/unasync.py).

``SyncClients`` is the sync side of ``tests/faults_async/support.py``'s harness, with the same
surface, so that one test body serves both clients: ``clients()`` builds a client (the sync
constructor waits for readiness and reads the schema), ``clients.ready()`` the same,
``clients.run(main)`` calls ``main`` and then closes every client, failing if one still held a
connection slot (a response never closed).  Hand-written: the two harnesses differ in what they
run the test body in (an event loop or none) and in how they look into each transport's pool.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional, TypeVar

from bentoclient import SyncHTTPClient
from bentoclient.transport import HTTPTransport

from .conftest import FAST_RETRY, QUICK, TLSFiles, assert_pool_clean

T = TypeVar("T")

__all__ = [
    "FAST_RETRY",
    "QUICK",
    "SyncClients",
    "TLSFiles",
    "open_connections",
    "open_responses",
    "sync_sleep",
]

#: What ``async_sleep`` is to the async tests.
sync_sleep = time.sleep


def _pool(client: SyncHTTPClient) -> HTTPTransport:
    transport = client._transport
    assert isinstance(transport, HTTPTransport), f"{client!r} does not send through the default pool"
    return transport


def open_responses(client: SyncHTTPClient) -> int:
    """Responses of ``client`` never closed: each still holds a connection slot of the pool."""
    transport = _pool(client)
    return transport.max_connections - transport._slots._value


def open_connections(client: SyncHTTPClient) -> int:
    """Connections of ``client`` still open: the pooled idle ones and those a response holds."""
    return _pool(client).idle_connections + open_responses(client)


class SyncClients:
    """Builds the SyncHTTPClients of one test and closes them when its body ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made: list[SyncHTTPClient] = []

    def __call__(self, url: Optional[str] = None, **options: Any) -> SyncHTTPClient:
        options.setdefault("timeout", QUICK)
        options.setdefault("retry", FAST_RETRY)
        client = SyncHTTPClient(url or self.url, **options)
        self.made.append(client)
        return client

    def ready(self, url: Optional[str] = None, **options: Any) -> SyncHTTPClient:
        client = self(url, **options)
        client.setup()  # done by the constructor already: a no-op, as on a set-up async client
        return client

    def run(self, main: Callable[[], T]) -> T:
        try:
            result = main()
        except BaseException:
            self.close_all(check=False)  # the test's own failure is the one to see
            raise
        self.close_all()
        return result

    def close_all(self, *, check: bool = True) -> None:
        """Close every client; fail if one still had a response open (a connection slot kept)."""
        left = [(client.url, n) for client in self.made if (n := open_responses(client))]
        for client in self.made:
            client.close()
        assert not (check and left), f"responses never closed (connections not given back): {left}"
        if check:
            for client in self.made:
                assert_pool_clean(client)
