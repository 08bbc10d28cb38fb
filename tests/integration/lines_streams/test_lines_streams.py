"""Streams on every BentoML server line (run where bentoclient-stream is installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serverlines import EMPTY_ERROR_STREAM, limitation

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc


@pytest.fixture(scope="module")
def wire(wire_url: str) -> Iterator[SyncHTTPClient]:
    with SyncHTTPClient(wire_url, server_ready_timeout=0) as client:
        yield client


def test_a_stream_delivers_its_items(wire: SyncHTTPClient) -> None:
    with wire.stream_bytes(n=3, size=2) as stream:
        assert b"".join(stream) == b"\x00\x00\x01\x01\x02\x02"


@limitation(EMPTY_ERROR_STREAM)
def test_a_stream_that_fails_before_its_first_item_is_an_error(wire: SyncHTTPClient) -> None:
    def consume() -> list[str]:
        with wire.stream_fail(before=0) as stream:
            return list(stream)

    with pytest.raises(exc.HTTPStatusError):
        consume()


def test_an_error_after_the_first_item_ends_the_stream_on_every_line(wire: SyncHTTPClient) -> None:
    # Every line's server only logs it and ends the chunked body normally: the items sent so far.
    with wire.stream_fail(before=2) as stream:
        assert "".join(stream) == "piece 0\npiece 1\n"
