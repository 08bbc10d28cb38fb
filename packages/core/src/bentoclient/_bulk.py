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

from collections.abc import Mapping
from typing import Any, Callable, Optional

from ._schema import Endpoint
from .exceptions import ArgumentError, ConfigurationError, MissingDependencyError

__all__ = ["BUFFER_FACTOR", "MapError", "MapPlan", "Progress", "item_arguments", "map_endpoint"]

#: In input order, up to ``BUFFER_FACTOR * concurrency`` inputs are held between the oldest
#: result not handed out yet and the newest input scheduled.
BUFFER_FACTOR = 4


class MapError:
    """What ``map(..., return_exceptions=True)`` yields for an input whose call failed.

    ``index`` is the input's position (from 0), ``input`` the input itself and ``exception``
    the error its call raised (after the client's retries), e.g. a
    :class:`~bentoclient.exceptions.ServiceUnavailable` or a
    :class:`~bentoclient.exceptions.ConnectError`.  It is a value, not an exception:
    ``isinstance(result, MapError)`` tells it from a result, and :meth:`reraise` raises the
    error.  It pickles (as long as the input does), so it can cross processes.
    """

    __slots__ = ("exception", "index", "input")

    def __init__(self, index: int, input: Any, exception: BaseException) -> None:
        self.index = index
        self.input = input
        self.exception = exception

    def reraise(self) -> None:
        """Raise the item's error."""
        raise self.exception

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MapError):
            return NotImplemented
        return (self.index, self.input, self.exception) == (other.index, other.input, other.exception)

    __hash__ = None  # type: ignore[assignment]  # mutable inputs: not hashable, like a dict

    def __reduce__(self) -> tuple[Any, ...]:
        return (MapError, (self.index, self.input, self.exception))

    def __repr__(self) -> str:
        return f"MapError(index={self.index}, exception={self.exception!r})"


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
        raise ConfigurationError(f"map(): concurrency must be a positive integer, got {concurrency!r}")
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


class MapPlan:
    """Which input to start next, which results to hand out, and the counts of one map.

    ``ordered``: results are handed out in input order, each once all older ones were;
    otherwise each as soon as it is recorded.  ``window`` bounds, in input order, how many
    inputs may be scheduled beyond the oldest one not handed out (so at most ``window``
    results are ever held); it is at least ``concurrency``.
    """

    def __init__(self, concurrency: int, *, ordered: bool = True, window: Optional[int] = None) -> None:
        self.concurrency = check_concurrency(concurrency)
        self.ordered = ordered
        self.window = max(concurrency, window if window is not None else BUFFER_FACTOR * concurrency)
        self.scheduled = 0  # inputs taken from the iterator and started
        self.completed = 0  # calls finished (result or error)
        self.failed = 0  # of which with an error
        self.handed_out = 0  # results yielded
        self.stopped = 0  # calls in flight when the map was stopped early (their outcomes dropped)
        self.exhausted = False  # the input iterator ended
        self._next = 0  # in order: the index of the next result to hand out
        self._held: dict[int, Any] = {}  # finished, not handed out yet

    @property
    def in_flight(self) -> int:
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
        """Whether to take the next input now (False: wait for a call to finish first)."""
        if self.exhausted or self.in_flight >= self.concurrency:
            return False
        return not self.ordered or self.scheduled - self._next < self.window

    def start(self) -> int:
        """Record that the next input was taken and its call started; returns its index."""
        if not self.can_schedule():
            raise RuntimeError("MapPlan.start() called when can_schedule() is False")
        index = self.scheduled
        self.scheduled += 1
        return index

    def end_of_input(self) -> None:
        self.exhausted = True

    def stop(self) -> None:
        """The map ended (finished, or stopped early): the calls still in flight are dropped,
        so that ``scheduled == completed + stopped`` always holds afterwards."""
        self.stopped += self.in_flight
        self.exhausted = True

    def record(self, index: int, outcome: Any, *, failed: bool = False) -> None:
        """Record the outcome of input ``index``'s call (a result, or a ``MapError`` when ``failed``)."""
        if not 0 <= index < self.scheduled or index in self._held or (self.ordered and index < self._next):
            raise RuntimeError(f"MapPlan.record(): input {index} is not in flight")
        self.completed += 1
        self.failed += failed
        self._held[index] = outcome

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
