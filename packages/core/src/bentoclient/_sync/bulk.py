# Generated from bentoclient/_async/bulk.py by tools/unasync.py: do not edit; run 'nox -s unasync'.
"""The sync twin of ``bentoclient/_async/bulk.py``, generated from it (whose docstring explains it)."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from time import monotonic
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

from .._backends import SyncWorkers, sync_sleep
from .._bulk import (
    BUFFER_FACTOR,
    AdaptiveLimit,
    MapError,
    MapPlan,
    Progress,
    bad_inputs,
    batch_arguments,
    batch_size_for,
    check_concurrency,
    input_total,
    is_overload_rejection,
    item_arguments,
    map_endpoint,
    split_results,
    splittable,
)
from .._retry import Retry
from .._schema import Endpoint
from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from .client import SyncHTTPClient

__all__ = ["MapIterator"]

#: The item type: the endpoint's result, ``(index, result)`` with ``ordered=False``, or with
#: ``return_exceptions=True`` also a ``MapError`` (typed by a generated client, else ``Any``).
_T = TypeVar("_T")


class MapIterator(Generic[_T]):
    """The results of ``client.map(endpoint, inputs, ...)``, produced while you iterate.

    Nothing is sent before the first ``next()``.  Then at most ``concurrency`` calls are in
    flight; inputs are taken from ``inputs`` only as calls finish, so a generator of millions
    is never read ahead by more than the plan's window.  In input order (the default) each
    item is the endpoint's result; with ``ordered=False`` each item is ``(index, result)``
    as calls finish.  With ``return_exceptions=True`` a failed input's item is a
    :class:`~bentoclient.MapError` instead of its result, and the rest go on; otherwise the
    first failure seen stops the map and is raised.

    Stopping early (``break``, an error, ``close()``, Ctrl-C): no input is taken any more,
    and the calls in flight finish in their worker threads and are discarded (a thread
    cannot be interrupted; each call is bounded by the timeout), so that every connection is
    back in the client's pool.  Use ``with`` (or call ``close()``) to have that happen at
    once after a ``break``; otherwise it happens when the iterator is garbage-collected.
    """

    def __init__(
        self,
        client: SyncHTTPClient,
        endpoint: Endpoint,
        inputs: Iterable[Any],
        *,
        concurrency: Union[int, str],
        ordered: bool,
        batch_size: Optional[int] = None,
        return_exceptions: bool,
        progress: Optional[Callable[[int, Optional[int]], object]],
        progress_bar: bool,
        total: Optional[int],
    ) -> None:
        map_endpoint(endpoint)
        batch = batch_size_for(endpoint, batch_size)  # 0: not batching
        limit: Optional[AdaptiveLimit] = None
        if concurrency == "auto":
            most = max(1, getattr(client, "_max_connections", 64))  # more in flight only waits for a connection
            limit = AdaptiveLimit(initial=min(4, most), maximum=most)
            concurrency = limit.value
        elif not isinstance(concurrency, int):
            raise ConfigurationError(f"map(): concurrency must be a positive integer or 'auto', got {concurrency!r}")
        check_concurrency(concurrency)
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
        # With "auto" the window follows the most the limit may reach.
        window = None if limit is None else BUFFER_FACTOR * limit.maximum * (batch or 1)
        self._plan = MapPlan(concurrency, ordered=ordered, window=window, batch_size=batch or 1)
        if limit is not None:
            client = client.with_options(retry=_without_429(client))  # the map answers 429s itself
        #: ``concurrency="auto"``: the adaptive limit (its ``value`` now, ``overloads`` seen), else None.
        self.limit = limit
        #: Inputs per request (a batchable endpoint), 0 when each input is one request.
        self.batch_size = batch
        self._progress = Progress(progress, progress_bar, self.total, endpoint.name)
        self._run: Optional[Generator[_T, None, None]] = _map(
            client, endpoint, source, self._plan, self._progress, return_exceptions, batch, limit
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
    def requests(self) -> int:
        """Requests in flight now (each carries one input, or one batch)."""
        return self._plan.requests

    @property
    def stopped(self) -> int:
        """Calls that were in flight when the map was stopped early (``started == done + stopped``)."""
        return self._plan.stopped

    # --- iteration ------------------------------------------------------------------------

    def __iter__(self) -> MapIterator[_T]:
        return self

    def __next__(self) -> _T:
        if self._run is None:
            raise StopIteration
        return self._run.__next__()

    def close(self) -> None:
        """Stop: take no more inputs, end the calls in flight, give back their connections."""
        run, self._run = self._run, None
        if run is not None:
            run.close()
        self._progress.close()

    def __enter__(self) -> MapIterator[_T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        total = "?" if self.total is None else self.total
        return f"<{type(self).__name__} {self.done}/{total} done, {self.failed} failed>"


def _without_429(client: Any) -> Retry:
    retry: Retry = client._retry
    return retry._replace(statuses=retry.statuses - {429}, extra_statuses=retry.extra_statuses - {429})


#: How many times one request turned away by the server's overload rejection (429) is sent again
#: inside ``map(concurrency="auto")`` before that answer is reported.
OVERLOAD_RESENDS = 20


class _Work:
    """One request of a map: inputs ``first, first + 1, ...`` and how often it was turned away."""

    __slots__ = ("first", "items", "rejected", "stamp")

    def __init__(self, first: int, items: list[Any], rejected: int = 0) -> None:
        self.first = first
        self.items = items
        self.rejected = rejected
        self.stamp = 0


def _call(client: SyncHTTPClient, endpoint: Endpoint, work: _Work, batch: int) -> tuple[bool, Any, float]:
    """Send one request; returns ``(ok, results or error, seconds)`` (errors as values, so the
    latency of a failure is known too)."""
    if work.rejected > 1:  # turned away more than once: give the server a moment
        sync_sleep(min(0.01 * 2 ** (work.rejected - 2), 0.5))
    started = monotonic()
    try:
        if batch:
            args, kwargs = batch_arguments(endpoint, work.items)
            result = client.call(endpoint.name, *args, **kwargs)
            results = split_results(endpoint, result, len(work.items), work.first)
        else:
            args, kwargs = item_arguments(endpoint, work.items[0], work.first)
            results = [client.call(endpoint.name, *args, **kwargs)]
    except Exception as error:
        return False, error, monotonic() - started
    return True, results, monotonic() - started


def _map(
    client: SyncHTTPClient,
    endpoint: Endpoint,
    inputs: Any,
    plan: MapPlan,
    progress: Progress,
    return_exceptions: bool,
    batch: int,
    limit: Optional[AdaptiveLimit],
) -> Generator[Any, None, None]:
    # A function, not a method: the generator must not refer to the iterator object, so that
    # dropping the iterator (a ``break``) closes the generator at once, which stops the workers.
    workers = SyncWorkers(plan.concurrency if limit is None else limit.maximum, "bentoclient-map")
    try:
        while True:
            ready = plan.ready()  # first: handing results out frees room in the window
            while plan.can_schedule():  # then keep the workers busy while the caller reads them
                work = plan.next_resend()
                if work is None:
                    items = _take(inputs, plan.room())
                    if not items:
                        plan.end_of_input()
                        break
                    work = _Work(plan.start(len(items)), items)
                if limit is not None:
                    work.stamp = limit.sent()
                workers.submit(work, _call, client, endpoint, work, batch)
            yield from ready
            if plan.finished:
                return
            for work, future in workers.wait_any():
                ok, value, seconds = future.result()
                if ok:
                    if limit is not None:
                        limit.succeeded(work.stamp, seconds, plan.requests)
                    plan.record_batch(work.first, value)
                elif limit is not None and is_overload_rejection(value) and work.rejected < OVERLOAD_RESENDS:
                    limit.overloaded(work.stamp)  # the server ran nothing: send it again
                    plan.resend(_Work(work.first, work.items, work.rejected + 1))
                elif len(work.items) > 1 and splittable(value):
                    plan.resend(*_split(endpoint, work, value))  # one input (or more) is bad: find it
                elif return_exceptions:
                    shared = range(work.first, work.first + len(work.items)) if len(work.items) > 1 else None
                    failures = [MapError(work.first + i, item, value, shared) for i, item in enumerate(work.items)]
                    plan.record_batch(work.first, failures, failed=True)
                else:
                    last = work.first + len(work.items) - 1
                    which = f"input {work.first}" if last == work.first else f"inputs {work.first}..{last} (one batch)"
                    _note(value, f"map() over endpoint {endpoint.name!r}: {which} failed")
                    raise value
            if limit is not None:
                plan.concurrency = limit.value
            progress.update(plan.completed)
    finally:
        plan.stop()  # no more inputs; what is still in flight is dropped
        workers.shutdown()
        progress.close()


def _split(endpoint: Endpoint, work: _Work, error: BaseException) -> list[_Work]:
    """A failed batch, in pieces to send again: each input the server's refusal names alone
    (to get its own error) and the runs between them; else the two halves."""
    items, first = work.items, work.first
    bad = bad_inputs(endpoint, error, len(items))
    if not bad:
        half = len(items) // 2
        return [_Work(first, items[:half]), _Work(first + half, items[half:])]
    pieces, start = [], 0
    for offset in bad:
        if offset > start:
            pieces.append(_Work(first + start, items[start:offset]))
        pieces.append(_Work(first + offset, [items[offset]]))
        start = offset + 1
    if start < len(items):
        pieces.append(_Work(first + start, items[start:]))
    return pieces


def _take(inputs: Any, count: int) -> list[Any]:
    items = []
    for item in inputs:
        items.append(item)
        if len(items) >= count:
            break
    return items


def _note(error: BaseException, text: str) -> None:
    add_note = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(text)
