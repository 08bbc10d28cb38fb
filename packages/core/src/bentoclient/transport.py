"""The transport seam: what a client sends its requests through.  Public and stable.

A client turns every call into :class:`Request` values (method, target, headers, body) and
hands them, one attempt at a time, to a transport.  The transport sends one request and
returns the response as soon as its status line and headers have arrived; the body is read
on demand.  Everything else (retries, redirects, the stale-connection resend, readiness,
decoding, files, streams, tasks) is the client's, written once for both clients.

Implement :class:`SyncTransport` (for ``SyncHTTPClient``) or :class:`AsyncTransport` (for
``AsyncHTTPClient``) and pass it as ``transport=``, for test doubles, custom networking or
instrumentation.  The rules a transport follows:

- ``request.target`` is the path and query under the service URL (the client's base path
  included); a transport is made for one service and knows its host.
- Check the request with :func:`check_request` before sending a byte (it refuses heads that
  would inject a header or a request, and returns the fields to send), then send those
  fields (the client adds ``User-Agent``, ``Authorization`` and ``Accept-Encoding:
  identity``), plus ``Host`` and the framing field :func:`request_framing` gives.
- ``request.content`` is bytes or an iterable of byte chunks; when the client sends a
  request again it iterates the content again.
- ``timeout`` limits this attempt (connect, write, read, pool); ``deadline``, a
  ``time.monotonic()`` value or None, also bounds waiting for the head and reading the body.
- Raise only :class:`~bentoclient.exceptions.TransportError` subclasses.  Set
  ``request_sent=False`` when no byte of the request can have reached the server, and
  ``stale_connection=True`` when a kept-alive connection reused from a pool was closed by the
  server before any response byte (the client's retry policy then decides on a resend).
- The response's body is read whole with ``read()``/``aread()`` or in chunks with
  ``iter_bytes()``/``aiter_bytes()``, as sent (no content decoding); ``close()``/``aclose()``
  releases it early and is safe to call twice.

Proxies: the client resolves ``proxy=`` and the environment into a :class:`ProxyConfig`
and hands it to its default transport (``proxy=``).  A transport that takes one sends
plain-http requests to the proxy in absolute form with ``ProxyConfig.headers``, opens
``https://`` connections with :func:`proxy_connect_request` (a ``CONNECT`` tunnel, then TLS
with the service), and raises :func:`proxy_status_error`, :func:`proxy_connect_error` or
:func:`proxy_timeout_error` when the proxy refuses or cannot be reached.

:class:`HTTPTransport` is the standard-library implementation ``SyncHTTPClient`` uses by
default; ``bentoclient-async`` provides the default async one.  The HTTP/1.1 response rules
are here for transports to share, so every transport applies the same verdicts and limits:
:class:`ResponseParser` (sans-IO: feed it bytes, get the final head and the body; h11's
verdicts, see ``docs/transport.md``) and the line-at-a-time helpers
(:func:`parse_status_line`, :class:`HeadFields`, :func:`is_interim`, :func:`body_length`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Optional, Protocol, Union, runtime_checkable

from ._http11 import (
    MAX_HEAD_SIZE,
    MAX_HEADER_LINE,
    MAX_HEADERS,
    MAX_INTERIM,
    BodyIncomplete,
    HeadError,
    HeadFields,
    ResponseHead,
    ResponseParser,
    body_length,
    check_request,
    is_interim,
    parse_status_line,
    request_framing,
)
from ._messages import tls_failure_message
from ._models import Headers, Request, Timeout
from ._proxy import (
    ProxyConfig,
    parse_proxy_url,
    proxy_connect_error,
    proxy_connect_request,
    proxy_status_error,
    proxy_timeout_error,
    transport_proxy,
)
from ._transport import KEEPALIVE_EXPIRY, READ_CHUNK, HTTPTransport, Response, SSLOptions, ssl_context
from ._url import ServiceAddress, parse_service_url

__all__ = [
    "KEEPALIVE_EXPIRY",
    "MAX_HEADERS",
    "MAX_HEADER_LINE",
    "MAX_HEAD_SIZE",
    "MAX_INTERIM",
    "READ_CHUNK",
    "AsyncResponse",
    "AsyncTransport",
    "AsyncTransportOption",
    "BodyIncomplete",
    "HTTPTransport",
    "HeadError",
    "HeadFields",
    "HTTPXAsyncTransport",
    "Headers",
    "ProxyConfig",
    "Request",
    "Response",
    "ResponseHead",
    "ResponseParser",
    "SSLOptions",
    "ServiceAddress",
    "SyncResponse",
    "SyncTransport",
    "SyncTransportOption",
    "Timeout",
    "body_length",
    "check_request",
    "is_interim",
    "parse_proxy_url",
    "parse_service_url",
    "parse_status_line",
    "proxy_connect_error",
    "proxy_connect_request",
    "proxy_status_error",
    "proxy_timeout_error",
    "request_framing",
    "ssl_context",
    "tls_failure_message",
    "transport_proxy",
]


@runtime_checkable
class SyncResponse(Protocol):
    """A response whose head has arrived; its body is read on demand."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_bytes(self) -> Iterator[bytes]:
        """The body in chunks as they arrive; releases the connection at the end."""
        ...

    def read(self) -> bytes:
        """The whole body; releases the connection."""
        ...

    def close(self) -> None:
        """Release the connection without reading the rest (safe to call twice)."""
        ...


@runtime_checkable
class SyncTransport(Protocol):
    """Sends one request at a time for ``SyncHTTPClient``; shared by threads."""

    def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> SyncResponse:
        """Send ``request``; return once the status line and headers have arrived."""
        ...

    def close(self) -> None:
        """Close idle connections; later sends may fail with ``ClientClosedError``."""
        ...


@runtime_checkable
class AsyncResponse(Protocol):
    """The async twin of :class:`SyncResponse`."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive; releases the connection at the end."""
        ...

    async def aread(self) -> bytes:
        """The whole body; releases the connection."""
        ...

    async def aclose(self) -> None:
        """Release the connection without reading the rest (safe to call twice)."""
        ...


class HTTPXAsyncTransport(Protocol):
    """Any httpx (or httpx2) async transport; ``AsyncHTTPClient`` wraps it in ``HTTPXTransport``."""

    async def handle_async_request(self, request: Any) -> Any: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends requests for ``AsyncHTTPClient``, on the event loop it is first used on."""

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncResponse:
        """Send ``request``; return once the status line and headers have arrived."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


#: What ``transport=`` takes: a transport of the seam; for the async client also an httpx one.
SyncTransportOption = SyncTransport
AsyncTransportOption = Union[AsyncTransport, HTTPXAsyncTransport]
