"""Property tests: whatever bytes the server sends, only values or bentoclient errors come out.

Never an ``http.client``, ``socket``, ``ssl``, ``json`` or ``UnicodeDecodeError`` exception,
never a connection slot left taken, never a file saved outside the download folder.
One fault server and one client per test; hypothesis scripts one response per example.
Every test runs on every transport: the standard-library pool of ``SyncHTTPClient``, and,
when ``bentoclient_async`` is installed, ``AsyncHTTPClient`` on its default transport and on
httpx's pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from faultserver import FaultServer, raw
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pools import pool_of

from bentoclient import Backoff, BentoClientError, Retry, SyncHTTPClient, Timeout
from bentoclient._url import parse_service_url

from .conftest import assert_pool_clean

FUZZ = settings(
    max_examples=int(os.environ.get("BENTOCLIENT_FUZZ_EXAMPLES", "50")),  # raise it for a deeper run
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)
#: One quick retry, Retry-After waits of at most 50 ms, and 3 s for everything.
RETRY = Retry(total=1, backoff=Backoff(initial=0.001, factor=1.0, maximum=0.001, jitter=0.0), max_retry_after=0.05)
TIMEOUT = Timeout(connect=2, read=0.5, write=2, pool=2, total=3)

CALLS: dict[str, tuple[Any, ...]] = {
    "classify": ([[1, 2], [9, 9]],),
    "info": (),
    "summarize": ("a. b",),
    "make_file": ("x",),
}

# --- strategies -------------------------------------------------------------------------------

header_names = st.one_of(
    st.sampled_from(
        [
            "Content-Type",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Retry-After",
            "Location",
            "Content-Disposition",
            "X-Bentoml-Request-Id",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_!#$%&'*+.^`|~0123456789", min_size=1, max_size=20),
)
# Anything but CR/LF (which would end the header), as latin-1 text: every byte 0x00-0xff.
header_values = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/plain; charset=utf-8",
            "text/plain; charset=idna",
            "application/json; charset=undefined",
            "chunked",
            "close",
            "0",
            "-1",
            "99999999999999999999",
            "1e400",
            "nan",
            "\u00b2",
            "Mon, 01 Jan 99999 00:00:00 GMT",
            "http://[::1",
            "//[",
            "http://127.0.0.1:99999/x",
            "http://127.0.0.2/x",
            "/info",
            'attachment; filename="../../x"',
            "attachment; filename*=utf-8''%C3%A9%00%2F..",
            "attachment; filename*=bogus''%ff",
        ]
    ),
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")),
)
statuses = st.one_of(
    st.sampled_from([200, 201, 204, 301, 302, 303, 307, 308, 400, 404, 429, 500, 502, 503, 504]),
    st.integers(min_value=100, max_value=999),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A named function, not a lambda: hypothesis inspects its source to check that it recurses.
    return st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    _containers,
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=512),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v).encode()[:-1]),  # cut short
)


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    """A response with a random status, random headers, and a body that may or may not fit them."""
    code = draw(statuses)
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2", "HTTP/1.1 "]))
    head = f"{version} {code} {draw(st.sampled_from(['OK', '', 'X Y']))}\r\n"
    body = draw(bodies)
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=8))
    framing = draw(st.sampled_from(["length", "length", "none", "chunked", "lie"]))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
    elif framing == "lie":
        headers.append(("Content-Length", str(draw(st.integers(min_value=0, max_value=4096)))))
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        cut = draw(st.integers(min_value=0, max_value=len(body)))
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        body = body[: len(body) - cut]
    head += "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


# --- helpers ----------------------------------------------------------------------------------

TRANSPORTS = ["sync"]
if importlib.util.find_spec("bentoclient_async") is not None:
    TRANSPORTS += ["asyncio", "httpx"]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Target:
    """One client of the transport under test, called synchronously (async ones in their own loop)."""

    def __init__(self, kind: str, url: str, download_dir: Optional[Path]) -> None:
        self.kind = kind
        self.sync: Optional[SyncHTTPClient] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        if kind == "sync":
            self.sync = SyncHTTPClient(url, timeout=TIMEOUT, retry=RETRY, download_dir=download_dir)
            return
        from bentoclient_async import AsyncHTTPClient, HTTPXTransport

        options: dict[str, Any] = {}
        if kind == "httpx":
            options["transport"] = HTTPXTransport(parse_service_url(url))
        self.loop = asyncio.new_event_loop()
        self.async_client = AsyncHTTPClient(url, timeout=TIMEOUT, retry=RETRY, download_dir=download_dir, **options)

    def call(self, endpoint: str) -> Any:
        if self.sync is not None:
            return self.sync.call(endpoint, *CALLS[endpoint])
        assert self.loop is not None
        return self.loop.run_until_complete(self.async_client.call(endpoint, *CALLS[endpoint]))

    def free_slots(self) -> Optional[int]:
        return None if self.sync is None else pool_of(self.sync)._slots._value

    def close(self) -> None:
        if self.sync is not None:
            self.sync.close()
            assert_pool_clean(self.sync)
            return
        assert self.loop is not None
        try:
            self.loop.run_until_complete(self.async_client.close())
        finally:
            self.loop.close()


@contextlib.contextmanager
def fuzz_target(kind: str, download_dir: Optional[Path] = None) -> Iterator[tuple[FaultServer, Target]]:
    with FaultServer() as server:
        client = Target(kind, server.url, download_dir)
        try:
            yield server, client
        finally:
            client.close()
        assert not server.errors


def call_once(server: FaultServer, client: Target, endpoint: str, response: bytes) -> Any:
    """Script ``response`` for the endpoint and call it: a value or a bentoclient error, nothing else."""
    server.clear_scripts()
    server.script(CALLS_ROUTE[endpoint], raw(response))
    free = client.free_slots()
    escaped: Optional[str] = None
    try:
        result: Any = client.call(endpoint)
    except BentoClientError as err:
        result = err
    except Exception as err:  # what this test looks for; the message only, so the frames go now
        escaped = f"{type(err).__name__}: {err}"
    assert escaped is None, f"call({endpoint!r}) on {client.kind} let a non-bentoclient error out: {escaped}"
    assert client.free_slots() == free, "a response was left holding its connection"
    return result


CALLS_ROUTE = {name: f"/{name}" for name in CALLS}


# --- properties -------------------------------------------------------------------------------


def test_random_bytes_as_the_whole_response(transport: str) -> None:
    with fuzz_target(transport) as (server, client):

        @FUZZ
        @given(st.binary(max_size=2048), st.sampled_from(["classify", "info", "summarize"]))
        def check(data: bytes, endpoint: str) -> None:
            call_once(server, client, endpoint, data)

        check()


def test_random_status_headers_and_body(transport: str) -> None:
    with fuzz_target(transport) as (server, client):

        @FUZZ
        @given(responses(), st.sampled_from(["classify", "info", "summarize"]))
        # Known-nasty cases, always run (random search finds them only now and then):
        @example(b"HTTP/1.1 400 OK\r\nContent-Type: text/plain; charset=idna\r\nContent-Length: 1\r\n\r\n\x00", "info")
        @example(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=undefined\r\nContent-Length: 1\r\n\r\nx", "summarize"
        )
        @example(b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n", "info")
        @example(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" + b"[" * 5000, "info"
        )
        @example(b"HTTP/1.1 503 X\r\nRetry-After: Mon, 01 Jan 99999999999999999999 00:00:00 GMT\r\n\r\n", "info")
        @example(b"HTTP/1.1 429 X\r\nRetry-After: \xb2\r\nContent-Length: 0\r\n\r\n", "info")
        def check(response: bytes, endpoint: str) -> None:
            call_once(server, client, endpoint, response)

        check()


def test_random_json_body_for_each_output_type(transport: str) -> None:
    with fuzz_target(transport) as (server, client):

        @FUZZ
        @given(bodies, st.sampled_from(["application/json", "text/plain", ""]), st.sampled_from(["classify", "info"]))
        def check(body: bytes, content_type: str, endpoint: str) -> None:
            head = f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
            call_once(server, client, endpoint, head.encode() + body)

        check()


def test_random_file_outputs_stay_in_the_download_dir(transport: str, tmp_path: Path) -> None:
    downloads = tmp_path / "dl"
    with fuzz_target(transport, downloads) as (server, client):

        @FUZZ
        @given(st.one_of(header_values, st.text(max_size=60)), st.binary(max_size=64))
        def check(disposition: str, content: bytes) -> None:
            value = "".join(ch for ch in disposition if ch not in "\r\n").encode("utf-8", "replace").decode("latin-1")
            head = (
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                f"content-disposition: {value}\r\ncontent-length: {len(content)}\r\n\r\n"
            )
            result = call_once(server, client, "make_file", head.encode("latin-1") + content)
            if isinstance(result, Path):
                assert result.parent == downloads
                assert result.read_bytes() == content

        check()
    outside = [p for p in tmp_path.rglob("*") if downloads not in p.parents and p != downloads]
    assert outside == []
