"""HTTP/1.1 framing on both async transports, against a loopback server that sends scripted bytes.

Each case is one server misbehaviour (or one bad request) with one outcome, the same on
the default transport (``HTTPXTransport``, httpx's pool) and on the opt-in
``AsyncioTransport`` (core's ResponseParser on asyncio streams): a stall is a ``ReadTimeout``, never
a short answer; a response h11 refuses is refused (h11 itself is asked, as the oracle, that
it does refuse those bytes); a bad request head is a ``ConfigurationError`` before a byte is
sent.  The transports are driven directly (no client retries, no readiness calls), so the
server sees exactly what each attempt sent.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any, Callable, Optional, Union

import h11
import pytest

from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient._url import parse_service_url
from bentoclient.transport import AsyncResponse, AsyncTransport, Request
from bentoclient_async import MAX_INTERIM, AsyncioTransport, HTTPXTransport

SLACK = 0.75  # seconds allowed beyond a limit (scheduling on a busy machine)
LIMITS = Timeout(connect=2, read=0.5, write=2, pool=2)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

#: One step of a scripted answer: bytes to send, seconds to wait, or None to close (FIN).
Step = Union[bytes, float, None]


class ScriptServer:
    """A loopback HTTP/1.1 server that answers each request with the next scripted steps.

    It reads each request head (and a ``Content-Length`` or chunked body), records the raw
    bytes per connection, then plays the steps; with no script left it answers ``200 ok``.
    Every wait ends when the server stops, so no test outlives its server.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.scripts: list[Sequence[Step]] = []
        self.received: list[tuple[int, bytes]] = []  # (connection number, raw request)
        self.connections = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def script(self, *steps: Step) -> None:
        self.scripts.append(steps)

    def stop(self) -> None:
        self._stop.set()
        self._accepter.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                number = self.connections
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _recv(self, sock: socket.socket) -> bytes:
        while not self._stop.is_set():
            try:
                return sock.recv(65536)
            except socket.timeout:
                continue
        return b""

    def _read_request(self, sock: socket.socket, buffer: bytes) -> Optional[tuple[bytes, bytes]]:
        while b"\r\n\r\n" not in buffer:
            data = self._recv(sock)
            if not data:
                return None
            buffer += data
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            while b"0\r\n\r\n" not in rest:
                data = self._recv(sock)
                if not data:
                    return None
                rest += data
            end = rest.index(b"0\r\n\r\n") + 5
        else:
            length = 0
            for line in lower.split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(rest) < length:
                data = self._recv(sock)
                if not data:
                    return None
                rest += data
            end = length
        return head + b"\r\n\r\n" + rest[:end], rest[end:]

    def _serve(self, sock: socket.socket, number: int) -> None:
        sock.settimeout(0.1)
        buffer = b""
        try:
            while not self._stop.is_set():
                request = self._read_request(sock, buffer)
                if request is None:
                    return
                raw, buffer = request
                with self._lock:
                    self.received.append((number, raw))
                    steps: Sequence[Step] = self.scripts.pop(0) if self.scripts else (OK,)
                for step in steps:
                    if step is None:
                        sock.shutdown(socket.SHUT_WR)
                        self._recv(sock)  # until the client closes (or the server stops)
                        return
                    if isinstance(step, float):
                        if self._stop.wait(step):
                            return
                    else:
                        sock.sendall(step)
        except OSError:
            return
        finally:
            sock.close()


@pytest.fixture
def script_server() -> Iterator[ScriptServer]:
    server = ScriptServer()
    yield server
    server.stop()


@pytest.fixture(params=["httpx", "asyncio"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which transport: the default (httpx's pool) or the opt-in one on asyncio streams."""
    return str(request.param)


def make_transport(kind: str, url: str) -> AsyncTransport:
    if kind == "httpx":
        return HTTPXTransport(parse_service_url(url))
    return AsyncioTransport(url)


def run(kind: str, url: str, main: Callable[[AsyncTransport], Awaitable[Any]]) -> Any:
    """Run ``main(transport)`` in a fresh event loop; the transport is closed there, whatever happens."""

    async def wrapper() -> Any:
        transport = make_transport(kind, url)
        try:
            return await main(transport)
        finally:
            await transport.aclose()

    return asyncio.run(wrapper())


async def fetch(
    transport: AsyncTransport, request: Optional[Request] = None, *, deadline: Optional[float] = None
) -> tuple[AsyncResponse, bytes]:
    response = await transport.send(request or Request("GET", "/x"), LIMITS, deadline)
    try:
        return response, await response.aread()
    finally:
        await response.aclose()


def h11_refuses(answer: bytes) -> bool:
    """The oracle: whether h11 refuses ``answer`` to a GET (head or body), fed whole then closed."""
    machine = h11.Connection(h11.CLIENT)
    machine.send(h11.Request(method="GET", target="/x", headers=[("Host", "127.0.0.1")]))
    machine.send(h11.EndOfMessage())
    machine.receive_data(answer)
    machine.receive_data(b"")
    try:
        for _ in range(100):
            event = machine.next_event()
            if type(event) in (h11.EndOfMessage, h11.ConnectionClosed) or event is h11.NEED_DATA:
                return False
    except h11.RemoteProtocolError:
        return True
    return False


# --- a stall is a ReadTimeout, never a cut-off answer ------------------------------------------


def test_a_head_that_stalls_half_way_is_read_timeout(script_server: ScriptServer, kind: str) -> None:
    script_server.script(b"HTTP/1.1 200 OK\r\nContent-", 5.0)

    async def main(transport: AsyncTransport) -> None:
        started = time.monotonic()
        with pytest.raises(exc.ReadTimeout) as info:
            await fetch(transport)
        assert time.monotonic() - started < LIMITS.read + SLACK  # type: ignore[operator]  # read is set
        assert info.value.__cause__ is not None  # the transport's own exception, kept

    run(kind, script_server.url, main)


@pytest.mark.parametrize(
    "head",
    [b"HTTP/1.1 200 OK\r\n\r\npartial", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"],
    ids=["until-close", "content-length"],
)
def test_a_body_that_stalls_is_read_timeout(script_server: ScriptServer, kind: str, head: bytes) -> None:
    script_server.script(head, 5.0)

    async def main(transport: AsyncTransport) -> None:
        response = await transport.send(Request("GET", "/x"), LIMITS, None)
        assert response.status_code == 200
        try:
            with pytest.raises(exc.ReadTimeout):
                await response.aread()
        finally:
            await response.aclose()

    run(kind, script_server.url, main)


def test_a_head_under_the_total_deadline_is_read_timeout(script_server: ScriptServer, kind: str) -> None:
    # 100 Continue every 0.1 s: each arrives well within the read timeout, forever.
    script_server.script(*[step for _ in range(40) for step in (b"HTTP/1.1 100 Continue\r\n\r\n", 0.1)])

    async def main(transport: AsyncTransport) -> None:
        started = time.monotonic()
        with pytest.raises(exc.ReadTimeout, match="total"):
            await fetch(transport, deadline=time.monotonic() + 0.8)
        assert time.monotonic() - started < 0.8 + SLACK

    run(kind, script_server.url, main)


# --- what h11 refuses is refused ----------------------------------------------------------------

REFUSED = {
    "eof-mid-head": b"HTTP/1.1 200 OK\r\nContent-Le",
    "length-plus": b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
    "length-underscore": b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n0123456789",
    "length-negative": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "length-suffix": b"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
    "two-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "chunk-size-0x": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    "chunk-size-underscore": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5_0\r\nhello\r\n0\r\n\r\n",
    "chunk-without-crlf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "gzip-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "chunked-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "space-before-colon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    "whitespace-first-line": b"HTTP/1.1 200 OK\r\n X-Folded: yes\r\nContent-Length: 5\r\n\r\nhello",
    "bare-cr": b"HTTP/1.1 200 OK\r\nX-Value: a\rb\r\nContent-Length: 5\r\n\r\nhello",
    "nul": b"HTTP/1.1 200 OK\r\nX-Value: a\x00b\r\nContent-Length: 5\r\n\r\nhello",
    "truncated-length": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
    "truncated-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
}


@pytest.mark.parametrize("answer", list(REFUSED.values()), ids=list(REFUSED))
def test_what_h11_refuses_is_refused(script_server: ScriptServer, kind: str, answer: bytes) -> None:
    assert h11_refuses(answer), "the oracle accepts these bytes: not a refusal case"
    script_server.script(answer, None)

    async def main(transport: AsyncTransport) -> None:
        with pytest.raises((exc.RemoteProtocolError, exc.ReadError)):
            await fetch(transport)
        _, body = await fetch(transport)  # the transport is fine afterwards, on a new connection
        assert body == b"ok"

    run(kind, script_server.url, main)
    assert script_server.connections == 2


def test_the_oracle_accepts_a_good_answer() -> None:
    # The oracle can say yes: the refusals above are h11's verdicts, not an oracle that always refuses.
    assert not h11_refuses(OK)
    assert not h11_refuses(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")


def test_an_unasked_for_101_is_refused_and_not_put_back_in_the_pool(script_server: ScriptServer, kind: str) -> None:
    # No request asks to switch protocols: h11 refuses a 101 answer, and the connection it
    # came on (no longer HTTP) is closed, never reused.
    answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\n"
    assert h11_refuses(answer)
    script_server.script(answer, 3.0)

    async def main(transport: AsyncTransport) -> None:
        with pytest.raises(exc.RemoteProtocolError):
            await fetch(transport)
        _, body = await fetch(transport)
        assert body == b"ok"

    run(kind, script_server.url, main)
    assert [number for number, _ in script_server.received] == [1, 2]  # the second went on a new connection


def test_interim_answers_are_bounded_on_the_asyncio_transport(script_server: ScriptServer) -> None:
    script_server.script(b"HTTP/1.1 100 Continue\r\n\r\n" * (MAX_INTERIM + 1) + OK)

    async def main(transport: AsyncTransport) -> None:
        with pytest.raises(exc.RemoteProtocolError, match="interim"):
            await fetch(transport)

    run("asyncio", script_server.url, main)


def test_a_few_interim_answers_are_skipped(script_server: ScriptServer, kind: str) -> None:
    script_server.script(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK)

    async def main(transport: AsyncTransport) -> None:
        response, body = await fetch(transport)
        assert (response.status_code, body) == (200, b"ok")

    run(kind, script_server.url, main)


def test_keep_alive_reuses_the_connection_after_a_whole_answer(script_server: ScriptServer, kind: str) -> None:
    script_server.script(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")

    async def main(transport: AsyncTransport) -> None:
        for _ in range(3):
            _, body = await fetch(transport)
            assert body == b"ok"

    run(kind, script_server.url, main)
    assert script_server.connections == 1


# --- the request side: checked before a byte is sent ---------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        Request("GET", "/x", (("X-Token", "a\r\nX-Injected: 1"),)),
        Request("GET", "/x", (("X-Token", "a\nb"),)),
        Request("GET", "/x", (("X-Token", "a\rb"),)),
        Request("GET", "/x", (("X-Token", "a\x00b"),)),
        Request("GET", "/x", (("X-Bad\r\nName", "v"),)),
        Request("GET", "/x", (("X Space", "v"),)),
        Request("GET / HTTP/1.1\r\nX:", "/x"),
        Request("GET", "/x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /y"),
        Request("GET", "/caf\u00e9"),
    ],
    ids=[
        "crlf-value",
        "lf-value",
        "cr-value",
        "nul-value",
        "crlf-name",
        "space-name",
        "method",
        "target",
        "non-ascii-target",
    ],
)
def test_a_bad_request_head_is_refused_before_a_byte_is_sent(
    script_server: ScriptServer, kind: str, request_: Request
) -> None:
    async def main(transport: AsyncTransport) -> None:
        with pytest.raises(exc.ConfigurationError):
            await transport.send(request_, LIMITS, None)

    run(kind, script_server.url, main)
    assert script_server.connections == 0  # not even a connection was opened


def test_a_non_ascii_header_value_is_one_documented_configuration_error(script_server: ScriptServer, kind: str) -> None:
    async def main(transport: AsyncTransport) -> None:
        with pytest.raises(exc.ConfigurationError, match=r"X-Name.*percent- or base64-encode"):
            await transport.send(Request("GET", "/x", (("X-Name", "caf\u00e9"),)), LIMITS, None)

    run(kind, script_server.url, main)
    assert script_server.connections == 0


def test_a_get_with_a_streamed_body_of_unknown_length_says_it_is_chunked(
    script_server: ScriptServer, kind: str
) -> None:
    async def main(transport: AsyncTransport) -> None:
        _, body = await fetch(transport, Request("GET", "/x", content=iter([b"ab", b"cd"])))
        assert body == b"ok"

    run(kind, script_server.url, main)
    ((_, raw),) = script_server.received
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"\r\ntransfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert body == b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"


def test_an_empty_get_has_no_framing_field_and_a_post_says_its_length(script_server: ScriptServer, kind: str) -> None:
    async def main(transport: AsyncTransport) -> None:
        await fetch(transport, Request("GET", "/x"))
        await fetch(transport, Request("POST", "/x", content=b"{}"))
        await fetch(transport, Request("POST", "/x"))

    run(kind, script_server.url, main)
    heads = [raw.partition(b"\r\n\r\n")[0].lower() for _, raw in script_server.received]
    assert b"content-length" not in heads[0]
    assert b"transfer-encoding" not in heads[0]
    assert b"\r\ncontent-length: 2" in heads[1]
    assert b"\r\ncontent-length: 0" in heads[2]


def test_the_default_transport_is_httpx_and_client_cls_says_so(script_server: ScriptServer) -> None:
    from bentoclient_async import AsyncHTTPClient

    assert AsyncHTTPClient.client_cls is HTTPXTransport

    async def main() -> None:
        default = AsyncHTTPClient(script_server.url)
        opted = AsyncHTTPClient(script_server.url, transport=AsyncioTransport(script_server.url))
        try:
            assert isinstance(default._transport, HTTPXTransport)
            assert isinstance(opted._transport, AsyncioTransport)
        finally:
            await default.close()
            await opted.close()

    asyncio.run(main())
