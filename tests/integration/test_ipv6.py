"""SyncHTTPClient against a real BentoML service on the IPv6 loopback (``http://[::1]:PORT``)."""

from __future__ import annotations

from bentoclient import SyncHTTPClient


def test_calls_a_service_on_an_ipv6_literal_host(ipv6_url: str) -> None:
    assert ipv6_url.startswith("http://[::1]:")
    with SyncHTTPClient(ipv6_url) as client:
        assert client.is_ready() is True
        assert client.summarize(text="hello over IPv6") == "hello over IPv6"
        response = client.request("GET", "/readyz")
        assert response.status_code == 200
        assert repr(client).startswith(f"<SyncHTTPClient '{ipv6_url}'")
