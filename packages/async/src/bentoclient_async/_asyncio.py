"""``AsyncioTransport``: the default async transport, HTTP/1.1 on asyncio streams.

httpx's connection pool (httpcore) costs several times more CPU per call than the rest of the
client put together when many requests are in flight (see ``docs/performance.md``).  This
transport does what bentoclient needs and no more: keep-alive HTTP/1.1 connections to one
service over TCP, TLS or a Unix socket, at most ``max_connections`` of them, idle ones
expiring after 4 s; the response head read with the same rules and limits as the sync pool
(:mod:`bentoclient.transport`); timeouts by a timer per phase that aborts the connection, not
a task per read.  Failures are typed at the source: whether any byte of the request went out,
whether a reused connection was closed before any byte of the answer (``stale_connection``).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from bentoclient.exceptions import (
    ClientClosedError,
    ConfigurationError,
    ConnectError,
    ConnectTimeout,
    EventLoopError,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    TLSError,
    TransportError,
    WriteError,
    WriteTimeout,
)
from bentoclient.transport import (
    KEEPALIVE_EXPIRY,
    MAX_HEADER_LINE,
    READ_CHUNK,
    HeadError,
    Headers,
    HeadFields,
    ProxyConfig,
    Request,
    ServiceAddress,
    SSLOptions,
    Timeout,
    body_length,
    is_interim,
    parse_status_line,
    proxy_connect_error,
    proxy_connect_request,
    proxy_status_error,
    proxy_timeout_error,
    ssl_context,
    tls_failure_message,
    transport_proxy,
)

__all__ = ["AsyncioResponse", "AsyncioTransport"]

# What http.client accepts as a method token and a request target (no spaces, no controls).
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_TARGET = re.compile(r"[\x21-\x7e]+\Z")
# The stream buffer bound: a line (status or header field) longer than this is refused.
_LINE_LIMIT = MAX_HEADER_LINE + 2


class _Connection:
    """One HTTP/1.1 connection and its timer; ``expired`` names the limit that aborted it."""

    __slots__ = ("expired", "idle_since", "reader", "reused", "timer", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0
        self.reused = False
        self.timer: Optional[asyncio.TimerHandle] = None
        self.expired = ""

    def arm(self, seconds: Optional[float], what: str) -> None:
        """Abort the connection (so the pending read or write fails) after ``seconds``."""
        if seconds is not None:
            self.timer = asyncio.get_running_loop().call_later(max(0.0, seconds), self._expire, what)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self, what: str) -> None:
        self.timer = None
        self.expired = what
        self.writer.transport.abort()

    def usable(self, now: float) -> bool:
        return (
            now - self.idle_since <= KEEPALIVE_EXPIRY
            and not self.writer.transport.is_closing()
            and not self.reader.at_eof()
            # Bytes that arrived while idle are junk (or an error before a close): never reuse it.
            and not getattr(self.reader, "_buffer", b"")
        )

    def close(self) -> None:
        self.disarm()
        try:
            self.writer.transport.abort()
        except RuntimeError:  # its event loop is closed (a client reused across asyncio.run calls)
            _close_orphaned(self.writer.transport)


def _close_orphaned(transport: asyncio.BaseTransport) -> None:
    """Close the socket of a transport whose event loop is closed.

    asyncio's own close path schedules callbacks on the loop, which cannot run any more; left
    alone, the socket stays open until garbage collection.  This reaches into the selector
    transport (``_sock``), guarded, because asyncio offers no public way to do it.
    """
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)  # TLS wraps one
    for candidate in (transport, inner):
        sock = getattr(candidate, "_sock", None)
        if sock is not None:
            sock.close()
            candidate._sock = None  # type: ignore[union-attr]  # as asyncio's close path leaves it


def _time_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(asyncio.TimeoutError())


async def _connect_socket(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket connected to ``host:port`` (each address tried in turn)."""
    last: Optional[OSError] = None
    for family, kind, proto, _, sockaddr in await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or OSError(f"no address found for {host}")


class AsyncioResponse:
    """An :class:`~bentoclient.transport.AsyncResponse` on one pooled connection."""

    def __init__(
        self,
        transport: AsyncioTransport,
        conn: _Connection,
        status: int,
        headers: Headers,
        *,
        chunked: bool,
        length: Optional[int],
        will_close: bool,
        url: str,
        read_timeout: Optional[float],
        deadline: Optional[float],
    ) -> None:
        self.status_code = status
        self.headers = headers
        self._transport = transport
        self._conn: Optional[_Connection] = conn
        self._chunked = chunked
        self._left = length  # bytes left of a Content-Length body; None: chunked or until close
        self._chunk_left = 0
        self._done = length == 0
        self._will_close = will_close or (length is None and not chunked)
        self._url = url
        self._read_timeout = read_timeout
        self._deadline = deadline

    def _limit(self) -> tuple[Optional[float], str]:
        if self._deadline is None:
            return self._read_timeout, "read"
        remaining = self._deadline - time.monotonic()
        if self._read_timeout is None or remaining <= self._read_timeout:
            return remaining, "total"
        return self._read_timeout, "read"

    async def _read_some(self, conn: _Connection) -> bytes:
        reader = conn.reader
        if self._chunked:
            if self._chunk_left == 0:
                size_line = await reader.readline()
                size_text = size_line.split(b";", 1)[0].strip()
                try:
                    self._chunk_left = int(size_text, 16)
                except ValueError:
                    if not size_line:
                        raise asyncio.IncompleteReadError(b"", None) from None
                    raise HeadError(f"invalid chunk size {size_text[:20]!r}") from None
                if self._chunk_left == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailer fields
                    self._done = True
                    return b""
            data = await reader.read(min(self._chunk_left, READ_CHUNK))
            if not data:
                raise asyncio.IncompleteReadError(b"", None)
            self._chunk_left -= len(data)
            if self._chunk_left == 0 and (await reader.readexactly(2)) != b"\r\n":
                raise HeadError("a chunk does not end with CRLF")
            return data
        if self._left is None:  # until the server closes
            data = await reader.read(READ_CHUNK)
            if not data:
                self._done = True
            return data
        data = await reader.read(min(self._left, READ_CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", self._left)
        self._left -= len(data)
        self._done = self._left == 0
        return data

    async def _next_chunk(self) -> bytes:
        """The next piece of the body (b"" once it is complete), within the read and total limits."""
        conn = self._conn
        if conn is None:
            raise ReadError(f"the response from {self._url} was closed before its body was read", url=self._url)
        limit, what = self._limit()
        if limit is not None and limit <= 0:
            raise ReadTimeout(f"the total timeout ran out while reading the response from {self._url}", url=self._url)
        conn.arm(limit, what)
        try:
            return await self._read_some(conn)
        except (asyncio.IncompleteReadError, OSError, asyncio.LimitOverrunError, ValueError) as exc:
            raise self._body_error(conn, exc) from None
        finally:
            conn.disarm()

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as sent, chunk by chunk; the connection goes back to the pool at the end."""
        try:
            while not self._done:
                data = await self._next_chunk()
                if data:
                    yield data
        except BaseException:
            self._release(reusable=False)
            raise
        self._release(reusable=not self._will_close)

    async def aread(self) -> bytes:
        """The whole body (without an async generator: the common small answer is one read)."""
        parts: list[bytes] = []
        try:
            while not self._done:
                parts.append(await self._next_chunk())
        except BaseException:
            self._release(reusable=False)
            raise
        self._release(reusable=not self._will_close)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _body_error(self, conn: _Connection, exc: BaseException) -> TransportError:
        url = self._url
        if conn.expired == "total":
            return ReadTimeout(f"the total timeout ran out while reading the response from {url}", url=url)
        if conn.expired:
            return ReadTimeout(f"no data from {url} for longer than the read timeout", url=url)
        if isinstance(exc, HeadError):
            return ReadError(f"the response from {url} broke off: {exc}", url=url)
        return ReadError(f"the response from {url} ended early or broke off", url=url)

    async def aclose(self) -> None:
        self._release(reusable=False)

    def _release(self, *, reusable: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._release(conn, reusable=reusable and self._done)


class AsyncioTransport:
    """Keep-alive HTTP/1.1 connections to one service, for one event loop.

    At most ``max_connections`` connections are open at once; a request beyond that waits, in
    order, up to the pool timeout.  Idle connections expire after 4 s (before uvicorn's 5 s).
    The first event loop that sends through it owns it: another loop gets
    :class:`~bentoclient.exceptions.EventLoopError`.
    """

    def __init__(
        self,
        address: ServiceAddress,
        *,
        max_connections: int = 10,
        verify: SSLOptions = True,
        proxy: Union[ProxyConfig, str, None] = None,
    ) -> None:
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be a positive integer, got {max_connections!r}")
        #: The HTTP proxy every request goes through, or None.
        self.proxy: Optional[ProxyConfig] = transport_proxy(address, proxy)
        # Plain http through a proxy: requests in absolute form, on connections to the proxy.
        self._forward = self.proxy if address.scheme == "http" else None
        self.address = address
        self.max_connections = max_connections
        # Built now, so that a bad CA path fails the constructor, not the first request.
        self._ssl: Optional[ssl.SSLContext] = ssl_context(verify) if address.scheme == "https" else None
        self._host_header = address.host_header
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._free_slots = max_connections
        self._waiters: deque[asyncio.Future[None]] = deque()  # FIFO: each is handed a slot
        self._idle: deque[_Connection] = deque()
        self._busy: set[_Connection] = set()
        self._closed = False
        self._pid = os.getpid()

    @property
    def idle_connections(self) -> int:
        return len(self._idle)

    @property
    def open_connections(self) -> int:
        return len(self._idle) + len(self._busy)

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise EventLoopError(
                f"this client's connections to {self.address.url} belong to the event loop it first ran on, "
                "which is not the running one (e.g. a second asyncio.run()): create one client per event loop, "
                "inside it"
            )
        return loop

    async def _take_slot(self, timeout: Timeout) -> None:
        """Wait, in order, for one of the ``max_connections`` slots, up to the pool timeout.

        A released slot goes straight to the longest waiter (no stampede), and a wait is timed
        by one timer, not a task: the cost per call stays flat with hundreds of waiters.
        """
        loop = self._bind()
        if self._free_slots > 0 and not self._waiters:
            self._free_slots -= 1
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if timeout.pool is None else loop.call_later(timeout.pool, _time_out, waiter)
        try:
            await waiter
        except asyncio.TimeoutError:
            raise PoolTimeout(
                f"all {self.max_connections} connections to {self.address.url} stayed busy for {timeout.pool:g} s",
                url=self.address.url,
                request_sent=False,
            ) from None
        except BaseException:  # cancelled: a slot handed over just now goes to the next waiter
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_slot()
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if not waiter.done():
                waiter.cancel()
            try:
                self._waiters.remove(waiter)
            except ValueError:
                pass  # handed a slot: already taken off the queue

    def _give_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free_slots += 1

    # --- connections -----------------------------------------------------------------------

    async def _open(self, timeout: Timeout) -> _Connection:
        address, url, proxy = self.address, self.address.url, self.proxy
        try:
            if address.scheme == "unix":
                assert address.socket_path is not None
                opening: Any = asyncio.open_unix_connection(address.socket_path, limit=_LINE_LIMIT)
            elif proxy is not None and self._ssl is not None:
                opening = self._open_tunnel(proxy, self._ssl)
            elif proxy is not None:
                opening = asyncio.open_connection(proxy.host, proxy.port, limit=_LINE_LIMIT)
            else:
                opening = asyncio.open_connection(
                    address.host,
                    address.port,
                    ssl=self._ssl,
                    server_hostname=address.host if self._ssl is not None else None,
                    limit=_LINE_LIMIT,
                )
            reader, writer = await asyncio.wait_for(opening, timeout.connect)
        except TransportError:  # the proxy's answers, typed already
            raise
        except asyncio.TimeoutError:
            if proxy is not None:
                raise proxy_timeout_error(address, proxy, timeout.connect) from None
            raise ConnectTimeout(
                f"connecting to {url} took longer than {timeout.connect:g} s", url=url, request_sent=False
            ) from None
        except ssl.SSLError as exc:
            reason = str(exc) or exc.reason or type(exc).__name__
            raise TLSError(tls_failure_message(url, reason), url=url, request_sent=False) from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            if proxy is not None:
                raise proxy_connect_error(address, proxy, reason) from None
            raise ConnectError(f"cannot connect to {url}: {reason}", url=url, request_sent=False) from None
        return _Connection(reader, writer)

    async def _open_tunnel(
        self, proxy: ProxyConfig, context: ssl.SSLContext
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """HTTPS through an HTTP proxy: ``CONNECT`` on a plain socket, then TLS with the service.

        The exchange with the proxy is done on the socket itself (public asyncio only, on every
        Python), so TLS then starts on a socket that carries nothing else; the service's name
        is what the certificate is checked against, and its token travels only inside TLS.
        """
        loop = asyncio.get_running_loop()
        address = self.address
        sock = await _connect_socket(loop, proxy.host, proxy.port)
        try:
            await loop.sock_sendall(sock, proxy_connect_request(address, proxy))
            head = b""
            while b"\r\n\r\n" not in head and b"\n\n" not in head:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk:
                    reason = "the proxy broke off the CONNECT exchange (it closed the connection)"
                    raise proxy_connect_error(address, proxy, reason)
                head += chunk
                if len(head) > MAX_HEADER_LINE:
                    reason = "the proxy broke off the CONNECT exchange (an answer head over 64 KiB)"
                    raise proxy_connect_error(address, proxy, reason)
            lines = head.split(b"\n")
            try:
                _version, status, reason = parse_status_line(lines[0] + b"\n")
                fields = HeadFields()
                for line in lines[1:]:
                    if not fields.add(line + b"\n"):
                        break
            except HeadError as exc:
                raise proxy_connect_error(
                    address, proxy, f"the proxy's answer to CONNECT is not HTTP ({exc})"
                ) from None
            if status != 200:
                raise proxy_status_error(address, proxy, status, reason, tunnel=True)
            return await asyncio.open_connection(
                sock=sock, ssl=context, server_hostname=address.host, limit=_LINE_LIMIT
            )
        except BaseException:
            sock.close()
            raise

    async def _acquire(self, timeout: Timeout) -> _Connection:
        if self._closed:
            raise ClientClosedError(f"the client for {self.address.url} is closed; create a new one")
        await self._take_slot(timeout)
        try:
            now = time.monotonic()
            while self._idle:
                conn = self._idle.pop()
                if conn.usable(now):
                    conn.reused = True
                    self._busy.add(conn)
                    return conn
                conn.close()
            conn = await self._open(timeout)
        except BaseException:
            self._give_slot()
            raise
        self._busy.add(conn)
        return conn

    def _release(self, conn: _Connection, *, reusable: bool) -> None:
        conn.disarm()
        self._busy.discard(conn)
        if reusable and not self._closed and not conn.writer.transport.is_closing():
            conn.idle_since = time.monotonic()
            conn.reused = False
            self._idle.append(conn)
        else:
            conn.close()
        self._give_slot()

    async def aclose(self) -> None:
        """Close every connection; responses still being read fail."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        for conn in list(self._busy):
            conn.close()

    # --- requests --------------------------------------------------------------------------

    def _head(self, request: Request) -> bytes:
        method, target = request.method, request.target
        if not _METHOD.match(method) or not _TARGET.match(target):
            raise ConfigurationError(f"cannot send {method!r} {target!r}: not a valid HTTP method and path")
        forward = self._forward
        if forward is None:
            lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_header}"]
        else:  # to the proxy, which forwards it: the absolute URL, and its credentials
            lines = [f"{method} {self.address.origin}{target} HTTP/1.1", f"Host: {self._host_header}"]
            lines += [f"{key}: {value}" for key, value in forward.headers]
        lines += [f"{key}: {value}" for key, value in request.headers]
        length = request.body_length
        if length is not None:
            if length or method not in ("GET", "HEAD"):
                lines.append(f"Content-Length: {length}")
        elif method not in ("GET", "HEAD"):
            lines.append("Transfer-Encoding: chunked")
        lines.append("\r\n")
        try:
            return "\r\n".join(lines).encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ConfigurationError(f"cannot send {method} {target!r}: {exc}") from None

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncioResponse:
        """Send ``request``; return once the final response head arrived (1xx answers skipped)."""
        head = self._head(request)  # before taking a connection: a bad request costs nothing
        conn = await self._acquire(timeout)
        url = self.address.origin + request.target
        try:
            await self._write(conn, head, request, timeout, url)
            return await self._read_head(conn, request, timeout, deadline, url)
        except BaseException:
            self._release(conn, reusable=False)
            raise

    async def _write(self, conn: _Connection, head: bytes, request: Request, timeout: Timeout, url: str) -> None:
        writer, content = conn.writer, request.content
        try:
            if isinstance(content, (bytes, bytearray)) and len(head) + len(content) < READ_CHUNK:
                # One write, one send(): below asyncio's 64 KiB high-water mark it cannot stall.
                writer.write(head + content)
                return
            conn.arm(timeout.write, "write")
            if isinstance(content, (bytes, bytearray)):
                writer.write(head)
                writer.write(content)
            else:
                writer.write(head)
                chunked = request.body_length is None
                # Multipart bodies read files in 64 KiB pieces: quick enough not to need a thread.
                for chunk in content:
                    if chunk:
                        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                        await writer.drain()
                if chunked:
                    writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (OSError, RuntimeError) as exc:  # RuntimeError: asyncio's "transport is closing"
            if conn.expired:
                raise WriteTimeout(
                    f"sending the request to {url} stalled for longer than {timeout.write:g} s", url=url
                ) from None
            if conn.reused:
                raise RemoteProtocolError(
                    f"the server at {url} closed a kept-alive connection before answering",
                    url=url,
                    stale_connection=True,
                ) from None
            raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from None
        finally:
            conn.disarm()

    async def _read_head(
        self, conn: _Connection, request: Request, timeout: Timeout, deadline: Optional[float], url: str
    ) -> AsyncioResponse:
        reader = conn.reader
        conn.arm(timeout.read, "read")
        first = True
        try:
            while True:
                line = await reader.readline()
                if not line:
                    if first and conn.reused and not conn.expired:
                        raise RemoteProtocolError(
                            f"the server at {url} closed a kept-alive connection before answering",
                            url=url,
                            stale_connection=True,
                        )
                    raise asyncio.IncompleteReadError(b"", None)
                first = False
                version, status, _reason = parse_status_line(line)
                fields = HeadFields()
                while fields.add(await reader.readline()):
                    pass
                if not is_interim(status):
                    break
            headers = fields.headers()
            chunked, length = body_length(headers, status, request.method)
        except (asyncio.IncompleteReadError, OSError) as exc:
            if conn.expired:
                raise ReadTimeout(
                    f"{url} sent no response within the read timeout of {timeout.read:g} s", url=url
                ) from None
            if first and conn.reused and isinstance(exc, ConnectionResetError):
                raise RemoteProtocolError(
                    f"the server at {url} closed a kept-alive connection before answering",
                    url=url,
                    stale_connection=True,
                ) from None
            raise RemoteProtocolError(
                f"{url} closed the connection without sending a complete response", url=url
            ) from None
        except (HeadError, asyncio.LimitOverrunError, ValueError) as exc:  # ValueError: a line over the limit
            raise RemoteProtocolError(f"{url} sent an invalid HTTP response: {exc}", url=url) from None
        finally:
            conn.disarm()
        if self._forward is not None and status == 407:  # the proxy's own refusal, not the service's answer
            raise proxy_status_error(self.address, self._forward, 407, _reason, tunnel=False)
        connection = (headers.get("connection") or "").lower()
        will_close = "close" in connection or (version == 10 and "keep-alive" not in connection)
        return AsyncioResponse(
            self,
            conn,
            status,
            headers,
            chunked=chunked,
            length=length,
            will_close=will_close,
            url=url,
            read_timeout=timeout.read,
            deadline=deadline,
        )
