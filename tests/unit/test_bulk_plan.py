"""``MapPlan``, the ordering and accounting of ``client.map()``: pure, driven with made-up completions."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient import MapError
from bentoclient._bulk import MapPlan, Progress, item_arguments, map_endpoint
from bentoclient._schema import Endpoint, parse_schema
from bentoclient.exceptions import ArgumentError, ConfigurationError, MissingDependencyError


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
