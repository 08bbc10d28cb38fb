"""Helpers of the async fault tests (plain functions and classes; the fixtures are in conftest.py).

Shared with ``tests/faults_async_stream``.  The descriptor/thread/temp-folder snapshot and
the quick limits come from ``tests/faults/conftest.py``, so both matrices check the same things.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import (  # noqa: E402
    FAST_RETRY,
    QUICK,
    Snapshot,
    TLSFiles,
    assert_nothing_leaked,
    assert_nothing_unclosed,
    make_tls_files,
)

from bentoclient_async import AsyncHTTPClient, AsyncioTransport  # noqa: E402

T = TypeVar("T")

__all__ = [
    "FAST_RETRY",
    "QUICK",
    "AsyncClients",
    "TLSFiles",
    "assert_no_leaks",
    "async_sleep",
    "make_tls_files",
    "open_responses",
]


#: A pause in a test body: ``time.sleep`` in the sync tests generated from these.
async_sleep = asyncio.sleep


# --- leaks ------------------------------------------------------------------------------------


def assert_no_leaks(before: Snapshot) -> None:
    """Nothing unclosed is left to the garbage collector (``ResourceWarning``), and
    descriptors, threads and ``bentoclient-*`` temporary folders are back to ``before``."""
    assert_nothing_unclosed()
    assert_nothing_leaked(before)


def _httpcore_pool(client: AsyncHTTPClient) -> Any:
    pool: Any = getattr(getattr(client._transport, "transport", None), "_pool", None)
    if pool is None:  # httpcore's internals changed: make this check fail loudly, not pass
        raise AssertionError("cannot find httpcore's connection pool behind the client's transport")
    return pool


def open_responses(client: AsyncHTTPClient) -> int:
    """Responses of ``client`` never closed: each still holds a pooled connection."""
    transport = client._transport
    if isinstance(transport, AsyncioTransport):
        return transport.open_connections - transport.idle_connections
    return len(_httpcore_pool(client)._requests)


def open_connections(client: AsyncHTTPClient) -> int:
    transport = client._transport
    if isinstance(transport, AsyncioTransport):
        return transport.open_connections
    return len(_httpcore_pool(client)._connections)


# --- clients ----------------------------------------------------------------------------------


class AsyncClients:
    """Builds the AsyncHTTPClients of one test and closes them in the test's event loop.

    ``clients()`` builds one (quick timeouts and fast retries unless given; no I/O),
    ``await clients.ready()`` builds one and sets it up.  ``clients.run(main)`` runs the
    coroutine function ``main`` with ``asyncio.run``; when it ends, however it ends, each
    client is checked for responses left open and closed, inside that loop, and the loop
    must have reported no error (an exception never retrieved, a callback that failed).
    """

    def __init__(self, url: str, transport: str = "httpx") -> None:
        self.url = url
        self.transport = transport  # "httpx" (the default, HTTPXTransport) or "asyncio" (AsyncioTransport)
        self.made: list[AsyncHTTPClient] = []

    def __call__(self, url: Optional[str] = None, **options: Any) -> AsyncHTTPClient:
        options.setdefault("timeout", QUICK)
        options.setdefault("retry", FAST_RETRY)
        if self.transport == "asyncio" and "transport" not in options:
            # The opt-in fast transport, with the same options: what a user writes to choose it.
            options["transport"] = AsyncioTransport(
                url or self.url,
                max_connections=options.pop("max_connections", 10),
                verify=options.pop("verify", True),
            )
        client = AsyncHTTPClient(url or self.url, **options)
        self.made.append(client)
        return client

    async def ready(self, url: Optional[str] = None, **options: Any) -> AsyncHTTPClient:
        client = self(url, **options)
        await client.setup()
        return client

    def run(self, main: Callable[[], Awaitable[T]]) -> T:
        loop_errors: list[str] = []

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            loop_errors.append(f"{context.get('message')}: {context.get('exception')!r}")

        async def wrapper() -> T:
            asyncio.get_running_loop().set_exception_handler(handler)
            try:
                result = await main()
            except BaseException:
                await self.close_all(check=False)  # the test's own failure is the one to see
                raise
            await self.close_all()
            return result

        result = asyncio.run(wrapper())
        assert not loop_errors, f"the event loop reported errors: {loop_errors}"
        return result

    async def close_all(self, *, check: bool = True) -> None:
        """Close every client; fail if one still had a response open (a leaked connection)."""
        left = [(client.url, n) for client in self.made if (n := open_responses(client))]
        for client in self.made:
            await client.close()
        assert not (check and left), f"responses never closed (connections not given back): {left}"
        for client in self.made:
            assert open_connections(client) == 0, f"{client!r} kept connections open after close()"


# --- TLS ----------------------------------------------------------------------------------------
