"""How streaming endpoints plug in: the interface ``bentoclient-stream`` implements.  Public.

For a streaming endpoint the client builds the request, then hands the stream package an
*opener* (a function that sends the request through the client, with its retries,
redirects and deadline, and returns the response once its head arrived, having raised the
typed error for an error status) and the endpoint.  The package returns the stream object
the caller iterates; it frames the body with :func:`stream_decoder` and reports a body that
breaks off as :class:`~bentoclient.exceptions.StreamTruncated`.  Nothing is sent before the
stream is first entered or iterated.

Core loads the package only when a streaming endpoint is called.  A vendored copy of core
(imported under another package name) does not use an installed ``bentoclient-stream``:
that package raises the installed ``bentoclient``'s errors, which ``except`` clauses
written against the vendored copy would not catch, so it refuses with a clear message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from types import ModuleType
from typing import Any, Callable, Optional, Protocol, cast

from ._schema import Endpoint
from ._stream import BytesDecoder, JSONSeqDecoder, StreamDecoder, TextDecoder, stream_decoder
from .exceptions import MissingDependencyError
from .transport import AsyncResponse, SyncResponse

__all__ = [
    "AsyncItemStream",
    "AsyncOpener",
    "BytesDecoder",
    "JSONSeqDecoder",
    "StreamDecoder",
    "StreamPlugin",
    "SyncItemStream",
    "SyncOpener",
    "TextDecoder",
    "load_stream_plugin",
    "stream_decoder",
]

#: Sends a streaming call's request and returns its response (status already checked).
SyncOpener = Callable[[], SyncResponse]
AsyncOpener = Callable[[], Awaitable[AsyncResponse]]


class SyncItemStream(Protocol):
    """What a streaming call on ``SyncHTTPClient`` returns."""

    status_code: Optional[int]

    def __iter__(self) -> Iterator[Any]: ...

    def __next__(self) -> Any: ...

    def __enter__(self) -> SyncItemStream: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...


class AsyncItemStream(Protocol):
    """What a streaming call on ``AsyncHTTPClient`` returns."""

    status_code: Optional[int]

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def __anext__(self) -> Any: ...

    async def __aenter__(self) -> AsyncItemStream: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def aclose(self) -> None: ...


class StreamPlugin(Protocol):
    """The stream package's entry points (module-level functions of ``bentoclient_stream``)."""

    def sync_stream(self, open: SyncOpener, endpoint: Endpoint) -> SyncItemStream: ...

    def async_stream(self, open: AsyncOpener, endpoint: Endpoint) -> AsyncItemStream: ...


_CORE_PACKAGE = __name__.rpartition(".")[0]


def check_same_core(plugin: ModuleType, distribution: str) -> None:
    """Refuse a plugin built on another copy of bentoclient than this one (a vendored core)."""
    if _CORE_PACKAGE != "bentoclient":
        raise MissingDependencyError(
            f"this copy of bentoclient is vendored as {_CORE_PACKAGE!r}, and the installed {distribution} "
            f"({plugin.__name__}) works only with the installed 'bentoclient' (its errors come from there, so "
            "your except clauses would not catch them): import bentoclient itself, not the vendored copy, "
            "to use it",
            package=distribution,
        )


def load_stream_plugin(endpoint: str) -> StreamPlugin:
    """The stream package, loaded when a streaming endpoint is first called."""
    try:
        import bentoclient_stream
    except ImportError:
        from ._messages import install_command

        raise MissingDependencyError(
            f"endpoint {endpoint!r} streams its output, which needs the stream package: {install_command('stream')}",
            package="bentoclient-stream",
        ) from None
    check_same_core(bentoclient_stream, "bentoclient-stream")
    return cast(StreamPlugin, bentoclient_stream)
