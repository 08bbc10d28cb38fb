"""Fixtures for the sync stream fault tests: a fault server with streaming endpoints, clients
that are always closed and checked, and a leak check after every test (ResourceWarning,
descriptors, threads, temporary folders, pooled connections).
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import (  # noqa: E402
    FAST_RETRY,
    QUICK,
    assert_nothing_leaked,
    assert_pool_clean,
    private_tempdir,  # noqa: F401  # a fixture, used by this folder's tests
    running,
    snapshot,
)
from faultserver import FaultServer  # noqa: E402

from bentoclient import SyncHTTPClient  # noqa: E402

from .streaming import serve_streams  # noqa: E402

if TYPE_CHECKING:
    from faults.support import SyncClients

ClientFactory = Callable[..., SyncHTTPClient]


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its server stopped): nothing of the test is left open,
    and nothing was left for the garbage collector to close (a ``ResourceWarning``)."""
    before = snapshot()
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    if unclosed:
        pytest.fail(f"ResourceWarning (closed only by the garbage collector): {unclosed}")
    assert_nothing_leaked(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``streaming.STREAM_SCHEMA``."""
    yield from running(serve_streams(FaultServer()))


@pytest.fixture
def make_client(server: FaultServer) -> Iterator[ClientFactory]:
    """Build clients for ``server`` (quick timeouts, fast retries); all closed and checked after."""
    clients: list[SyncHTTPClient] = []

    def make(url: Optional[str] = None, **options: Any) -> SyncHTTPClient:
        options.setdefault("timeout", QUICK)
        options.setdefault("retry", FAST_RETRY)
        client = SyncHTTPClient(url or server.url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for client in clients:
        assert_pool_clean(client)


@pytest.fixture
def clients(server: FaultServer) -> Iterator[SyncClients]:
    """The generated tests' harness (tests/faults/support.py) for ``server``."""
    from faults.support import SyncClients

    clients = SyncClients(server.url)
    yield clients
    for client in clients.made:  # clients.run() closed them; a test that never ran one is a bug
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"
