"""What only SyncHTTPClient has, against a real ``bentoml serve`` (the Wire service).

Hand-written: threads sharing one client (the async twin gathers tasks on one event loop, in
``async_client/test_async_client.py``, marked async-only there), the transport class behind it,
and pickling a client that is set up (an async client pickles around ``setup()``, async-only).
The other client tests, ``test_sync_client.py``, are generated from the async ones.
"""

from __future__ import annotations

import pickle
import threading

from pools import pool_of

import bentoclient
from bentoclient import SyncHTTPClient


def test_client_cls_is_the_transport() -> None:
    assert SyncHTTPClient.client_cls is bentoclient._transport.HTTPTransport


def test_threads_share_one_client(wire_url: str) -> None:
    errors: list[BaseException] = []
    with SyncHTTPClient(wire_url, max_connections=4) as client:

        def work(worker: int) -> None:
            try:
                for i in range(25):
                    text = f"{worker}-{i}"
                    assert client.text(text) == text
            except BaseException as e:  # collected and re-checked in the main thread
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert pool_of(client).idle_connections <= 4


def test_client_pickles_and_works(wire_url: str) -> None:
    with SyncHTTPClient(wire_url, token="tok") as client:
        client.text("warm")
        copy = pickle.loads(pickle.dumps(client))
        try:
            assert copy.text("again") == "again"
            assert copy.headers()["authorization"] == "Bearer tok"
        finally:
            copy.close()
