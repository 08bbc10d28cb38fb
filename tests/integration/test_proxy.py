"""SyncHTTPClient through a forward proxy (``tests/proxyserver.py``) to a real ``bentoml serve``."""

from __future__ import annotations

import pytest
from proxyserver import ForwardProxy

from bentoclient import SyncHTTPClient


def test_demo_service_through_the_proxy_from_the_environment(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with ForwardProxy(auth=("alice", "pw")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url_with("alice", "pw"))
        with SyncHTTPClient(demo_url, token="service-token") as client:
            assert client.classify([[1, 2, 3, 4]]) == [0]
            assert client.summarize(text="BentoML serves models. It is fast.")
            assert client.is_ready() is True
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with SyncHTTPClient(demo_url) as direct:
            assert direct.classify([[1, 2, 3, 4]]) == [0]
    assert not proxy.errors, proxy.errors
    targets = [seen.target for seen in proxy.seen]
    assert targets[-3:] == [f"{demo_url}/classify", f"{demo_url}/summarize", f"{demo_url}/readyz"]
    assert targets[0] == f"{demo_url}/readyz"
    assert len(targets) == 5  # nothing of the client that NO_PROXY sent directly
    assert proxy.connections == 1  # kept alive through the proxy
