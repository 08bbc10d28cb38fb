"""Fixtures for the async stream fault tests: the streaming fault server of tests/faults_stream,
AsyncHTTPClients closed in their own event loop (tests/faults_async), and the same leak check.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import private_tempdir, running, snapshot  # noqa: E402, F401  # private_tempdir: a fixture
from faults_async.support import AsyncClients, assert_no_leaks  # noqa: E402
from faults_stream.streaming import serve_streams  # noqa: E402
from faultserver import FaultServer  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its server stopped): nothing of the test is left open."""
    before = snapshot()
    yield
    assert_no_leaks(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``faults_stream.streaming``."""
    yield from running(serve_streams(FaultServer()))


@pytest.fixture(params=["httpx", "asyncio"])
def clients(server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:
    """Build AsyncHTTPClients for ``server`` on the default transport (httpx's pool) and on the
    opt-in ``AsyncioTransport``; ``clients.run(main)`` runs a test's coroutine."""
    clients = AsyncClients(server.url, request.param)
    yield clients
    for client in clients.made:
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"
