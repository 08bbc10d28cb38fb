"""Closing a socket whose event loop is gone (a client reused across ``asyncio.run`` calls)."""

from __future__ import annotations

import asyncio

__all__ = ["close_orphaned"]


def close_orphaned(transport: asyncio.BaseTransport) -> None:
    """Close the socket of an asyncio transport whose event loop is closed.

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
