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
    import queue
    import threading

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


class _Outcome:
    """A finished call in a worker thread, read like a finished future."""

    __slots__ = ("_error", "_value")

    def __init__(self, value: Any, error: Optional[BaseException]) -> None:
        self._value = value
        self._error = error

    def exception(self) -> Optional[BaseException]:
        return self._error

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


class SyncWorkers:
    """Runs calls in up to ``size`` threads (the sync client is thread-safe), started as needed;
    with ``size == 1``, in the calling thread, one after the other.

    The twin of :class:`AsyncWorkers`.  Lean on purpose (two ``SimpleQueue`` hand-offs per call,
    no futures): the hand-off is what a call in a thread costs beyond the call itself.
    ``shutdown()`` drops the calls not started yet and waits for those in flight to finish (a
    thread cannot be interrupted; each call is bounded by the client's timeout), so every
    connection is back in the pool when it returns.
    """

    def __init__(self, size: int, name: str) -> None:
        import queue

        self._size = size
        self._name = name
        self._jobs: queue.SimpleQueue[Optional[tuple[Any, Callable[..., Any], tuple[Any, ...]]]] = queue.SimpleQueue()
        self._finished: queue.SimpleQueue[tuple[Any, _Outcome]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._pending = 0  # submitted and not handed back by wait_any() yet

    def __len__(self) -> int:
        return self._pending

    def _work(self) -> None:
        jobs, finished = self._jobs, self._finished
        while True:
            job = jobs.get()
            if job is None:
                return
            key, fn, args = job
            try:
                outcome = _Outcome(fn(*args), None)
            except BaseException as exc:  # handed to the thread that iterates the map
                outcome = _Outcome(None, exc)
            finished.put((key, outcome))

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        import threading

        self._pending += 1
        if self._size == 1:  # one call at a time: in this thread, as a plain loop would (no hand-off)
            try:
                outcome = _Outcome(fn(*args), None)
            except Exception as exc:  # a Ctrl-C (KeyboardInterrupt) goes straight up
                outcome = _Outcome(None, exc)
            self._finished.put((key, outcome))
            return
        self._jobs.put((key, fn, args))
        if len(self._threads) < min(self._pending, self._size):
            thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_any(self) -> list[tuple[Any, Any]]:
        finished = [self._finished.get()]  # Ctrl-C interrupts this wait
        while not self._finished.empty():
            finished.append(self._finished.get_nowait())
        self._pending -= len(finished)
        return finished

    def shutdown(self) -> None:
        import queue

        try:
            while True:  # the calls not started yet are dropped
                self._jobs.get_nowait()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()  # the calls in flight finish
        self._threads = []
        self._pending = 0
