"""Logging and event hooks on both clients, through the in-memory transport (no socket)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.aio import AsyncHTTPClient
from bentoclient.transport import Request

from .test_memory_transport import (
    FAST,
    URL,
    Answer,
    AsyncMemoryTransport,
    FakeService,
    MemoryTransport,
    resolve,
    run_both,
)

SECRET = "s3cret-token-value"


def test_requests_responses_and_retries_are_logged_without_token_or_body(caplog: pytest.LogCaptureFixture) -> None:
    async def check(client: Any, service: FakeService) -> None:
        service.script = [lambda r: Answer(503, b"busy body", {"retry-after": "0"})]
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="bentoclient"):
            assert await resolve(client.double(x=5)) == 10
        messages = [r.getMessage() for r in caplog.records if r.name == "bentoclient"]
        assert any(m.startswith(f"POST {URL}/double (attempt 1)") for m in messages)
        assert any("-> 503" in m for m in messages)
        assert any("-> 200" in m for m in messages)
        retries = [r for r in caplog.records if r.levelno == logging.INFO]
        assert len(retries) == 1
        assert "HTTP 503; sending again in 0.00 s (attempt 2)" in retries[0].getMessage()
        text = "\n".join(messages)
        assert SECRET not in text  # never a header value
        assert "busy body" not in text  # never a body
        assert '"x"' not in text

    run_both(check, retry=FAST, token=SECRET)


def test_nothing_is_logged_above_debug_for_a_plain_call(caplog: pytest.LogCaptureFixture) -> None:
    async def check(client: Any, service: FakeService) -> None:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bentoclient"):
            await resolve(client.double(x=1))
        assert [r for r in caplog.records if r.name == "bentoclient"] == []

    run_both(check)


def test_request_and_response_hooks_see_every_attempt() -> None:
    seen: list[tuple[str, Any]] = []

    def on_request(request: Request) -> None:
        seen.append(("request", request.target))

    def on_response(request: Request, response: Any) -> None:
        seen.append(("response", response.status_code))

    async def check(client: Any, service: FakeService) -> None:
        seen.clear()
        service.script = [lambda r: Answer(503, b"", {"retry-after": "0"})]
        assert await resolve(client.double(x=2)) == 4
        assert seen == [("request", "/double"), ("response", 503), ("request", "/double"), ("response", 200)]

    run_both(check, retry=FAST, event_hooks={"request": [on_request], "response": [on_response]})


def test_async_client_awaits_coroutine_hooks() -> None:
    seen: list[str] = []

    async def on_request(request: Request) -> None:
        await asyncio.sleep(0)
        seen.append(request.target)

    async def main() -> None:
        transport = AsyncMemoryTransport(FakeService())
        async with AsyncHTTPClient(URL, transport=transport, event_hooks={"request": [on_request]}) as client:
            assert await client.double(x=3) == 6
        assert seen == ["/readyz", "/schema.json", "/double"]

    asyncio.run(main())


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ({"before": [print]}, "unknown kind 'before'"),
        ({"request": ["not callable"]}, "must be a list of functions"),
        ([print], "must be a dict"),
    ],
)
def test_bad_event_hooks_are_refused_at_construction(hooks: Any, message: str) -> None:
    with pytest.raises(exc.ConfigurationError, match=message):
        SyncHTTPClient(URL, transport=MemoryTransport(FakeService()), event_hooks=hooks)


def test_the_sync_client_refuses_coroutine_hooks_it_could_not_await() -> None:
    async def on_request(request: Request) -> None:
        pass

    with pytest.raises(exc.ConfigurationError, match=r"coroutine function.*AsyncHTTPClient"):
        SyncHTTPClient(URL, transport=MemoryTransport(FakeService()), event_hooks={"request": [on_request]})
