"""AsyncHTTPClient and proxies.

The client resolves ``proxy=`` and the environment exactly as the sync client does (one
driver) and hands the :class:`~bentoclient.transport.ProxyConfig` to its default transport as
``proxy=``.  A default transport that takes no ``proxy`` keyword cannot honour it, so the
client refuses to start rather than silently connecting directly; one that takes it is run
through the real forward proxy of ``tests/proxyserver.py`` like the sync client.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from faultserver import FaultServer
from proxyserver import ForwardProxy, closed_port

import bentoclient_async
from bentoclient import NO_RETRY
from bentoclient import exceptions as exc
from bentoclient._backends import _takes_keyword
from bentoclient_async import AsyncHTTPClient, AsyncioTransport

from .support import FAST_RETRY, QUICK, TLSFiles

ROWS = [[1, 2, 3], [9, 9, 9]]
LABELS = [0, 1]
TOKEN = "service-token-async-51c"


@pytest.fixture
def older_async_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bentoclient-async whose default transport takes no proxy (an older release in range)."""
    real = bentoclient_async.default_transport

    def default_transport(address: Any, *, max_connections: int, verify: Any) -> Any:
        return real(address, max_connections=max_connections, verify=verify)

    monkeypatch.setattr(bentoclient_async, "default_transport", default_transport)
    assert not _takes_keyword(bentoclient_async.default_transport, "proxy")


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy(auth=("alice", "pw")) as running:
        yield running
    assert not running.errors, running.errors


@pytest.mark.usefixtures("older_async_package")
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


@pytest.mark.usefixtures("older_async_package")
def test_without_a_proxy_the_transport_is_made_as_before(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")

    async def main() -> None:
        async with AsyncHTTPClient(server.url, timeout=QUICK, trust_env=False) as client:
            assert await client.info() == {"ok": True}
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncHTTPClient(server.url, timeout=QUICK) as client:
            assert await client.info() == {"ok": True}

    asyncio.run(main())


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


def test_the_default_transport_takes_a_proxy() -> None:
    assert _takes_keyword(bentoclient_async.default_transport, "proxy")


def test_no_proxy_bypasses_the_proxy(server: FaultServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url_with("alice", "pw"))
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")

    async def main() -> None:
        async with AsyncHTTPClient(server.url, timeout=QUICK) as client:
            assert await client.classify(ROWS) == LABELS

    asyncio.run(main())
    assert proxy.seen == []


def test_403_on_connect_is_a_typed_refusal(
    tls_server: FaultServer, tls_files: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ForwardProxy(forbid=True) as forbidding:
        monkeypatch.setenv("HTTPS_PROXY", forbidding.url_with("bob", "hunter2"))

        async def main() -> None:
            with pytest.raises(exc.ProxyError) as info:
                async with AsyncHTTPClient(tls_server.url, verify=tls_files.ca, timeout=QUICK, server_ready_timeout=5):
                    pass  # pragma: no cover
            message = str(info.value)
            assert info.value.status_code == 403
            assert f"http://bob:***@127.0.0.1:{forbidding.port}" in message
            assert "hunter2" not in message
            assert "NO_PROXY" in message

        asyncio.run(main())
    assert tls_server.requests == []


@pytest.mark.parametrize("answer", [b"", b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 200 OK\r\n" + b"x" * 70_000])
def test_a_broken_answer_to_connect_is_a_proxy_error(
    tls_server: FaultServer, tls_files: TLSFiles, answer: bytes
) -> None:
    with ForwardProxy(connect_raw=answer) as broken:

        async def main() -> None:
            client = AsyncHTTPClient(
                tls_server.url,
                verify=tls_files.ca,
                proxy=broken.url,
                timeout=QUICK,
                server_ready_timeout=0,
                retry=NO_RETRY,
            )
            with pytest.raises(exc.ProxyError, match="broke off the CONNECT exchange") as info:
                async with client:
                    pass  # pragma: no cover
            assert info.value.status_code is None

        asyncio.run(main())
    assert tls_server.requests == []


def test_proxy_down_is_a_typed_error_quickly(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", f"http://carol:s3cr3t-pw@127.0.0.1:{closed_port()}")

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ProxyError) as info:
            async with AsyncHTTPClient(server.url, timeout=QUICK, server_ready_timeout=0, retry=FAST_RETRY):
                pass  # pragma: no cover
        assert time.monotonic() - started < 3
        message = str(info.value)
        assert info.value.request_sent is False
        assert "ALL_PROXY" in message
        assert "s3cr3t-pw" not in message

    asyncio.run(main())
    assert server.requests == []


def test_proxy_that_never_answers_connect_is_a_connect_timeout(tls_server: FaultServer, tls_files: TLSFiles) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"

        async def main() -> None:
            started = time.monotonic()
            client = AsyncHTTPClient(
                tls_server.url, verify=tls_files.ca, proxy=url, timeout=0.5, server_ready_timeout=0, retry=NO_RETRY
            )
            with pytest.raises(exc.ConnectTimeout, match="through the proxy"):
                async with client:
                    pass  # pragma: no cover
            assert time.monotonic() - started < 3

        asyncio.run(main())


# --- the opt-in AsyncioTransport takes proxy= itself --------------------------------------------


def test_asyncio_transport_sends_http_through_the_proxy(server: FaultServer, proxy: ForwardProxy) -> None:
    async def main() -> None:
        transport = AsyncioTransport(server.url, proxy=proxy.url_with("alice", "pw"))
        async with AsyncHTTPClient(server.url, transport=transport, timeout=QUICK, token=TOKEN) as client:
            assert await client.classify(ROWS) == LABELS

    asyncio.run(main())
    assert [s.target for s in proxy.seen] == [f"{server.url}{p}" for p in ("/readyz", "/schema.json", "/classify")]
    assert all(s.header("proxy-authorization") == "Basic YWxpY2U6cHc=" for s in proxy.seen)
    assert all(r.header("proxy-authorization") is None for r in server.requests)


def test_asyncio_transport_tunnels_https_with_connect(
    tls_server: FaultServer, proxy: ForwardProxy, tls_files: TLSFiles
) -> None:
    async def main() -> None:
        transport = AsyncioTransport(tls_server.url, verify=tls_files.ca, proxy=proxy.url_with("alice", "pw"))
        async with AsyncHTTPClient(tls_server.url, transport=transport, timeout=QUICK, token=TOKEN) as client:
            assert await client.classify(ROWS) == LABELS

    asyncio.run(main())
    assert [(s.method, s.target) for s in proxy.seen] == [("CONNECT", f"127.0.0.1:{tls_server.port}")]
    assert TOKEN.encode() not in proxy.tunnelled


@pytest.mark.parametrize("tunnel", [False, True], ids=["http-407", "https-403"])
def test_asyncio_transport_proxy_refusals_are_typed(
    server: FaultServer, tls_server: FaultServer, tls_files: TLSFiles, tunnel: bool
) -> None:
    with ForwardProxy(auth=None if tunnel else ("alice", "pw"), forbid=tunnel) as refusing:
        url = tls_server.url if tunnel else server.url

        async def main() -> None:
            transport = AsyncioTransport(url, verify=tls_files.ca, proxy=refusing.url_with("alice", "wrong-pw-9"))
            client = AsyncHTTPClient(url, transport=transport, timeout=QUICK, retry=NO_RETRY, server_ready_timeout=0)
            with pytest.raises(exc.ProxyError) as info:
                async with client:
                    pass  # pragma: no cover
            assert info.value.status_code == (403 if tunnel else 407)
            assert "wrong-pw-9" not in str(info.value)

        asyncio.run(main())
    assert server.requests == []
    assert tls_server.requests == []


@pytest.mark.parametrize("answer", [b"", b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 200 OK\r\n" + b"x" * 70_000])
def test_asyncio_transport_broken_answer_to_connect_is_a_proxy_error(
    tls_server: FaultServer, tls_files: TLSFiles, answer: bytes
) -> None:
    with ForwardProxy(connect_raw=answer) as broken:

        async def main() -> None:
            transport = AsyncioTransport(tls_server.url, verify=tls_files.ca, proxy=broken.url)
            client = AsyncHTTPClient(
                tls_server.url, transport=transport, timeout=QUICK, server_ready_timeout=0, retry=NO_RETRY
            )
            with pytest.raises(exc.ProxyError, match="broke off the CONNECT exchange") as info:
                async with client:
                    pass  # pragma: no cover
            assert info.value.status_code is None
            assert info.value.__cause__ is not None or answer in (b"", b"SSH-2.0-OpenSSH_9.6\r\n")

        asyncio.run(main())
    assert tls_server.requests == []
