"""``HTTPXTransport``: bentoclient's async transport seam on httpx's connection pool.

This is the transport ``AsyncHTTPClient`` sends through by default: httpx's pool (httpcore,
whose HTTP/1.1 parser is h11) on ``httpx2`` where Python is 3.11 or newer, else ``httpx``.
This module is the only place that touches httpx.  It checks one prepared request with the
seam's rules (:func:`~bentoclient.transport.check_request`,
:func:`~bentoclient.transport.request_framing`) before a byte is sent, sends it through an
httpx transport (by default an ``httpx.AsyncHTTPTransport`` sized and timed like the sync
pool, with the client's proxy), and maps httpx's exceptions to bentoclient's ``from`` the
original, deciding the request-sent, stale-connection, proxy and TLS cases from typed facts
(httpcore's trace events, the exception's cause chain), never from message text.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Optional, Union

from bentoclient._plugin import (
    KEEPALIVE_EXPIRY,
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
    ConfigurationError,
    ConnectError,
    ConnectTimeout,
    EventLoopError,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    ResponseDecodeError,
    TLSError,
    TransportError,
    WriteError,
    WriteTimeout,
)
from bentoclient.transport import Headers, Request, Timeout, check_request, request_framing

from ._httpx import httpx
from ._limits import head_problem
from ._sockets import close_orphaned

__all__ = ["HTTPXResponse", "HTTPXTransport"]

if sys.version_info >= (3, 11):
    _timeout_after = asyncio.timeout  # a timer on the running task: no extra task per call
else:  # pragma: no cover - Python 3.9 and 3.10

    @contextlib.asynccontextmanager
    async def _timeout_after(seconds: Optional[float]) -> AsyncIterator[None]:
        # asyncio.timeout() is 3.11+: cancel the running task from a timer, as it does.
        if seconds is None:
            yield
            return
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def expire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(max(0.0, seconds), expire)
        try:
            yield
        except asyncio.CancelledError as exc:
            if fired:
                raise asyncio.TimeoutError() from exc
            raise
        finally:
            handle.cancel()


def _ssl_cause(exc: BaseException) -> Optional[ssl.SSLError]:
    """The ``ssl.SSLError`` that ``exc`` was raised from, if any (a failed TLS handshake)."""
    seen: Optional[BaseException] = exc
    for _ in range(10):  # httpx -> httpcore -> ssl: a few links at most
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _h11_error(exc: BaseException) -> bool:
    """Whether h11 found the server's bytes malformed (as opposed to no bytes at all)."""
    seen: Optional[BaseException] = exc
    for _ in range(10):
        if seen is None:
            return False
        if type(seen).__module__.split(".")[0] == "h11":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Trace:
    """An httpcore ``trace`` extension noting the facts the error mapping needs.

    ``opened``: the request opened a new connection (nothing stale about it).  ``sent``: the
    request's own head started going out (before that, no byte of it can have reached the
    service).  Through a proxy tunnel: ``tunnel_status`` is the proxy's answer to
    ``CONNECT``, ``tunnelling`` is True from sending ``CONNECT`` until TLS with the service
    starts (a failure in between is the proxy's).
    """

    __slots__ = ("opened", "sent", "streams", "tunnel_reason", "tunnel_status", "tunnelling")

    def __init__(self, streams: weakref.WeakSet[Any]) -> None:
        self.streams = streams  # the transport's: every network stream it opened
        self.opened = False
        self.sent = False
        self.tunnelling = False
        self.tunnel_status: Optional[int] = None
        self.tunnel_reason = ""

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event == "http11.send_request_headers.started":
            request = info.get("request")
            if getattr(request, "method", b"") == b"CONNECT":
                self.tunnelling = True
            else:
                self.sent = True
        elif event == "http11.receive_response_headers.complete" and self.tunnelling:
            answer = info.get("return_value")
            if isinstance(answer, tuple) and len(answer) >= 3:
                self.tunnel_status = answer[1]
                reason = answer[2]
                self.tunnel_reason = reason.decode("ascii", "replace") if isinstance(reason, bytes) else ""
        elif event.endswith("start_tls.started") and self.tunnelling:
            self.tunnelling = False  # the tunnel is open: what follows is the service's
        elif event.startswith("connection.connect_"):  # connect_tcp, connect_unix_socket
            self.opened = True
            if event.endswith(".complete") and info.get("return_value") is not None:
                self.streams.add(info["return_value"])


def _close_orphaned_stream(stream: Any) -> None:
    """Close the socket under an httpcore network stream whose event loop is closed.

    httpcore's own close path needs that loop.  This walks, guarded, from httpcore's anyio
    stream through TLS wrappers to asyncio's transport (or anyio's raw Unix socket): no public
    API reaches them, and a socket left to the garbage collector warns.
    """
    inner = getattr(stream, "_stream", None)
    for _ in range(4):  # TLS over TLS at most
        wrapped = getattr(inner, "transport_stream", None)
        if wrapped is None:
            break
        inner = wrapped
    transport = getattr(inner, "_transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        close_orphaned(transport)
        return
    raw = getattr(inner, "_raw_socket", None)  # anyio's Unix socket streams
    if isinstance(raw, socket.socket):
        raw.close()


class _Failure:
    """Where a send failed, for :func:`_mapped`: the request, the service, the proxy."""

    __slots__ = ("address", "connect", "proxy", "trace")

    def __init__(
        self, address: ServiceAddress, proxy: Optional[ProxyConfig], trace: _Trace, connect: Optional[float]
    ) -> None:
        self.address = address
        self.proxy = proxy
        self.trace = trace
        self.connect = connect  # the connect timeout, for the proxy's messages


def _socket_error(exc: BaseException) -> Optional[OSError]:
    """The socket's own error (an ``OSError`` with an errno) that ``exc`` was raised from, if any.

    httpx -> httpcore -> anyio wrap it (anyio in a plain ``OSError`` without errno, or an
    exception group when several addresses were tried): the first one tried is returned.
    """
    seen: Optional[BaseException] = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        group = getattr(seen, "exceptions", None)  # an exception group: its first member
        if isinstance(group, tuple) and group and isinstance(group[0], BaseException):
            seen = group[0]
            continue
        seen = seen.__cause__ or seen.__context__
    return None


def _cause(exc: Exception) -> BaseException:
    """What a mapped error is raised ``from``: the socket's error when a connection failed (so
    ``__cause__`` carries its errno; httpx's exception stays as ``__context__``), else httpx's."""
    if isinstance(exc, httpx.ConnectError) and _ssl_cause(exc) is None:
        return _socket_error(exc) or exc
    return exc


def _mapped(url: str, exc: Exception, failure: Optional[_Failure], body: bool) -> TransportError:
    trace = failure.trace if failure is not None else None
    proxy = failure.proxy if failure is not None else None
    sent = trace.sent if trace is not None else True
    if failure is not None and proxy is not None and trace is not None and not sent:
        address = failure.address
        # Before the request's own head went out: the proxy (or the way to it) failed.
        if isinstance(exc, httpx.ProxyError) and trace.tunnel_status is not None:
            return proxy_status_error(address, proxy, trace.tunnel_status, trace.tunnel_reason, tunnel=True)
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.PoolTimeout):
            return proxy_timeout_error(address, proxy, failure.connect)
        if trace.tunnelling:
            reason = f"the proxy broke off the CONNECT exchange ({type(exc).__name__}: {exc})"
            return proxy_connect_error(address, proxy, reason)
        if isinstance(exc, httpx.ConnectError) and _ssl_cause(exc) is None:
            socket_error = _socket_error(exc)
            reason = (socket_error.strerror if socket_error is not None else None) or str(exc) or type(exc).__name__
            return proxy_connect_error(address, proxy, reason)
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectTimeout(f"connecting to {url} took longer than the connect timeout", url=url, request_sent=False)
    if isinstance(exc, httpx.PoolTimeout):
        return PoolTimeout(f"no free connection to {url} in time", url=url, request_sent=False)
    if isinstance(exc, httpx.ReadTimeout):
        return ReadTimeout(f"no data from {url} for longer than the read timeout", url=url, request_sent=sent)
    if isinstance(exc, httpx.WriteTimeout):
        return WriteTimeout(f"sending the request to {url} stalled past the write timeout", url=url)
    if isinstance(exc, httpx.ConnectError):
        cause = _ssl_cause(exc)
        if cause is not None:
            reason = str(cause) or cause.reason or type(cause).__name__
            service = failure.address.url if failure is not None else url
            return TLSError(tls_failure_message(service, reason), url=url, request_sent=False)
        socket_error = _socket_error(exc)
        shown = (socket_error.strerror or str(socket_error)) if socket_error is not None else str(exc)
        return ConnectError(f"cannot connect to {url}: {shown}", url=url, request_sent=False)
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        if body:
            return ReadError(f"the response from {url} ended early or broke off: {exc}", url=url)
        # A connection from the pool (the request opened none) closed before any byte of an answer.
        if trace is not None and not trace.opened and not _h11_error(exc):
            return RemoteProtocolError(
                f"the server at {url} closed a kept-alive connection before answering",
                url=url,
                stale_connection=True,
            )
        if isinstance(exc, httpx.WriteError):
            return WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url)
        if isinstance(exc, httpx.ReadError):
            return ReadError(f"the connection to {url} broke while reading the response: {exc}", url=url)
        return RemoteProtocolError(f"{url}: {exc}", url=url)
    if isinstance(exc, httpx.LocalProtocolError):
        return TransportError(f"the request to {url} could not be sent as HTTP/1.1: {exc}", url=url, request_sent=sent)
    return TransportError(f"{url}: {type(exc).__name__}: {exc}", url=url, request_sent=sent)


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Multipart bodies read files in 64 KiB pieces: quick enough not to need a thread.
    for chunk in chunks:
        yield chunk


class HTTPXResponse:
    """An :class:`~bentoclient.transport.AsyncResponse` over an httpx response."""

    def __init__(
        self, response: httpx.Response, url: str, deadline: Optional[float], read_timeout: Optional[float] = None
    ) -> None:
        self._response = response
        self._url = url
        self._deadline = deadline
        self._read_timeout = read_timeout  # the limit httpx itself puts on each read of this response
        self.status_code = response.status_code
        self.headers = Headers(response.headers.multi_items())
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):  # a given transport that is not async
            response.close()  # a sync stream closes synchronously
            raise ConfigurationError(
                f"the httpx transport sending to {url} answered with a synchronous body stream; "
                "pass an httpx.AsyncBaseTransport (e.g. httpx.AsyncHTTPTransport) as transport="
            )
        self._stream = stream

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as sent, chunk by chunk, within the call's total deadline.

        httpx bounds each read by the read timeout already.  While more than that is left of
        the deadline, a stalled read fails that way before the deadline, so no timer of ours is
        armed; only the last stretch before the deadline has one per read.
        """
        # The body stream itself rather than ``aiter_raw()``: one async generator fewer per
        # chunk; httpx's stream still maps httpcore's errors to httpx's.
        chunks = self._stream.__aiter__()
        url, deadline, read = self._url, self._deadline, self._read_timeout
        try:
            while True:
                try:
                    if deadline is None:
                        chunk = await chunks.__anext__()
                    else:
                        remaining = deadline - time.monotonic()
                        if read is not None and remaining > read:
                            chunk = await chunks.__anext__()
                        else:
                            async with _timeout_after(remaining):
                                chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                except asyncio.TimeoutError as exc:
                    raise ReadTimeout(
                        f"the total timeout ran out while reading the response from {url}", url=url
                    ) from exc
                except httpx.TransportError as exc:  # a broken-off body: ReadError, as on the sync transport
                    raise _mapped(url, exc, None, True) from _cause(exc)
                except httpx.DecodingError as exc:
                    raise ResponseDecodeError(f"{url}: {exc}") from exc
                if chunk:  # as aiter_raw(): no empty pieces
                    yield chunk
        finally:
            aclose = getattr(chunks, "aclose", None)  # httpx's iterators are async generators
            if aclose is not None:
                await aclose()
            await self._response.aclose()

    async def aread(self) -> bytes:
        """The whole body; the common small answer without an async generator of ours."""
        if self._deadline is not None:
            return b"".join([chunk async for chunk in self.aiter_bytes()])
        parts: list[bytes] = []
        try:
            async for chunk in self._stream:
                parts.append(chunk)
        except httpx.TransportError as exc:
            raise _mapped(self._url, exc, None, True) from _cause(exc)
        finally:
            await self._response.aclose()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def aclose(self) -> None:
        await self._response.aclose()


class HTTPXTransport:
    """An :class:`~bentoclient.transport.AsyncTransport` for one service, on httpx.

    The default transport of ``AsyncHTTPClient``.  It makes an ``httpx.AsyncHTTPTransport``
    with ``max_connections`` connections that expire after 4 s idle (before uvicorn's 5 s),
    on TCP or the service's Unix socket, through ``proxy`` when given (plain-http services in
    absolute form, https ones through a ``CONNECT`` tunnel); pass ``transport=`` any
    ``httpx.AsyncBaseTransport`` to send through that instead.  Requests are checked with
    :func:`~bentoclient.transport.check_request` before anything is sent (non-ASCII header
    values are refused with :class:`~bentoclient.exceptions.ConfigurationError`), and a
    ``deadline`` bounds the wait for the head (interim ``1xx`` answers included) and the body.
    """

    def __init__(
        self,
        address: Union[ServiceAddress, str],
        *,
        max_connections: int = 10,
        verify: SSLOptions = True,
        proxy: Union[ProxyConfig, str, None] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        if isinstance(address, str):  # the service URL; the client passes it parsed
            address = parse_service_url(address)
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be a positive integer, got {max_connections!r}")
        self.address = address
        #: The HTTP proxy every request goes through, or None (only for the transport made here).
        self.proxy: Optional[ProxyConfig] = transport_proxy(address, proxy) if transport is None else None
        if transport is None:
            # verify=True would make httpx load the whole CA bundle (~50 ms) for a client that
            # never speaks TLS (redirects to https are refused): an empty context costs nothing
            # and, trusting no CA, could not verify anything if it were ever used.
            tls = ssl_context(verify) if address.scheme == "https" else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            via = self.proxy
            transport = httpx.AsyncHTTPTransport(
                verify=tls,
                uds=address.socket_path if address.scheme == "unix" else None,
                trust_env=False,
                proxy=None if via is None else httpx.Proxy(f"http://{via.authority}", headers=list(via.headers)),
                limits=httpx.Limits(
                    max_connections=max_connections,
                    max_keepalive_connections=max_connections,
                    keepalive_expiry=KEEPALIVE_EXPIRY,
                ),
            )
        self.transport = transport
        scheme, host, port = address.logical_origin
        self._origin = httpx.URL(scheme=scheme, host=host, port=port)
        self._origin_text = address.origin
        self._urls: dict[str, httpx.URL] = {}
        self._host = ("Host", address.host_header)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()

    def _pool_connections(self) -> list[Any]:
        pool = getattr(self.transport, "_pool", None)  # httpx keeps its httpcore pool there
        connections = getattr(pool, "connections", None)  # httpcore's public list
        if connections is None:
            raise AttributeError("connection counts are known only for the httpx transport made here")
        return list(connections)

    @property
    def open_connections(self) -> int:
        """Connections open now (idle or carrying a request), in the pool made here."""
        return sum(1 for conn in self._pool_connections() if not conn.is_closed())

    @property
    def idle_connections(self) -> int:
        """Kept-alive connections waiting for a request, in the pool made here."""
        return sum(1 for conn in self._pool_connections() if conn.is_idle())

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> HTTPXResponse:
        """Send ``request``; return once the final response head arrived (``1xx`` skipped by httpcore)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        headers = [self._host, *check_request(request)]  # refused before anything is sent
        framing = request_framing(request)
        if framing is not None:
            headers.append(framing)
        content: Any = request.content
        if not isinstance(content, (bytes, bytearray)):
            content = _aiter(content)
        target = request.target
        url = self._origin_text + target
        trace = _Trace(self._streams)
        extensions = {
            "timeout": {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool},
            "trace": trace,
        }
        request_url = self._urls.get(target)
        if request_url is None:  # the targets of a service repeat: parse each once
            request_url = self._origin.copy_with(raw_path=target.encode("ascii"))
            if len(self._urls) < 256:
                self._urls[target] = request_url
        built = httpx.Request(request.method, request_url, headers=headers, content=content, extensions=extensions)
        try:
            if deadline is None:
                response = await self.transport.handle_async_request(built)
            else:
                try:
                    async with _timeout_after(deadline - time.monotonic()):
                        response = await self.transport.handle_async_request(built)
                except asyncio.TimeoutError as exc:
                    raise ReadTimeout(
                        f"the total timeout ran out while waiting for the response from {url}",
                        url=url,
                        request_sent=trace.sent,
                    ) from exc
        except httpx.TransportError as exc:
            failure = _Failure(self.address, self.proxy, trace, timeout.connect)
            raise _mapped(url, exc, failure, False) from _cause(exc)
        reason = response.extensions.get("reason_phrase", b"")
        problem = head_problem(15 + len(reason), response.headers.raw)
        if problem is not None:  # the limits AsyncioTransport applies too: one verdict for both
            await response.aclose()
            raise RemoteProtocolError(f"{url} sent an invalid HTTP response: {problem}", url=url)
        if self.proxy is not None and response.status_code == 407 and self.address.scheme == "http":
            await response.aclose()  # the proxy's own refusal, not the service's answer
            raise proxy_status_error(self.address, self.proxy, 407, reason.decode("ascii", "replace"), tunnel=False)
        return HTTPXResponse(response, url, deadline, timeout.read)

    async def aclose(self) -> None:
        """Close the connections (on the event loop they belong to, or after it was closed)."""
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            if self._loop.is_closed():  # e.g. a second asyncio.run(): nothing can run there any more
                for stream in list(self._streams):
                    _close_orphaned_stream(stream)
                self._streams.clear()
                return
            raise EventLoopError(
                f"close the client of {self.address.url} on the event loop it ran on: httpx's connections "
                "belong to that loop"
            )
        await self.transport.aclose()
