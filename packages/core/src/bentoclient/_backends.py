"""What differs between the async driver and the sync code generated from it: sleeping,
where the default transport comes from, and the worker pool of ``map()``.  Each ``async_*``
(``Async*``) name here has a ``sync_*`` (``Sync*``) twin; the generator
(``tools/unasync.py``) swaps one for the other."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._transport import HTTPTransport, SSLOptions
from ._url import ServiceAddress
from .exceptions import MissingDependencyError

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures
    import queue

    from .transport import AsyncTransport, SyncTransport

__all__ = [
    "AsyncTransportClass",
    "AsyncWorkers",
    "SyncTransportClass",
    "SyncWorkers",
    "adapt_async_transport",
    "adapt_sync_transport",
    "async_sleep",
    "default_async_transport",
    "default_sync_transport",
    "sync_sleep",
]

sync_sleep = time.sleep


async def async_sleep(seconds: float) -> None:
    import asyncio  # only the async client pays for it

    await asyncio.sleep(seconds)


def default_sync_transport(address: ServiceAddress, *, max_connections: int, verify: SSLOptions) -> SyncTransport:
    return HTTPTransport(address, max_connections=max_connections, verify=verify)


def _async_package() -> Any:
    try:
        import bentoclient_async
    except ImportError as exc:
        raise MissingDependencyError(
            'AsyncHTTPClient sends through the async package by default: pip install "bentoclient[async]", '
            "or pass transport= an AsyncTransport of your own",
            package="bentoclient-async",
        ) from exc
    from .streaming import check_same_core

    check_same_core(bentoclient_async, "bentoclient-async")
    return bentoclient_async


def adapt_sync_transport(address: ServiceAddress, transport: SyncTransport) -> SyncTransport:
    return transport


def adapt_async_transport(address: ServiceAddress, transport: Any) -> AsyncTransport:
    """A transport given to ``AsyncHTTPClient``: ours as is, an httpx transport wrapped."""
    if hasattr(transport, "handle_async_request") and not hasattr(transport, "send"):
        adapted: AsyncTransport = _async_package().HTTPXTransport(address, transport=transport)
        return adapted
    checked: AsyncTransport = transport
    return checked


def default_async_transport(address: ServiceAddress, *, max_connections: int, verify: SSLOptions) -> AsyncTransport:
    transport: AsyncTransport = _async_package().default_transport(
        address, max_connections=max_connections, verify=verify
    )
    return transport


class SyncTransportClass:
    """``SyncHTTPClient.client_cls``: the transport class it sends through by default."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        return HTTPTransport


class AsyncTransportClass:
    """``AsyncHTTPClient.client_cls``: looked up when asked, so the async package loads lazily."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        cls: type[Any] = _async_package().AsyncioTransport
        return cls


# --- the worker pool of map(): bounded tasks (async) or threads (sync) ----------------------


class AsyncWorkers:
    """Runs calls as asyncio tasks on the running loop; ``map()`` bounds how many at once.

    ``submit(key, fn, *args)`` starts ``fn(*args)``; ``wait_any()`` waits until at least one
    finished and returns ``[(key, done_task), ...]``; ``shutdown()`` cancels the rest and
    waits for them to end (a cancelled call closes its connection).  Each task reports its
    end through a done callback, so a wait costs the same at 8 or 256 tasks in flight.
    """

    def __init__(self, size: int, name: str) -> None:
        self._running: dict[asyncio.Future[Any], Any] = {}
        self._finished: list[asyncio.Future[Any]] = []
        self._waiter: Optional[asyncio.Future[None]] = None

    def __len__(self) -> int:
        return len(self._running)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._finished.append(task)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def submit(self, key: Any, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        import asyncio

        task = asyncio.ensure_future(fn(*args))
        self._running[task] = key
        task.add_done_callback(self._done)

    async def wait_any(self) -> list[tuple[Any, Any]]:
        import asyncio

        while not self._finished:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        finished, self._finished = self._finished, []
        return [(self._running.pop(task), task) for task in finished]

    async def shutdown(self) -> None:
        import asyncio

        running, self._running = list(self._running), {}
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)  # each ends promptly once cancelled
        for task in running:
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it as never retrieved


class SyncWorkers:
    """Runs calls in a pool of ``size`` threads (the sync client is thread-safe).

    The twin of :class:`AsyncWorkers`: ``shutdown()`` cancels what has not started and waits
    for the calls in flight to finish (a thread cannot be interrupted; each call is bounded by
    the client's timeout), so every connection is back in the pool when it returns.
    """

    def __init__(self, size: int, name: str) -> None:
        import concurrent.futures
        import queue

        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)
        self._running: dict[concurrent.futures.Future[Any], Any] = {}
        self._finished: queue.SimpleQueue[concurrent.futures.Future[Any]] = queue.SimpleQueue()

    def __len__(self) -> int:
        return len(self._running)

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        future = self._pool.submit(fn, *args)
        self._running[future] = key
        future.add_done_callback(self._finished.put)

    def wait_any(self) -> list[tuple[Any, Any]]:
        finished = [self._finished.get()]  # Ctrl-C interrupts this wait
        while not self._finished.empty():
            finished.append(self._finished.get_nowait())
        return [(self._running.pop(future), future) for future in finished]

    def shutdown(self) -> None:
        running, self._running = list(self._running), {}
        for future in running:
            future.cancel()
        self._pool.shutdown(wait=True)
