"""A loopback HTTP/1.1 server that misbehaves on purpose, for bentoclient's fault tests.

Standard library only.  It serves a minimal BentoML surface (``GET /readyz``,
``GET /schema.json`` and four endpoints) so that a ``SyncHTTPClient`` can be built
against it, and then answers each request with a *behaviour*: a function that gets the
request and the socket and may answer well, badly or not at all.  Tests script the
behaviours per path, in order::

    with FaultServer() as server:
        server.script("/classify", reset_before_response(), json_response([1]))
        ...  # first POST /classify is reset, the second gets [1]
        assert [r.method for r in server.requests_for("/classify")] == ["POST", "POST"]

When a path's script is used up, its default behaviour answers (see ``DEFAULTS``).

Everything is bounded: the server listens on loopback only (``127.0.0.1``, or
``127.0.0.2`` for "another host"), answers at most ``MAX_REQUESTS`` requests over at most
``MAX_CONNECTIONS`` connections, drops a connection idle for ``IDLE_LIMIT`` seconds,
never stalls longer than ``STALL_LIMIT`` seconds and stops by itself after ``LIFETIME``
seconds.  ``stop()`` (or leaving the ``with`` block) ends every thread it started and
closes every socket, and raises if a thread does not end in time.
"""

from __future__ import annotations

import collections
import json
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from email.utils import formatdate
from typing import Any, Callable, NamedTuple, Optional

__all__ = [
    "DEFAULTS",
    "HOST",
    "OTHER_HOST",
    "SCHEMA",
    "Behaviour",
    "Exchange",
    "FaultServer",
    "Request",
    "close_after_response",
    "close_without_response",
    "drip",
    "file_response",
    "headers_then_stall",
    "huge_header",
    "http_date",
    "json_response",
    "many_headers",
    "raw",
    "redirect",
    "reset_before_response",
    "reset_mid_body",
    "respond",
    "retry_after",
    "stall",
    "status",
    "truncated_chunked",
    "truncated_length",
]

HOST = "127.0.0.1"
#: Another loopback address, for "a redirect to another host": on Linux all of 127/8 is local.
OTHER_HOST = "127.0.0.2"

MAX_REQUESTS = 20_000  # per server; later requests get their connection closed unanswered
MAX_CONNECTIONS = 64  # open at once; more are closed at once
IDLE_LIMIT = 10.0  # seconds a connection may wait for its next request
STALL_LIMIT = 30.0  # the longest any behaviour waits
LIFETIME = 300.0  # a server never runs longer than this
SOCKET_TIMEOUT = 5.0  # for one send or receive on a connection
MAX_HEAD = 256 * 1024  # request line + headers
_TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS ClientHello record
# What uvicorn (under `bentoml serve`) answers to bytes that are not HTTP.
_NOT_HTTP_REPLY = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: 30\r\n\r\nInvalid HTTP request received."
)
MAX_BODY = 64 * 1024 * 1024
POLL = 0.02  # how often blocked threads look at the stop flag

#: What ``GET /schema.json`` returns: the shape BentoML 1.4 gives, with four endpoints.
SCHEMA: dict[str, Any] = {
    "name": "Faulty",
    "type": "service",
    "description": "A loopback stand-in for a BentoML service that misbehaves on purpose.",
    "routes": [
        {
            "name": "classify",
            "route": "/classify",
            "batchable": False,
            "input": {
                "properties": {
                    "input_series": {
                        "items": {"items": {"type": "number"}, "type": "array"},
                        "title": "Input Series",
                        "type": "array",
                    }
                },
                "required": ["input_series"],
                "title": "Input",
                "type": "object",
            },
            "output": {"items": {"type": "integer"}, "type": "array"},
            "is_task": False,
        },
        {
            "name": "info",
            "route": "/info",
            "batchable": False,
            "input": {"properties": {}, "title": "Input", "type": "object"},
            "output": {
                "properties": {"ok": {"title": "Ok", "type": "boolean"}},
                "required": ["ok"],
                "title": "Info",
                "type": "object",
            },
            "is_task": False,
        },
        {
            "name": "summarize",
            "route": "/summarize",
            "batchable": False,
            "input": {
                "properties": {"text": {"title": "Text", "type": "string"}},
                "required": ["text"],
                "title": "Input",
                "type": "object",
            },
            "output": {"type": "string"},
            "is_task": False,
        },
        {
            "name": "make_file",
            "route": "/make_file",
            "batchable": False,
            "input": {
                "properties": {"content": {"title": "Content", "type": "string"}},
                "required": ["content"],
                "title": "Input",
                "type": "object",
            },
            "output": {"format": "binary", "type": "file"},
            "is_task": False,
        },
    ],
}


class Request(NamedTuple):
    """One request as the server received it."""

    method: str
    path: str  # the request target, query included
    headers: tuple[tuple[str, str], ...]
    body: bytes
    connection: int  # which TCP connection (numbered from 1 in accept order)
    position: int  # 0 for the first request on its connection, 1 for the next...

    def header(self, name: str) -> Optional[str]:
        """The value of header ``name`` (case-insensitive), or None."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)


class _Stopped(Exception):
    """The server is stopping (or a limit ran out): end this connection now."""


class _Gone(Exception):
    """The peer closed the connection."""


class Exchange:
    """One request being answered: what a :data:`Behaviour` receives.

    A behaviour answers with :meth:`respond` / :meth:`send`, may wait with :meth:`wait`,
    and ends the connection with :meth:`close` (FIN) or :meth:`reset` (RST).  Unless it
    does, or answers with ``close=True``, the connection is kept alive for the next request.
    """

    def __init__(self, server: FaultServer, sock: socket.socket, request: Request) -> None:
        self.server = server
        self.sock = sock
        self.request = request
        self.keep_alive = True

    def send(self, data: bytes) -> None:
        self.server._check_running()
        self.sock.sendall(data)

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        *,
        content_type: Optional[str] = "application/json",
        close: bool = False,
    ) -> None:
        """A complete response with ``Content-Length``; ``close=True`` adds ``Connection: close``."""
        self.send(head(status, body_length=len(body), headers=headers, content_type=content_type, close=close) + body)
        if close:
            self.close()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (at most ``STALL_LIMIT``), ending early when the server stops."""
        if self.server._stopping.wait(min(seconds, STALL_LIMIT)):
            raise _Stopped()

    def close(self) -> None:
        """End the connection with a normal close (FIN) after what was sent."""
        self.keep_alive = False
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def reset(self) -> None:
        """End the connection with a TCP reset (RST): ``SO_LINGER`` 0, then close."""
        self.keep_alive = False
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


#: What the server does with one request.
Behaviour = Callable[[Exchange], None]


def head(
    status: int,
    *,
    body_length: Optional[int] = None,
    headers: Iterable[tuple[str, str]] = (),
    content_type: Optional[str] = "application/json",
    close: bool = False,
    chunked: bool = False,
) -> bytes:
    """A status line and headers, ending with the blank line."""
    lines = [f"HTTP/1.1 {status} {_reason(status)}", "server: faultserver"]
    if content_type is not None:
        lines.append(f"content-type: {content_type}")
    if chunked:
        lines.append("transfer-encoding: chunked")
    elif body_length is not None:
        lines.append(f"content-length: {body_length}")
    if close:
        lines.append("connection: close")
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Whatever"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (RFC 9110 IMF-fixdate) ``seconds_from_now`` seconds away."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


# --- behaviours -------------------------------------------------------------------------


def respond(
    status_code: int,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    *,
    content_type: Optional[str] = "application/json",
    close: bool = False,
) -> Behaviour:
    """Answer correctly with this status, body and headers."""

    def behave(ex: Exchange) -> None:
        ex.respond(status_code, body, headers, content_type=content_type, close=close)

    return behave


def json_response(value: Any, status_code: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    """Answer with ``value`` as JSON."""
    return respond(status_code, json.dumps(value).encode(), headers)


def status(code: int, *, headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    """An error status with BentoML's error body ``{"error": ...}``."""
    body = json.dumps({"error": f"scripted {code}"}).encode()
    return respond(code, body, headers)


def retry_after(code: int, value: str) -> Behaviour:
    """429/503 (or any status) with ``Retry-After: value``."""
    return status(code, headers=[("Retry-After", value)])


def raw(data: bytes, *, close: bool = True) -> Behaviour:
    """Send ``data`` as is (whatever it is), then close the connection unless ``close=False``."""

    def behave(ex: Exchange) -> None:
        ex.send(data)
        if close:
            ex.close()

    return behave


def reset_before_response() -> Behaviour:
    """Read the request, then reset the connection without a byte of response."""

    def behave(ex: Exchange) -> None:
        ex.reset()

    return behave


def close_without_response() -> Behaviour:
    """Read the request, then close the connection (FIN) without a byte of response."""

    def behave(ex: Exchange) -> None:
        ex.close()

    return behave


def reset_mid_body(declared: int = 1000, sent: int = 100) -> Behaviour:
    """Headers promising ``declared`` bytes, ``sent`` of them, then a reset."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, body_length=declared) + b"[" + b"1," * ((sent - 1) // 2))
        ex.wait(0.05)  # let the client read what was sent before the reset arrives
        ex.reset()

    return behave


def truncated_length(declared: int = 100, body: bytes = b"[1, 2, 3") -> Behaviour:
    """``Content-Length: declared`` but only ``body``, then a normal close."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, body_length=declared) + body)
        ex.close()

    return behave


def truncated_chunked(*, content_type: str = "application/json") -> Behaviour:
    """A chunked body whose second chunk is cut short, then a normal close."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, chunked=True, content_type=content_type) + _chunk(b"[1, 2") + b"20\r\n, 3, 4")
        ex.close()

    return behave


def headers_then_stall(seconds: float = STALL_LIMIT) -> Behaviour:
    """Status line and headers (``Content-Length: 10``), then silence."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, body_length=10))
        ex.wait(seconds)
        ex.close()

    return behave


def stall(seconds: float = STALL_LIMIT) -> Behaviour:
    """Read the request, then say nothing for ``seconds``, then close."""

    def behave(ex: Exchange) -> None:
        ex.wait(seconds)
        ex.close()

    return behave


def drip(body: bytes, interval: float, *, chunked: bool = False) -> Behaviour:
    """Headers at once, then the body one byte every ``interval`` seconds."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, body_length=None if chunked else len(body), chunked=chunked))
        for i in range(len(body)):
            ex.wait(interval)
            ex.send(_chunk(body[i : i + 1]) if chunked else body[i : i + 1])
        if chunked:
            ex.send(b"0\r\n\r\n")

    return behave


def interim_then(behaviour: Behaviour) -> Behaviour:
    """``100 Continue`` and ``103 Early Hints`` (informational answers), then ``behaviour``."""

    def behave(ex: Exchange) -> None:
        ex.send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        behaviour(ex)

    return behave


def huge_header(size: int = 70 * 1024) -> Behaviour:
    """A single response header line longer than http.client's 64 KiB limit."""

    def behave(ex: Exchange) -> None:
        ex.respond(200, b"[1]", [("x-huge", "a" * size)])

    return behave


def many_headers(count: int = 150) -> Behaviour:
    """More response header fields than http.client accepts (100)."""

    def behave(ex: Exchange) -> None:
        ex.respond(200, b"[1]", [(f"x-h{i}", "v") for i in range(count)])

    return behave


def redirect(location: str, code: int = 307) -> Behaviour:
    """A redirect to ``location`` (absolute or relative)."""
    return respond(code, b"", [("Location", location)], content_type=None)


def close_after_response(value: Any) -> Behaviour:
    """Answer ``value`` as JSON *without* ``Connection: close``, then close the connection."""

    def behave(ex: Exchange) -> None:
        ex.respond(200, json.dumps(value).encode())
        ex.close()

    return behave


def file_response(
    content: bytes,
    filename: Optional[str] = None,
    *,
    disposition: Optional[str] = None,
    content_type: str = "text/plain",
) -> Behaviour:
    """A file output as BentoML sends one: ``Content-Disposition: attachment; filename="..."``.

    ``disposition`` gives the whole header value raw (bytes above 0x7f go out as latin-1).
    """
    if disposition is None and filename is not None:
        disposition = f'attachment; filename="{filename}"'
    headers = [("content-disposition", disposition)] if disposition is not None else []

    def behave(ex: Exchange) -> None:
        ex.respond(200, content, headers, content_type=content_type)

    return behave


# --- defaults: a well-behaved service -----------------------------------------------------


def _readyz(ex: Exchange) -> None:
    ex.respond(200, b"\n", content_type="text/plain; charset=utf-8")


def _schema(ex: Exchange) -> None:
    ex.respond(200, json.dumps(SCHEMA).encode())


def classify_rows(rows: Sequence[Sequence[float]]) -> list[int]:
    """What the Demo service's ``classify`` returns: 1 for a row whose mean is above 5."""
    return [int(bool(row) and sum(row) / len(row) > 5.0) for row in rows]


def _classify(ex: Exchange) -> None:
    try:
        rows = ex.request.json()["input_series"]
        labels = classify_rows(rows)
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        ex.respond(400, b'{"error":"bad input"}')
        return
    ex.respond(200, json.dumps(labels).encode())


def _info(ex: Exchange) -> None:
    ex.respond(200, b'{"ok": true}')


def _summarize(ex: Exchange) -> None:
    try:
        text = str(ex.request.json()["text"])
    except (ValueError, KeyError, TypeError):
        text = ""
    ex.respond(200, text.split(".")[0].encode(), content_type="text/plain; charset=utf-8")


def _make_file(ex: Exchange) -> None:
    try:
        content = str(ex.request.json()["content"]).encode()
    except (ValueError, KeyError, TypeError):
        content = b""
    ex.respond(200, content, [("content-disposition", 'attachment; filename="out.txt"')], content_type="text/plain")


def _not_found(ex: Exchange) -> None:
    ex.respond(404, b"Not Found", content_type="text/plain; charset=utf-8")


DEFAULTS: dict[str, Behaviour] = {
    "/readyz": _readyz,
    "/schema.json": _schema,
    "/classify": _classify,
    "/info": _info,
    "/summarize": _summarize,
    "/make_file": _make_file,
}


# --- the server ---------------------------------------------------------------------------


class FaultServer:
    """The server: start with ``with FaultServer() as server`` (or ``start()``/``stop()``).

    ``url`` is its base URL; ``requests`` what it received so far; ``script(path, ...)``
    queues behaviours for a path; ``set_default(path, behaviour)`` replaces a default.
    ``tls`` (an ``ssl.SSLContext`` with a certificate loaded) makes it speak HTTPS.
    """

    def __init__(self, host: str = HOST, *, tls: Optional[ssl.SSLContext] = None) -> None:
        if not (host.startswith("127.") or host == "::1"):
            raise ValueError("the fault server binds to loopback addresses only")
        self.host = host
        self.tls = tls
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._scripts: dict[str, collections.deque[Behaviour]] = {}
        self._defaults: dict[str, Behaviour] = dict(DEFAULTS)
        self._requests: list[Request] = []
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listener: Optional[socket.socket] = None
        self.connections = 0  # accepted so far
        self.tls_failures = 0  # TLS handshakes that failed (e.g. the client refused our certificate)
        # A plain-HTTP server given a TLS ClientHello (an https:// client): "reply" answers 400
        # and closes, as uvicorn under `bentoml serve` does; "close" closes without a word.
        self.on_tls_hello = "reply"
        self.tls_hellos = 0  # ClientHellos received over plain HTTP
        self.errors: list[str] = []  # unexpected exceptions in handler threads
        self.port = 0
        self._started_at = 0.0

    # --- lifecycle

    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, 0))
            listener.listen(64)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._started_at = time.monotonic()
        self._spawn(self._accept_loop, "faultserver-accept")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, end every connection and join every thread (raises if one hangs)."""
        self._stopping.set()
        self._close_listener()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        with self._lock:
            leftover = list(self._sockets)
            self._sockets.clear()
        for sock in leftover:
            sock.close()
        if alive:
            raise RuntimeError(f"fault server threads did not stop: {alive}")

    def refuse(self) -> None:
        """From now on refuse new connections (the port is closed); open ones are ended too."""
        self.stop()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    # --- scripting

    def script(self, path: str, *behaviours: Behaviour) -> None:
        """Answer the next requests to ``path`` (query ignored) with these behaviours, in order."""
        with self._lock:
            self._scripts.setdefault(path, collections.deque()).extend(behaviours)

    def set_default(self, path: str, behaviour: Behaviour) -> None:
        """Answer ``path`` with ``behaviour`` whenever its script is empty."""
        with self._lock:
            self._defaults[path] = behaviour

    def clear_scripts(self) -> None:
        """Forget every scripted behaviour not used yet."""
        with self._lock:
            self._scripts.clear()

    def pending(self, path: str) -> int:
        """How many scripted behaviours for ``path`` are still unused."""
        with self._lock:
            return len(self._scripts.get(path, ()))

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def _pick(self, path: str) -> Behaviour:
        with self._lock:
            queue = self._scripts.get(path)
            if queue:
                return queue.popleft()
            return self._defaults.get(path, _not_found)

    # --- threads

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _check_running(self) -> None:
        if self._stopping.is_set() or time.monotonic() - self._started_at > LIFETIME:
            raise _Stopped()

    def _close_listener(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _accept_loop(self) -> None:
        try:
            while True:
                self._check_running()
                with self._lock:
                    listener = self._listener
                if listener is None:
                    return
                try:
                    ready, _, _ = select.select([listener], [], [], POLL)
                    if not ready:
                        continue
                    sock, _ = listener.accept()
                except OSError:  # the listener was closed under us: stopping
                    return
                with self._lock:
                    too_many = len(self._sockets) >= MAX_CONNECTIONS
                    if not too_many:
                        self._sockets.add(sock)
                        self.connections += 1
                        number = self.connections
                if too_many:
                    sock.close()
                    continue
                self._spawn(self._serve_connection, f"faultserver-conn-{number}", sock, number)
        except _Stopped:
            return
        finally:
            self._close_listener()

    def _serve_connection(self, sock: socket.socket, number: int) -> None:
        conn: socket.socket = sock
        try:
            sock.settimeout(SOCKET_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    with self._lock:
                        self.tls_failures += 1
                    return
                with self._lock:
                    self._sockets.discard(sock)
                    self._sockets.add(conn)
            reader = _Reader(self, conn)
            index = 0
            while True:
                request = reader.read_request(number, index)
                if request is None:
                    return
                with self._lock:
                    over = len(self._requests) >= MAX_REQUESTS
                    if not over:
                        self._requests.append(request)
                if over:
                    return
                exchange = Exchange(self, conn, request)
                self._pick(request.path.split("?", 1)[0])(exchange)
                if not exchange.keep_alive or (request.header("connection") or "").lower() == "close":
                    return
                index += 1
        except (_Stopped, _Gone, OSError):
            return
        except Exception as exc:  # a bug in a behaviour: make the test see it
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._sockets.discard(conn)
                self._sockets.discard(sock)
            conn.close()


class _Reader:
    """Reads requests off one connection, waking up regularly to see whether to stop."""

    def __init__(self, server: FaultServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.buf = bytearray()

    def _fill(self, *, idle_ok: bool) -> None:
        deadline = time.monotonic() + (IDLE_LIMIT if idle_ok else SOCKET_TIMEOUT)
        while True:
            self.server._check_running()
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                break
            ready, _, _ = select.select([self.sock], [], [], POLL)
            if ready:
                break
            if time.monotonic() > deadline:
                raise _Stopped()
        data = self.sock.recv(65536)
        if not data:
            raise _Gone()
        self.buf += data

    def _refuse_tls_hello(self) -> None:
        with self.server._lock:
            self.server.tls_hellos += 1
        if self.server.on_tls_hello == "reply":
            self.sock.sendall(_NOT_HTTP_REPLY)

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill(idle_ok=False)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise _Gone()
            self._fill(idle_ok=False)
        line, _, rest = bytes(self.buf).partition(b"\r\n")
        self.buf = bytearray(rest)
        return line

    def read_request(self, connection: int, index: int) -> Optional[Request]:
        try:
            while b"\r\n\r\n" not in self.buf:
                if len(self.buf) > MAX_HEAD:
                    return None
                self._fill(idle_ok=not self.buf)
                if self.buf[:1] == _TLS_HANDSHAKE and not isinstance(self.sock, ssl.SSLSocket):
                    self._refuse_tls_hello()
                    return None
        except _Gone:
            return None
        head_bytes, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head_bytes.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        method, target, _version = parts
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                return None
            headers.append((name.strip(), value.strip()))
        lowered = {k.lower(): v for k, v in headers}
        body = b""
        if lowered.get("transfer-encoding", "").lower() == "chunked":
            pieces: list[bytes] = []
            while True:
                size = int(self._line().split(b";", 1)[0], 16)
                if size == 0:
                    while self._line():  # trailers, up to the blank line
                        pass
                    break
                pieces.append(self._take(size))
                self._take(2)
                if sum(map(len, pieces)) > MAX_BODY:
                    return None
            body = b"".join(pieces)
        elif "content-length" in lowered:
            length = int(lowered["content-length"])
            if length > MAX_BODY:
                return None
            body = self._take(length)
        return Request(method, target, tuple(headers), body, connection, index)
