"""The fault matrix: SyncHTTPClient against a server that misbehaves on purpose.

Each test is one fault with ONE documented outcome (docs/reliability.md has the table):
a typed bentoclient error, with the attempts it took, or a correct result.  After every
test the ``no_leaks`` fixture checks that no descriptor, thread, temporary folder or
pooled connection was left behind.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from faultserver import (
    DEFAULTS,
    SCHEMA,
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
from pools import pool_of

import bentoclient._transport
from bentoclient import NO_RETRY, Backoff, Retry, SyncHTTPClient, Timeout
from bentoclient import exceptions as exc

from .conftest import FAST_RETRY, QUICK, ClientFactory, TLSFiles

ROWS = [[1, 2, 3], [9, 9, 9]]  # classify -> [0, 1]
LABELS = [0, 1]
SLACK = 0.5  # seconds allowed beyond a time limit (thread scheduling on a busy machine)


def fresh_client(server: FaultServer, make_client: ClientFactory, **options: Any) -> SyncHTTPClient:
    """A client with no pooled connection: the next request opens a new one."""
    server.script("/schema.json", respond(200, json.dumps(SCHEMA).encode(), close=True))
    client = make_client(**options)
    assert pool_of(client).idle_connections == 0
    return client


def posts(server: FaultServer, path: str = "/classify") -> int:
    return len([r for r in server.requests_for(path) if r.method == "POST"])


# --- connecting ---------------------------------------------------------------------------


def test_refused_at_construction_is_connect_error_after_default_retries(server: FaultServer) -> None:
    port = server.port
    server.refuse()
    started = time.monotonic()
    with pytest.raises(exc.ConnectError) as info:
        SyncHTTPClient(f"http://127.0.0.1:{port}", server_ready_timeout=0, retry=FAST_RETRY, timeout=QUICK)
    assert info.value.request_sent is False
    assert info.value.attempts == 3
    assert "cannot connect" in str(info.value)
    assert time.monotonic() - started < 2


def test_refused_after_the_server_went_away(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    assert client.classify(ROWS) == LABELS
    server.refuse()
    with pytest.raises(exc.ConnectError) as info:
        client.classify(ROWS)
    assert info.value.request_sent is False
    assert info.value.attempts == 3
    with pytest.raises(exc.ConnectError) as once:
        client.with_options(retry=NO_RETRY).classify(ROWS)
    assert once.value.attempts == 1


# --- resets -------------------------------------------------------------------------------


def test_reset_before_response_post_is_not_retried(server: FaultServer, make_client: ClientFactory) -> None:
    client = fresh_client(server, make_client)
    server.script("/classify", reset_before_response())
    with pytest.raises((exc.RemoteProtocolError, exc.ReadError)) as info:
        client.classify(ROWS)
    assert info.value.request_sent is True
    assert info.value.attempts == 1
    assert posts(server) == 1  # the call may have run: never sent twice by default


def test_reset_before_response_post_retried_when_opted_in(server: FaultServer, make_client: ClientFactory) -> None:
    client = fresh_client(server, make_client).with_options(retry=FAST_RETRY._replace(retry_sent_requests=True))
    server.script("/classify", reset_before_response())
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert response.status_code == 200
    assert response.json() == LABELS
    assert response.attempts == 2
    server.script("/classify", reset_before_response())
    assert client.classify(ROWS) == LABELS
    assert posts(server) == 4


def test_reset_before_response_get_is_retried_by_default(server: FaultServer, make_client: ClientFactory) -> None:
    client = fresh_client(server, make_client)
    server.script("/info", reset_before_response(), reset_before_response())
    response = client.request("GET", "/info")
    assert response.json() == {"ok": True}
    assert response.attempts == 3


def test_reset_mid_body_is_read_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", reset_mid_body())
    with pytest.raises(exc.ReadError) as info:
        client.classify(ROWS)
    assert info.value.attempts == 1
    assert posts(server) == 1
    assert client.classify(ROWS) == LABELS  # the broken connection was not pooled


# --- truncated bodies -----------------------------------------------------------------------


def test_truncated_content_length_body_is_read_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", truncated_length(declared=100, body=b"[1, 2, 3"))
    with pytest.raises(exc.ReadError, match="ended early"):
        client.classify(ROWS)
    assert pool_of(client).idle_connections == 0
    assert client.classify(ROWS) == LABELS


def test_truncated_chunked_body_is_read_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", truncated_chunked())
    with pytest.raises(exc.ReadError):
        client.classify(ROWS)
    assert pool_of(client).idle_connections == 0
    assert client.classify(ROWS) == LABELS


def test_truncated_file_output_leaves_no_partial_file(
    server: FaultServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    client = make_client(download_dir=str(tmp_path / "dl"))
    server.script("/make_file", truncated_chunked(content_type="text/plain"))
    with pytest.raises(exc.ReadError):
        client.make_file("x")
    assert list((tmp_path / "dl").iterdir()) == []


def test_truncated_body_of_a_get_is_retried_by_default(server: FaultServer, make_client: ClientFactory) -> None:
    # Retry: "idempotent methods retry read failures": a body cut short is one.
    client = make_client()
    server.script("/info", truncated_length(declared=50, body=b'{"ok"'))
    response = client.request("GET", "/info")
    assert response.json() == {"ok": True}
    assert response.attempts == 2


# --- timeouts -----------------------------------------------------------------------------


def test_headers_then_stall_is_read_timeout(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(timeout=Timeout(connect=2, read=0.3, write=2, pool=2))
    server.script("/classify", headers_then_stall())
    started = time.monotonic()
    with pytest.raises(exc.ReadTimeout):
        client.classify(ROWS)
    assert time.monotonic() - started < 0.3 + SLACK


def test_no_response_is_read_timeout_post_not_retried(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(timeout=Timeout(connect=2, read=0.3, write=2, pool=2))
    server.script("/classify", stall())
    with pytest.raises(exc.ReadTimeout) as info:
        client.classify(ROWS)
    assert info.value.attempts == 1
    assert info.value.request_sent is True
    assert posts(server) == 1


def test_no_response_get_is_not_resent_after_a_read_timeout(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(timeout=Timeout(connect=2, read=0.2, write=2, pool=2))
    server.script("/info", stall(), stall(), stall())
    started = time.monotonic()
    with pytest.raises(exc.ReadTimeout) as info:
        client.request("GET", "/info")  # the server may be working on it: not sent again
    assert info.value.attempts == 1
    assert time.monotonic() - started < 0.2 + SLACK
    assert len(server.requests_for("/info")) == 1


def test_slow_drip_within_total_deadline_succeeds(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(timeout=Timeout(connect=2, read=1, write=2, pool=2, total=3))
    server.script("/classify", drip(b"[0, 1]", 0.02), drip(b"[0, 1]", 0.02, chunked=True))
    assert client.classify(ROWS) == LABELS
    assert client.classify(ROWS) == LABELS


def test_slow_drip_beyond_total_deadline_is_timeout(server: FaultServer, make_client: ClientFactory) -> None:
    # Each byte arrives well within the read timeout, but the whole body would take 3 s.
    client = make_client(timeout=Timeout(connect=2, read=1, write=2, pool=2, total=0.6))
    server.script("/classify", drip(b"[" + b"0, " * 20 + b"1]", 0.05))
    started = time.monotonic()
    with pytest.raises(exc.TimeoutException):
        client.classify(ROWS)
    assert time.monotonic() - started < 0.6 + SLACK


def test_total_deadline_bounds_retries_and_backoff(server: FaultServer, make_client: ClientFactory) -> None:
    retry = Retry(total=50, backoff=Backoff(initial=0.1, factor=1.0, maximum=0.1, jitter=0.0))
    client = make_client(retry=retry, timeout=Timeout(connect=2, read=2, write=2, pool=2, total=0.8))
    server.set_default("/classify", status(503))
    started = time.monotonic()
    with pytest.raises((exc.ServiceUnavailable, exc.TimeoutException)) as info:
        client.classify(ROWS)
    assert time.monotonic() - started < 0.8 + SLACK
    assert 3 <= posts(server) <= 9
    # The deadline can cut the last attempt off before the server has read all of it.
    assert posts(server) <= info.value.attempts <= posts(server) + 1


def test_total_deadline_bounds_retried_read_timeouts(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(
        retry=FAST_RETRY._replace(total=50, retry_sent_requests=True),
        timeout=Timeout(connect=2, read=0.3, write=2, pool=2, total=1.0),
    )
    server.set_default("/info", stall())
    started = time.monotonic()
    with pytest.raises(exc.TimeoutException):
        client.request("GET", "/info")
    assert time.monotonic() - started < 1.0 + SLACK
    assert len(server.requests_for("/info")) >= 3


def test_retry_after_beyond_total_deadline_is_raised_at_once(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(timeout=Timeout(connect=2, read=2, write=2, pool=2, total=1.0))
    server.script("/classify", retry_after(503, "5"))
    started = time.monotonic()
    with pytest.raises(exc.ServiceUnavailable) as info:
        client.classify(ROWS)
    assert time.monotonic() - started < SLACK
    assert info.value.retry_after == 5
    assert info.value.attempts == 1


# --- Retry-After --------------------------------------------------------------------------


def test_429_retry_after_seconds_is_waited_for_and_retried(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", retry_after(429, "1"))
    started = time.monotonic()
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert time.monotonic() - started >= 0.95
    assert response.json() == LABELS
    assert response.attempts == 2


def test_503_retry_after_then_success_for_a_call(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", retry_after(503, "1"))
    assert client.classify(ROWS) == LABELS
    assert posts(server) == 2


def test_retry_after_as_http_date_is_honoured(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", retry_after(503, http_date(2)))  # 1 to 2 s away (whole seconds)
    started = time.monotonic()
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert 0.9 <= time.monotonic() - started < 2 + SLACK
    assert response.attempts == 2


def test_429_every_time_fails_with_attempts_and_retry_after(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.set_default("/classify", retry_after(429, "0"))
    with pytest.raises(exc.TooManyRequests) as info:
        client.classify(ROWS)
    assert info.value.attempts == 3
    assert info.value.retry_after == 0
    assert posts(server) == 3
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert (response.status_code, response.attempts) == (429, 3)


@pytest.mark.parametrize("value", ["3600", "99999999999999999999999", "1e400", http_date(86400)])
@pytest.mark.parametrize("code", [429, 503])
def test_huge_retry_after_is_raised_at_once(
    server: FaultServer, make_client: ClientFactory, code: int, value: str
) -> None:
    client = make_client()
    server.script("/classify", retry_after(code, value))
    started = time.monotonic()
    with pytest.raises(exc.HTTPStatusError) as info:
        client.classify(ROWS)
    assert time.monotonic() - started < SLACK
    assert info.value.status_code == code
    assert info.value.retry_after is not None
    assert info.value.retry_after > 3000
    assert info.value.attempts == 1
    assert posts(server) == 1


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "\u00b2", "Mon, 99 Foo 2024 25:61:61 GMT", ""])
def test_unusable_retry_after_means_back_off(server: FaultServer, make_client: ClientFactory, value: str) -> None:
    client = make_client()
    server.script("/classify", retry_after(503, value))
    assert client.classify(ROWS) == LABELS
    assert posts(server) == 2


# --- 5xx ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls"),
    [(500, exc.InternalServerError), (502, exc.BadGateway), (504, exc.GatewayTimeout)],
)
def test_5xx_not_retried_by_default(
    server: FaultServer, make_client: ClientFactory, code: int, cls: type[exc.HTTPStatusError]
) -> None:
    client = make_client()
    server.script("/classify", status(code))
    with pytest.raises(cls) as info:
        client.classify(ROWS)
    assert info.value.status_code == code
    assert info.value.attempts == 1
    assert info.value.error == f"scripted {code}"
    assert posts(server) == 1


@pytest.mark.parametrize("code", [500, 502, 504])
def test_5xx_retried_with_extra_statuses(server: FaultServer, make_client: ClientFactory, code: int) -> None:
    client = make_client(retry=FAST_RETRY._replace(extra_statuses=frozenset({500, 502, 504})))
    server.script("/classify", status(code), status(code))
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert response.json() == LABELS
    assert response.attempts == 3


def test_503_without_retry_after_is_retried_after_backoff(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", status(503))
    assert client.classify(ROWS) == LABELS
    assert posts(server) == 2


# --- header injection: refused before anything is sent -----------------------------------


@pytest.mark.parametrize("token", ["abc\r\nX-Injected: 1", "abc\ndef", "abc\rdef", "abc\x00def"])
def test_token_with_line_break_is_refused_before_sending(server: FaultServer, token: str) -> None:
    with pytest.raises(exc.ConfigurationError) as info:
        SyncHTTPClient(server.url, token=token)
    assert token not in str(info.value)  # the secret is not echoed
    assert server.requests == []
    assert server.connections == 0


def test_header_value_with_line_break_is_refused_before_sending(
    server: FaultServer, make_client: ClientFactory
) -> None:
    with pytest.raises(exc.ConfigurationError):
        SyncHTTPClient(server.url, headers={"X-Tag": "a\r\nX-Injected: 1"})
    assert server.requests == []
    client = make_client()
    seen = len(server.requests)
    with pytest.raises(exc.ConfigurationError):
        client.with_options(headers={"X-Tag": "a\nb"})
    with pytest.raises(exc.ConfigurationError):
        client.request("GET", "/info", headers={"X-Tag": "a\r\nb"})
    with pytest.raises(exc.ConfigurationError):
        client.request("GET", "/info", headers={"X-Bad Name:": "v"})
    assert len(server.requests) == seen


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/info\r\nX-Injected: 1"), ("GET", "/in fo"), ("GET\r\nX: y", "/info"), ("GET", "/caf\u00e9")],
)
def test_request_line_injection_is_refused_before_sending(
    server: FaultServer, make_client: ClientFactory, method: str, path: str
) -> None:
    client = make_client()
    seen = len(server.requests)
    with pytest.raises(exc.ConfigurationError):
        client.request(method, path)
    assert len(server.requests) == seen
    assert client.request("GET", "/info").status_code == 200


def test_token_that_http_cannot_carry_is_refused_before_sending(server: FaultServer) -> None:
    # Latin-1 is all a header value can hold; "✓" would fail inside http.client instead.
    started = time.monotonic()
    with pytest.raises(exc.ConfigurationError):
        SyncHTTPClient(server.url, token="t\u2713ken", server_ready_timeout=1, timeout=QUICK)
    assert time.monotonic() - started < SLACK
    assert server.requests == []


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
        ("http://{other_host}/classify", 302),
        ("http://{other_host}/classify", 303),
        ("http://{other_host}/classify", 308),
    ],
)
def test_redirect_to_another_host_is_refused_and_the_token_stays(
    server: FaultServer,
    other_host: FaultServer,
    other_port: FaultServer,
    make_client: ClientFactory,
    location: str,
    code: int,
) -> None:
    target = location.format(
        other_host=f"{other_host.host}:{other_host.port}",
        other_port=f"{other_port.host}:{other_port.port}",
        port=server.port,
    )
    client = make_client(token="secret-token")
    server.script("/classify", redirect(target, code))
    with pytest.raises(exc.RemoteProtocolError, match="another host"):
        client.classify(ROWS)
    assert other_host.requests == []
    assert other_host.connections == 0
    assert other_port.requests == []
    assert other_port.connections == 0
    assert posts(server) == 1


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999/x", "http://127.0.0.1:port/x"])
def test_malformed_redirect_location_is_remote_protocol_error(
    server: FaultServer, make_client: ClientFactory, location: str
) -> None:
    client = make_client()
    server.script("/classify", redirect(location))
    with pytest.raises(exc.RemoteProtocolError):
        client.classify(ROWS)


def test_same_host_307_keeps_the_post_body(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(token="secret-token")
    server.set_default("/moved", DEFAULTS["/classify"])
    server.script("/classify", redirect(f"http://127.0.0.1:{server.port}/moved", 307))
    assert client.classify(ROWS) == LABELS
    first, second = server.requests_for("/classify")[-1], server.requests_for("/moved")[-1]
    assert second.method == "POST"
    assert second.body == first.body
    assert second.header("authorization") == "Bearer secret-token"  # same host: the token may go


def test_same_host_303_becomes_a_get_without_body(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", redirect("/info", 303))
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert response.json() == {"ok": True}
    follow = server.requests_for("/info")[-1]
    assert (follow.method, follow.body, follow.header("content-type")) == ("GET", b"", None)


def test_redirect_loop_is_remote_protocol_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.set_default("/classify", redirect("/classify", 307))
    with pytest.raises(exc.RemoteProtocolError, match="redirects"):
        client.classify(ROWS)
    assert posts(server) == 6  # the first and five redirects


# --- malformed responses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [huge_header(), many_headers(), raw(b"HELLO\r\n\r\n"), raw(b"HTTP/1.1 2x0 OK\r\n\r\n")],
    ids=["header-over-64KiB", "150-headers", "no-status-line", "bad-status-code"],
)
def test_malformed_response_head_is_remote_protocol_error(
    server: FaultServer, make_client: ClientFactory, behaviour: Any
) -> None:
    client = make_client()
    server.script("/classify", behaviour)
    with pytest.raises(exc.RemoteProtocolError) as info:
        client.classify(ROWS)
    assert info.value.attempts == 1
    assert posts(server) == 1
    assert client.classify(ROWS) == LABELS


def test_invalid_json_for_an_object_output_is_decode_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/info", respond(200, b'{"ok": tru'))
    with pytest.raises(exc.ResponseDecodeError) as info:
        client.info()
    assert info.value.body == b'{"ok": tru'
    assert info.value.endpoint == "info"


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b"\xff\xfe\x00garbage", b"[" * 100_000],
    ids=["html", "not-utf8", "nested-100000-deep"],
)
def test_json_content_type_with_non_json_body_is_decode_error(
    server: FaultServer, make_client: ClientFactory, body: bytes
) -> None:
    client = make_client()
    server.script("/classify", respond(200, body, content_type="application/json"))
    with pytest.raises(exc.ResponseDecodeError):
        client.classify(ROWS)


def test_json_content_type_with_text_for_a_string_output_is_the_text(
    server: FaultServer, make_client: ClientFactory
) -> None:
    client = make_client()
    server.script("/summarize", respond(200, b"plain words", content_type="application/json"))
    assert client.summarize("x") == "plain words"


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined", "no-such-codec"])
def test_error_body_in_an_odd_charset_is_still_a_typed_error(
    server: FaultServer, make_client: ClientFactory, charset: str
) -> None:
    client = make_client()
    server.script("/classify", respond(500, b"\xff oops", content_type=f"text/plain; charset={charset}"))
    with pytest.raises(exc.InternalServerError) as info:
        client.classify(ROWS)
    server.script("/summarize", respond(200, b"words", content_type=f"text/plain; charset={charset}"))
    text = client.summarize("x")
    if charset == "punycode":  # a real codec: the bytes are taken at the server's word
        assert isinstance(text, str)
    else:  # a codec that cannot decode bytes leniently, or none at all: UTF-8 instead
        assert "oops" in info.value.message
        assert text == "words"


# --- keep-alive -----------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    for _ in range(5):
        assert client.classify(ROWS) == LABELS
    assert server.connections == 1  # readiness, schema and five calls on one connection
    assert pool_of(client).idle_connections == 1


def test_stale_kept_alive_connection_post_is_not_resent_by_default(
    server: FaultServer, make_client: ClientFactory
) -> None:
    client = make_client()  # Go's rule: the server may have read the POST before it closed
    assert client.classify(ROWS) == LABELS
    server.script("/classify", close_without_response())
    with pytest.raises(exc.RemoteProtocolError) as info:
        client.classify(ROWS)
    assert (info.value.stale_connection, info.value.attempts) == (True, 1)
    assert posts(server) == 2
    assert client.request("GET", "/info").attempts in (1, 2)  # the pool recovers


def test_stale_kept_alive_connection_is_retried_transparently(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(retry=FAST_RETRY._replace(retry_sent_requests=True))  # the caller allows a resend
    assert client.classify(ROWS) == LABELS
    server.script("/classify", close_without_response())  # the server "timed out" the idle connection
    assert client.classify(ROWS) == LABELS
    first, lost, again = server.requests_for("/classify")
    assert lost.connection == first.connection
    assert again.connection != lost.connection
    assert again.body == lost.body


def test_stale_kept_alive_connection_reset_is_retried_transparently(
    server: FaultServer, make_client: ClientFactory
) -> None:
    client = make_client(retry=FAST_RETRY._replace(retry_sent_requests=True))
    assert client.classify(ROWS) == LABELS
    server.script("/classify", reset_before_response())
    response = client.request("POST", "/classify", json={"input_series": ROWS})
    assert response.json() == LABELS
    assert response.attempts == 2  # the resend goes through the policy and counts
    assert posts(server) == 3


def test_stale_connection_then_fresh_one_failing_is_an_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(retry=FAST_RETRY._replace(total=1, retry_sent_requests=True))
    assert client.classify(ROWS) == LABELS
    server.script("/classify", close_without_response(), close_without_response())
    with pytest.raises(exc.RemoteProtocolError):
        client.classify(ROWS)
    assert posts(server) == 3


def test_connection_closed_right_after_response_is_not_reused(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(retry=NO_RETRY)
    server.script("/classify", close_after_response(LABELS))
    assert client.classify(ROWS) == LABELS
    time.sleep(0.1)  # the server's FIN arrives while the connection sits in the pool
    assert client.classify(ROWS) == LABELS
    first, second = server.requests_for("/classify")
    assert second.connection != first.connection  # seen closed in the pool: never sent on it


def test_idle_connection_expires_before_the_server_drops_it(
    server: FaultServer, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bentoclient._transport, "KEEPALIVE_EXPIRY", 0.1)
    client = make_client()
    assert client.classify(ROWS) == LABELS
    time.sleep(0.2)
    assert client.classify(ROWS) == LABELS
    first, second = server.requests_for("/classify")
    assert second.connection != first.connection


def test_pool_bounds_connections_under_threads(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=2)
    server.set_default("/classify", drip(b"[0, 1]", 0.01))
    results: list[Any] = []

    def work() -> None:
        for _ in range(3):
            results.append(client.classify(ROWS))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == [LABELS] * 18
    assert server.connections <= 2
    assert pool_of(client).idle_connections <= 2


def test_pool_timeout_when_every_connection_is_busy(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client(max_connections=1, timeout=Timeout(connect=2, read=3, write=2, pool=0.1))
    server.script("/classify", drip(b"[0, 1]", 0.2))
    holder = threading.Thread(target=client.classify, args=(ROWS,))
    holder.start()
    time.sleep(0.2)
    try:
        with pytest.raises(exc.PoolTimeout) as info:
            client.info()
        assert info.value.request_sent is False
        assert info.value.attempts == 3  # nothing was sent: retried as a connect failure
    finally:
        holder.join(10)


def test_a_timeout_message_gives_the_seconds_as_the_async_client_does(
    server: FaultServer, make_client: ClientFactory
) -> None:
    # "busy for 1 s", not "1.0 s": the same text as AsyncHTTPClient's transports.
    client = make_client(max_connections=1, retry=NO_RETRY, timeout=Timeout(connect=2, read=3, write=2, pool=1.0))
    server.script("/classify", drip(b"[0, 1]", 0.4))
    holder = threading.Thread(target=client.classify, args=(ROWS,))
    holder.start()
    time.sleep(0.2)
    try:
        with pytest.raises(exc.PoolTimeout, match=r"stayed busy for 1 s$"):
            client.info()
    finally:
        holder.join(10)


# --- file outputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/x"', "x"),
        ('attachment; filename="/abs/path"', "path"),
        ("attachment; filename*=UTF-8''a%00b.txt", "ab.txt"),  # a raw NUL is refused with the whole head
        ('attachment; filename=".."', "output.txt"),
        ('attachment; filename="C:\\\\evil\\\\y.txt"', "y.txt"),
        ("attachment; filename*=UTF-8''..%2F..%2Fz.txt", "z.txt"),
        ("attachment; filename*=UTF-8''%00%2Fetc%2Fpasswd", "passwd"),
        ('attachment; filename=".bashrc"', "bashrc"),
    ],
)
def test_file_names_stay_inside_the_download_dir(
    server: FaultServer, make_client: ClientFactory, tmp_path: Path, disposition: str, expected: str
) -> None:
    downloads = tmp_path / "a" / "b" / "dl"
    client = make_client(download_dir=str(downloads))
    server.script("/make_file", file_response(b"content", disposition=disposition))
    path = client.make_file("ignored")
    assert isinstance(path, Path)
    assert path.parent.resolve() == downloads.resolve()
    assert path.name == expected
    assert path.read_bytes() == b"content"
    everything = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert everything == {path.relative_to(tmp_path)}


def test_long_utf8_file_name_is_shortened_to_fit(
    server: FaultServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    client = make_client(download_dir=str(tmp_path))
    name = "\u00e9" * 150 + ".txt"  # 150 characters, 304 bytes: over the usual 255-byte limit
    server.script(
        "/make_file", file_response(b"c", disposition="attachment; filename*=UTF-8''" + "%C3%A9" * 150 + ".txt")
    )
    path = client.make_file("x")
    assert path.parent == tmp_path
    assert len(path.name.encode()) <= 255
    assert path.name.endswith(".txt")
    assert path.name != name


def test_same_file_name_twice_gives_two_files(server: FaultServer, make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(download_dir=str(tmp_path))
    first, second = client.make_file("one"), client.make_file("two")
    assert (first.name, second.name) == ("out.txt", "out-1.txt")
    assert (first.read_text(), second.read_text()) == ("one", "two")


def test_unusable_download_dir_is_a_typed_error(
    server: FaultServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    client = make_client(download_dir=str(tmp_path / "taken"))
    with pytest.raises(exc.BentoClientError):
        client.make_file("x")
    assert client.info() == {"ok": True}  # and the response did not keep its connection


def test_temporary_download_dir_goes_at_close_of_the_client_not_of_a_copy(server: FaultServer) -> None:
    client = SyncHTTPClient(server.url, timeout=QUICK)  # not through make_client, which keeps it
    copy = client.with_options(timeout=5)
    path = client.make_file("data")
    copy.close()
    assert path.read_text() == "data"  # a with_options() copy does not own the folder
    client.close()
    assert not path.exists()
    assert not path.parent.exists()


# --- TLS ------------------------------------------------------------------------------------


def test_tls_self_signed_fails_default_verification(tls_server: FaultServer) -> None:
    with pytest.raises(exc.ConnectError, match="TLS") as info:
        SyncHTTPClient(tls_server.url, server_ready_timeout=0, retry=NO_RETRY, timeout=QUICK)
    assert info.value.request_sent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert "pass verify= a CA bundle path" in str(info.value)  # the fix for an untrusted certificate
    assert "does not speak TLS" not in str(info.value)
    assert tls_server.requests == []


@pytest.mark.parametrize("on_hello", ["reply", "close"])
def test_https_url_for_a_plain_http_server_says_use_http(server: FaultServer, on_hello: str) -> None:
    # `bentoml serve` speaks plain HTTP: an https:// URL fails the handshake, and the fix is
    # http://, not a CA bundle. "reply": the server answers 400 as uvicorn does; "close": it hangs up.
    server.on_tls_hello = on_hello
    https_url = server.url.replace("http://", "https://")
    started = time.monotonic()
    with pytest.raises(exc.TLSError) as info:
        SyncHTTPClient(https_url, server_ready_timeout=5, retry=NO_RETRY, timeout=QUICK)
    assert time.monotonic() - started < 2.0  # not waited out as "not ready"
    message = str(info.value)
    assert "the server does not speak TLS here" in message
    assert f"use {server.url!r}" in message
    assert "verify=" not in message
    assert info.value.request_sent is False
    assert server.tls_hellos == 1
    assert server.requests == []


def test_tls_verification_failure_is_not_waited_out(tls_server: FaultServer) -> None:
    # A certificate that fails verification will not start passing: the readiness
    # wait must report it at once, not after server_ready_timeout as "not ready".
    started = time.monotonic()
    with pytest.raises(exc.ConnectError, match="TLS"):
        SyncHTTPClient(tls_server.url, server_ready_timeout=1.5, retry=NO_RETRY, timeout=QUICK)
    assert time.monotonic() - started < 1.0


def test_tls_with_ca_file(tls_server: FaultServer, make_tls_client: ClientFactory, tls_files: TLSFiles) -> None:
    client = make_tls_client(verify=tls_files.ca, token="secret-token")
    assert client.classify(ROWS) == LABELS
    assert client.classify(ROWS) == LABELS
    assert tls_server.connections == 1  # kept alive over TLS too


def test_tls_with_ssl_context(tls_server: FaultServer, make_tls_client: ClientFactory, tls_files: TLSFiles) -> None:
    context = ssl.create_default_context(cafile=tls_files.ca)
    client = make_tls_client(verify=context)
    assert client.info() == {"ok": True}


def test_tls_verify_false(tls_server: FaultServer, make_tls_client: ClientFactory) -> None:
    client = make_tls_client(verify=False)
    assert client.info() == {"ok": True}


def test_tls_stale_connection_is_retried_transparently(
    tls_server: FaultServer, make_tls_client: ClientFactory, tls_files: TLSFiles
) -> None:
    client = make_tls_client(verify=tls_files.ca, retry=FAST_RETRY._replace(retry_sent_requests=True))
    assert client.classify(ROWS) == LABELS
    tls_server.script("/classify", close_without_response())
    assert client.classify(ROWS) == LABELS
    assert len(tls_server.requests_for("/classify")) == 3


def test_tls_missing_ca_file_is_configuration_error(tls_server: FaultServer, tmp_path: Path) -> None:
    with pytest.raises(exc.ConfigurationError, match="CA"):
        SyncHTTPClient(tls_server.url, verify=str(tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(exc.ConfigurationError, match="CA"):
        SyncHTTPClient(tls_server.url, verify=str(tmp_path / "junk.pem"))
    assert tls_server.connections == 0


# --- the leak check itself --------------------------------------------------------------


def test_pool_check_sees_a_response_left_open(server: FaultServer) -> None:
    from bentoclient._models import Request

    from .conftest import assert_pool_clean

    client = SyncHTTPClient(server.url, timeout=QUICK)
    response = pool_of(client).send(Request("GET", "/info"), QUICK)
    client.close()
    with pytest.raises(AssertionError, match="never released"):
        assert_pool_clean(client)
    response.close()
    assert_pool_clean(client)


def test_leak_check_sees_an_open_descriptor() -> None:
    from .conftest import assert_nothing_leaked, snapshot

    before = snapshot()
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        with pytest.raises(pytest.fail.Exception, match="file descriptors left open"):
            assert_nothing_leaked(before, grace=0)
    finally:
        os.close(fd)


# --- IPv6 literal hosts; one header and path policy for both clients ---------------------------


def test_ipv6_literal_host_follows_relative_and_absolute_redirects(
    ipv6_server: FaultServer, make_ipv6_client: ClientFactory
) -> None:
    client = make_ipv6_client(token="secret-token")
    ipv6_server.set_default("/moved", DEFAULTS["/classify"])
    ipv6_server.script("/classify", redirect("/moved", 307), redirect(f"http://[::1]:{ipv6_server.port}/moved", 308))
    assert client.classify(ROWS) == LABELS  # relative Location
    assert client.classify(ROWS) == LABELS  # absolute Location on the same [::1] host
    moved = ipv6_server.requests_for("/moved")
    assert len(moved) == 2
    assert {r.header("host") for r in moved} == {f"[::1]:{ipv6_server.port}"}
    assert {r.header("authorization") for r in moved} == {"Bearer secret-token"}


def test_requests_ask_for_no_content_coding_and_resolve_dot_segments(
    server: FaultServer, make_client: ClientFactory
) -> None:
    client = make_client()
    client.request("GET", "/a/../info")
    sent = server.requests[-1]
    assert sent.path == "/info"  # dot segments resolved, as browsers and httpx do
    assert sent.header("accept-encoding") == "identity"  # file outputs and streams are read as sent


def test_informational_1xx_answers_are_skipped(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", interim_then(DEFAULTS["/classify"]))
    assert client.classify(ROWS) == LABELS
    assert client.classify(ROWS) == LABELS  # and the connection stays usable


def test_redirect_without_location_is_remote_protocol_error(server: FaultServer, make_client: ClientFactory) -> None:
    client = make_client()
    server.script("/classify", respond(307, b"", content_type=None))
    with pytest.raises(exc.RemoteProtocolError, match="without a Location"):
        client.classify(ROWS)
