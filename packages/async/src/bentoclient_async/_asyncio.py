"""``AsyncioTransport``: an opt-in fast async transport, HTTP/1.1 on asyncio streams.

``AsyncHTTPClient`` sends through httpx's pool by default (:class:`HTTPXTransport`).  That
pool (httpcore) costs several times more CPU per call than the rest of the client when
many requests are in flight (see ``docs/performance.md``).  This transport is for callers
who need that CPU back: it does what bentoclient needs and no more.  The HTTP/1.1 rules
are core's, the ones the sync transport applies: the request head is checked by
:func:`~bentoclient.transport.check_request` and framed by
:func:`~bentoclient.transport.request_framing`; the response is read by
:class:`~bentoclient.transport.ResponseParser` (sans-IO, h11's verdicts, five times less CPU
per response than h11 itself).  This module feeds it the bytes of asyncio streams.  Around
it: keep-alive connections to one service over TCP, TLS, a Unix socket or an HTTP proxy
(``CONNECT`` for https, its exchange framed by h11), at most ``max_connections`` of them
handed out in FIFO order, idle ones expiring after 4 s; limits by one timer per connection
that aborts it (a timeout is always a :class:`~bentoclient.exceptions.ReadTimeout` or
``WriteTimeout``, never a cut-off answer), not a task or a timer per read.  Failures are
typed at the source, ``from`` the original: whether any byte of the request went out,
whether a reused connection was closed before any byte of the answer (``stale_connection``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

import h11

from bentoclient._plugin import (
    KEEPALIVE_EXPIRY,
    READ_CHUNK,
    ProxyConfig,
    ServiceAddress,
    SSLOptions,
    parse_service_url,
    proxy_connect_error,
    proxy_status_error,
    proxy_timeout_error,
    ssl_context,
    tls_failure_message,
    transport_proxy,
)
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
    HeadError,
    Headers,
    Request,
    ResponseParser,
    Timeout,
    check_request,
    request_framing,
)

from ._limits import MAX_HEAD_SIZE
from ._sockets import close_orphaned

__all__ = ["MAX_INTERIM", "AsyncioResponse", "AsyncioTransport"]

#: The most interim (``1xx``) answers accepted before the final one; more is a protocol error
#: (the bound of core's ResponseParser too).
MAX_INTERIM = 16


class _Expired(Exception):
    """A read or write outlived its limit: the timer aborted the connection."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the {what} timeout ran out")
        self.what = what


class _Connection:
    """One HTTP/1.1 connection: its streams and its timer.

    ``expired`` names the limit whose timer aborted it (``"read"``, ``"total"``, ``"write"``).
    Reads share one timer that outlives them: each read notes when it would expire (``due``),
    and the timer, when it fires, aborts the connection only if a read is still waiting past
    its own ``due`` (else it is set again for that read, or dropped when none waits).  A body
    arriving piece by piece so costs a clock reading per read, not a timer armed and cancelled.
    """

    __slots__ = ("due", "due_what", "expired", "idle_since", "reader", "reused", "timer", "timer_at", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0
        self.reused = False
        self.timer: Optional[asyncio.TimerHandle] = None
        self.timer_at = 0.0  # the event loop's time the timer fires at
        self.due: Optional[float] = None  # the waiting read's expiry (event loop time), None when none waits
        self.due_what = ""
        self.expired = ""

    def arm(self, seconds: Optional[float], what: str) -> None:
        """Abort the connection (so the pending write fails) after ``seconds``."""
        self.disarm()
        if seconds is not None:
            self.timer = asyncio.get_running_loop().call_later(max(0.0, seconds), self._expire, what)

    def disarm(self) -> None:
        self.due = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self, what: str) -> None:
        self.timer = None
        self.expired = what
        self.writer.transport.abort()

    def _check(self) -> None:
        """The shared read timer fired: expire the waiting read if its time is up."""
        self.timer = None
        due = self.due
        if due is None:  # no read waits: the next one sets the timer again
            return
        loop = asyncio.get_running_loop()
        if due - loop.time() > 1e-6:  # a later read than the one the timer was set for
            self.timer, self.timer_at = loop.call_at(due, self._check), due
            return
        self._expire(self.due_what)

    async def receive(self, seconds: Optional[float], what: str) -> bytes:
        """The next bytes from the server (b"" once it closed), with at most ``seconds`` of silence.

        An abort by the timer looks like an end of stream to the reader: ``expired`` tells
        them apart, so a stall is :class:`_Expired`, never a short answer.
        """
        if seconds is not None:
            loop = asyncio.get_running_loop()
            due = loop.time() + max(0.0, seconds)
            self.due, self.due_what = due, what
            timer = self.timer
            if timer is None or self.timer_at > due:
                if timer is not None:
                    timer.cancel()
                self.timer, self.timer_at = loop.call_at(due, self._check), due
        try:
            data = await self.reader.read(READ_CHUNK)
        except OSError as exc:
            if self.expired:
                raise _Expired(self.expired) from exc
            raise
        finally:
            self.due = None
        if self.expired:
            raise _Expired(self.expired)
        return data

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
            close_orphaned(self.writer.transport)


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
        parser: ResponseParser,
        status: int,
        headers: Headers,
        *,
        url: str,
        read_timeout: Optional[float],
        deadline: Optional[float],
    ) -> None:
        self.status_code = status
        self.headers = headers
        self._transport = transport
        self._conn: Optional[_Connection] = conn
        self._parser = parser
        self._url = url
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._done = False

    async def _next_chunk(self) -> bytes:
        """The next piece of the body (b"" once it is complete), within the read and total limits."""
        conn = self._conn
        url = self._url
        if conn is None:
            raise ReadError(f"the response from {url} was closed before its body was read", url=url)
        parser = self._parser
        while True:
            try:
                data = parser.body()
            except HeadError as exc:  # BodyIncomplete too: a body cut short or broken off
                raise ReadError(f"the response from {url} ended early or broke off: {exc}", url=url) from exc
            if data is not None:
                if not data:
                    self._done = True
                return data
            limit, what = _read_limit(self._read_timeout, self._deadline)
            if limit is not None and limit <= 0:
                raise ReadTimeout(f"the total timeout ran out while reading the response from {url}", url=url)
            try:
                received = await conn.receive(limit, what)
            except _Expired as exc:
                if exc.what == "total":
                    message = f"the total timeout ran out while reading the response from {url}"
                else:
                    message = f"no data from {url} for longer than the read timeout"
                raise ReadTimeout(message, url=url) from exc
            except OSError as exc:
                raise ReadError(f"the response from {url} ended early or broke off: {exc}", url=url) from exc
            parser.feed(received)  # b"": the server closed; the parser decides if the body is whole

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
        self._release(reusable=True)

    async def aread(self) -> bytes:
        """The whole body (without an async generator: the common small answer is one read)."""
        parts: list[bytes] = []
        try:
            while not self._done:
                parts.append(await self._next_chunk())
        except BaseException:
            self._release(reusable=False)
            raise
        self._release(reusable=True)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def aclose(self) -> None:
        self._release(reusable=False)

    def _release(self, *, reusable: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        # The parser says whether the exchange ended cleanly and the connection may carry
        # another (not after Connection: close, an HTTP/1.0 answer, a body read until close
        # or bytes beyond the body).
        self._transport._release(conn, reusable=reusable and self._done and self._parser.reusable)


def _read_limit(read_timeout: Optional[float], deadline: Optional[float]) -> tuple[Optional[float], str]:
    """The silence allowed for the next read, and which limit it is (``"read"`` or ``"total"``)."""
    if deadline is None:
        return read_timeout, "read"
    remaining = deadline - time.monotonic()
    if read_timeout is None or remaining <= read_timeout:
        return remaining, "total"
    return read_timeout, "read"


class AsyncioTransport:
    """Keep-alive HTTP/1.1 connections to one service, for one event loop.

    The opt-in fast transport: ``AsyncHTTPClient(url, transport=AsyncioTransport(url))``
    (``address`` is the service URL; ``proxy=`` a proxy URL, as the client's own option is
    not applied to a transport you give).  At most ``max_connections``
    connections are open at once; a request beyond that waits, in order, up to the pool
    timeout.  Idle connections expire after 4 s (before uvicorn's 5 s).
    The first event loop that sends through it owns it: another loop gets
    :class:`~bentoclient.exceptions.EventLoopError`.
    """

    def __init__(
        self,
        address: Union[ServiceAddress, str],
        *,
        max_connections: int = 10,
        verify: SSLOptions = True,
        proxy: Union[ProxyConfig, str, None] = None,
    ) -> None:
        if isinstance(address, str):
            address = parse_service_url(address)
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
        self._host_line = f"Host: {address.host_header}"
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
        except asyncio.TimeoutError as exc:
            raise PoolTimeout(
                f"all {self.max_connections} connections to {self.address.url} stayed busy for {timeout.pool:g} s",
                url=self.address.url,
                request_sent=False,
            ) from exc
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
                opening: Any = asyncio.open_unix_connection(address.socket_path)
            elif proxy is not None and self._ssl is not None:
                opening = self._open_tunnel(proxy, self._ssl)
            elif proxy is not None:
                opening = asyncio.open_connection(proxy.host, proxy.port)
            else:
                opening = asyncio.open_connection(
                    address.host,
                    address.port,
                    ssl=self._ssl,
                    server_hostname=address.host if self._ssl is not None else None,
                )
            reader, writer = await asyncio.wait_for(opening, timeout.connect)
        except TransportError:  # the proxy's answers, typed already
            raise
        except asyncio.TimeoutError as exc:
            if proxy is not None:
                raise proxy_timeout_error(address, proxy, timeout.connect) from exc
            raise ConnectTimeout(
                f"connecting to {url} took longer than {timeout.connect:g} s", url=url, request_sent=False
            ) from exc
        except ssl.SSLError as exc:
            reason = str(exc) or exc.reason or type(exc).__name__
            raise TLSError(tls_failure_message(url, reason), url=url, request_sent=False) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            if proxy is not None:
                raise proxy_connect_error(address, proxy, reason) from exc
            raise ConnectError(f"cannot connect to {url}: {reason}", url=url, request_sent=False) from exc
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
            host = f"[{address.host}]" if ":" in address.host else address.host
            authority = f"{host}:{address.port}"
            machine = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)
            connect = h11.Request(method="CONNECT", target=authority, headers=[("Host", authority), *proxy.headers])
            await loop.sock_sendall(sock, machine.send(connect))
            interim = 0
            try:
                while True:
                    event = machine.next_event()
                    if event is h11.NEED_DATA:
                        chunk = await loop.sock_recv(sock, READ_CHUNK)
                        if not chunk:
                            reason = "the proxy broke off the CONNECT exchange (it closed the connection)"
                            raise proxy_connect_error(address, proxy, reason)
                        machine.receive_data(chunk)
                    elif type(event) is h11.InformationalResponse and interim < MAX_INTERIM:
                        interim += 1
                    else:
                        break
            except h11.RemoteProtocolError as exc:
                reason = f"the proxy broke off the CONNECT exchange (its answer is not valid HTTP: {exc})"
                raise proxy_connect_error(address, proxy, reason) from exc
            if type(event) is not h11.Response:
                reason = "the proxy broke off the CONNECT exchange (too many interim answers)"
                raise proxy_connect_error(address, proxy, reason)
            if not 200 <= event.status_code < 300:
                reason_text = event.reason.decode("latin-1")
                raise proxy_status_error(address, proxy, event.status_code, reason_text, tunnel=True)
            if machine.trailing_data[0]:  # the service's bytes before TLS started: not a tunnel
                reason = "the proxy broke off the CONNECT exchange (it sent bytes after its answer)"
                raise proxy_connect_error(address, proxy, reason)
            return await asyncio.open_connection(sock=sock, ssl=context, server_hostname=address.host)
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
        """The request head, checked by the seam's one rule before anything is sent."""
        fields = check_request(request)
        framing = request_framing(request)
        forward = self._forward
        if forward is None:
            lines = [f"{request.method} {request.target} HTTP/1.1", self._host_line]
        else:  # to the proxy, which forwards it: the absolute URL, and its credentials
            lines = [f"{request.method} {self.address.origin}{request.target} HTTP/1.1", self._host_line]
            lines += [f"{name}: {value}" for name, value in forward.headers]
        lines += [f"{name}: {value}" for name, value in fields]
        if framing is not None:
            lines.append(f"{framing[0]}: {framing[1]}")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncioResponse:
        """Send ``request``; return once the final response head arrived (1xx answers skipped)."""
        head = self._head(request)  # before taking a connection: a bad request costs nothing
        conn = await self._acquire(timeout)
        url = self.address.origin + request.target
        try:
            await self._write(conn, head, request, timeout, url)
            return await self._read_head(conn, request.method, timeout, deadline, url)
        except BaseException:
            self._release(conn, reusable=False)
            raise

    async def _write(self, conn: _Connection, head: bytes, request: Request, timeout: Timeout, url: str) -> None:
        writer, content = conn.writer, request.content
        try:
            if isinstance(content, (bytes, bytearray)):
                if len(head) + len(content) < READ_CHUNK:
                    # One write, one send(): below asyncio's 64 KiB high-water mark it cannot stall.
                    writer.write(head + content if content else head)
                    return
                conn.arm(timeout.write, "write")
                writer.write(head)
                writer.write(content)
            else:
                conn.arm(timeout.write, "write")
                writer.write(head)
                length = request.body_length  # None: chunked
                sent = 0
                # Multipart bodies read files in 64 KiB pieces: quick enough not to need a thread.
                for chunk in content:
                    if not chunk:
                        continue
                    sent += len(chunk)
                    if length is None:
                        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    elif sent > length:
                        raise self._length_mismatch(request, url, sent)
                    else:
                        writer.write(chunk)
                    await writer.drain()
                if length is None:
                    writer.write(b"0\r\n\r\n")
                elif sent != length:
                    raise self._length_mismatch(request, url, sent)
            await writer.drain()
        except (OSError, RuntimeError) as exc:  # RuntimeError: asyncio's "transport is closing"
            if conn.expired:
                raise WriteTimeout(
                    f"sending the request to {url} stalled for longer than {timeout.write:g} s", url=url
                ) from exc
            if conn.reused:
                raise RemoteProtocolError(
                    f"the server at {url} closed a kept-alive connection before answering",
                    url=url,
                    stale_connection=True,
                ) from exc
            raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from exc
        finally:
            conn.disarm()

    @staticmethod
    def _length_mismatch(request: Request, url: str, sent: int) -> TransportError:
        return TransportError(
            f"the body of {request.method} {url} did not match its declared length ({sent} bytes or more "
            f"for a Content-Length of {request.body_length}); the connection was closed",
            url=url,
        )

    async def _read_head(
        self, conn: _Connection, method: str, timeout: Timeout, deadline: Optional[float], url: str
    ) -> AsyncioResponse:
        parser = ResponseParser(method)  # core's: the verdicts and limits every transport applies
        try:
            while True:
                head = parser.head()  # interim (1xx) answers skipped, up to MAX_INTERIM
                if head is not None:
                    break
                limit, what = _read_limit(timeout.read, deadline)
                data = await conn.receive(limit, what)
                if not data:
                    answered = parser.received  # any byte of an answer arrived
                    cause = _end_of_stream_verdict(parser)  # the parser's word on the early end
                    if not answered and conn.reused:
                        raise RemoteProtocolError(
                            f"the server at {url} closed a kept-alive connection before answering",
                            url=url,
                            stale_connection=True,
                        ) from cause
                    raise RemoteProtocolError(
                        f"{url} closed the connection without sending a complete response", url=url
                    ) from cause
                parser.feed(data)
        except _Expired as exc:
            if exc.what == "total":
                message = f"the total timeout ran out while waiting for the response from {url}"
            else:
                message = f"{url} sent no response within the read timeout of {timeout.read:g} s"
            raise ReadTimeout(message, url=url) from exc
        except OSError as exc:  # a reset
            if not parser.received and conn.reused:
                raise RemoteProtocolError(
                    f"the server at {url} closed a kept-alive connection before answering",
                    url=url,
                    stale_connection=True,
                ) from exc
            raise RemoteProtocolError(
                f"{url} closed the connection without sending a complete response", url=url
            ) from exc
        except HeadError as exc:
            raise RemoteProtocolError(f"{url} sent an invalid HTTP response: {exc}", url=url) from exc
        status = head.status
        if self._forward is not None and status == 407:  # the proxy's own refusal, not the service's answer
            raise proxy_status_error(self.address, self._forward, 407, head.reason, tunnel=False)
        return AsyncioResponse(
            self,
            conn,
            parser,
            status,
            head.headers,
            url=url,
            read_timeout=timeout.read,
            deadline=deadline,
        )


def _end_of_stream_verdict(parser: ResponseParser) -> Optional[HeadError]:
    """The parser's own error for a connection that ended before a complete response head, so
    the transport error keeps it as its cause (as the sync transport keeps its parser's)."""
    parser.feed(b"")
    try:
        parser.head()
    except HeadError as exc:
        return exc
    return None
