"""bentoclient-stream: streaming endpoints for both bentoclient clients.

With this package installed, calling a streaming endpoint returns a stream of the items the
service yields (``str``, ``bytes`` or decoded JSON values, by the endpoint's schema)::

    with client.stream(prompt="hello") as items:        # SyncHTTPClient
        for item in items:
            ...

    async with client.stream(prompt="hello") as items:  # AsyncHTTPClient
        async for item in items:
            ...

The request is sent when the stream is first entered or iterated; an error status
raises the typed error then, before any item.  A stream that ends in the middle of an item
raises :class:`~bentoclient.exceptions.StreamTruncated` instead of ending quietly.  The read
timeout applies to every gap between chunks.  Leaving the ``with`` block, finishing the
iteration or calling ``close()`` releases the connection.

The package implements :class:`bentoclient.streaming.StreamPlugin` and uses only bentoclient's
public API.
"""

from __future__ import annotations

from ._async_stream import AsyncStream, async_stream
from ._sync_stream import SyncStream, sync_stream

__version__ = "0.1.0"  # this distribution's own version, as in its pyproject.toml

__all__ = ["AsyncStream", "SyncStream", "__version__", "async_stream", "sync_stream"]
