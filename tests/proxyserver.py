"""A small forward HTTP proxy on loopback, for bentoclient's proxy tests.

Standard library only.  It forwards plain-http requests sent in absolute form
(``GET http://127.0.0.1:8000/readyz HTTP/1.1``) and opens ``CONNECT`` tunnels, to loopback
targets only (anything else is answered 403).  Options make it refuse::

    with ForwardProxy(auth=("alice", "s3cret")) as proxy:   # 407 without these credentials
        ...
    ForwardProxy(forbid=True)          # 403 to every request
    ForwardProxy(connect_status=502)   # CONNECT answered 502 (plain http still forwarded)
    ForwardProxy(connect_raw=b"junk")  # CONNECT answered with these bytes, then closed

It records what it saw: ``seen`` (every request head it received: method, target,
headers), ``tunnelled`` (every byte a client sent into its tunnels) and ``connections``
(client connections accepted), so tests can check what reached the proxy and what did not.

Everything is bounded: it listens on ``127.0.0.1`` only, drops a connection idle for
``IDLE_LIMIT`` seconds, and ``stop()`` (or leaving the ``with`` block) ends every thread it
started and closes every socket, raising if a thread does not end in time.
"""

from __future__ import annotations

import binascii
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Callable, NamedTuple, Optional
from urllib.parse import urlsplit

__all__ = ["HOST", "ForwardProxy", "Seen", "closed_port"]

HOST = "127.0.0.1"
IDLE_LIMIT = 10.0  # seconds a connection may wait for its next request
POLL = 0.02  # how often blocked threads look at the stop flag
MAX_HEAD = 64 * 1024
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade"))


class Seen(NamedTuple):
    """One request head the proxy received."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> Optional[str]:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None


class _Closed(Exception):
    """The peer closed, the connection idled too long, or the proxy is stopping."""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed at once): a proxy that is down."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.endswith(".localhost")


def _resolve(host: str) -> str:
    """Names under ``.localhost`` are this machine (RFC 6761), whatever the resolver says."""
    return "127.0.0.1" if host.endswith(".localhost") else host


class _Reader:
    """Buffered reads from one socket that give up when the proxy stops or the peer idles."""

    def __init__(self, proxy: ForwardProxy, sock: socket.socket) -> None:
        self.proxy = proxy
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> None:
        deadline = time.monotonic() + IDLE_LIMIT
        while True:
            if self.proxy._stopping.is_set() or time.monotonic() > deadline:
                raise _Closed()
            ready, _, _ = select.select([self.sock], [], [], POLL)
            if ready:
                break
        try:
            data = self.sock.recv(65536)
        except OSError:
            raise _Closed() from None
        if not data:
            raise _Closed()
        self.buffer += data

    def head(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end != -1:
                head = bytes(self.buffer[: end + 4])
                del self.buffer[: end + 4]
                return head
            if len(self.buffer) > MAX_HEAD:
                raise _Closed()
            self._fill()

    def line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end != -1:
                line = bytes(self.buffer[: end + 2])
                del self.buffer[: end + 2]
                return line
            self._fill()

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def some(self) -> bytes:
        if not self.buffer:
            self._fill()
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    fields = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            fields.append((name.strip(), value.strip()))
    return lines[0], fields


def _field(fields: list[tuple[str, str]], name: str) -> Optional[str]:
    for key, value in fields:
        if key.lower() == name:
            return value
    return None


def _relay_body(reader: _Reader, fields: list[tuple[str, str]], sink: Callable[[bytes], None]) -> bool:
    """Pass on a message body as framed; False when it is delimited by the connection's close."""
    encoding = (_field(fields, "transfer-encoding") or "").lower()
    if "chunked" in encoding:
        while True:
            size_line = reader.line()
            sink(size_line)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = reader.line()
                    sink(trailer)
                    if trailer == b"\r\n":
                        return True
            sink(reader.exactly(size + 2))
    length = _field(fields, "content-length")
    if length is not None:
        remaining = int(length)
        while remaining > 0:
            chunk = reader.some()
            if len(chunk) > remaining:  # a pipelined next message: keep it buffered
                reader.buffer[:0] = chunk[remaining:]
                chunk = chunk[:remaining]
            sink(chunk)
            remaining -= len(chunk)
        return True
    return False


class ForwardProxy:
    """The proxy: ``with ForwardProxy() as proxy`` (or ``start()``/``stop()``); ``url`` is its address."""

    def __init__(
        self,
        *,
        auth: Optional[tuple[str, str]] = None,
        forbid: bool = False,
        connect_status: Optional[int] = None,
        connect_raw: Optional[bytes] = None,
    ) -> None:
        self.auth = auth
        self.forbid = forbid
        self.connect_status = connect_status
        self.connect_raw = connect_raw
        self._expected = None
        if auth is not None:
            token = binascii.b2a_base64(f"{auth[0]}:{auth[1]}".encode(), newline=False).decode()
            self._expected = f"Basic {token}"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listener: Optional[socket.socket] = None
        self._seen: list[Seen] = []
        self._tunnelled = bytearray()
        self.connections = 0
        self.errors: list[str] = []  # unexpected exceptions in handler threads
        self.port = 0

    # --- lifecycle

    def __enter__(self) -> ForwardProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((HOST, 0))
            listener.listen(16)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, "proxy-accept")

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        with self._lock:
            listener, self._listener = self._listener, None
            leftover = list(self._sockets)
            self._sockets.clear()
        if listener is not None:
            listener.close()
        for sock in leftover:
            sock.close()
        if alive:
            raise RuntimeError(f"proxy threads did not stop: {alive}")

    def url_with(self, user: str, password: str) -> str:
        """The proxy URL with credentials (written as given: percent-encode them yourself)."""
        return f"http://{user}:{password}@{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    @property
    def tunnelled(self) -> bytes:
        """Every byte clients sent through the tunnels (TLS records, for https services)."""
        with self._lock:
            return bytes(self._tunnelled)

    # --- threads

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            ready, _, _ = select.select([listener], [], [], POLL)
            if not ready:
                continue
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            self._track(sock)
            with self._lock:
                self.connections += 1
                number = self.connections
            self._spawn(self._serve, f"proxy-conn-{number}", sock)

    def _serve(self, sock: socket.socket) -> None:
        try:
            sock.settimeout(5.0)
            reader = _Reader(self, sock)
            while self._exchange(reader):
                pass
        except (_Closed, OSError):  # the peer went away, or the proxy is stopping
            pass
        except Exception as exc:
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._untrack(sock)

    # --- one request

    def _refuse(self, sock: socket.socket, status: int, reason: str, extra: str = "") -> bool:
        body = f"{status} {reason} (test proxy)".encode()
        sock.sendall(
            f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        return False

    def _exchange(self, reader: _Reader) -> bool:
        """Serve one request; True when the client connection stays open for another."""
        sock = reader.sock
        request_line, fields = _parse_head(reader.head())
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        with self._lock:
            self._seen.append(Seen(method, target, tuple(fields)))
        if self._expected is not None and _field(fields, "proxy-authorization") != self._expected:
            return self._refuse(
                sock, 407, "Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="test proxy"\r\n'
            )
        if self.forbid:
            return self._refuse(sock, 403, "Forbidden")
        if method == "CONNECT":
            return self._tunnel(reader, target)
        return self._forward(reader, method, target, fields)

    def _open(self, host: str, port: int) -> socket.socket:
        upstream = socket.create_connection((_resolve(host), port), timeout=5.0)
        self._track(upstream)
        return upstream

    def _tunnel(self, reader: _Reader, authority: str) -> bool:
        sock = reader.sock
        if self.connect_status is not None:
            return self._refuse(sock, self.connect_status, "Tunnel Refused")
        if self.connect_raw is not None:
            sock.sendall(self.connect_raw)
            return False
        host, _, port = authority.rpartition(":")
        host = host.strip("[]")
        if not _is_loopback(host) or not port.isdigit():
            return self._refuse(sock, 403, "Forbidden")
        try:
            upstream = self._open(host, int(port))
        except OSError:
            return self._refuse(sock, 502, "Bad Gateway")
        try:
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pending = reader.some() if reader.buffer else b""
            if pending:
                self._record_tunnel(pending)
                upstream.sendall(pending)
            while not self._stopping.is_set():
                ready, _, _ = select.select([sock, upstream], [], [], POLL)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return False
                    if source is sock:
                        self._record_tunnel(data)
                        upstream.sendall(data)
                    else:
                        sock.sendall(data)
        except OSError:
            pass
        finally:
            self._untrack(upstream)
        return False

    def _record_tunnel(self, data: bytes) -> None:
        with self._lock:
            self._tunnelled += data

    def _forward(self, reader: _Reader, method: str, target: str, fields: list[tuple[str, str]]) -> bool:
        sock = reader.sock
        parts = urlsplit(target)
        host = parts.hostname or ""
        if parts.scheme != "http" or not _is_loopback(host):
            return self._refuse(sock, 403, "Forbidden")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        upstream_fields = [(k, v) for k, v in fields if k.lower() not in HOP_BY_HOP]
        try:
            upstream = self._open(host, parts.port or 80)
        except OSError:
            return self._refuse(sock, 502, "Bad Gateway")
        try:
            head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in upstream_fields)
            upstream.sendall(head.encode("latin-1") + b"Connection: close\r\n\r\n")
            _relay_body(reader, fields, upstream.sendall)
            answer = _Reader(self, upstream)
            status_line, response_fields = _parse_head(answer.head())
            status = int(status_line.split(" ")[1])
            kept = [(k, v) for k, v in response_fields if k.lower() not in HOP_BY_HOP]
            sock.sendall((status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept) + "\r\n").encode("latin-1"))
            if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                return True
            if _relay_body(answer, response_fields, sock.sendall):
                return True
            for chunk in _until_closed(answer):  # delimited by close: the client's connection ends too
                sock.sendall(chunk)
            return False
        finally:
            self._untrack(upstream)


def _until_closed(reader: _Reader) -> Iterator[bytes]:
    while True:
        try:
            yield reader.some()
        except _Closed:
            return
