"""Both clients driven through an in-memory transport: the seam in ``bentoclient.transport``.

No socket is opened: the transports below answer like a tiny BentoML service (``/readyz``,
``/schema.json``, a JSON endpoint and a file endpoint) and record what they were sent.  The
async client is core's own (:mod:`bentoclient.aio`), so these tests need no third-party
package either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from bentoclient import Backoff, Retry, SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.aio import AsyncHTTPClient
from bentoclient.transport import AsyncTransport, Headers, Request, SyncTransport, Timeout

URL = "http://svc.invalid:3000"  # never resolved: nothing here opens a socket
SCHEMA = {
    "name": "Memory",
    "type": "service",
    "routes": [
        {
            "name": "double",
            "route": "/double",
            "batchable": False,
            "is_task": False,
            "input": {"properties": {"x": {"type": "integer"}}, "required": ["x"], "type": "object"},
            "output": {"type": "integer"},
        },
        {
            "name": "report",
            "route": "/report",
            "batchable": False,
            "is_task": False,
            "input": {"properties": {}, "type": "object"},
            "output": {"type": "file", "format": "binary"},
        },
    ],
}
FAST = Retry(total=2, backoff=Backoff(initial=0.001, factor=1.0, maximum=0.001, jitter=0.0))


class Answer:
    """One scripted response: status, headers, body chunks."""

    def __init__(self, status: int, body: bytes = b"", headers: Optional[Mapping[str, str]] = None) -> None:
        self.status_code = status
        self.headers = Headers(headers or {"content-type": "application/json"})
        self.chunks = [body[i : i + 3] for i in range(0, len(body), 3)] or [b""]
        self.closed = False


class FakeService:
    """What both transports serve, and what they were asked."""

    def __init__(self) -> None:
        self.sent: list[Request] = []
        self.script: list[Callable[[Request], Answer]] = []
        self.answers: list[Answer] = []

    def answer(self, request: Request) -> Answer:
        body = request.content if isinstance(request.content, bytes) else b"".join(request.content)
        self.sent.append(request._replace(content=body))
        if self.script:
            found = self.script.pop(0)(request)
        elif request.target == "/readyz":
            found = Answer(200, b"ok", {"content-type": "text/plain"})
        elif request.target == "/schema.json":
            found = Answer(200, json.dumps(SCHEMA).encode())
        elif request.target == "/double":
            found = Answer(200, json.dumps(json.loads(body)["x"] * 2).encode())
        elif request.target == "/report":
            found = Answer(200, b"report bytes", {"content-disposition": 'attachment; filename="r.txt"'})
        else:
            found = Answer(404, b'{"error": "not found"}')
        self.answers.append(found)
        return found


class SyncAnswer:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.status_code = answer.status_code
        self.headers = answer.headers

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self._answer.chunks
        self.close()

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        self._answer.closed = True


class MemoryTransport:
    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.closed = False

    def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> SyncAnswer:
        return SyncAnswer(self.service.answer(request))

    def close(self) -> None:
        self.closed = True


class AsyncAnswer:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.status_code = answer.status_code
        self.headers = answer.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        for chunk in self._answer.chunks:
            yield chunk
        await self.aclose()

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        self._answer.closed = True


class AsyncMemoryTransport:
    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.closed = False

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncAnswer:
        return AsyncAnswer(self.service.answer(request))

    async def aclose(self) -> None:
        self.closed = True


def test_the_doubles_implement_the_seam() -> None:
    service = FakeService()
    assert isinstance(MemoryTransport(service), SyncTransport)
    assert isinstance(AsyncMemoryTransport(service), AsyncTransport)


Check = Callable[[Any, FakeService], Coroutine[Any, Any, None]]


def run_both(check: Check, **options: Any) -> None:
    """Run the coroutine ``check(client, service)`` with the sync client, then with the async one.

    Inside it, ``await resolve(client.method(...))`` reads the same for both clients.
    """
    service = FakeService()
    transport = MemoryTransport(service)
    with SyncHTTPClient(URL, transport=transport, **options) as client:
        asyncio.run(check(client, service))
    assert transport.closed

    async def main() -> None:
        service = FakeService()
        transport = AsyncMemoryTransport(service)
        async with AsyncHTTPClient(URL, transport=transport, **options) as client:
            await check(client, service)
        assert transport.closed

    asyncio.run(main())


async def resolve(value: Any) -> Any:
    """A sync client's value as is; an async client's coroutine awaited."""
    return await value if asyncio.iscoroutine(value) else value


def test_setup_and_a_call_go_through_the_transport() -> None:
    async def check(client: Any, service: FakeService) -> None:
        assert await resolve(client.double(x=21)) == 42
        targets = [r.target for r in service.sent]
        assert targets == ["/readyz", "/schema.json", "/double"]
        call = service.sent[-1]
        assert call.method == "POST"
        assert isinstance(call.content, bytes)
        assert json.loads(call.content) == {"x": 21}
        assert ("Accept-Encoding", "identity") in call.headers
        assert all(answer.closed for answer in service.answers)  # every response released

    run_both(check)


def test_error_status_is_a_typed_error_and_503_is_retried() -> None:
    async def check(client: Any, service: FakeService) -> None:
        service.script = [
            lambda r: Answer(503, b"busy", {"retry-after": "0"}),
            lambda r: Answer(400, b'{"error":"bad x"}'),
        ]
        with pytest.raises(exc.InvalidArgument, match="bad x") as info:
            await resolve(client.double(x=1))
        assert info.value.attempts == 2

    run_both(check, retry=FAST)


def test_stale_connection_is_resent_once_through_any_transport() -> None:
    def stale(request: Request) -> Answer:  # found closed before the request went out
        raise exc.RemoteProtocolError("closed while idle", request_sent=False, stale_connection=True)

    async def check(client: Any, service: FakeService) -> None:
        service.script = [stale]
        assert await resolve(client.double(x=2)) == 4
        assert [r.target for r in service.sent[-2:]] == ["/double", "/double"]

    run_both(check, retry=FAST)


def test_file_output_is_saved_from_the_streamed_body(tmp_path: Path) -> None:
    async def check(client: Any, service: FakeService) -> None:
        saved = await resolve(client.report())
        assert isinstance(saved, Path)
        assert saved.read_bytes() == b"report bytes"
        assert saved.parent == tmp_path

    run_both(check, download_dir=tmp_path)


def test_a_with_options_copy_does_not_close_the_client_it_came_from() -> None:
    async def check(client: Any, service: FakeService) -> None:
        copy = client.with_options(timeout=5)
        assert await resolve(copy.double(x=3)) == 6
        await resolve(copy.close())
        with pytest.raises(exc.ClientClosedError):
            await resolve(copy.double(x=3))
        assert await resolve(client.double(x=4)) == 8  # the original goes on

    run_both(check)


def test_a_url_with_an_endpoint_path_fails_at_once() -> None:
    service = FakeService()
    service.script = [lambda r: Answer(404, b"Not Found"), lambda r: Answer(404, b"Not Found")]
    with pytest.raises(exc.ServerNotReady, match="not the root of a BentoML service") as info:
        SyncHTTPClient(URL + "/double", transport=MemoryTransport(service), server_ready_timeout=30)
    assert info.value.last_status == 404
    assert [r.target for r in service.sent] == ["/double/readyz", "/double/schema.json"]
