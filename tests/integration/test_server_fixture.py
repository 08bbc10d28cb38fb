"""The server fixtures themselves: each serves its service, checked with urllib only."""

from __future__ import annotations

import json

import pytest
from bentoserve import fetch


def route_names(base_url: str) -> set[str]:
    reply = fetch(base_url + "/schema.json")
    assert reply.status == 200
    return {route["name"] for route in json.loads(reply.body)["routes"]}


def test_demo_serves_its_endpoints(demo_url: str) -> None:
    assert fetch(demo_url + "/readyz").status == 200
    assert route_names(demo_url) == {"classify", "summarize", "long_job", "stream"}
    reply = fetch(
        demo_url + "/classify",
        json.dumps({"input_series": [[1, 2, 3, 4]]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert (reply.status, json.loads(reply.body)) == (200, [0])


def test_wire_serves_its_endpoints(wire_url: str) -> None:
    assert fetch(wire_url + "/readyz").status == 200
    assert {"echo_model", "root_text", "headers", "fail", "close", "call", "echo_task"} <= (route_names(wire_url))
    reply = fetch(wire_url + "/no_args", b"{}", headers={"Content-Type": "application/json"})
    assert (reply.status, json.loads(reply.body)) == (200, {"status": "ok"})


def test_prefixed_serves_under_its_prefix(prefixed_url: str) -> None:
    assert fetch(prefixed_url + "/v1/readyz").status == 200
    assert fetch(prefixed_url + "/readyz").status == 404
    assert route_names(prefixed_url) == {"ping"}
    reply = fetch(prefixed_url + "/v1/ping", b'{"text": "hi"}', headers={"Content-Type": "application/json"})
    assert (reply.status, reply.body) == (200, b"hi")


@pytest.mark.parametrize("fixture", ["demo_url", "wire_url", "prefixed_url"])
def test_urls_are_loopback(fixture: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(fixture)
    assert url.startswith("http://127.0.0.1:")
    assert url.rsplit(":", 1)[1].isdigit()
