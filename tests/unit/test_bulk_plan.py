"""``MapPlan``, the ordering and accounting of ``client.map()``: pure, driven with made-up completions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient import MapError, exceptions
from bentoclient._bulk import (
    DEFAULT_BATCH_SIZE,
    AdaptiveLimit,
    MapPlan,
    Progress,
    bad_inputs,
    batch_arguments,
    batch_size_for,
    is_overload_rejection,
    item_arguments,
    map_endpoint,
    split_results,
    splittable,
)
from bentoclient._schema import Endpoint, parse_schema
from bentoclient.exceptions import ArgumentError, ConfigurationError, MissingDependencyError, ResponseDecodeError


def simulate(n: int, plan: MapPlan, seed: int, fail: frozenset[int] = frozenset()) -> tuple[list[Any], int, int]:
    """Drive ``plan`` over ``n`` inputs, finishing calls in a random order.

    Returns what it handed out, the most calls in flight and the most results held at once.
    """
    rng = random.Random(seed)
    running: list[int] = []
    out: list[Any] = []
    most_running = most_held = 0
    while True:  # the same steps as the driver's loop (_async/bulk.py)
        ready = plan.ready()
        while plan.can_schedule():
            if plan.scheduled == n:
                plan.end_of_input()
                break
            running.append(plan.start())
        most_running = max(most_running, len(running), plan.in_flight)
        out += ready
        if plan.finished:
            return out, most_running, most_held
        assert running, "nothing in flight and not finished: the map would hang"
        index = running.pop(rng.randrange(len(running)))
        if index in fail:
            plan.record(index, MapError(index, index, ValueError(index)), failed=True)
        else:
            plan.record(index, index * 10)
        most_held = max(most_held, plan.held)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 300), concurrency=st.integers(1, 20), seed=st.integers(0, 2**32))
def test_in_order_every_result_once_with_bounded_flight_and_buffer(n: int, concurrency: int, seed: int) -> None:
    plan = MapPlan(concurrency)
    out, most_running, most_held = simulate(n, plan, seed)
    assert out == [i * 10 for i in range(n)]
    assert most_running <= concurrency
    assert most_held <= plan.window == 4 * concurrency
    assert (plan.scheduled, plan.completed, plan.handed_out, plan.failed, plan.held) == (n, n, n, 0, 0)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 300), concurrency=st.integers(1, 20), seed=st.integers(0, 2**32))
def test_out_of_order_pairs_cover_every_index_once(n: int, concurrency: int, seed: int) -> None:
    plan = MapPlan(concurrency, ordered=False)
    out, most_running, most_held = simulate(n, plan, seed)
    assert sorted(out) == [(i, i * 10) for i in range(n)]
    assert most_running <= concurrency
    assert most_held <= concurrency


def test_failures_are_counted_and_kept_in_place() -> None:
    plan = MapPlan(3)
    out, _, _ = simulate(10, plan, seed=1, fail=frozenset({2, 7}))
    assert [type(o).__name__ for o in out].count("MapError") == 2
    assert out[2] == MapError(2, 2, out[2].exception)
    assert out[7].index == 7
    assert (plan.completed, plan.failed) == (10, 2)


def test_a_slow_oldest_call_stops_scheduling_at_the_window() -> None:
    plan = MapPlan(2, window=5)
    first = plan.start()
    while plan.can_schedule():  # every call but the first one finishes at once
        index = plan.start()
        if index < 4:
            plan.record(index, "x")
    assert plan.scheduled == 5  # inputs 0..4: the oldest still running, 4 more held or running
    assert not plan.can_schedule()
    assert plan.ready() == []
    plan.record(4, "y")
    plan.record(first, "first")
    assert plan.ready() == ["first", "x", "x", "x", "y"]
    assert plan.can_schedule()


def test_stopping_early_accounts_for_the_calls_in_flight() -> None:
    plan = MapPlan(4)
    for _ in range(4):
        plan.start()
    plan.record(2, "done")
    plan.stop()
    assert (plan.scheduled, plan.completed, plan.stopped, plan.in_flight) == (4, 1, 3, 0)
    assert not plan.can_schedule()


def test_window_is_at_least_the_concurrency_and_bad_values_are_refused() -> None:
    assert MapPlan(8, window=2).window == 8
    for bad in (0, -1, 1.5, True, "4"):
        with pytest.raises(ConfigurationError, match="concurrency must be a positive integer"):
            MapPlan(bad)  # type: ignore[arg-type]  # wrong types on purpose
    plan = MapPlan(1)
    with pytest.raises(RuntimeError, match="not in flight"):
        plan.record(0, "never started")
    plan.start()
    with pytest.raises(RuntimeError, match="can_schedule"):
        plan.start()


SCHEMA = parse_schema(
    {
        "name": "S",
        "type": "service",
        "routes": [
            {
                "name": "add",
                "route": "/add",
                "input": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a"],
                },
                "output": {"type": "integer"},
            },
            {
                "name": "upper",
                "route": "/upper",
                "input": {"type": "string", "root_input": True},
                "output": {"type": "string"},
            },
            {
                "name": "tokens",
                "route": "/tokens",
                "input": {"type": "object", "properties": {"p": {"type": "string"}}},
                "output": {"type": "string", "is_stream": True, "media_type": "text/plain"},
            },
        ],
    }
)


def endpoint(name: str) -> Endpoint:
    return SCHEMA.endpoints[name]


def test_item_arguments_binds_a_dict_or_a_root_value() -> None:
    assert item_arguments(endpoint("add"), {"a": 1, "b": 2}, 0) == ((), {"a": 1, "b": 2})
    assert endpoint("upper").root_input
    assert item_arguments(endpoint("upper"), "text", 3) == (("text",), {})
    assert item_arguments(endpoint("upper"), {"not": "kwargs"}, 3) == (({"not": "kwargs"},), {})


def test_a_non_dict_for_a_keyword_endpoint_names_the_endpoint_and_the_index() -> None:
    with pytest.raises(ArgumentError, match=r"endpoint 'add': input 41 is a list.*\{'a': \.\.\.\}") as info:
        item_arguments(endpoint("add"), [1, 2], 41)
    assert info.value.endpoint == "add"
    with pytest.raises(ArgumentError, match=r"input 2 has a key that is not a string.*a, b"):
        item_arguments(endpoint("add"), {1: 2}, 2)


def test_a_stream_endpoint_is_refused() -> None:
    assert endpoint("tokens").is_stream
    with pytest.raises(ArgumentError, match="'tokens' streams its output"):
        map_endpoint(endpoint("tokens"))


def test_map_error_is_a_value_that_reraises_and_pickles() -> None:
    import pickle

    error = MapError(5, {"a": 1}, ConfigurationError("boom"))
    assert repr(error) == "MapError(index=5, exception=ConfigurationError('boom'))"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.index, copy.input, str(copy.exception)) == (5, {"a": 1}, "boom")
    with pytest.raises(ConfigurationError, match="boom"):
        copy.reraise()


def test_progress_calls_back_and_a_missing_tqdm_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    seen: list[tuple[int, Any]] = []
    progress = Progress(lambda done, total: seen.append((done, total)), False, None, "add")
    progress.update(3)
    progress.update(5)
    progress.close()
    assert seen == [(3, None), (5, None)]
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(MissingDependencyError, match="pip install tqdm") as info:
        Progress(None, True, 10, "add")
    assert info.value.package == "tqdm"
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        Progress(42, False, None, "add")  # type: ignore[arg-type]  # not callable on purpose


# --- batches -------------------------------------------------------------------------------


def simulate_batches(
    n: int, plan: MapPlan, seed: int, bad: frozenset[int] = frozenset()
) -> tuple[list[Any], int, int, int]:
    """The driver's batch loop with made-up completions: a request holding a ``bad`` input
    fails; a failed request of several inputs is split in halves (as for a 400), one of a
    single input records a MapError.  Returns what was handed out, the most requests in
    flight, the most results held and the number of requests sent."""
    rng = random.Random(seed)
    running: list[tuple[int, list[int]]] = []
    out: list[Any] = []
    most_requests = most_held = sent = 0
    while True:
        ready = plan.ready()
        while plan.can_schedule():
            work = plan.next_resend()
            if work is None:
                count = min(plan.room(), n - plan.scheduled)
                if count == 0:
                    plan.end_of_input()
                    break
                first = plan.start(count)
                work = (first, list(range(first, first + count)))
            running.append(work)
            sent += 1
        most_requests = max(most_requests, len(running), plan.requests)
        out += ready
        if plan.finished:
            return out, most_requests, most_held, sent
        assert running, "nothing in flight and not finished: the map would hang"
        first, items = running.pop(rng.randrange(len(running)))
        if not bad.intersection(items):
            plan.record_batch(first, [i * 10 for i in items])
        elif len(items) > 1:
            half = len(items) // 2
            plan.resend((first, items[:half]), (first + half, items[half:]))
        else:
            plan.record_batch(first, [MapError(first, first, ValueError(first))], failed=True)
        most_held = max(most_held, plan.held)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 300),
    concurrency=st.integers(1, 6),
    batch=st.integers(1, 40),
    bad=st.frozensets(st.integers(0, 299), max_size=5),
    seed=st.integers(0, 2**32),
    ordered=st.booleans(),
)
def test_batches_hand_out_every_input_once_with_bad_inputs_found(
    n: int, concurrency: int, batch: int, bad: frozenset[int], seed: int, ordered: bool
) -> None:
    plan = MapPlan(concurrency, ordered=ordered, batch_size=batch)
    out, most_requests, most_held, sent = simulate_batches(n, plan, seed, bad)
    results = out if ordered else [value for _, value in sorted(out, key=lambda pair: pair[0])]
    failed = {r.index for r in results if isinstance(r, MapError)}
    assert failed == {i for i in bad if i < n}  # exactly the bad inputs, each found
    assert [r for r in results if not isinstance(r, MapError)] == [i * 10 for i in range(n) if i not in bad]
    assert most_requests <= concurrency
    assert most_held <= plan.window == 4 * concurrency * batch
    assert (plan.scheduled, plan.completed, plan.handed_out, plan.failed) == (n, n, n, len(failed))
    if not failed:  # batching pays: about one request per batch_size inputs
        assert sent <= 2 * -(-n // batch)


def test_a_request_of_batch_size_inputs_and_its_split() -> None:
    plan = MapPlan(2, batch_size=8)
    assert plan.room() == 8
    first = plan.start(8)
    second = plan.start(3)  # the input ran out after 3 more
    plan.end_of_input()
    assert (first, second, plan.requests, plan.in_flight) == (0, 8, 2, 11)
    assert not plan.can_schedule()
    plan.resend("halve 0..3", "halve 4..7")  # the first batch failed: one request ended, two queued
    assert plan.requests == 1
    assert plan.can_schedule()
    assert plan.next_resend() == "halve 0..3"
    assert plan.next_resend() is None  # concurrency 2 reached; the other half waits
    plan.record_batch(8, ["i", "j", "k"])
    assert plan.ready() == []  # input 0 first
    assert plan.next_resend() == "halve 4..7"
    plan.record_batch(4, list("efgh"))
    plan.record_batch(0, list("abcd"))
    assert plan.ready() == list("abcdefghijk")
    assert plan.finished
    with pytest.raises(RuntimeError, match="too many inputs"):
        MapPlan(1, batch_size=4).start(5)


# --- batchable endpoints -------------------------------------------------------------------

BATCH_SCHEMA = parse_schema(
    {
        "name": "B",
        "type": "service",
        "routes": [
            {
                "name": "embed",
                "route": "/embed",
                "batchable": True,
                "input": {"type": "object", "properties": {"texts": {"type": "array", "items": {"type": "string"}}}},
                "output": {"type": "array"},
            },
            {
                "name": "capped",
                "route": "/capped",
                "batchable": True,
                "input": {
                    "type": "object",
                    "properties": {"texts": {"type": "array", "items": {"type": "string"}, "maxItems": 10}},
                },
                "output": {"type": "array"},
            },
            {
                "name": "root",
                "route": "/root",
                "batchable": True,
                "input": {"type": "array", "root_input": True},
                "output": {"type": "array"},
            },
            {
                "name": "two",
                "route": "/two",
                "batchable": True,
                "input": {"type": "object", "properties": {"a": {"type": "array"}, "b": {"type": "array"}}},
                "output": {"type": "array"},
            },
        ],
    }
)


def test_batch_size_follows_the_endpoint_and_its_schema() -> None:
    eps = BATCH_SCHEMA.endpoints
    assert batch_size_for(eps["embed"], None) == DEFAULT_BATCH_SIZE
    assert batch_size_for(eps["embed"], 100) == 100
    assert batch_size_for(eps["capped"], None) == 10  # maxItems bounds the default
    with pytest.raises(ConfigurationError, match=r"batch_size=11 is more than the 10 items.*maxItems"):
        batch_size_for(eps["capped"], 11)
    assert batch_size_for(endpoint("add"), None) == 0  # not batchable: one input per request
    with pytest.raises(ArgumentError, match=r"'add': batch_size=4 needs a batchable endpoint"):
        batch_size_for(endpoint("add"), 4)
    with pytest.raises(ArgumentError, match=r"batchable endpoint 'two': it takes 2 arguments \(a, b\)"):
        batch_size_for(eps["two"], None)
    for bad in (0, -3, True, 2.0):
        with pytest.raises(ConfigurationError, match="batch_size must be a positive integer"):
            batch_size_for(eps["embed"], bad)  # type: ignore[arg-type]  # wrong values on purpose


def test_a_batch_goes_into_the_one_argument_and_results_split_back() -> None:
    eps = BATCH_SCHEMA.endpoints
    assert batch_arguments(eps["embed"], ["a", "b"]) == ((), {"texts": ["a", "b"]})
    assert batch_arguments(eps["root"], [1, 2]) == (([1, 2],), {})
    assert split_results(eps["embed"], ["A", "B"], 2, 0) == ["A", "B"]
    with pytest.raises(ResponseDecodeError, match=r"'embed': inputs 4\.\.6 were sent as one batch of 3.*returned 2"):
        split_results(eps["embed"], ["A", "B"], 3, 4)
    with pytest.raises(ResponseDecodeError, match="returned a int"):
        split_results(eps["embed"], 5, 3, 0)


def test_which_failures_are_split_to_find_the_input() -> None:
    for status in (400, 422, 500):
        assert splittable(exceptions.status_error_class(status)("x", status_code=status))
    for status in (401, 404, 429, 503, 504):
        assert not splittable(exceptions.status_error_class(status)("x", status_code=status))
    assert splittable(ArgumentError("not JSON serializable"))
    assert not splittable(exceptions.ConnectError("refused"))
    assert not splittable(ResponseDecodeError("two results for three inputs"))
    assert is_overload_rejection(exceptions.TooManyRequests("x", status_code=429))
    assert not is_overload_rejection(exceptions.ServiceUnavailable("x", status_code=503))


def test_map_error_says_when_its_cause_was_shared_by_a_batch() -> None:
    import pickle

    shared = MapError(5, "text", exceptions.ConnectError("refused"), range(4, 8))
    assert repr(shared) == "MapError(index=5, exception=ConnectError('refused'), batch=range(4, 8))"
    assert pickle.loads(pickle.dumps(shared)).batch == range(4, 8)
    assert MapError(5, "text", ValueError()).batch is None


# --- concurrency="auto": the adaptive limit, with made-up latencies --------------------------


def test_the_limit_doubles_per_round_trip_until_the_first_overload() -> None:
    limit = AdaptiveLimit(initial=2, maximum=64)
    for _ in range(6):  # six successes at full use, 10 ms each
        limit.succeeded(limit.sent(), 0.010, in_flight=limit.value)
    assert limit.value == 8
    stamp = limit.sent()
    limit.overloaded(stamp)
    assert limit.value == 7  # 8 * 0.9
    assert not limit.slow_start
    for _ in range(7):  # then one more per round trip's worth of successes (1/limit each)
        limit.succeeded(limit.sent(), 0.010, in_flight=limit.value)
    assert limit.value == 8


def test_one_decrease_per_round_trip_however_many_requests_were_turned_away() -> None:
    limit = AdaptiveLimit(initial=20)
    stamps = [limit.sent() for _ in range(20)]  # all sent before any answer
    for stamp in stamps:  # the server took 10 and turned 10 away
        limit.overloaded(stamp)
    assert limit.value == 18  # once: 20 * 0.9, not 20 * 0.9 ** 10
    assert limit.overloads == 20
    limit.overloaded(limit.sent())  # a request sent after the decrease counts again
    assert limit.value == 16


def test_a_growing_latency_shrinks_the_limit_and_an_idle_limit_does_not_grow() -> None:
    limit = AdaptiveLimit(initial=10, tolerance=2.0)
    limit.succeeded(limit.sent(), 0.010, in_flight=10)
    assert limit.value == 11
    limit.succeeded(limit.sent(), 0.050, in_flight=10)  # one slow answer: the average rises to 20 ms
    assert limit.value == 12
    stamps = [limit.sent() for _ in range(3)]
    for stamp in stamps:  # slow answers keep coming: a queue builds up on the server
        limit.succeeded(stamp, 0.050, in_flight=10)
    assert not limit.slow_start
    assert limit.value == 10  # 12 * 0.9, once (the later signals were sent before it)
    before = limit.limit
    for _ in range(50):
        limit.succeeded(limit.sent(), 0.010, in_flight=2)  # only 2 of 10 in use: no evidence for more
    assert limit.limit == before


def test_a_service_that_got_slower_for_good_becomes_the_new_normal() -> None:
    limit = AdaptiveLimit(initial=8, maximum=8)

    def round_trip(latency: float) -> None:  # the limit's worth of requests, sent together
        stamps = [limit.sent() for _ in range(limit.value)]
        for stamp in stamps:
            limit.succeeded(stamp, latency, in_flight=len(stamps))

    for _ in range(5):
        round_trip(0.010)
    decreases = limit.decreases
    for _ in range(50):  # every answer 2.5x slower from now on (a bigger model, a busier machine)
        round_trip(0.025)
    assert limit.unloaded is not None
    assert limit.unloaded > 0.02  # it followed
    assert 1 <= limit.decreases - decreases <= 5  # a few decreases while it did
    settled = limit.decreases
    for _ in range(50):
        round_trip(0.025)
    assert limit.decreases == settled  # then none: this is the service's normal now
    assert limit.value == 8  # and the limit grew back


def test_the_limit_stays_within_its_bounds() -> None:
    limit = AdaptiveLimit(initial=4, minimum=2, maximum=6)
    for _ in range(100):
        limit.succeeded(limit.sent(), 0.01, in_flight=limit.value)
    assert limit.value == 6
    for _ in range(100):
        limit.overloaded(limit.sent())
    assert limit.value == 2
    with pytest.raises(ConfigurationError, match="minimum <= maximum"):
        AdaptiveLimit(minimum=5, maximum=4)


def test_auto_settles_near_a_server_limit_in_a_simulated_run() -> None:
    # A server that takes 8 calls at once (10 ms each) and turns the 9th away at once.
    limit = AdaptiveLimit(initial=4, maximum=64)
    served = rejected = 0
    values = []
    for _ in range(200):  # round trips
        stamps = [limit.sent() for _ in range(limit.value)]
        for n, stamp in enumerate(stamps):
            if n < 8:
                served += 1
                limit.succeeded(stamp, 0.010, in_flight=len(stamps))
            else:
                rejected += 1
                limit.overloaded(stamp)
        values.append(limit.value)
    assert all(7 <= v <= 9 for v in values[20:])  # hovers at the server's limit
    assert served / 200 >= 0.9 * 8  # so the server stays (nearly) full
    assert rejected < served / 5


def test_the_inputs_a_refusal_names_are_read_from_pydantic_locations() -> None:
    eps = BATCH_SCHEMA.endpoints

    def refusal(detail: Any, status: int = 400) -> exceptions.HTTPStatusError:
        body = json.dumps({"error": "validation errors for Input", "detail": detail}).encode()
        return exceptions.status_error_class(status)("x", status_code=status, body=body)

    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts", 3]}, {"loc": ["texts", 1, "x"]}]), 8) == [1, 3]
    assert bad_inputs(eps["root"], refusal([{"loc": [2]}]), 8) == [2]
    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts", 3]}], 422), 8) == [3]
    # anything else: no guess (the batch is halved instead)
    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts", 3]}, {"loc": ["other", 1]}]), 8) == []
    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts", 9]}]), 8) == []
    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts"]}]), 8) == []
    assert bad_inputs(eps["embed"], refusal("not a list"), 8) == []
    assert bad_inputs(eps["embed"], refusal([{"loc": ["texts", 3]}], 500), 8) == []
    assert bad_inputs(eps["embed"], ArgumentError("cannot encode"), 8) == []
