"""``HTTPXTransport(url, transport=...)``: bentoclient's seam over an httpx transport the caller
gives (here httpx's ``MockTransport``: no socket is opened).

The body is read from the response's own stream, so a given transport must answer with an
async body stream; one that does not is refused with a message naming ``transport=``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient.transport import Request
from bentoclient_async import HTTPXTransport
from bentoclient_async._httpx import httpx

pytestmark = pytest.mark.timeout(30)

URL = "http://127.0.0.1:3000"


def send(transport: Any, *, deadline: bool = False, stream: bool = False) -> tuple[int, list[bytes]]:
    async def main() -> tuple[int, list[bytes]]:
        client = HTTPXTransport(URL, transport=transport)
        request = Request("POST", "/echo", (("Content-Type", "application/json"),), b'{"x": 1}')
        total = time.monotonic() + 30 if deadline else None
        response = await client.send(request, Timeout(5), total)
        try:
            if stream:
                return response.status_code, [chunk async for chunk in response.aiter_bytes()]
            return response.status_code, [await response.aread()]
        finally:
            await client.aclose()

    return asyncio.run(main())


def echo(request: httpx.Request) -> httpx.Response:
    assert request.headers["host"] == "127.0.0.1:3000"
    return httpx.Response(200, content=b"echo:" + request.content)


@pytest.mark.parametrize("deadline", [False, True], ids=["no-total", "total"])
@pytest.mark.parametrize("stream", [False, True], ids=["aread", "aiter_bytes"])
def test_a_given_httpx_transport_sends_the_request(deadline: bool, stream: bool) -> None:
    status, chunks = send(httpx.MockTransport(echo), deadline=deadline, stream=stream)
    assert status == 200
    assert b"".join(chunks) == b'echo:{"x": 1}'


class _Pieces(httpx.AsyncByteStream):
    async def __aiter__(self) -> Any:
        for piece in (b"one,", b"", b"two"):  # the empty piece is not handed out
            yield piece


def test_the_body_comes_as_the_transport_streams_it() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200, stream=_Pieces()))
    assert send(mock, stream=True) == (200, [b"one,", b"two"])


class _SyncOnly(httpx.SyncByteStream):
    closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"sync"

    def close(self) -> None:
        self.closed = True


class _SyncAnswers(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.body = _SyncOnly()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=self.body)


def test_a_transport_answering_with_a_sync_stream_is_refused_by_name() -> None:
    transport = _SyncAnswers()
    with pytest.raises(exc.ConfigurationError, match=r"synchronous body stream.*httpx\.AsyncBaseTransport.*transport="):
        send(transport)
    assert transport.body.closed  # its connection, if it had one, is not left open
