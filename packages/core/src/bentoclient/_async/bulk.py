"""``client.map()``: many calls of one endpoint, a bounded number at a time.

This file is the source of truth for both clients; ``tools/unasync.py`` generates
``bentoclient/_sync/bulk.py`` from it (see ``_async/client.py`` for the conventions).  The
async client runs the calls as asyncio tasks, the sync client in a pool of threads over its
shared, thread-safe connection pool (``_backends.AsyncWorkers`` / ``SyncWorkers``); the
ordering and the counts are the pure :class:`~bentoclient._bulk.MapPlan`.  Each call goes
through the client's normal driver, so retries, deadlines and typed errors are the client's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING, Any, Callable, Optional

from .._backends import AsyncWorkers
from .._bulk import MapError, MapPlan, Progress, check_concurrency, input_total, item_arguments, map_endpoint
from .._schema import Endpoint

if TYPE_CHECKING:
    from collections.abc import Generator  # async-only

    from .client import AsyncHTTPClient

__all__ = ["AsyncMapIterator"]


class AsyncMapIterator:
    # async-only: begin
    """The results of ``client.map(endpoint, inputs, ...)``, produced while you iterate.

    Nothing is sent before the first ``next()``.  Then at most ``concurrency`` calls are in
    flight; inputs are taken from ``inputs`` only as calls finish, so a generator of millions
    is never read ahead by more than the plan's window.  In input order (the default) each
    item is the endpoint's result; with ``ordered=False`` each item is ``(index, result)``
    as calls finish.  With ``return_exceptions=True`` a failed input's item is a
    :class:`~bentoclient.MapError` instead of its result, and the rest go on; otherwise the
    first failure seen stops the map and is raised.

    Stopping early (``break``, an error, ``aclose()``, cancelling the task): no input is
    taken any more, and the calls in flight are cancelled, so that every connection is back
    in the client's pool.  Use ``async with`` (or call ``aclose()``) to have that happen at
    once after a ``break``; otherwise it happens when the iterator is garbage-collected.
    ``await client.map(...)`` runs it to the end and returns the list.
    """

    # async-only: end
    # sync-only: begin
    # """The results of ``client.map(endpoint, inputs, ...)``, produced while you iterate.
    #
    # Nothing is sent before the first ``next()``.  Then at most ``concurrency`` calls are in
    # flight; inputs are taken from ``inputs`` only as calls finish, so a generator of millions
    # is never read ahead by more than the plan's window.  In input order (the default) each
    # item is the endpoint's result; with ``ordered=False`` each item is ``(index, result)``
    # as calls finish.  With ``return_exceptions=True`` a failed input's item is a
    # :class:`~bentoclient.MapError` instead of its result, and the rest go on; otherwise the
    # first failure seen stops the map and is raised.
    #
    # Stopping early (``break``, an error, ``close()``, Ctrl-C): no input is taken any more,
    # and the calls in flight finish in their worker threads and are discarded (a thread
    # cannot be interrupted; each call is bounded by the timeout), so that every connection is
    # back in the client's pool.  Use ``with`` (or call ``close()``) to have that happen at
    # once after a ``break``; otherwise it happens when the iterator is garbage-collected.
    # """
    # sync-only: end

    def __init__(
        self,
        client: AsyncHTTPClient,
        endpoint: Endpoint,
        inputs: Iterable[Any],
        *,
        concurrency: int,
        ordered: bool,
        return_exceptions: bool,
        progress: Optional[Callable[[int, Optional[int]], object]],
        progress_bar: bool,
        total: Optional[int],
    ) -> None:
        check_concurrency(concurrency)
        map_endpoint(endpoint)
        try:
            source = iter(inputs)
        except TypeError:
            from ..exceptions import ArgumentError

            hint = (
                " (an async iterable is not supported: pass a plain iterable)" if hasattr(inputs, "__aiter__") else ""
            )
            raise ArgumentError(
                f"map() over endpoint {endpoint.name!r}: inputs must be an iterable of inputs "
                f"(a list, a generator, ...), got {type(inputs).__name__}{hint}",
                endpoint=endpoint.name,
            ) from None
        #: How many inputs there are, when known (``total=``, or ``len(inputs)``), else None.
        self.total = input_total(inputs, total)
        self._plan = MapPlan(concurrency, ordered=ordered)
        self._progress = Progress(progress, progress_bar, self.total, endpoint.name)
        self._run: Optional[AsyncGenerator[Any, None]] = _map(
            client, endpoint, source, self._plan, self._progress, return_exceptions
        )

    # --- counts ---------------------------------------------------------------------------

    @property
    def started(self) -> int:
        """Inputs taken and sent so far."""
        return self._plan.scheduled

    @property
    def done(self) -> int:
        """Calls finished so far (with a result or an error)."""
        return self._plan.completed

    @property
    def failed(self) -> int:
        """Calls finished with an error (``return_exceptions=True``)."""
        return self._plan.failed

    @property
    def yielded(self) -> int:
        """Items handed out so far."""
        return self._plan.handed_out

    @property
    def stopped(self) -> int:
        """Calls that were in flight when the map was stopped early (``started == done + stopped``)."""
        return self._plan.stopped

    # --- iteration ------------------------------------------------------------------------

    def __aiter__(self) -> AsyncMapIterator:
        return self

    async def __anext__(self) -> Any:
        if self._run is None:
            raise StopAsyncIteration
        return await self._run.__anext__()

    async def aclose(self) -> None:
        """Stop: take no more inputs, end the calls in flight, give back their connections."""
        run, self._run = self._run, None
        if run is not None:
            await run.aclose()
        self._progress.close()

    async def __aenter__(self) -> AsyncMapIterator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # async-only: begin
    def __await__(self) -> Generator[Any, None, list[Any]]:
        return self._collect().__await__()

    async def _collect(self) -> list[Any]:
        async with self:
            return [item async for item in self]

    # async-only: end

    def __repr__(self) -> str:
        total = "?" if self.total is None else self.total
        return f"<{type(self).__name__} {self.done}/{total} done, {self.failed} failed>"


async def _call(client: AsyncHTTPClient, endpoint: Endpoint, index: int, item: Any) -> Any:
    args, kwargs = item_arguments(endpoint, item, index)
    return await client.call(endpoint.name, *args, **kwargs)


async def _map(
    client: AsyncHTTPClient,
    endpoint: Endpoint,
    inputs: Any,
    plan: MapPlan,
    progress: Progress,
    return_exceptions: bool,
) -> AsyncGenerator[Any, None]:
    # A function, not a method: the generator must not refer to the iterator object, so that
    # dropping the iterator (a ``break``) closes the generator at once, which stops the workers.
    workers = AsyncWorkers(plan.concurrency, "bentoclient-map")
    try:
        while True:
            ready = plan.ready()  # first: handing results out frees room in the window
            while plan.can_schedule():  # then keep the workers busy while the caller reads them
                try:
                    item = next(inputs)
                except StopIteration:
                    plan.end_of_input()
                    break
                index = plan.start()
                workers.submit((index, item), _call, client, endpoint, index, item)
            # sync-only: yield from ready
            for result in ready:  # async-only
                yield result  # async-only
            if plan.finished:
                return
            for (index, item), future in await workers.wait_any():
                error = future.exception()
                if error is None:
                    plan.record(index, future.result())
                elif return_exceptions and isinstance(error, Exception):
                    plan.record(index, MapError(index, item, error), failed=True)
                else:
                    _note(error, f"map() over endpoint {endpoint.name!r}: input {index} failed")
                    raise error
            progress.update(plan.completed)
    finally:
        plan.stop()  # no more inputs; what is still in flight is dropped
        await workers.shutdown()
        progress.close()


def _note(error: BaseException, text: str) -> None:
    add_note = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(text)
