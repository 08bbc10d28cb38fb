"""The fault matrix for AsyncHTTPClient: the server of tests/faults misbehaves.

Every test runs on both async transports (the ``clients`` fixture): the default
``HTTPXTransport`` (httpx's pool) and the opt-in ``AsyncioTransport`` (asyncio streams).
Each test is one fault with ONE documented outcome (docs/reliability.md, "Async client and
streams"): a typed bentoclient error, never an ``httpx`` or ``h11`` one, with the attempts it
took, or a correct result.  Each test runs its coroutine with ``asyncio.run`` (``clients.run``), which
closes every client in that loop; the ``no_leaks`` fixture then checks that nothing was left
to the garbage collector (ResourceWarning), and that descriptors, threads and temporary
download folders are back to where they were.

The fault matrix for SyncHTTPClient, ``tests/faults/test_faults.py``, is generated from this
module (tools/unasync.py; docs/development.md): the same tests on the standard-library
transport, where ``clients.run`` calls the body and then checks that every connection slot was
given back.  What only one client has is marked async-only here, or is in
``tests/faults/test_sync_only_faults.py``.
"""

from __future__ import annotations

import asyncio  # async-only
import json
import ssl
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from faultserver import (
    DEFAULTS,
    SCHEMA,
    Behaviour,
    FaultServer,
    close_after_response,
    close_without_response,
    drip,
    file_response,
    headers_then_stall,
    http_date,
    huge_header,
    interim_then,
    many_headers,
    raw,
    redirect,
    reset_before_response,
    reset_mid_body,
    respond,
    retry_after,
    stall,
    status,
    truncated_chunked,
    truncated_length,
)

from bentoclient import NO_RETRY, Backoff, Retry, Timeout
from bentoclient import exceptions as exc
from bentoclient._models import Request
from bentoclient_async import AsyncHTTPClient

from .support import FAST_RETRY, QUICK, AsyncClients, TLSFiles, async_sleep, open_responses

ROWS = [[1, 2, 3], [9, 9, 9]]  # classify -> [0, 1]
LABELS = [0, 1]
SLACK = 0.5  # seconds allowed beyond a time limit (scheduling on a busy machine)


async def fresh_client(server: FaultServer, clients: AsyncClients, **options: Any) -> AsyncHTTPClient:
    """A set-up client with no kept-alive connection: the next request opens a new one."""
    server.script("/schema.json", respond(200, json.dumps(SCHEMA).encode(), close=True))
    return await clients.ready(**options)


def posts(server: FaultServer, path: str = "/classify") -> int:
    return len([r for r in server.requests_for(path) if r.method == "POST"])


def quick(read: float, total: Optional[float] = None) -> Timeout:
    return Timeout(connect=2, read=read, write=2, pool=2, total=total)


# --- connecting ---------------------------------------------------------------------------


def test_refused_at_setup_is_connect_error_after_default_retries(server: FaultServer, clients: AsyncClients) -> None:
    port = server.port
    server.refuse()

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ConnectError) as info:
            await clients.ready(f"http://127.0.0.1:{port}", server_ready_timeout=0)
        assert info.value.request_sent is False
        assert info.value.attempts == 3
        assert "cannot connect" in str(info.value)
        assert time.monotonic() - started < 2
        # async-only: begin
        with pytest.raises(exc.ConnectError):  # and "async with" closes the client it could not set up
            async with clients(f"http://127.0.0.1:{port}", server_ready_timeout=0, retry=NO_RETRY):
                pass
        assert clients.made[-1]._closed
        # async-only: end

    clients.run(main)


def test_refused_during_readiness_wait_is_server_not_ready(server: FaultServer, clients: AsyncClients) -> None:
    port = server.port
    server.refuse()

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ServerNotReady) as info:
            await clients.ready(f"http://127.0.0.1:{port}", server_ready_timeout=0.3)
        assert isinstance(info.value, exc.ServiceUnavailable)
        assert not isinstance(info.value, exc.TransportError)  # the wait failed, not one connection
        assert "cannot connect" in str(info.value)
        assert 0.3 <= time.monotonic() - started < 0.3 + SLACK

    clients.run(main)


def test_refused_after_the_server_went_away(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        assert await client.classify(ROWS) == LABELS
        server.refuse()
        await async_sleep(0.1)  # the server's FIN arrives while the connection sits in the pool
        with pytest.raises(exc.ConnectError) as info:
            await client.classify(ROWS)
        assert info.value.request_sent is False
        assert info.value.attempts == 3
        with pytest.raises(exc.ConnectError) as once:
            await client.with_options(retry=NO_RETRY).classify(ROWS)
        assert once.value.attempts == 1

    clients.run(main)


# --- resets -------------------------------------------------------------------------------


def test_reset_before_response_post_is_not_retried(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await fresh_client(server, clients)
        server.script("/classify", reset_before_response())
        with pytest.raises((exc.ReadError, exc.RemoteProtocolError)) as info:
            await client.classify(ROWS)
        assert info.value.request_sent is True
        assert info.value.attempts == 1
        assert posts(server) == 1  # the call may have run: never sent twice by default

    clients.run(main)


def test_reset_before_response_post_retried_when_opted_in(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = (await fresh_client(server, clients)).with_options(retry=FAST_RETRY._replace(retry_sent_requests=True))
        server.script("/classify", reset_before_response())
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert (response.status_code, response.json(), response.attempts) == (200, LABELS, 2)
        server.script("/classify", reset_before_response())
        assert await client.classify(ROWS) == LABELS
        assert posts(server) == 4

    clients.run(main)


def test_reset_before_response_get_is_retried_by_default(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await fresh_client(server, clients)
        server.script("/info", reset_before_response(), reset_before_response())
        response = await client.request("GET", "/info")
        assert (response.json(), response.attempts) == ({"ok": True}, 3)

    clients.run(main)


def test_reset_mid_body_is_read_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", reset_mid_body())
        with pytest.raises(exc.ReadError) as info:
            await client.classify(ROWS)
        assert info.value.attempts == 1
        assert posts(server) == 1
        assert await client.classify(ROWS) == LABELS  # the broken connection was not pooled

    clients.run(main)


# --- kept-alive connections -----------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [close_without_response(), reset_before_response()], ids=["FIN", "RST"])
def test_stale_kept_alive_connection_is_retried_transparently(
    server: FaultServer, clients: AsyncClients, behaviour: Behaviour
) -> None:
    async def main() -> None:
        # The caller allows a resend of a request that went out; it goes through the policy and counts.
        client = await clients.ready(retry=FAST_RETRY._replace(retry_sent_requests=True))
        assert await client.classify(ROWS) == LABELS
        server.script("/classify", behaviour)  # the server "timed out" the idle connection
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert (response.json(), response.attempts) == (LABELS, 2)
        _, lost, again = server.requests_for("/classify")
        assert lost.connection == 1
        assert again.connection != lost.connection
        assert again.body == lost.body

    clients.run(main)


def test_stale_kept_alive_connection_post_is_not_resent_by_default(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()  # Go's rule: the server may have read the POST before it closed
        assert await client.classify(ROWS) == LABELS
        server.script("/classify", close_without_response())
        with pytest.raises(exc.RemoteProtocolError) as info:
            await client.classify(ROWS)
        assert (info.value.stale_connection, info.value.attempts) == (True, 1)
        assert posts(server) == 2

    clients.run(main)


def test_stale_connection_then_fresh_one_failing_is_an_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(retry=FAST_RETRY._replace(total=1, retry_sent_requests=True))
        assert await client.classify(ROWS) == LABELS
        server.script("/classify", close_without_response(), close_without_response())
        with pytest.raises(exc.RemoteProtocolError):
            await client.classify(ROWS)
        assert posts(server) == 3

    clients.run(main)


def test_connection_closed_right_after_response_is_not_reused(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(retry=NO_RETRY)
        server.script("/classify", close_after_response(LABELS))
        assert await client.classify(ROWS) == LABELS
        await async_sleep(0.1)  # the server's FIN arrives while the connection sits in the pool
        assert await client.classify(ROWS) == LABELS
        first, second = server.requests_for("/classify")
        assert second.connection != first.connection

    clients.run(main)


def test_keep_alive_reuses_one_connection(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        for _ in range(5):
            assert await client.classify(ROWS) == LABELS
        assert server.connections == 1  # readiness, schema and five calls on one connection

    clients.run(main)


# async-only: begin
# Concurrency on one event loop (tasks); the sync client's, with threads: test_sync_only_faults.py.
def test_pool_bounds_connections_under_concurrency(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(max_connections=2)
        server.set_default("/classify", drip(b"[0, 1]", 0.01))
        results = await asyncio.gather(*(client.classify(ROWS) for _ in range(12)))
        assert results == [LABELS] * 12
        assert server.connections <= 2

    clients.run(main)


def test_pool_timeout_when_every_connection_is_busy(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(max_connections=1, timeout=Timeout(connect=2, read=3, write=2, pool=0.1))
        server.script("/classify", drip(b"[0, 1]", 0.2))
        holder = asyncio.ensure_future(client.classify(ROWS))
        await asyncio.sleep(0.15)
        try:
            with pytest.raises(exc.PoolTimeout) as info:
                await client.info()
            assert info.value.request_sent is False
            assert info.value.attempts == 3  # nothing was sent: retried as a connect failure
        finally:
            assert await holder == LABELS

    clients.run(main)


def test_a_cancelled_waiter_gives_its_turn_to_the_next(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(max_connections=1)
        server.set_default("/classify", drip(b"[0, 1]", 0.05))
        holder = asyncio.ensure_future(client.classify(ROWS))
        await asyncio.sleep(0.01)
        waiting = [asyncio.ensure_future(client.classify(ROWS)) for _ in range(3)]
        await asyncio.sleep(0.01)
        waiting[0].cancel()  # cancelled while queued for the one connection
        results = await asyncio.gather(holder, *waiting[1:])
        assert results == [LABELS] * 3
        assert waiting[0].cancelled()
        assert await client.classify(ROWS) == LABELS  # the slot was not lost
        assert server.connections == 1  # everything on the one kept-alive connection

    clients.run(main)


# async-only: end


# --- truncated bodies -----------------------------------------------------------------------


def test_truncated_content_length_body_is_read_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", truncated_length(declared=100, body=b"[1, 2, 3"))
        with pytest.raises(exc.ReadError, match="ended early") as info:
            await client.classify(ROWS)
        assert info.value.attempts == 1
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


def test_truncated_chunked_body_is_read_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", truncated_chunked())
        with pytest.raises(exc.ReadError):
            await client.classify(ROWS)
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


def test_truncated_file_output_leaves_no_partial_file(
    server: FaultServer, clients: AsyncClients, tmp_path: Path
) -> None:
    async def main() -> None:
        client = await clients.ready(download_dir=str(tmp_path / "dl"))
        server.script("/make_file", truncated_chunked(content_type="text/plain"))
        with pytest.raises(exc.ReadError):
            await client.make_file("x")
        assert list((tmp_path / "dl").iterdir()) == []

    clients.run(main)


def test_truncated_body_of_a_get_is_retried_by_default(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/info", truncated_length(declared=50, body=b'{"ok"'))
        response = await client.request("GET", "/info")
        assert (response.json(), response.attempts) == ({"ok": True}, 2)

    clients.run(main)


# --- timeouts -----------------------------------------------------------------------------


def test_headers_then_stall_is_read_timeout(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=0.3))
        server.script("/classify", headers_then_stall())
        started = time.monotonic()
        with pytest.raises(exc.ReadTimeout):
            await client.classify(ROWS)
        assert time.monotonic() - started < 0.3 + SLACK

    clients.run(main)


def test_no_response_is_read_timeout_post_not_retried(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=0.3))
        server.script("/classify", stall())
        with pytest.raises(exc.ReadTimeout) as info:
            await client.classify(ROWS)
        assert (info.value.attempts, info.value.request_sent) == (1, True)
        assert posts(server) == 1

    clients.run(main)


def test_no_response_get_is_not_resent_after_a_read_timeout(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=0.2))
        server.script("/info", stall(), stall(), stall())
        started = time.monotonic()
        with pytest.raises(exc.ReadTimeout) as info:
            await client.request("GET", "/info")  # the server may be working on it: not sent again
        assert info.value.attempts == 1
        assert time.monotonic() - started < 0.2 + SLACK
        assert len(server.requests_for("/info")) == 1

    clients.run(main)


def test_slow_drip_within_total_deadline_succeeds(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=1, total=3))
        server.script("/classify", drip(b"[0, 1]", 0.02), drip(b"[0, 1]", 0.02, chunked=True))
        assert await client.classify(ROWS) == LABELS
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


@pytest.mark.parametrize("endpoint", ["classify", "make_file"])
def test_slow_drip_beyond_total_deadline_is_timeout(
    server: FaultServer, clients: AsyncClients, tmp_path: Path, endpoint: str
) -> None:
    # Each byte arrives well within the read timeout, but the whole body would take 1 s.
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=1, total=0.6), download_dir=str(tmp_path))
        server.script(f"/{endpoint}", drip(b"[" + b"0, " * 6 + b"1]", 0.05))
        started = time.monotonic()
        with pytest.raises(exc.TimeoutException):
            await client.call(endpoint, ROWS if endpoint == "classify" else "x")
        assert time.monotonic() - started < 0.6 + SLACK
        assert list(tmp_path.iterdir()) == []  # no partial file output

    clients.run(main)


def test_total_deadline_bounds_retries_and_backoff(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        retry = Retry(total=50, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))
        client = await clients.ready(retry=retry, timeout=quick(read=2, total=0.8))
        server.set_default("/classify", status(503))
        started = time.monotonic()
        with pytest.raises((exc.ServiceUnavailable, exc.TimeoutException)) as info:
            await client.classify(ROWS)
        assert time.monotonic() - started < 0.8 + SLACK
        assert 3 <= posts(server) <= 9
        # The deadline can cut the last attempt off before the server has read all of it.
        assert posts(server) <= info.value.attempts <= posts(server) + 1

    clients.run(main)


def test_total_deadline_bounds_retried_read_timeouts(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(
            retry=FAST_RETRY._replace(total=50, retry_sent_requests=True), timeout=quick(read=0.3, total=1.0)
        )
        server.set_default("/info", stall())
        started = time.monotonic()
        with pytest.raises(exc.TimeoutException):
            await client.request("GET", "/info")
        assert time.monotonic() - started < 1.0 + SLACK
        assert len(server.requests_for("/info")) >= 3

    clients.run(main)


def test_retry_after_beyond_total_deadline_is_raised_at_once(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=2, total=1.0))
        server.script("/classify", retry_after(503, "5"))
        started = time.monotonic()
        with pytest.raises(exc.ServiceUnavailable) as info:
            await client.classify(ROWS)
        assert time.monotonic() - started < SLACK
        assert (info.value.retry_after, info.value.attempts) == (5, 1)

    clients.run(main)


# --- Retry-After --------------------------------------------------------------------------


def test_429_retry_after_seconds_is_waited_for_and_retried(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", retry_after(429, "1"))
        started = time.monotonic()
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert time.monotonic() - started >= 0.95
        assert (response.json(), response.attempts) == (LABELS, 2)

    clients.run(main)


def test_503_retry_after_as_http_date_is_honoured(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", retry_after(503, http_date(2)))  # 1 to 2 s away (whole seconds)
        started = time.monotonic()
        assert await client.classify(ROWS) == LABELS
        assert 0.9 <= time.monotonic() - started < 2 + SLACK
        assert posts(server) == 2

    clients.run(main)


def test_429_every_time_fails_with_attempts_and_retry_after(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.set_default("/classify", retry_after(429, "0"))
        with pytest.raises(exc.TooManyRequests) as info:
            await client.classify(ROWS)
        assert (info.value.attempts, info.value.retry_after) == (3, 0)
        assert posts(server) == 3
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert (response.status_code, response.attempts) == (429, 3)

    clients.run(main)


def test_503_retry_after_then_success_for_a_call(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", retry_after(503, "1"))
        assert await client.classify(ROWS) == LABELS
        assert posts(server) == 2

    clients.run(main)


def test_503_without_retry_after_is_retried_after_backoff(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", status(503))
        assert await client.classify(ROWS) == LABELS
        assert posts(server) == 2

    clients.run(main)


@pytest.mark.parametrize("value", ["3600", "99999999999999999999999", "1e400", http_date(86400)])
@pytest.mark.parametrize("code", [429, 503])
def test_huge_retry_after_is_raised_at_once(server: FaultServer, clients: AsyncClients, code: int, value: str) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", retry_after(code, value))
        started = time.monotonic()
        with pytest.raises(exc.HTTPStatusError) as info:
            await client.classify(ROWS)
        assert time.monotonic() - started < SLACK
        assert info.value.status_code == code
        assert info.value.retry_after is not None
        assert info.value.retry_after > 3000
        assert (info.value.attempts, posts(server)) == (1, 1)

    clients.run(main)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "\u00b2", "Mon, 99 Foo 2024 25:61:61 GMT", ""])
def test_unusable_retry_after_means_back_off(server: FaultServer, clients: AsyncClients, value: str) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", retry_after(503, value))
        assert await client.classify(ROWS) == LABELS
        assert posts(server) == 2

    clients.run(main)


# --- 5xx ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls"),
    [(500, exc.InternalServerError), (502, exc.BadGateway), (504, exc.GatewayTimeout)],
)
def test_5xx_not_retried_by_default(
    server: FaultServer, clients: AsyncClients, code: int, cls: type[exc.HTTPStatusError]
) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", status(code))
        with pytest.raises(cls) as info:
            await client.classify(ROWS)
        assert (info.value.status_code, info.value.attempts) == (code, 1)
        assert info.value.error == f"scripted {code}"
        assert posts(server) == 1

    clients.run(main)


def test_5xx_retried_with_extra_statuses(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(retry=FAST_RETRY._replace(extra_statuses=frozenset({500, 502, 504})))
        server.script("/classify", status(500), status(502), status(504))
        with pytest.raises(exc.GatewayTimeout) as info:
            await client.classify(ROWS)
        assert info.value.attempts == 3
        server.script("/classify", status(502))
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert (response.json(), response.attempts) == (LABELS, 2)
        for code in (500, 502, 504):
            server.script("/classify", status(code), status(code))
            response = await client.request("POST", "/classify", json={"input_series": ROWS})
            assert (response.json(), response.attempts) == (LABELS, 3)

    clients.run(main)


# --- malformed responses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [
        huge_header(20 * 1024),
        huge_header(),
        many_headers(),
        raw(b"HELLO\r\n\r\n"),
        raw(b"HTTP/1.1 2x0 OK\r\n\r\n"),
    ],
    ids=["head-over-16KiB", "header-over-64KiB", "150-headers", "no-status-line", "bad-status-code"],
)
def test_malformed_response_head_is_remote_protocol_error(
    server: FaultServer, clients: AsyncClients, behaviour: Behaviour
) -> None:
    # Both transports: a head over 16 KiB (h11's bound, checked however the bytes arrive) or
    # with more than 100 fields is refused.

    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", behaviour)
        with pytest.raises(exc.RemoteProtocolError) as info:
            await client.classify(ROWS)
        assert info.value.attempts == 1
        assert posts(server) == 1
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


def test_invalid_json_for_an_object_output_is_decode_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/info", respond(200, b'{"ok": tru'))
        with pytest.raises(exc.ResponseDecodeError) as info:
            await client.info()
        assert (info.value.body, info.value.endpoint) == (b'{"ok": tru', "info")

    clients.run(main)


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b"\xff\xfe\x00garbage", b"[" * 100_000],
    ids=["html", "not-utf8", "nested-100000-deep"],
)
def test_json_content_type_with_non_json_body_is_decode_error(
    server: FaultServer, clients: AsyncClients, body: bytes
) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", respond(200, body, content_type="application/json"))
        with pytest.raises(exc.ResponseDecodeError):
            await client.classify(ROWS)

    clients.run(main)


def test_json_content_type_with_text_for_a_string_output_is_the_text(
    server: FaultServer, clients: AsyncClients
) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/summarize", respond(200, b"plain words", content_type="application/json"))
        assert await client.summarize("x") == "plain words"

    clients.run(main)


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined", "no-such-codec"])
def test_error_body_in_an_odd_charset_is_still_a_typed_error(
    server: FaultServer, clients: AsyncClients, charset: str
) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", respond(500, b"\xff oops", content_type=f"text/plain; charset={charset}"))
        with pytest.raises(exc.InternalServerError) as info:
            await client.classify(ROWS)
        server.script("/summarize", respond(200, b"words", content_type=f"text/plain; charset={charset}"))
        text = await client.summarize("x")
        if charset == "punycode":  # a real codec: the bytes are taken at the server's word
            assert isinstance(text, str)
        else:  # a codec that cannot decode bytes leniently, or none at all: UTF-8 instead
            assert "oops" in info.value.message
            assert text == "words"

    clients.run(main)


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("http://{other_host}/classify", 307),
        ("//{other_host}/classify", 307),
        ("http://{other_port}/classify", 307),
        ("http://127.0.0.1:{port}@{other_host}/classify", 307),
        ("https://127.0.0.1:{port}/classify", 307),
        ("http://{other_host}/classify", 301),
        ("http://{other_host}/classify", 303),
        ("http://{other_host}/classify", 308),
    ],
)
def test_redirect_to_another_host_is_refused_and_the_token_stays(
    server: FaultServer,
    other_host: FaultServer,
    other_port: FaultServer,
    clients: AsyncClients,
    location: str,
    code: int,
) -> None:
    target = location.format(
        other_host=f"{other_host.host}:{other_host.port}",
        other_port=f"{other_port.host}:{other_port.port}",
        port=server.port,
    )

    async def main() -> None:
        client = await clients.ready(token="secret-token")
        server.script("/classify", redirect(target, code))
        with pytest.raises(exc.RemoteProtocolError, match="another host"):
            await client.classify(ROWS)
        assert posts(server) == 1

    clients.run(main)
    assert (other_host.requests, other_host.connections) == ([], 0)
    assert (other_port.requests, other_port.connections) == ([], 0)


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999/x", "http://127.0.0.1:port/x"])
def test_malformed_redirect_location_is_remote_protocol_error(
    server: FaultServer, clients: AsyncClients, location: str
) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", redirect(location))
        with pytest.raises(exc.RemoteProtocolError):
            await client.classify(ROWS)
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


def test_same_host_307_keeps_the_post_body(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready(token="secret-token")
        server.set_default("/moved", DEFAULTS["/classify"])
        server.script("/classify", redirect(f"http://127.0.0.1:{server.port}/moved", 307))
        assert await client.classify(ROWS) == LABELS
        first, second = server.requests_for("/classify")[-1], server.requests_for("/moved")[-1]
        assert (second.method, second.body) == ("POST", first.body)
        assert second.header("authorization") == "Bearer secret-token"  # same host: the token may go

    clients.run(main)


def test_same_host_303_becomes_a_get_without_body(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", redirect("/info", 303))
        response = await client.request("POST", "/classify", json={"input_series": ROWS})
        assert response.json() == {"ok": True}
        follow = server.requests_for("/info")[-1]
        assert (follow.method, follow.body, follow.header("content-type")) == ("GET", b"", None)

    clients.run(main)


def test_redirect_loop_is_remote_protocol_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.set_default("/classify", redirect("/classify", 307))
        with pytest.raises(exc.RemoteProtocolError, match="redirects"):
            await client.classify(ROWS)
        assert posts(server) == 6  # the first and five redirects

    clients.run(main)


# --- header injection: refused before anything is sent -----------------------------------


@pytest.mark.parametrize("token", ["abc\r\nX-Injected: 1", "abc\ndef", "abc\rdef", "abc\x00def", "t\u2713ken"])
def test_bad_token_is_refused_at_construction(server: FaultServer, token: str) -> None:
    with pytest.raises(exc.ConfigurationError) as info:
        AsyncHTTPClient(server.url, token=token)
    assert token not in str(info.value)  # the secret is not echoed
    assert (server.requests, server.connections) == ([], 0)


def test_header_value_with_line_break_is_refused_before_sending(server: FaultServer, clients: AsyncClients) -> None:
    with pytest.raises(exc.ConfigurationError):
        AsyncHTTPClient(server.url, headers={"X-Tag": "a\r\nX-Injected: 1"})
    assert server.requests == []

    async def main() -> None:
        client = await clients.ready()
        seen = len(server.requests)
        with pytest.raises(exc.ConfigurationError):
            client.with_options(headers={"X-Tag": "a\nb"})
        with pytest.raises(exc.ConfigurationError):
            await client.request("GET", "/info", headers={"X-Tag": "a\r\nb"})
        with pytest.raises(exc.ConfigurationError):
            await client.request("GET", "/info", headers={"X-Bad Name:": "v"})
        with pytest.raises(exc.ConfigurationError):
            await client.request("GET", "/info", headers={"X-Tag": "\u2713"})
        assert len(server.requests) == seen

    clients.run(main)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/info\r\nX-Injected: 1"), ("GET", "/info\nX: 1"), ("GET\r\nX: y", "/info"), ("GE T", "/info")],
)
def test_request_line_injection_is_refused_before_sending(
    server: FaultServer, clients: AsyncClients, method: str, path: str
) -> None:
    async def main() -> None:
        client = await clients.ready()
        seen = len(server.requests)
        with pytest.raises(exc.ConfigurationError):
            await client.request(method, path)
        assert len(server.requests) == seen
        assert (await client.request("GET", "/info")).status_code == 200

    clients.run(main)


def test_space_and_non_ascii_in_a_path_are_refused_before_sending(server: FaultServer, clients: AsyncClients) -> None:
    # Both clients refuse them the same way (a typed error that says to percent-encode).
    async def main() -> None:
        client = await clients.ready()
        seen = len(server.requests)
        for path in ("/in fo", "/caf\u00e9"):
            with pytest.raises(exc.ConfigurationError, match="percent-encode"):
                await client.request("GET", path)
        assert len(server.requests) == seen
        assert (await client.request("GET", "/in%20fo")).status_code == 404

    clients.run(main)


# --- file outputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/x"', "x"),
        ('attachment; filename="/abs/path"', "path"),
        ('attachment; filename=".."', "output.txt"),
        ('attachment; filename="C:\\\\evil\\\\y.txt"', "y.txt"),
        ("attachment; filename*=UTF-8''..%2F..%2Fz.txt", "z.txt"),
        ("attachment; filename*=UTF-8''%00%2Fetc%2Fpasswd", "passwd"),
        ('attachment; filename=".bashrc"', "bashrc"),
    ],
)
def test_file_names_stay_inside_the_download_dir(
    server: FaultServer, clients: AsyncClients, tmp_path: Path, disposition: str, expected: str
) -> None:
    downloads = tmp_path / "a" / "b" / "dl"

    async def main() -> None:
        client = await clients.ready(download_dir=str(downloads))
        server.script("/make_file", file_response(b"content", disposition=disposition))
        path = await client.make_file("ignored")
        assert isinstance(path, Path)
        assert path.parent.resolve() == downloads.resolve()
        assert path.name == expected
        assert path.read_bytes() == b"content"
        everything = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
        assert everything == {path.relative_to(tmp_path)}

    clients.run(main)


def test_long_utf8_file_name_is_shortened_to_fit(server: FaultServer, clients: AsyncClients, tmp_path: Path) -> None:
    async def main() -> None:
        client = await clients.ready(download_dir=str(tmp_path))
        name = "\u00e9" * 150 + ".txt"  # 150 characters, 304 bytes: over the usual 255-byte limit
        server.script(
            "/make_file", file_response(b"c", disposition="attachment; filename*=UTF-8''" + "%C3%A9" * 150 + ".txt")
        )
        path = await client.make_file("x")
        assert path.parent == tmp_path
        assert len(path.name.encode()) <= 255
        assert path.name.endswith(".txt")
        assert path.name != name

    clients.run(main)


def test_nul_in_a_file_name_is_refused_with_the_whole_response(
    server: FaultServer, clients: AsyncClients, tmp_path: Path
) -> None:
    async def main() -> None:
        client = await clients.ready(download_dir=str(tmp_path))
        server.script("/make_file", file_response(b"content", disposition='attachment; filename="a\x00b.txt"'))
        # NUL in a field value: h11 and bentoclient's own reader refuse the whole response.
        with pytest.raises(exc.RemoteProtocolError):
            await client.make_file("ignored")
        assert list(tmp_path.iterdir()) == []

    clients.run(main)


def test_same_file_name_twice_gives_two_files(server: FaultServer, clients: AsyncClients, tmp_path: Path) -> None:
    async def main() -> None:
        client = await clients.ready(download_dir=str(tmp_path))
        first, second = await client.make_file("one"), await client.make_file("two")
        assert (first.name, second.name) == ("out.txt", "out-1.txt")
        assert (first.read_text(), second.read_text()) == ("one", "two")

    clients.run(main)


def test_unusable_download_dir_is_a_typed_error(server: FaultServer, clients: AsyncClients, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")

    async def main() -> None:
        client = await clients.ready(download_dir=str(tmp_path / "taken"))
        with pytest.raises(exc.BentoClientError):
            await client.make_file("x")
        assert await client.info() == {"ok": True}  # and the response did not keep its connection

    clients.run(main)


def test_temporary_download_dir_goes_at_close_of_the_client_not_of_a_copy(
    server: FaultServer, clients: AsyncClients
) -> None:
    async def main() -> None:
        client = await clients.ready()
        copy = client.with_options(timeout=5)
        path = await client.make_file("data")
        await copy.close()
        assert path.read_text() == "data"  # a with_options() copy does not own the folder
        await client.close()
        assert not path.exists()
        assert not path.parent.exists()

    clients.run(main)


# --- TLS ------------------------------------------------------------------------------------


def test_tls_self_signed_fails_default_verification_at_once(tls_server: FaultServer, tls_clients: AsyncClients) -> None:
    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.TLSError) as info:  # a ConnectError, neither retried nor waited out
            await tls_clients.ready(retry=NO_RETRY, server_ready_timeout=1.5)
        assert time.monotonic() - started < 1.0
        assert info.value.request_sent is False
        assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
        assert "pass verify= a CA bundle path" in str(info.value)  # the fix for an untrusted certificate
        assert "does not speak TLS" not in str(info.value)
        with pytest.raises(exc.TLSError) as retried:
            await tls_clients.ready(server_ready_timeout=0)  # default Retry: TLS is not retried
        assert retried.value.attempts == 1

    tls_clients.run(main)
    assert tls_server.requests == []
    assert tls_server.connections == 2  # one handshake each, never completed: not retried


def test_https_url_for_a_plain_http_server_says_use_http(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        with pytest.raises(exc.TLSError) as info:
            await clients.ready(server.url.replace("http://", "https://"), retry=NO_RETRY, server_ready_timeout=5)
        assert "the server does not speak TLS here" in str(info.value)
        assert f"use {server.url!r}" in str(info.value)

    clients.run(main)


def test_tls_with_ca_file(tls_server: FaultServer, tls_clients: AsyncClients, tls_files: TLSFiles) -> None:
    async def main() -> None:
        client = await tls_clients.ready(verify=tls_files.ca, token="secret-token")
        assert await client.classify(ROWS) == LABELS
        assert await client.classify(ROWS) == LABELS
        assert tls_server.connections == 1  # kept alive over TLS too

    tls_clients.run(main)


def test_tls_with_ssl_context(tls_server: FaultServer, tls_clients: AsyncClients, tls_files: TLSFiles) -> None:
    async def main() -> None:
        client = await tls_clients.ready(verify=ssl.create_default_context(cafile=tls_files.ca))
        assert await client.info() == {"ok": True}

    tls_clients.run(main)


def test_tls_verify_false(tls_server: FaultServer, tls_clients: AsyncClients) -> None:
    async def main() -> None:
        client = await tls_clients.ready(verify=False)
        assert await client.info() == {"ok": True}

    tls_clients.run(main)


def test_tls_stale_connection_is_retried_transparently(
    tls_server: FaultServer, tls_clients: AsyncClients, tls_files: TLSFiles
) -> None:
    async def main() -> None:
        client = await tls_clients.ready(verify=tls_files.ca, retry=FAST_RETRY._replace(retry_sent_requests=True))
        assert await client.classify(ROWS) == LABELS
        tls_server.script("/classify", close_without_response())
        assert await client.classify(ROWS) == LABELS
        assert len(tls_server.requests_for("/classify")) == 3

    tls_clients.run(main)


def test_tls_missing_ca_file_is_configuration_error_at_construction(
    tls_server: FaultServer, tls_clients: AsyncClients, tmp_path: Path
) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate")

    async def main() -> None:
        for ca in (tmp_path / "missing.pem", tmp_path / "junk.pem"):
            # As on SyncHTTPClient: the transport reads the CA file when it is made (no network I/O).
            with pytest.raises(exc.ConfigurationError, match="CA"):
                tls_clients(verify=str(ca))

    tls_clients.run(main)
    assert tls_server.connections == 0


# --- lifecycle: not set up, closed ------------------------------------------------------------


# async-only: begin
def test_endpoints_before_setup_are_client_not_set_up(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = clients()
        with pytest.raises(exc.ClientNotSetUpError, match="async with"):
            client.classify  # noqa: B018
        with pytest.raises(exc.ClientNotSetUpError, match="setup"):
            client.call("classify", ROWS)
        assert server.requests == []  # construction and these errors do no I/O
        await client.setup()
        assert await client.classify(ROWS) == LABELS

    clients.run(main)


# async-only: end


def test_closed_client_and_its_copies_raise_client_closed(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        copy = client.with_options(timeout=5)
        assert await copy.info() == {"ok": True}
        await client.close()
        seen = len(server.requests)
        for target in (client, copy):  # closing either closes both
            with pytest.raises(exc.ClientClosedError):
                await target.classify(ROWS)
            with pytest.raises(exc.ClientClosedError):
                await target.request("GET", "/info")
            with pytest.raises(exc.ClientClosedError):
                await target.is_ready()
            with pytest.raises(exc.ClientClosedError):
                await target.wait_until_server_ready(0.5)
        assert len(server.requests) == seen
        await client.close()  # twice is fine

    clients.run(main)


# async-only: begin
def test_copy_made_before_the_first_request_shares_the_connections(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = clients()
        early = client.with_options(timeout=5)  # no connection yet: opened later, by either
        await client.setup()
        assert (await early.request("GET", "/info")).status_code == 200
        assert server.connections == 1
        await client.close()  # closes the copy's connections too (the leak check would see them)
        with pytest.raises(exc.ClientClosedError):
            await early.request("GET", "/info")

    clients.run(main)


def test_async_with_whose_setup_fails_closes_the_client(server: FaultServer, clients: AsyncClients) -> None:
    from .support import open_connections

    server.set_default("/schema.json", respond(200, b"not json"))

    async def main() -> None:
        client = clients()
        with pytest.raises(exc.SchemaError):
            async with client:
                pass  # pragma: no cover
        assert client._closed
        assert open_connections(client) == 0  # the connection readiness and schema used is closed

    clients.run(main)


# async-only: end


# --- every fault: a value or a bentoclient error --------------------------------------------

SWEEP: list[Behaviour] = [
    reset_before_response(),
    close_without_response(),
    reset_mid_body(),
    truncated_length(),
    truncated_chunked(),
    headers_then_stall(),
    stall(),
    huge_header(200 * 1024),
    raw(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"),
    raw(b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n"),
    raw(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 4\r\n\r\nnope"),
    raw(b"\x16\x03\x01\x00\x05hello"),
    redirect("http://[::1"),
    respond(200, b"\xff", content_type="application/json"),
]
#: The faults the client finds (not the transport): no transport exception underneath.
CLIENT_LEVEL = SWEEP[-2:]


async def outcome(call: Callable[..., Any], *args: Any) -> Optional[Exception]:
    """What ``call(*args)`` raised, or None when it gave a value."""
    try:
        await call(*args)
    except Exception as err:
        return err
    return None


def test_every_fault_gives_a_bentoclient_error_never_an_httpx_one(
    server: FaultServer, clients: AsyncClients, tmp_path: Path
) -> None:
    async def main() -> None:
        client = await clients.ready(timeout=quick(read=0.2), download_dir=str(tmp_path))
        for behaviour in SWEEP:
            for path in ("/classify", "/make_file", "/info"):
                server.script(path, behaviour)
                if path == "/info":
                    err = await outcome(client.request, "GET", path)
                else:
                    err = await outcome(client.call, path[1:], ROWS if path == "/classify" else "x")
                if err is not None:  # a typed error; a transport's keeps what caused it (``from``)
                    assert isinstance(err, exc.BentoClientError), repr(err)
                    assert type(err).__module__ == "bentoclient.exceptions", repr(err)
                    if isinstance(err, exc.TransportError) and behaviour not in CLIENT_LEVEL:
                        assert err.__cause__ is not None, repr(err)
        assert open_responses(client) == 0

    clients.run(main)


# --- the leak checks themselves -------------------------------------------------------------


def test_pool_check_sees_a_response_left_open(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        response, _ = await client._send(Request("GET", "/info", client._headers), QUICK)
        assert open_responses(client) == 1
        with pytest.raises(AssertionError, match="never closed"):
            await clients.close_all()
        await response.aclose()
        assert open_responses(client) == 0

    clients.run(main)


# --- IPv6 literal hosts; one header and path policy for both clients ---------------------------


def test_ipv6_literal_host_follows_relative_and_absolute_redirects(
    ipv6_server: FaultServer, ipv6_clients: AsyncClients
) -> None:
    async def main() -> None:
        client = await ipv6_clients.ready(token="secret-token")
        ipv6_server.set_default("/moved", DEFAULTS["/classify"])
        ipv6_server.script(
            "/classify", redirect("/moved", 307), redirect(f"http://[::1]:{ipv6_server.port}/moved", 308)
        )
        assert await client.classify(ROWS) == LABELS  # relative Location
        assert await client.classify(ROWS) == LABELS  # absolute Location on the same [::1] host
        moved = ipv6_server.requests_for("/moved")
        assert len(moved) == 2
        assert {r.header("host") for r in moved} == {f"[::1]:{ipv6_server.port}"}
        assert {r.header("authorization") for r in moved} == {"Bearer secret-token"}

    ipv6_clients.run(main)


def test_requests_ask_for_no_content_coding_and_resolve_dot_segments(
    server: FaultServer, clients: AsyncClients
) -> None:
    async def main() -> None:
        client = await clients.ready()
        await client.request("GET", "/a/../info")
        sent = server.requests[-1]
        assert sent.path == "/info"  # dot segments resolved, as browsers and httpx do
        assert sent.header("accept-encoding") == "identity"  # file outputs and streams are read as sent

    clients.run(main)


def test_informational_1xx_answers_are_skipped(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", interim_then(DEFAULTS["/classify"]))
        assert await client.classify(ROWS) == LABELS
        assert await client.classify(ROWS) == LABELS  # and the connection stays usable

    clients.run(main)


def test_redirect_without_location_is_remote_protocol_error(server: FaultServer, clients: AsyncClients) -> None:
    async def main() -> None:
        client = await clients.ready()
        server.script("/classify", respond(307, b"", content_type=None))
        with pytest.raises(exc.RemoteProtocolError, match="without a Location"):
            await client.classify(ROWS)

    clients.run(main)


# async-only: begin
def test_a_client_used_from_a_second_event_loop_says_so(server: FaultServer, clients: AsyncClients) -> None:
    client = clients()
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(client.setup())
        assert first.run_until_complete(client.classify(ROWS)) == LABELS

        async def second() -> None:
            with pytest.raises(exc.EventLoopError, match="one client per event loop"):
                await client.classify(ROWS)

        asyncio.run(second())  # as a second asyncio.run() would: our error, never "Event loop is closed"
        first.run_until_complete(client.close())
    finally:
        first.close()


def test_the_default_transport_closes_from_another_loop_after_its_own_ended(server: FaultServer) -> None:
    client = AsyncHTTPClient(server.url, timeout=QUICK)

    async def use() -> None:
        await client.setup()
        assert await client.classify(ROWS) == LABELS

    asyncio.run(use())  # the loop ends with the client still open
    asyncio.run(client.close())  # its sockets are closed all the same (the leak check after the test)


# async-only: end
