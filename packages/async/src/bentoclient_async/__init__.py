"""bentoclient-async: the transports of bentoclient's ``AsyncHTTPClient``.

from bentoclient import AsyncHTTPClient      # the one import to write (this package re-exports the same class)

async with AsyncHTTPClient("http://localhost:3000") as client:
    await client.classify(input_series=[[1, 2, 3, 4]])

The client itself (its calls, retries, readiness, tasks, files and streams) is core's
:mod:`bentoclient.aio`.  This package adds the transports it sends through:
:class:`HTTPXTransport` (the default: httpx's connection pool, on ``httpx2`` where Python is
3.11 or newer, else ``httpx``) and :class:`AsyncioTransport` (an opt-in for CPU-bound
callers: core's HTTP/1.1 parser, the sync transport's, fed straight from asyncio streams,
at a fraction of the CPU per call)::

    AsyncHTTPClient(url, transport=AsyncioTransport(url, max_connections=64))

Its transports return :class:`bentoclient.transport.AsyncResponse` objects (the response
classes themselves are private).  It uses bentoclient's public API and ``bentoclient._plugin``,
the helpers core shares with its own packages only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from bentoclient.aio import AsyncHTTPClient, AsyncTask

if TYPE_CHECKING:  # the transports (httpx, h11) load when a client first needs one
    from bentoclient._plugin import ProxyConfig, ServiceAddress, SSLOptions
    from bentoclient.transport import AsyncTransport

    from ._asyncio import MAX_INTERIM, AsyncioTransport
    from ._transport import HTTPXTransport

__version__ = "0.1.0"  # this distribution's own version, as in its pyproject.toml

__all__ = [
    "MAX_INTERIM",
    "AsyncHTTPClient",
    "AsyncTask",
    "AsyncioTransport",
    "HTTPXTransport",
    "__version__",
    "default_transport",
]


def default_transport(
    address: ServiceAddress, *, max_connections: int, verify: SSLOptions, proxy: Optional[ProxyConfig] = None
) -> AsyncTransport:
    """The transport ``AsyncHTTPClient`` sends through when given none: :class:`HTTPXTransport`."""
    from ._transport import HTTPXTransport

    return HTTPXTransport(address, max_connections=max_connections, verify=verify, proxy=proxy)


def __getattr__(name: str) -> Any:
    if name == "HTTPXTransport":
        from . import _transport

        return getattr(_transport, name)
    if name in ("AsyncioTransport", "MAX_INTERIM"):
        from . import _asyncio

        return getattr(_asyncio, name)
    raise AttributeError(f"module 'bentoclient_async' has no attribute {name!r}")
