"""Fixtures for the async fault tests: fault servers, AsyncHTTPClients closed in their own event
loop, TLS files, and a leak check after every test (ResourceWarning, descriptors, threads,
temporary download folders, responses left open in httpx's pool).
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import private_tempdir, serve_at, serve_ipv6, snapshot  # noqa: E402, F401  # private_tempdir: a fixture
from faultserver import OTHER_HOST, FaultServer  # noqa: E402

from .support import AsyncClients, TLSFiles, assert_no_leaks, make_tls_files  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its servers stopped): nothing of the test is left open."""
    before = snapshot()
    yield
    assert_no_leaks(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1, stopped at the end of the test."""
    yield from serve_at()


@pytest.fixture
def other_host() -> Iterator[FaultServer]:
    """A second fault server on another host (127.0.0.2): redirects must never reach it."""
    yield from serve_at(OTHER_HOST)


@pytest.fixture
def other_port() -> Iterator[FaultServer]:
    """A second fault server on 127.0.0.1 but another port."""
    yield from serve_at()


#: Every async fault test runs on the default transport (httpx's pool) and on the opt-in
#: h11-on-asyncio one (``transport=AsyncioTransport(url)``).
TRANSPORTS = ["httpx", "asyncio"]


def _clients(url: str, transport: str = "httpx") -> Iterator[AsyncClients]:
    clients = AsyncClients(url, transport)
    yield clients
    for client in clients.made:  # clients.run() closed them; a test that never ran one is a bug
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"


@pytest.fixture(params=TRANSPORTS)
def clients(server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:
    """Build AsyncHTTPClients for ``server``; ``clients.run(main)`` runs a test's coroutine."""
    yield from _clients(server.url, request.param)


@pytest.fixture
def ipv6_server() -> Iterator[FaultServer]:
    """A fault server on the IPv6 loopback ``[::1]``."""
    yield from serve_ipv6()


@pytest.fixture(params=TRANSPORTS)
def ipv6_clients(ipv6_server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:
    yield from _clients(ipv6_server.url, request.param)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A throwaway CA and a server certificate for IP 127.0.0.1, made with openssl now."""
    return make_tls_files(tmp_path_factory.mktemp("async-certs"))


@pytest.fixture
def tls_server(tls_files: TLSFiles) -> Iterator[FaultServer]:
    """A fault server speaking HTTPS with the test CA's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    yield from serve_at(tls=context)


@pytest.fixture(params=TRANSPORTS)
def tls_clients(tls_server: FaultServer, request: pytest.FixtureRequest) -> Iterator[AsyncClients]:
    yield from _clients(tls_server.url, request.param)
