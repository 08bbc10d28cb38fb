"""AsyncHTTPClient and proxies.

The client resolves ``proxy=`` and the environment exactly as the sync client does (one
driver) and hands the :class:`~bentoclient.transport.ProxyConfig` to its default transport as
``proxy=``.  A default transport that takes no ``proxy`` keyword cannot honour it, so the
client refuses to start rather than silently connecting directly; one that takes it is run
through the real forward proxy of ``tests/proxyserver.py`` like the sync client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from faultserver import FaultServer
from proxyserver import ForwardProxy

import bentoclient_async
from bentoclient import exceptions as exc
from bentoclient._backends import _takes_keyword
from bentoclient_async import AsyncHTTPClient

from .support import FAST_RETRY, QUICK, TLSFiles

ROWS = [[1, 2, 3], [9, 9, 9]]
LABELS = [0, 1]
TOKEN = "service-token-async-51c"

TAKES_PROXY = _takes_keyword(bentoclient_async.default_transport, "proxy")  # the default transport's factory
needs_proxy_support = pytest.mark.skipif(not TAKES_PROXY, reason="the default async transport takes no proxy yet")
without_proxy_support = pytest.mark.skipif(TAKES_PROXY, reason="the default async transport takes a proxy")


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy(auth=("alice", "pw")) as running:
        yield running
    assert not running.errors, running.errors


@without_proxy_support
def test_a_proxy_the_transport_cannot_use_is_refused(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(exc.MissingDependencyError) as info:
        AsyncHTTPClient(server.url, proxy="http://alice:topsecret@127.0.0.1:3128")
    message = str(info.value)
    assert "cannot use a proxy yet" in message
    assert "http://alice:***@127.0.0.1:3128 (from proxy=)" in message
    assert "topsecret" not in message
    assert info.value.package == "bentoclient-async"
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    with pytest.raises(exc.MissingDependencyError, match=r"HTTP_PROXY environment variable.*trust_env=False"):
        AsyncHTTPClient(server.url)


@without_proxy_support
def test_without_a_proxy_the_transport_is_made_as_before(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")

    async def main() -> None:
        async with AsyncHTTPClient(server.url, timeout=QUICK, trust_env=False) as client:
            assert await client.info() == {"ok": True}
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncHTTPClient(server.url, timeout=QUICK) as client:
            assert await client.info() == {"ok": True}

    asyncio.run(main())


@needs_proxy_support
def test_http_service_through_the_proxy(
    server: FaultServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", proxy.url_with("alice", "pw"))

    async def main() -> None:
        async with AsyncHTTPClient(server.url, timeout=QUICK, retry=FAST_RETRY, token=TOKEN) as client:
            assert await client.classify(ROWS) == LABELS

    asyncio.run(main())
    assert [s.target for s in proxy.seen] == [f"{server.url}{p}" for p in ("/readyz", "/schema.json", "/classify")]
    assert all(s.header("proxy-authorization") == "Basic YWxpY2U6cHc=" for s in proxy.seen)
    assert all(r.header("proxy-authorization") is None for r in server.requests)


@needs_proxy_support
def test_https_service_through_a_connect_tunnel(
    tls_server: FaultServer, proxy: ForwardProxy, tls_files: TLSFiles
) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(
            tls_server.url, verify=tls_files.ca, proxy=proxy.url_with("alice", "pw"), timeout=QUICK, token=TOKEN
        ) as client:
            assert await client.classify(ROWS) == LABELS
            assert await client.classify(ROWS) == LABELS

    asyncio.run(main())
    assert [(s.method, s.target) for s in proxy.seen] == [("CONNECT", f"127.0.0.1:{tls_server.port}")]
    assert TOKEN.encode() not in proxy.tunnelled
    assert all(r.header("proxy-authorization") is None for r in tls_server.requests)


@needs_proxy_support
def test_407_is_a_typed_refusal(server: FaultServer, proxy: ForwardProxy) -> None:
    async def main() -> None:
        client = AsyncHTTPClient(server.url, proxy=proxy.url_with("alice", "wrong-pw-9"), timeout=QUICK)
        with pytest.raises(exc.ProxyError) as info:
            async with client:
                pass
        assert info.value.status_code == 407
        assert "wrong-pw-9" not in str(info.value)

    asyncio.run(main())
    assert server.requests == []
