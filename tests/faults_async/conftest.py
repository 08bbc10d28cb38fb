"""Fixtures for the async fault tests: fault servers (those of tests/faults), AsyncHTTPClients
closed in their own event loop, and a leak check after every test (ResourceWarning,
descriptors, threads, temporary download folders, responses left open in httpx's pool).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# The fault servers and TLS files are tests/faults' fixtures (imported by name: pytest finds them here).
from faults.conftest import (  # noqa: E402, F401
    ipv6_server,
    other_host,
    other_port,
    private_tempdir,
    server,
    snapshot,
    tls_files,
    tls_server,
)
from faultserver import FaultServer  # noqa: E402

from .support import AsyncClients, assert_no_leaks  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its servers stopped): nothing of the test is left open."""
    before = snapshot()
    yield
    assert_no_leaks(before)


#: Every async fault test runs on the default transport (httpx's pool) and on the opt-in
#: asyncio-streams one (``transport=AsyncioTransport(url)``).
TRANSPORTS = ["httpx", "asyncio"]


def async_clients(url: str, transport: str = "httpx") -> Iterator[AsyncClients]:
    """The ``clients`` harness for ``url`` (for fixtures: ``yield from``)."""
    clients = AsyncClients(url, transport)
    yield clients
    for client in clients.made:  # clients.run() closed them; a test that never ran one is a bug
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"


@pytest.fixture(params=TRANSPORTS)
def clients(server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:  # noqa: F811
    """Build AsyncHTTPClients for ``server``; ``clients.run(main)`` runs a test's coroutine."""
    yield from async_clients(server.url, request.param)


@pytest.fixture(params=TRANSPORTS)
def ipv6_clients(ipv6_server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:  # noqa: F811
    yield from async_clients(ipv6_server.url, request.param)


@pytest.fixture(params=TRANSPORTS)
def tls_clients(tls_server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:  # noqa: F811
    yield from async_clients(tls_server.url, request.param)
