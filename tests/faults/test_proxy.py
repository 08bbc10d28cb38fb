"""SyncHTTPClient through a real forward proxy on loopback (``tests/proxyserver.py``).

Plain-http services go to the proxy in absolute form; https services through a ``CONNECT``
tunnel, with TLS to the service inside it.  The proxy records what it saw, the fault
server what reached the service, so each test checks both sides: where the proxy's
credentials and the service's token went, and where they did not.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from typing import Any, Optional

import pytest
from faultserver import FaultServer
from pools import pool_of
from proxyserver import ForwardProxy, closed_port

from bentoclient import NO_RETRY, Retry, SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.transport import HTTPTransport, Request

from .conftest import QUICK, ClientFactory, TLSFiles

ROWS = [[1, 2, 3], [9, 9, 9]]  # classify -> [0, 1]
LABELS = [0, 1]
TOKEN = "service-token-7f3a"
PASSWORD = "pa:ss@w0rd"  # percent-encoded in the URL
PASSWORD_IN_URL = "pa%3Ass%40w0rd"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    yield from _running(ForwardProxy())


@pytest.fixture
def auth_proxy() -> Iterator[ForwardProxy]:
    yield from _running(ForwardProxy(auth=("alice", PASSWORD)))


def _running(proxy: ForwardProxy) -> Iterator[ForwardProxy]:
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
    assert not proxy.errors, f"proxy failed: {proxy.errors}"


def targets(proxy: ForwardProxy) -> list[str]:
    return [f"{seen.method} {seen.target}" for seen in proxy.seen]


def assert_no_secret(text: str) -> None:
    assert PASSWORD not in text, text
    assert PASSWORD_IN_URL not in text, text


# --- plain http: absolute form ------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_http_service_through_the_proxy_from_the_environment(
    server: FaultServer,
    proxy: ForwardProxy,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    monkeypatch.setenv(name, proxy.url)
    client = make_client()
    assert client.classify(ROWS) == LABELS
    assert client.classify(ROWS) == LABELS
    origin = server.url
    assert targets(proxy) == [
        f"GET {origin}/readyz",
        f"GET {origin}/schema.json",
        f"POST {origin}/classify",
        f"POST {origin}/classify",
    ]
    # The service sees its own Host and origin-form paths; the pool kept one connection to the proxy.
    assert [r.path for r in server.requests] == ["/readyz", "/schema.json", "/classify", "/classify"]
    assert {r.header("host") for r in server.requests} == {origin.split("://")[1]}
    assert proxy.connections == 1
    assert pool_of(client).proxy is not None


def test_lowercase_variable_wins_over_uppercase(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # down: must not be used
    monkeypatch.setenv("http_proxy", proxy.url)
    assert make_client().info() == {"ok": True}
    assert len(proxy.seen) == 3


def test_https_proxy_variable_is_not_used_for_an_http_service(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert make_client().info() == {"ok": True}
    assert proxy.seen == []
    assert len(server.requests) == 3


def test_empty_variable_means_no_proxy(
    server: FaultServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("http_proxy", "")  # set but empty: not set
    monkeypatch.setenv("all_proxy", "")  # an empty lowercase name hides the uppercase one
    assert make_client().info() == {"ok": True}


def test_explicit_proxy_option(server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory) -> None:
    client = make_client(proxy=proxy.url)
    assert client.info() == {"ok": True}
    assert targets(proxy)[-1] == f"POST {server.url}/info"
    assert repr(client).endswith(f"proxy={proxy.url!r}>")


def test_explicit_proxy_wins_over_the_environment_and_ignores_no_proxy(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "*")
    assert make_client(proxy=proxy.url).info() == {"ok": True}
    assert len(proxy.seen) == 3


def test_trust_env_false_ignores_the_environment(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    client = make_client(trust_env=False)
    assert client.info() == {"ok": True}
    assert proxy.seen == []
    assert pool_of(client).proxy is None


@pytest.mark.parametrize(
    "no_proxy",
    [
        "127.0.0.1",
        "example.com, 127.0.0.1",
        "127.0.0.1:{port}",
        "127.0.0.0/8",
        "*",
        "http://127.0.0.1",
        "::1,127.0.0.1:{port}",
    ],
)
def test_no_proxy_bypasses_the_proxy(
    server: FaultServer,
    proxy: ForwardProxy,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("no_proxy", no_proxy.format(port=server.port))
    assert make_client().info() == {"ok": True}
    assert proxy.seen == []
    assert len(server.requests) == 3


@pytest.mark.parametrize("no_proxy", ["127.0.0.2", "127.0.0.1:{other}", "10.0.0.0/8", "https://127.0.0.1", "0.0.1"])
def test_no_proxy_that_does_not_match_keeps_the_proxy(
    server: FaultServer,
    proxy: ForwardProxy,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(other=server.port + 1))
    assert make_client().info() == {"ok": True}
    assert len(proxy.seen) == 3


def test_no_proxy_host_name_and_domain_forms(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "localhost" resolves to this machine; the proxy is asked for it by name.
    url = f"http://localhost:{server.port}"
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", ".localhost")  # subdomains only, as httpx: localhost itself is proxied
    assert make_client(url).info() == {"ok": True}
    assert targets(proxy)[-1] == f"POST {url}/info"
    seen = len(proxy.seen)
    monkeypatch.setenv("NO_PROXY", f"example.com,LOCALHOST:{server.port}")
    assert make_client(url).info() == {"ok": True}
    assert len(proxy.seen) == seen


@pytest.mark.parametrize("no_proxy", ["localhost", "other.localhost", "svc.localhost:1", "127.0.0.1"])
def test_no_proxy_domain_that_does_not_match_goes_through_the_proxy(
    server: FaultServer,
    proxy: ForwardProxy,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    # svc.localhost need not resolve here: the proxy connects to it (as loopback), not the client.
    url = f"http://svc.localhost:{server.port}"
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert make_client(url).info() == {"ok": True}
    assert targets(proxy)[-1] == f"POST {url}/info"
    assert server.requests[-1].header("host") == f"svc.localhost:{server.port}"


@pytest.mark.parametrize("no_proxy", [".localhost", "svc.localhost", "SVC.LOCALHOST:{port}", "x.org, *.localhost"])
def test_no_proxy_domain_that_matches_connects_directly(
    server: FaultServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    url = f"http://svc.localhost:{server.port}"
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=server.port))
    failed: Optional[exc.ConnectError] = None
    try:
        # Directly: works where the resolver maps *.localhost to loopback, else fails to resolve.
        with SyncHTTPClient(url, timeout=QUICK, retry=NO_RETRY, server_ready_timeout=0) as client:
            assert client.info() == {"ok": True}
    except exc.ConnectError as error:
        failed = error
    if failed is not None:
        assert not isinstance(failed, exc.ProxyError)
        assert "svc.localhost" in str(failed)
    assert proxy.seen == []
    assert proxy.connections == 0


def test_credentials_go_to_the_proxy_only(
    server: FaultServer, auth_proxy: ForwardProxy, make_client: ClientFactory
) -> None:
    client = make_client(proxy=auth_proxy.url_with("alice", PASSWORD_IN_URL), token=TOKEN)
    assert client.classify(ROWS) == LABELS
    assert {seen.header("proxy-authorization") for seen in auth_proxy.seen} == {
        "Basic YWxpY2U6cGE6c3NAdzByZA=="  # alice:pa:ss@w0rd, percent-decoded
    }
    # The service's own headers pass through the proxy (plain http: nothing hides them);
    # the proxy's credentials stop there (a proxy drops Proxy-Authorization).
    assert all(r.header("authorization") == f"Bearer {TOKEN}" for r in server.requests)
    assert all(r.header("proxy-authorization") is None for r in server.requests)
    assert_no_secret(repr(client))
    assert_no_secret(repr(pool_of(client).proxy))


# --- https: CONNECT tunnels ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_https_service_through_a_connect_tunnel(
    tls_server: FaultServer,
    auth_proxy: ForwardProxy,
    make_tls_client: ClientFactory,
    tls_files: TLSFiles,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    monkeypatch.setenv(name, auth_proxy.url_with("alice", PASSWORD_IN_URL))
    client = make_tls_client(verify=tls_files.ca, token=TOKEN)
    assert client.classify(ROWS) == LABELS
    assert client.classify(ROWS) == LABELS
    authority = f"127.0.0.1:{tls_server.port}"
    # One tunnel for every request (the pool keeps it alive), opened with the proxy's credentials.
    assert targets(auth_proxy) == [f"CONNECT {authority}"]
    (connect,) = auth_proxy.seen
    assert connect.header("host") == authority
    assert connect.header("proxy-authorization") == "Basic YWxpY2U6cGE6c3NAdzByZA=="
    assert connect.header("authorization") is None
    # The token travelled only inside TLS: the proxy never saw it, not even in the tunnel.
    assert TOKEN.encode() not in auth_proxy.tunnelled
    assert len(auth_proxy.tunnelled) > 0
    assert auth_proxy.connections == 1
    # And the proxy's credentials never reached the service.
    assert [r.path for r in tls_server.requests] == ["/readyz", "/schema.json", "/classify", "/classify"]
    assert all(r.header("authorization") == f"Bearer {TOKEN}" for r in tls_server.requests)
    assert all(r.header("proxy-authorization") is None for r in tls_server.requests)
    assert {r.header("host") for r in tls_server.requests} == {authority}


def test_https_tunnel_verifies_the_service_certificate(
    tls_server: FaultServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the test CA the service's certificate is not trusted, tunnel or not.
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with pytest.raises(exc.TLSError, match="CERTIFICATE_VERIFY_FAILED"):
        SyncHTTPClient(tls_server.url, server_ready_timeout=1.5, retry=NO_RETRY, timeout=QUICK)
    assert targets(proxy) == [f"CONNECT 127.0.0.1:{tls_server.port}"]
    assert tls_server.requests == []


def test_https_stale_tunnel_is_resent(
    tls_server: FaultServer, proxy: ForwardProxy, make_tls_client: ClientFactory, tls_files: TLSFiles
) -> None:
    from faultserver import close_without_response

    client = make_tls_client(verify=tls_files.ca, proxy=proxy.url, retry=Retry(total=1, retry_sent_requests=True))
    assert client.classify(ROWS) == LABELS
    tls_server.script("/classify", close_without_response())
    assert client.classify(ROWS) == LABELS
    assert [seen.method for seen in proxy.seen] == ["CONNECT", "CONNECT"]


# --- the proxy refuses or is down ----------------------------------------------------------


def test_407_without_credentials_plain_http(server: FaultServer, auth_proxy: ForwardProxy) -> None:
    started = time.monotonic()
    with pytest.raises(exc.ProxyError) as info:
        SyncHTTPClient(server.url, proxy=auth_proxy.url, timeout=QUICK, server_ready_timeout=5)
    error = info.value
    assert time.monotonic() - started < 2  # a refusal is not waited out nor retried
    assert error.status_code == 407
    assert error.refused
    assert error.request_sent is False
    assert f"the proxy {auth_proxy.url} (from proxy=) answered 407" in str(error)
    assert "put them in the proxy URL" in str(error)
    assert error.proxy == auth_proxy.url
    assert len(auth_proxy.seen) == 1
    assert server.requests == []


@pytest.mark.parametrize("tls", [False, True])
def test_407_wrong_password_names_the_proxy_without_the_password(
    request: pytest.FixtureRequest,
    auth_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    tls: bool,
) -> None:
    service: FaultServer = request.getfixturevalue("tls_server" if tls else "server")
    options: dict[str, Any] = {"verify": request.getfixturevalue("tls_files").ca} if tls else {}
    wrong = "Zq9x%3AWv7"
    monkeypatch.setenv("HTTPS_PROXY" if tls else "HTTP_PROXY", auth_proxy.url_with("alice", wrong))
    with pytest.raises(exc.ProxyError) as info:
        SyncHTTPClient(service.url, token=TOKEN, timeout=QUICK, **options)
    message = str(info.value)
    variable = "HTTPS_PROXY" if tls else "HTTP_PROXY"
    assert f"the proxy http://alice:***@127.0.0.1:{auth_proxy.port} (from the {variable} environment" in message
    assert "check the user name and password" in message
    assert "Zq9x" not in message
    assert "Wv7" not in message
    assert info.value.status_code == 407
    assert service.requests == []
    assert len(auth_proxy.seen) == 1


def test_403_on_connect_is_a_typed_refusal(
    tls_server: FaultServer, tls_files: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ForwardProxy(forbid=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url_with("bob", "hunter2"))
        with pytest.raises(exc.ProxyError) as info:
            SyncHTTPClient(tls_server.url, verify=tls_files.ca, timeout=QUICK, server_ready_timeout=5)
    message = str(info.value)
    assert info.value.status_code == 403
    assert info.value.refused
    assert f"http://bob:***@127.0.0.1:{proxy.port}" in message
    assert "hunter2" not in message
    assert "NO_PROXY" in message
    assert tls_server.requests == []


def test_403_for_plain_http_is_the_answer_the_client_got(server: FaultServer) -> None:
    # In absolute form a proxy's 403 cannot be told from the service's: it is an HTTP error.
    with ForwardProxy(forbid=True) as proxy, pytest.raises(exc.Forbidden, match=r"HTTP 403 from GET .*/schema\.json"):
        SyncHTTPClient(server.url, proxy=proxy.url, timeout=QUICK, server_ready_timeout=0, retry=NO_RETRY)
    assert server.requests == []


def test_connect_answered_502_is_a_proxy_error(
    tls_server: FaultServer, tls_files: TLSFiles, make_tls_client: ClientFactory
) -> None:
    with ForwardProxy(connect_status=502) as proxy, pytest.raises(exc.ProxyError) as info:
        make_tls_client(verify=tls_files.ca, proxy=proxy.url, server_ready_timeout=0, retry=NO_RETRY)
    assert info.value.status_code == 502
    assert not info.value.refused
    assert "could not open a tunnel" in str(info.value)
    assert isinstance(info.value, exc.ConnectError)


@pytest.mark.parametrize(
    "answer", [b"", b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 200 OK\r\n" + b"x" * 70_000 + b"\r\n\r\n"]
)
def test_a_broken_answer_to_connect_is_a_proxy_error(
    tls_server: FaultServer, tls_files: TLSFiles, make_tls_client: ClientFactory, answer: bytes
) -> None:
    with ForwardProxy(connect_raw=answer) as proxy, pytest.raises(exc.ProxyError) as info:
        make_tls_client(verify=tls_files.ca, proxy=proxy.url, server_ready_timeout=0, retry=NO_RETRY)
    assert "broke off the CONNECT exchange" in str(info.value)
    assert info.value.status_code is None
    assert tls_server.requests == []


def test_ipv6_service_through_the_proxy(
    ipv6_server: FaultServer, proxy: ForwardProxy, make_ipv6_client: ClientFactory
) -> None:
    client = make_ipv6_client(proxy=proxy.url)
    assert client.info() == {"ok": True}
    assert targets(proxy)[-1] == f"POST http://[::1]:{ipv6_server.port}/info"
    assert ipv6_server.requests[-1].header("host") == f"[::1]:{ipv6_server.port}"


def test_unix_socket_service_never_uses_the_environment_proxy(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with pytest.raises(exc.ConnectError) as info:
        SyncHTTPClient(f"file://{tmp_path}/missing.sock", server_ready_timeout=0, retry=NO_RETRY, timeout=QUICK)
    assert not isinstance(info.value, exc.ProxyError)
    assert proxy.seen == []
    assert proxy.connections == 0


@pytest.mark.parametrize("tls", [False, True])
def test_proxy_down_is_a_typed_error_quickly(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tls: bool
) -> None:
    service: FaultServer = request.getfixturevalue("tls_server" if tls else "server")
    down = f"http://carol:{PASSWORD_IN_URL}@127.0.0.1:{closed_port()}"
    monkeypatch.setenv("ALL_PROXY", down)
    started = time.monotonic()
    with pytest.raises(exc.ProxyError) as info:
        SyncHTTPClient(service.url, timeout=QUICK, server_ready_timeout=0)
    assert time.monotonic() - started < 3
    error = info.value
    assert error.status_code is None
    assert error.request_sent is False
    assert error.attempts == 3  # connection failures are retried like any other
    message = str(error)
    assert "cannot connect to" in message
    assert "127.0.0.1" in message
    assert "ALL_PROXY" in message
    assert "NO_PROXY" in message
    assert_no_secret(message)
    assert service.requests == []


def test_proxy_down_during_readiness_wait_ends_as_not_ready(server: FaultServer) -> None:
    with pytest.raises(exc.ServerNotReady) as info:
        SyncHTTPClient(server.url, proxy=f"http://127.0.0.1:{closed_port()}", timeout=QUICK, server_ready_timeout=0.5)
    assert "through the proxy" in str(info.value)


def test_proxy_that_never_answers_connect_is_a_connect_timeout(tls_server: FaultServer, tls_files: TLSFiles) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(exc.ConnectTimeout, match="through the proxy"):
            SyncHTTPClient(
                tls_server.url,
                verify=tls_files.ca,
                proxy=url,
                timeout=0.5,
                server_ready_timeout=0,
                retry=NO_RETRY,
            )
        assert time.monotonic() - started < 3


# --- the transport ---------------------------------------------------------------------------


def test_transport_with_a_proxy_pickles_with_it(server: FaultServer, proxy: ForwardProxy) -> None:
    with SyncHTTPClient(server.url, proxy=proxy.url, timeout=QUICK) as client:
        copy = pickle.loads(pickle.dumps(client))
        try:
            assert copy.info() == {"ok": True}
            assert isinstance(copy._transport, HTTPTransport)
            assert copy._transport.proxy == pool_of(client).proxy
        finally:
            copy.close()
    assert [seen.target.rsplit("/", 1)[1] for seen in proxy.seen] == ["readyz", "schema.json", "info"]


def test_file_output_and_streamed_body_through_the_proxy(
    server: FaultServer, proxy: ForwardProxy, make_client: ClientFactory, tmp_path: Any
) -> None:
    client = make_client(proxy=proxy.url, download_dir=str(tmp_path))
    path = client.make_file("hello through the proxy")
    assert path.read_text() == "hello through the proxy"
    # A body of unknown length goes chunked, through the proxy as through any connection.
    body = iter([b'{"text": "one. ', b'two."}'])
    request = Request("POST", "/summarize", (("Content-Type", "application/json"),), body)
    with pool_of(client).send(request, QUICK) as response:
        assert response.read() == b"one"
    assert server.requests_for("/summarize")[0].header("transfer-encoding") == "chunked"
