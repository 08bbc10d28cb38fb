"""Bulk calls (``client.map``), the pure part: per-item arguments, the per-item error record,
and :class:`MapPlan`, the ordering and accounting of one map (no I/O, no clock).

The driver (``_async/bulk.py`` and the sync code generated from it) asks the plan what to do:
whether it may schedule another input (:meth:`MapPlan.can_schedule`), records each start and
each outcome, and yields what :meth:`MapPlan.ready` hands out.  The plan bounds memory: at
most ``concurrency`` calls in flight, and, when results come back in input order, at most
``window`` inputs between the oldest one not handed out yet and the newest one scheduled
(the calls in flight plus the finished results waiting for an older one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Callable, Optional

from ._schema import Endpoint
from .exceptions import (
    ArgumentError,
    ConfigurationError,
    HTTPStatusError,
    MissingDependencyError,
    ResponseDecodeError,
    TransportError,
)

__all__ = [
    "BUFFER_FACTOR",
    "DEFAULT_BATCH_SIZE",
    "AdaptiveLimit",
    "MapError",
    "MapPlan",
    "Progress",
    "bad_inputs",
    "batch_arguments",
    "batch_size_for",
    "item_arguments",
    "map_endpoint",
    "split_results",
]

#: In input order, up to ``BUFFER_FACTOR * concurrency`` inputs are held between the oldest
#: result not handed out yet and the newest input scheduled.
BUFFER_FACTOR = 4


class MapError:
    """What ``map(..., return_exceptions=True)`` yields for an input whose call failed.

    ``index`` is the input's position (from 0), ``input`` the input itself and ``exception``
    the error its call raised (after the client's retries), e.g. a
    :class:`~bentoclient.exceptions.ServiceUnavailable` or a
    :class:`~bentoclient.exceptions.ConnectError`.  On a batchable endpoint, ``batch`` says
    which kind of failure it is: ``None`` when this input failed on its own (alone, or found
    by splitting a failed batch), else the ``range`` of input indices whose one batch
    request failed with this one cause (a connection error, an overloaded server...), which
    says nothing about this input itself.  It is a value, not an exception:
    ``isinstance(result, MapError)`` tells it from a result, and :meth:`reraise` raises the
    error.  It pickles (as long as the input does), so it can cross processes.
    """

    __slots__ = ("batch", "exception", "index", "input")

    def __init__(self, index: int, input: Any, exception: BaseException, batch: Optional[range] = None) -> None:
        self.index = index
        self.input = input
        self.exception = exception
        self.batch = batch

    def reraise(self) -> None:
        """Raise the item's error."""
        raise self.exception

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MapError):
            return NotImplemented
        return (self.index, self.input, self.exception, self.batch) == (
            other.index,
            other.input,
            other.exception,
            other.batch,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable inputs: not hashable, like a dict

    def __reduce__(self) -> tuple[Any, ...]:
        return (MapError, (self.index, self.input, self.exception, self.batch))

    def __repr__(self) -> str:
        batch = "" if self.batch is None else f", batch={self.batch!r}"
        return f"MapError(index={self.index}, exception={self.exception!r}{batch})"


def map_endpoint(endpoint: Endpoint) -> Endpoint:
    """Check that ``map()`` can call ``endpoint``: one value per call, not a stream."""
    if endpoint.is_stream:
        raise ArgumentError(
            f"endpoint {endpoint.name!r} streams its output, and map() collects one value per input; "
            f"call client.{endpoint.name}(...) per input and iterate each stream instead",
            endpoint=endpoint.name,
        )
    return endpoint


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"  # "an int", "a list"


def item_arguments(endpoint: Endpoint, item: Any, index: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call arguments for one input: a dict of keyword arguments, or a root input's value."""
    if endpoint.root_input:
        return (item,), {}
    if not isinstance(item, Mapping):
        raise ArgumentError(
            f"map() over endpoint {endpoint.name!r}: input {index} is {_a(type(item).__name__)}, but this endpoint "
            f"takes keyword arguments: give each input as a dict such as {_example(endpoint)}",
            endpoint=endpoint.name,
        )
    if not all(isinstance(key, str) for key in item):
        raise ArgumentError(
            f"map() over endpoint {endpoint.name!r}: input {index} has a key that is not a string; "
            f"the keys are the endpoint's argument names ({', '.join(f.name for f in endpoint.fields) or 'none'})",
            endpoint=endpoint.name,
        )
    return (), dict(item)


def _example(endpoint: Endpoint) -> str:
    names = [f.name for f in endpoint.fields if f.required] or [f.name for f in endpoint.fields][:1]
    return "{" + ", ".join(f"{name!r}: ..." for name in names) + "}"


def check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"map(): concurrency must be a positive integer or 'auto', got {concurrency!r}")
    return concurrency


def input_total(inputs: Any, total: Optional[int]) -> Optional[int]:
    """The number of inputs when known: ``total=`` if given, else ``len(inputs)`` if it has one."""
    if total is not None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ConfigurationError(f"map(): total must be a non-negative integer or None, got {total!r}")
        return total
    try:
        return len(inputs)
    except TypeError:  # a generator or another iterator: unknown until the end
        return None


# --- batching (batchable endpoints) ----------------------------------------------------------

#: Inputs per request on a batchable endpoint when ``batch_size`` is not given (BentoML's own
#: ``max_batch_size`` defaults to 100; a request larger than the server's batch is split by it).
DEFAULT_BATCH_SIZE = 32


def batch_size_for(endpoint: Endpoint, batch_size: Optional[int]) -> int:
    """How many inputs go into one request: 0 when the endpoint is not batchable (each input
    is the call's arguments), else the batch size, bounded by the schema's ``maxItems``."""
    if not endpoint.batchable:
        if batch_size is not None:
            raise ArgumentError(
                f"map() over endpoint {endpoint.name!r}: batch_size={batch_size!r} needs a batchable endpoint "
                "(@bentoml.api(batchable=True)), and this one takes one input per request; leave out batch_size",
                endpoint=endpoint.name,
            )
        return 0
    batch_argument(endpoint)  # one batch argument, or refused now
    limit = _max_items(endpoint)
    if batch_size is None:
        return min(DEFAULT_BATCH_SIZE, limit) if limit else DEFAULT_BATCH_SIZE
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigurationError(
            f"map() over endpoint {endpoint.name!r}: batch_size must be a positive integer, got {batch_size!r}"
        )
    if limit and batch_size > limit:
        raise ConfigurationError(
            f"map() over endpoint {endpoint.name!r}: batch_size={batch_size} is more than the {limit} items "
            f"the endpoint's schema allows in one request (maxItems); pass batch_size={limit} or less"
        )
    return batch_size


def _max_items(endpoint: Endpoint) -> int:
    schema: Mapping[str, Any] = endpoint.input
    if not endpoint.root_input:
        name = batch_argument(endpoint)
        schema = (endpoint.input.get("properties") or {}).get(name) or {}
    limit = schema.get("maxItems") if isinstance(schema, Mapping) else None
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else 0


def batch_argument(endpoint: Endpoint) -> str:
    """The name of a batchable endpoint's one argument (``""`` for a root input)."""
    if endpoint.root_input:
        return ""
    names = [f.name for f in endpoint.fields]
    if len(names) != 1:
        raise ArgumentError(
            f"map() over batchable endpoint {endpoint.name!r}: it takes {len(names)} arguments "
            f"({', '.join(names) or 'none'}), but a batch goes into exactly one (BentoML's batchable rule); "
            "check the service's signature",
            endpoint=endpoint.name,
        )
    return names[0]


def batch_arguments(endpoint: Endpoint, items: list[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call arguments for one request carrying ``items`` as a batch (a list)."""
    name = batch_argument(endpoint)
    return ((items,), {}) if not name else ((), {name: items})


def split_results(endpoint: Endpoint, result: Any, count: int, first: int) -> list[Any]:
    """One result per input from a batch request's result (a list, an array, a dataframe)."""
    try:
        size = len(result)
    except TypeError:
        size = -1
    if size != count:
        got = f"{size} results" if size >= 0 else f"a {type(result).__name__}"
        raise ResponseDecodeError(
            f"map() over batchable endpoint {endpoint.name!r}: inputs {first}..{first + count - 1} were sent as one "
            f"batch of {count} and the service returned {got}; a batchable endpoint must return one result "
            "per input, in order",
            endpoint=endpoint.name,
        )
    rows = getattr(result, "iloc", None)  # a dataframe: its rows
    if rows is not None:
        return [rows[i] for i in range(count)]
    return list(result)


def splittable(error: BaseException) -> bool:
    """Whether a failed batch may owe its failure to one of its inputs, so that sending it
    again in halves finds that input: a refused argument (client side or 400/422) or an
    error inside the service (500).  Connection errors, timeouts, overload and
    authentication answers are about the request, not an input, and so is an answer with
    the wrong number of results: the batch fails as one."""
    if isinstance(error, HTTPStatusError):
        return error.status_code in (400, 413, 422, 500)
    return isinstance(error, ArgumentError) and not isinstance(error, TransportError)


def bad_inputs(endpoint: Endpoint, error: BaseException, count: int) -> list[int]:
    """The positions in a batch of ``count`` that a refusal (400/422) names, from pydantic's
    ``loc`` (``["texts", 3, ...]``, or ``[3, ...]`` for a root input) in BentoML's error body;
    empty when it names none or anything else (then halving the batch finds the inputs)."""
    if not isinstance(error, HTTPStatusError) or error.status_code not in (400, 422):
        return []
    detail = error.detail
    if not isinstance(detail, list) or not detail:
        return []
    name = batch_argument(endpoint)
    found: set[int] = set()
    for entry in detail:
        loc = entry.get("loc") if isinstance(entry, Mapping) else None
        if not isinstance(loc, (list, tuple)):
            return []
        if name:
            if len(loc) < 2 or loc[0] != name:
                return []
            loc = loc[1:]
        position = loc[0] if loc else None
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < count:
            return []
        found.add(position)
    return sorted(found)


def is_overload_rejection(error: BaseException) -> bool:
    """The server's own pre-dispatch rejection: BentoML (1.4) answers ``429 {"error": "Too many
    requests"}`` before running anything once ``traffic.max_concurrency`` calls are in flight."""
    return isinstance(error, HTTPStatusError) and error.status_code == 429


class MapPlan:
    """Which inputs to send next, which results to hand out, and the counts of one map.

    The unit of work is a request carrying ``1..batch_size`` consecutive inputs (one input
    when not batching).  At most ``concurrency`` requests are in flight (the driver may
    change ``concurrency`` as it goes, e.g. from an :class:`AdaptiveLimit`).  ``ordered``:
    results are handed out in input order, each once all older ones were; otherwise each
    as soon as it is recorded.  ``window`` bounds, in input order, how many inputs may be
    scheduled beyond the oldest one not handed out (so at most ``window`` results are ever
    held); it is at least ``concurrency * batch_size``.  A request that must go again (a
    failed batch split in halves, an overload rejection) is queued with :meth:`resend` and
    goes before any new input.
    """

    def __init__(
        self, concurrency: int, *, ordered: bool = True, window: Optional[int] = None, batch_size: int = 1
    ) -> None:
        self.concurrency = check_concurrency(concurrency)
        self.batch_size = max(1, batch_size)
        self.ordered = ordered
        least = concurrency * self.batch_size
        self.window = max(least, window if window is not None else BUFFER_FACTOR * least)
        self.scheduled = 0  # inputs taken from the iterator and started
        self.completed = 0  # inputs finished (result or error)
        self.failed = 0  # of which with an error
        self.handed_out = 0  # results yielded
        self.stopped = 0  # inputs in flight when the map was stopped early (their outcomes dropped)
        self.requests = 0  # requests in flight
        self.exhausted = False  # the input iterator ended
        self._next = 0  # in order: the index of the next result to hand out
        self._held: dict[int, Any] = {}  # finished, not handed out yet
        self._resend: deque[Any] = deque()  # requests to send again, before new inputs

    @property
    def in_flight(self) -> int:
        """Inputs started whose outcome is not recorded yet."""
        return self.scheduled - self.completed - self.stopped

    @property
    def held(self) -> int:
        """Finished results waiting to be handed out."""
        return len(self._held)

    @property
    def finished(self) -> bool:
        """The inputs ended and every result was handed out."""
        return self.exhausted and self.handed_out == self.scheduled

    def can_schedule(self) -> bool:
        """Whether to send a request now (False: wait for one to finish first)."""
        if self.requests >= self.concurrency:
            return False
        if self._resend:
            return True
        if self.exhausted:
            return False
        return self.room() > 0

    def room(self) -> int:
        """How many new inputs the next request may take (up to ``batch_size``)."""
        if not self.ordered:
            return self.batch_size
        return min(self.batch_size, self.window - (self.scheduled - self._next))

    def start(self, count: int = 1) -> int:
        """Record that a request with the next ``count`` inputs was sent; returns the first index."""
        if not self.can_schedule() or self._resend or not 1 <= count <= self.room():
            raise RuntimeError("MapPlan.start() called when can_schedule() is False or with too many inputs")
        index = self.scheduled
        self.scheduled += count
        self.requests += 1
        return index

    def resend(self, *work: Any) -> None:
        """A finished request's inputs go again, as one or more requests (``work``: the
        driver's record of each, e.g. the two halves of a failed batch)."""
        self._end_request()
        self._resend.extend(work)

    def next_resend(self) -> Any:
        """The oldest request queued by :meth:`resend`, or None; it counts as sent."""
        if not self._resend or self.requests >= self.concurrency:
            return None
        self.requests += 1
        return self._resend.popleft()

    def end_of_input(self) -> None:
        self.exhausted = True

    def stop(self) -> None:
        """The map ended (finished, or stopped early): the inputs still in flight are dropped,
        so that ``scheduled == completed + stopped`` always holds afterwards."""
        self.stopped += self.in_flight
        self.requests = 0
        self._resend.clear()
        self.exhausted = True

    def _end_request(self) -> None:
        if self.requests <= 0:
            raise RuntimeError("MapPlan: a request ended that was not in flight")
        self.requests -= 1

    def record(self, index: int, outcome: Any, *, failed: bool = False) -> None:
        """Record the outcome of a request that carried input ``index`` alone."""
        self.record_batch(index, [outcome], failed=failed)

    def record_batch(self, first: int, outcomes: list[Any], *, failed: bool = False) -> None:
        """Record the outcomes of a request that carried inputs ``first, first + 1, ...`` (each
        a result, or a ``MapError`` when ``failed``); the request ends."""
        for index in range(first, first + len(outcomes)):
            if not 0 <= index < self.scheduled or index in self._held or (self.ordered and index < self._next):
                raise RuntimeError(f"MapPlan.record(): input {index} is not in flight")
        self._end_request()
        self.completed += len(outcomes)
        if failed:
            self.failed += len(outcomes)
        for offset, outcome in enumerate(outcomes):
            self._held[first + offset] = outcome

    def ready(self) -> list[Any]:
        """The results to hand out now: in order, the finished run from the oldest pending
        input; otherwise ``(index, outcome)`` for every recorded one, in completion order."""
        if not self.ordered:
            out = list(self._held.items())
            self._held.clear()
            self.handed_out += len(out)
            return out
        out = []
        while self._next in self._held:
            out.append(self._held.pop(self._next))
            self._next += 1
        self.handed_out += len(out)
        return out


#: ``AdaptiveLimit``: the weight of a new latency in the recent average, and how fast the
#: unloaded latency follows a slower service (a share of the gap per success).
RECENT_WEIGHT = 0.25
UNLOADED_DRIFT = 0.01


class AdaptiveLimit:
    """``concurrency="auto"``: how many requests to keep in flight, adapted to the service.

    Pure (the driver passes each request's measured latency; no clock here).  Additive
    increase, multiplicative decrease, as in TCP and Netflix's concurrency-limits:

    - it starts at ``initial`` and, until the first sign of overload, grows by one per
      request that succeeded while the limit was in use (doubling per round trip);
    - afterwards it grows by ``1 / limit`` per such success (one per round trip);
    - it shrinks to ``limit * backoff`` on an overload rejection (429), or when the recent
      latency (an average over the last few successes, so one slow answer is not enough) is
      more than ``tolerance`` times the unloaded one (a queue is building up on the server,
      which adds latency and no throughput).  The unloaded latency is the lowest recent
      average, drifting slowly up when the service itself gets slower;
    - one decrease per round trip: a signal from a request sent before the last decrease
      (stamped with :meth:`sent`) is already accounted for and changes nothing.

    ``value`` (the whole part, between ``minimum`` and ``maximum``) is the limit to apply.
    """

    def __init__(
        self,
        *,
        initial: int = 4,
        minimum: int = 1,
        maximum: int = 64,
        backoff: float = 0.9,
        tolerance: float = 2.0,
    ) -> None:
        if not 1 <= minimum <= maximum:
            raise ConfigurationError(f"AdaptiveLimit: need 1 <= minimum <= maximum, got {minimum}, {maximum}")
        self.minimum = minimum
        self.maximum = maximum
        self.backoff = backoff
        self.tolerance = tolerance
        self.limit = float(min(max(initial, minimum), maximum))
        self.slow_start = True
        self.recent: Optional[float] = None  # moving average of the latest latencies
        self.unloaded: Optional[float] = None  # the lowest recent average (drifts up slowly)
        self.decreases = 0  # also the stamp of requests sent from now on
        self.overloads = 0  # overload rejections seen

    @property
    def value(self) -> int:
        return max(self.minimum, min(self.maximum, int(self.limit)))

    def sent(self) -> int:
        """The stamp for a request sent now (give it back with its outcome)."""
        return self.decreases

    def succeeded(self, stamp: int, latency: float, in_flight: int) -> None:
        """A request sent with ``stamp`` succeeded after ``latency`` seconds, with
        ``in_flight`` requests (itself included) in flight when it finished."""
        recent = latency if self.recent is None else self.recent + RECENT_WEIGHT * (latency - self.recent)
        self.recent = recent
        unloaded = self.unloaded
        if unloaded is None or recent < unloaded:
            self.unloaded = recent
        else:
            self.unloaded = unloaded + UNLOADED_DRIFT * (recent - unloaded)
            if min(recent, latency) > self.tolerance * unloaded:  # slow now, and lately
                self._decrease(stamp)
                return
        if 2 * in_flight < self.value:
            return  # the limit is not what holds the calls back: no evidence for more
        step = 1.0 if self.slow_start else 1.0 / self.limit
        self.limit = min(float(self.maximum), self.limit + step)

    def overloaded(self, stamp: int) -> None:
        """A request sent with ``stamp`` was turned away by the server (429) before it ran."""
        self.overloads += 1
        self._decrease(stamp)

    def _decrease(self, stamp: int) -> None:
        if stamp < self.decreases:
            return
        self.slow_start = False
        self.limit = max(float(self.minimum), self.limit * self.backoff)
        self.decreases += 1


class Progress:
    """Reports ``(done, total)`` to a callback and/or a tqdm bar, from the consuming thread."""

    def __init__(
        self,
        callback: Optional[Callable[[int, Optional[int]], object]],
        bar: bool,
        total: Optional[int],
        description: str,
    ) -> None:
        if callback is not None and not callable(callback):
            raise ConfigurationError(f"map(): progress must be a callable (done, total), got {callback!r}")
        self._callback = callback
        self._total = total
        self._description = description
        self._tqdm: Any = None  # the tqdm class, checked now; the bar is drawn from the first result
        self._bar: Any = None
        self._shown = 0
        if bar:
            import importlib

            try:
                tqdm = importlib.import_module("tqdm.auto").tqdm  # optional: never a dependency of core
            except ImportError as exc:
                raise MissingDependencyError(
                    "map(progress_bar=True) draws the bar with tqdm, which is not installed: pip install tqdm, "
                    "or pass progress=callback(done, total) instead",
                    package="tqdm",
                ) from exc
            self._tqdm = tqdm

    def update(self, done: int) -> None:
        if self._tqdm is not None and self._bar is None:
            self._bar = self._tqdm(total=self._total, desc=self._description, unit="item")
        if self._bar is not None and done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done
        if self._callback is not None:
            self._callback(done, self._total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._tqdm = self._bar = None
