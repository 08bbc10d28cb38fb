"""Streaming endpoints through SyncHTTPClient (needs bentoclient-stream)."""

from __future__ import annotations

import pytest
from serverlines import EMPTY_ERROR_STREAM, limitation

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient_stream import SyncStream


def test_text_stream_from_the_example_service(demo_url: str) -> None:
    with SyncHTTPClient(demo_url) as client:
        stream = client.stream(prompt="hello", n=3)
        assert isinstance(stream, SyncStream)
        assert "".join(stream) == "hello 0\nhello 1\nhello 2\n"


def test_items_by_schema(wire_url: str) -> None:
    with SyncHTTPClient(wire_url) as client:
        with client.stream_models(n=4) as models:
            items = list(models)
        assert items == [{"name": f"item-{i}", "total": float(i), "tags": []} for i in range(4)]
        chunks = list(client.stream_bytes(n=3, size=2))
        assert b"".join(chunks) == b"\x00\x00\x01\x01\x02\x02"
        assert all(isinstance(c, bytes) for c in chunks)
        assert list(client.stream_models(n=0)) == []


@limitation(EMPTY_ERROR_STREAM)
def test_error_before_first_item_raises_typed_error(wire_url: str) -> None:
    with SyncHTTPClient(wire_url) as client:
        with pytest.raises(exc.InternalServerError):
            list(client.stream_fail(before=0))
        with pytest.raises(exc.ArgumentError, match="no argument 'm'"):
            client.stream_models(n=1, m=2)  # checked at call time, before anything is sent


def test_abandoned_stream_releases_its_connection(wire_url: str) -> None:
    with SyncHTTPClient(wire_url, max_connections=1) as client:
        for _ in range(3):  # with one connection, a leaked one would block the next call
            stream = client.stream_models(n=50)
            assert next(stream)["name"] == "item-0"
            stream.close()
        assert client.text("still works") == "still works"
