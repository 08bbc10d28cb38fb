"""What differs between the async driver and the sync code generated from it: sleeping,
where the default transport comes from, and the worker pool of ``map()``.  Each ``async_*``
(``Async*``) name here has a ``sync_*`` (``Sync*``) twin; the generator
(``tools/unasync.py``) swaps one for the other."""

from __future__ import annotations

import time

# Not typing.TYPE_CHECKING: the client classes import without typing (see _lazy); what the
# functions below need (the transport, the error tree) they import when called.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    import queue
    import threading
    from collections.abc import Awaitable
    from typing import Any, Callable, Optional, Protocol, Union

    from ._proxy import ProxyConfig
    from ._transport import SSLOptions
    from ._url import ServiceAddress
    from .transport import AsyncTransport, SyncTransport

    class HTTPXAsyncBaseTransport(Protocol):
        """Any httpx (or httpx2) ``AsyncBaseTransport``, such as ``httpx.MockTransport``: the
        async client wraps it in ``bentoclient_async.HTTPXTransport``."""

        async def handle_async_request(self, request: Any) -> Any: ...

        async def aclose(self) -> None: ...

    #: What ``transport=`` takes: a transport of the seam; for the async client also an httpx one.
    SyncTransportOption = SyncTransport
    AsyncTransportOption = Union[AsyncTransport, HTTPXAsyncBaseTransport]

__all__ = [
    "AsyncTransportClass",
    "AsyncWorkers",
    "SyncTransportClass",
    "SyncWorkers",
    "adapt_async_transport",
    "adapt_sync_transport",
    "async_package",
    "async_package_missing",
    "async_call_hook",
    "async_sleep",
    "default_async_transport",
    "default_sync_transport",
    "sync_call_hook",
    "sync_sleep",
]

sync_sleep = time.sleep


async def async_sleep(seconds: float) -> None:
    import asyncio  # only the async client pays for it

    await asyncio.sleep(seconds)


def sync_call_hook(hook: Callable[..., Any], *args: Any) -> None:
    hook(*args)


async def async_call_hook(hook: Callable[..., Any], *args: Any) -> None:
    """Call an event hook; await it when it is a coroutine function (async client only)."""
    from collections.abc import Awaitable

    result = hook(*args)
    if isinstance(result, Awaitable):
        await result


def default_sync_transport(
    address: ServiceAddress, *, max_connections: int, verify: SSLOptions, proxy: Optional[ProxyConfig] = None
) -> SyncTransport:
    from ._transport import HTTPTransport

    return HTTPTransport(address, max_connections=max_connections, verify=verify, proxy=proxy)


def async_package(*, check_core: bool = True) -> Any:
    """``bentoclient_async``, which ``AsyncHTTPClient`` sends through by default.

    The one place that reports it missing, wherever the async client is reached from
    (``from bentoclient import AsyncHTTPClient``, its ``client_cls``, or a client of
    :mod:`bentoclient.aio` made without ``transport=``), so the message is the same.
    ``check_core=False`` skips refusing a vendored core (that check loads the transport
    modules; the import users write stays light, and the client checks when it uses it).
    """
    try:
        import bentoclient_async
    except ImportError as exc:
        raise async_package_missing() from exc
    if not check_core:
        return bentoclient_async
    from .streaming import check_same_core

    check_same_core(bentoclient_async, "bentoclient-async")
    return bentoclient_async


def async_package_missing() -> Exception:
    """The ``MissingDependencyError`` for an absent ``bentoclient-async``."""
    from ._messages import install_command
    from .exceptions import MissingDependencyError

    core = __name__.rpartition(".")[0]  # "bentoclient", or where a vendored copy lives
    return MissingDependencyError(
        f"AsyncHTTPClient sends through the bentoclient-async package by default: {install_command('async')}; "
        f"or bring your own transport: from {core}.aio import AsyncHTTPClient, then "
        f"AsyncHTTPClient(url, transport=...) (see {core}.transport)",
        package="bentoclient-async",
    )


def adapt_sync_transport(address: ServiceAddress, transport: SyncTransportOption) -> SyncTransport:
    return transport


def adapt_async_transport(address: ServiceAddress, transport: AsyncTransportOption) -> AsyncTransport:
    """A transport given to ``AsyncHTTPClient``: ours as is, an httpx transport wrapped."""
    if hasattr(transport, "handle_async_request") and not hasattr(transport, "send"):
        adapted: AsyncTransport = async_package().HTTPXTransport(address, transport=transport)
        return adapted
    checked: AsyncTransport = transport  # type: ignore[assignment]  # not an httpx one: the seam itself
    return checked


def default_async_transport(
    address: ServiceAddress, *, max_connections: int, verify: SSLOptions, proxy: Optional[ProxyConfig] = None
) -> AsyncTransport:
    """The async package's default transport (its ``default_transport`` factory).

    ``proxy=`` is passed only when there is a proxy, so that a ``bentoclient-async`` whose
    factory takes no ``proxy`` keeps working without one; when a proxy applies, such a
    factory is refused with a clear error rather than connecting around the proxy."""
    factory = async_package().default_transport
    if proxy is None:
        transport: AsyncTransport = factory(address, max_connections=max_connections, verify=verify)
        return transport
    if not _takes_keyword(factory, "proxy"):
        from ._messages import install_command
        from .exceptions import MissingDependencyError

        raise MissingDependencyError(
            f"AsyncHTTPClient would send through {proxy.described}, but the installed bentoclient-async "
            f"cannot use a proxy yet; upgrade it ({install_command('async', upgrade=True)}), or connect directly: "
            "add the service's host to NO_PROXY, or pass trust_env=False (or leave out proxy=)",
            package="bentoclient-async",
        )
    transport = factory(address, max_connections=max_connections, verify=verify, proxy=proxy)
    return transport


def _takes_keyword(cls: Any, name: str) -> bool:
    import inspect  # only when a proxy is in use

    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True  # cannot tell: let the call say
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class SyncTransportClass:
    """``SyncHTTPClient.client_cls``: the class of the transport it makes when given none."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        from ._transport import HTTPTransport

        return HTTPTransport


class AsyncTransportClass:
    """``AsyncHTTPClient.client_cls``: looked up when asked, so the async package loads lazily
    (without it: the one missing-extra error, :func:`async_package`)."""

    def __get__(self, obj: Optional[object], owner: Optional[type] = None) -> type[Any]:
        cls: type[Any] = async_package().HTTPXTransport
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
    """Runs calls in up to ``size`` threads (the sync client is thread-safe), started as needed.

    Even one call at a time runs in a worker thread: a Ctrl-C then lands in the thread that
    iterates the map, while it waits, never half-way through a call holding a connection.

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
