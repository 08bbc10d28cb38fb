"""``HTTPXTransport``: bentoclient's async transport seam on httpx's connection pool.

This module is the only place that touches httpx.  It sends one prepared request through an
httpx transport (by default an ``httpx.AsyncHTTPTransport`` sized and timed like the sync
pool), and maps httpx's exceptions to bentoclient's, deciding the stale-connection and TLS
cases from typed facts (the connection trace, the exception's cause chain), never from
message text.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Optional

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
from bentoclient.transport import (
    KEEPALIVE_EXPIRY,
    Headers,
    Request,
    ServiceAddress,
    SSLOptions,
    Timeout,
    ssl_context,
    tls_failure_message,
)

from ._httpx import httpx

__all__ = ["HTTPXResponse", "HTTPXTransport"]


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


@contextlib.contextmanager
def mapped_errors(url: str, *, service: str = "", reused: bool = False, body: bool = False) -> Iterator[None]:
    """httpx exceptions -> bentoclient's, so users never see ``httpx.*``.

    ``reused``: the request went out on a kept-alive connection from the pool; a failure
    before any response byte there is a stale connection.  ``body=True`` while reading a
    response body: a body that breaks off is a :class:`ReadError`, as on the sync transport.
    ``service``: the service URL, named by connection failures (``url`` is the request's).
    """
    try:
        yield
    except httpx.ConnectTimeout:
        raise ConnectTimeout(
            f"connecting to {url} took longer than the connect timeout", url=url, request_sent=False
        ) from None
    except httpx.PoolTimeout:
        raise PoolTimeout(f"no free connection to {url} in time", url=url, request_sent=False) from None
    except httpx.ReadTimeout:
        raise ReadTimeout(f"no data from {url} for longer than the read timeout", url=url) from None
    except httpx.WriteTimeout:
        raise WriteTimeout(f"sending the request to {url} stalled past the write timeout", url=url) from None
    except httpx.ConnectError as exc:
        cause = _ssl_cause(exc)
        if cause is not None:
            reason = str(cause) or cause.reason or type(cause).__name__
            raise TLSError(tls_failure_message(service or url, reason), url=url, request_sent=False) from None
        raise ConnectError(f"cannot connect to {url}: {exc}", url=url, request_sent=False) from None
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
        if body:
            raise ReadError(f"the response from {url} ended early or broke off: {exc}", url=url) from None
        if reused and not _h11_error(exc):
            raise RemoteProtocolError(
                f"the server at {url} closed a kept-alive connection before answering",
                url=url,
                stale_connection=True,
            ) from None
        if isinstance(exc, httpx.WriteError):
            raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from None
        if isinstance(exc, httpx.ReadError):
            raise ReadError(f"the connection to {url} broke while reading the response: {exc}", url=url) from None
        raise RemoteProtocolError(f"{url}: {exc}", url=url) from None
    except httpx.DecodingError as exc:
        raise ResponseDecodeError(f"{url}: {exc}") from None
    except httpx.LocalProtocolError as exc:
        raise ConfigurationError(f"the request to {url} is not valid HTTP: {exc}") from None
    except httpx.TransportError as exc:
        raise TransportError(f"{url}: {type(exc).__name__}: {exc}", url=url) from None
    except httpx.InvalidURL as exc:  # not an httpx.TransportError: e.g. CR/LF in a request() path
        raise ConfigurationError(f"cannot send a request to {url!r}: {exc}") from None


class _ConnectTrace:
    """An httpcore ``trace`` extension that notes whether the request opened a new connection."""

    __slots__ = ("opened",)

    def __init__(self) -> None:
        self.opened = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.startswith("connection.connect_"):  # connect_tcp, connect_unix_socket
            self.opened = True


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Multipart bodies read files in 64 KiB pieces: quick enough not to need a thread.
    for chunk in chunks:
        yield chunk


class HTTPXResponse:
    """An :class:`~bentoclient.transport.AsyncResponse` over an httpx response."""

    def __init__(self, response: httpx.Response, url: str, deadline: Optional[float]) -> None:
        self._response = response
        self._url = url
        self._deadline = deadline
        self.status_code = response.status_code
        self.headers = Headers(response.headers.multi_items())

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body as sent, chunk by chunk, within the call's total deadline."""
        chunks = self._response.aiter_raw()
        url, deadline = self._url, self._deadline
        try:
            while True:
                try:
                    with mapped_errors(url, body=True):
                        if deadline is None:
                            chunk = await chunks.__anext__()
                        else:
                            remaining = deadline - time.monotonic()
                            if remaining <= 0:
                                raise asyncio.TimeoutError()
                            chunk = await asyncio.wait_for(chunks.__anext__(), remaining)
                except StopAsyncIteration:
                    return
                except asyncio.TimeoutError:
                    raise ReadTimeout(
                        f"the total timeout ran out while reading the response from {url}", url=url
                    ) from None
                yield chunk
        finally:
            aclose = getattr(chunks, "aclose", None)  # httpx's iterators are async generators
            if aclose is not None:
                await aclose()
            await self._response.aclose()

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        await self._response.aclose()


class HTTPXTransport:
    """An :class:`~bentoclient.transport.AsyncTransport` for one service, on httpx.

    By default it makes an ``httpx.AsyncHTTPTransport`` with ``max_connections`` connections
    that expire after 4 s idle (before uvicorn's 5 s), on TCP or the service's Unix socket;
    pass ``transport=`` any ``httpx.AsyncBaseTransport`` to send through that instead.
    """

    def __init__(
        self,
        address: ServiceAddress,
        *,
        max_connections: int = 10,
        verify: SSLOptions = True,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.address = address
        if transport is None:
            # verify=True would make httpx load the whole CA bundle (~50 ms) for a client that
            # never speaks TLS (redirects to https are refused): an empty context costs nothing
            # and, trusting no CA, could not verify anything if it were ever used.
            tls = ssl_context(verify) if address.scheme == "https" else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            transport = httpx.AsyncHTTPTransport(
                verify=tls,
                uds=address.socket_path if address.scheme == "unix" else None,
                trust_env=False,
                limits=httpx.Limits(
                    max_connections=max_connections,
                    max_keepalive_connections=max_connections,
                    keepalive_expiry=KEEPALIVE_EXPIRY,
                ),
            )
        self.transport = transport
        scheme, host, port = address.logical_origin
        self._origin = httpx.URL(scheme=scheme, host=host, port=port)
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> HTTPXResponse:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        headers = list(request.headers)
        content: Any = request.content
        if not isinstance(content, (bytes, bytearray)):
            if request.body_length is not None:
                headers.append(("Content-Length", str(request.body_length)))
            content = _aiter(content)
        url = self.address.origin + request.target
        trace = _ConnectTrace()
        extensions = {
            "timeout": {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool},
            "trace": trace,
        }
        with mapped_errors(url):
            built = httpx.Request(
                request.method,
                self._origin.copy_with(raw_path=request.target.encode("ascii")),
                headers=headers,
                content=content,
                extensions=extensions,
            )
        try:
            with mapped_errors(url, service=self.address.url, reused=True):
                response = await self.transport.handle_async_request(built)
        except TransportError as err:
            if trace.opened:  # a new connection: nothing stale about it
                err.stale_connection = False
            raise
        return HTTPXResponse(response, url, deadline)

    async def aclose(self) -> None:
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            raise EventLoopError(
                f"close the client of {self.address.url} on the event loop it ran on: httpx's connections "
                "belong to that loop"
            )
        await self.transport.aclose()
