"""The transport seam: what a client sends its requests through.  Public and stable.

A client turns every call into :class:`Request` values (method, target, headers, body) and
hands them, one attempt at a time, to a transport.  The transport sends one request and
returns the response as soon as its status line and headers have arrived; the body is read
on demand.  Everything else (retries, redirects, the stale-connection resend, readiness,
decoding, files, streams, tasks, proxies chosen from the environment) is the client's,
written once for both clients.

Implement :class:`SyncTransport` (for ``SyncHTTPClient``) or :class:`AsyncTransport` (for
``AsyncHTTPClient``), returning a :class:`SyncResponse` or :class:`AsyncResponse`, and pass
it as ``transport=``, for test doubles, custom networking or instrumentation.  The rules a
transport follows:

- ``request.target`` is the path and query under the service URL (the client's base path
  included); a transport is made for one service and knows its host.
- Check the request with :func:`check_request` before sending a byte (it refuses heads that
  would inject a header or a request, and returns the fields to send), then send those
  fields (the client adds ``User-Agent``, ``Authorization`` and ``Accept-Encoding:
  identity``), plus ``Host`` and the framing field :func:`request_framing` gives.
- ``request.content`` is bytes or an iterable of byte chunks; when the client sends a
  request again it iterates the content again.
- ``timeout`` (a :class:`Timeout`) limits this attempt (connect, write, read, pool);
  ``deadline``, a ``time.monotonic()`` value or None, also bounds waiting for the head and
  reading the body.
- Raise only :class:`~bentoclient.exceptions.TransportError` subclasses, imported from
  :mod:`bentoclient.exceptions` (``ConnectError``, ``TLSError``, ``ConnectTimeout``,
  ``ReadError``, ``ReadTimeout``, ``WriteError``, ``WriteTimeout``, ``PoolTimeout``,
  ``RemoteProtocolError``), besides the ``ConfigurationError`` of :func:`check_request` and
  ``ClientClosedError`` for a send after ``close()``.  Set ``request_sent=False`` when no byte of the
  request can have reached the server, and ``stale_connection=True`` when a kept-alive
  connection reused from a pool was closed by the server before any response byte (the
  client's retry policy then decides on a resend).
- The response's ``headers`` are a :class:`Headers` (or any case-insensitive mapping); its
  body is read whole with ``read()``/``aread()`` or in chunks with
  ``iter_bytes()``/``aiter_bytes()``, as sent (no content decoding); ``close()``/``aclose()``
  releases it early and is safe to call twice.

:class:`HTTPTransport` is the standard-library implementation ``SyncHTTPClient`` uses by
default; ``bentoclient-async`` provides the async ones.  A transport that reads HTTP/1.1
itself can share the response rules every bentoclient transport applies:
:class:`ResponseParser` (sans-IO: feed it bytes, get the final :class:`ResponseHead` and the
body; it raises :class:`HeadError` for a response that breaks HTTP/1.1 and
:class:`BodyIncomplete` when the connection ends inside the body; h11's verdicts, see
``docs/transport.md``).

This module exports nothing else, and its ``__all__`` grows only deliberately.  The helpers
bentoclient's own packages share (pool settings, proxy and TLS helpers) are in
``bentoclient._plugin``, which makes no stability promise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Optional, Protocol, runtime_checkable

from ._http11 import BodyIncomplete, HeadError, ResponseHead, ResponseParser, check_request, request_framing
from ._models import Headers, Request, Timeout
from ._transport import HTTPTransport

__all__ = [
    "AsyncResponse",
    "AsyncTransport",
    "BodyIncomplete",
    "HTTPTransport",
    "HeadError",
    "Headers",
    "Request",
    "ResponseHead",
    "ResponseParser",
    "SyncResponse",
    "SyncTransport",
    "Timeout",
    "check_request",
    "request_framing",
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


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends requests for ``AsyncHTTPClient``, on the event loop it is first used on."""

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncResponse:
        """Send ``request``; return once the status line and headers have arrived."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...
