"""Call arguments -> fields (BentoML protocol §2.7), with errors that say what to do."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._encode import NO_VALUE, bind_arguments
from bentoclient._schema import Endpoint
from bentoclient.exceptions import ArgumentError, BentoClientError, BentoMLException

from ._helpers import make_endpoint, object_input, wire_schema

SUMMARIZE = make_endpoint(
    object_input(
        {
            "text": {"title": "Text", "type": "string"},
            "max_length": {"default": 50, "title": "Max Length", "type": "integer"},
            "temperature": {"title": "Temperature", "type": "number"},
        },
        required=["text"],
    ),
    {"type": "string"},
    name="summarize",
)
ROOT_TEXT = make_endpoint({"type": "string", "root_input": True}, {"type": "string"}, name="root_text")


def _bind_error(endpoint: Endpoint, *args: Any, **kwargs: Any) -> ArgumentError:
    with pytest.raises(ArgumentError) as info:
        bind_arguments(endpoint, args, kwargs)
    err = info.value
    # Every binding error is all three: ours, BentoML's name, and the TypeError BentoML raised.
    assert isinstance(err, TypeError)
    assert isinstance(err, BentoClientError)
    assert isinstance(err, BentoMLException)
    assert err.endpoint == endpoint.name
    assert f"'{endpoint.name}'" in str(err)
    return err


def test_positionals_follow_schema_order() -> None:
    assert bind_arguments(SUMMARIZE, ("hello", 5, 0.5), {}) == {"text": "hello", "max_length": 5, "temperature": 0.5}
    assert bind_arguments(SUMMARIZE, ("hello",), {"temperature": 0.1}) == {"text": "hello", "temperature": 0.1}


def test_keywords_only() -> None:
    assert bind_arguments(SUMMARIZE, (), {"max_length": 3, "text": "x"}) == {"max_length": 3, "text": "x"}


def test_defaults_are_not_filled_in() -> None:
    bound = bind_arguments(SUMMARIZE, ("hello",), {})
    assert bound == {"text": "hello"}
    assert "max_length" not in bound  # the server applies its default


def test_explicit_none_is_kept() -> None:
    assert bind_arguments(SUMMARIZE, (), {"text": "x", "max_length": None}) == {"text": "x", "max_length": None}


def test_too_many_positionals() -> None:
    # BentoML silently drops them (zip truncation); a call with a lost value is a bug.
    err = _bind_error(SUMMARIZE, "a", 1, 0.5, "extra")
    assert "at most 3" in str(err)
    assert "4 were given" in str(err)
    assert err.argument is None or isinstance(err.argument, str)


def test_too_many_positionals_for_an_endpoint_without_arguments() -> None:
    no_args = make_endpoint(object_input({}), name="no_args")
    err = _bind_error(no_args, 1)
    assert "at most 0" in str(err)
    assert bind_arguments(no_args, (), {}) == {}


def test_duplicate_positional_and_keyword() -> None:
    err = _bind_error(SUMMARIZE, "hello", text="again")
    assert err.argument == "text"
    assert "'text'" in str(err)
    assert "both by position and by keyword" in str(err)


def test_unknown_keyword_suggests_a_close_match() -> None:
    err = _bind_error(SUMMARIZE, "hello", max_lenght=5)
    assert err.argument == "max_lenght"
    assert "'max_lenght'" in str(err)
    assert "did you mean 'max_length'" in str(err)
    # and lists what exists
    assert "text, max_length, temperature" in str(err)


def test_unknown_keyword_without_a_close_match_has_no_suggestion() -> None:
    err = _bind_error(SUMMARIZE, "hello", zzzzzz=1)
    assert err.argument == "zzzzzz"
    assert "did you mean" not in str(err)


def test_missing_required_lists_the_signature() -> None:
    err = _bind_error(SUMMARIZE, max_length=3)
    assert err.argument == "text"
    assert "missing required argument" in str(err)
    assert "'text'" in str(err)
    assert "summarize(text: string, max_length: integer = 50, temperature: number = <server default>)" in str(err)


def test_missing_several_required_names_them_all() -> None:
    endpoint = make_endpoint(
        object_input({"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "number"}}, ["a", "b"]),
        name="abc",
    )
    err = _bind_error(endpoint, c=1.0)
    assert err.argument == "a"
    assert "'a', 'b'" in str(err)


def test_checks_run_in_bentoml_order() -> None:
    # duplicate before unknown before missing, as in BentoML's _build_request
    assert _bind_error(SUMMARIZE, "x", text="y", bogus=1).argument == "text"
    assert _bind_error(SUMMARIZE, bogus=1).argument == "bogus"


# --- root inputs --------------------------------------------------------------------------


def test_root_input_takes_exactly_one_positional() -> None:
    assert bind_arguments(ROOT_TEXT, ("hi",), {}) == {"": "hi"}


def test_root_input_without_arguments_is_no_value() -> None:
    bound = bind_arguments(ROOT_TEXT, (), {})
    assert list(bound) == [""]
    assert bound[""] is NO_VALUE


def test_root_input_rejects_keywords() -> None:
    # BentoML: c.root_text(text="x") -> TypeError
    err = _bind_error(ROOT_TEXT, text="x")
    assert err.argument == "text"
    assert "root_text(value: string, /)" in str(err)


def test_root_input_rejects_a_keyword_beside_the_positional() -> None:
    err = _bind_error(ROOT_TEXT, "x", extra=1)
    assert err.argument == "extra"


def test_root_input_rejects_two_positionals() -> None:
    err = _bind_error(ROOT_TEXT, "a", "b")
    assert "one positional value" in str(err)


def test_model_root_binds_the_dict_whole() -> None:
    root_model = wire_schema().endpoints["root_model"]
    value = {"name": "apple", "quantity": 2}
    assert bind_arguments(root_model, (value,), {}) == {"": value}
    _bind_error(root_model, name="apple")


def test_captured_schema_endpoints_bind() -> None:
    schema = wire_schema()
    assert bind_arguments(schema.endpoints["text"], ("hi", 2), {}) == {"text": "hi", "repeat": 2}
    err = _bind_error(schema.endpoints["text"], txt="hi")
    assert "did you mean 'text'" in str(err)
    assert bind_arguments(schema.endpoints["no_args"], (), {}) == {}


# --- property: binding is a permutation-free mapping onto schema order -------------------

_names = st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=6), max_size=6, unique=True)


@settings(max_examples=100, deadline=None)
@given(_names, st.data())
def test_binding_matches_a_python_signature(names: list[str], data: st.DataObject) -> None:
    """bind_arguments agrees with Python's own rules for ``def f(n1=..., n2=..., ...)``."""
    endpoint = make_endpoint(object_input({n: {"type": "integer"} for n in names}), name="prop")
    n_positional = data.draw(st.integers(0, len(names)))
    args = tuple(range(n_positional))
    rest = names[n_positional:]
    keyword_names = data.draw(st.lists(st.sampled_from(rest), unique=True) if rest else st.just([]))
    kwargs = {n: 100 + i for i, n in enumerate(keyword_names)}
    bound = bind_arguments(endpoint, args, kwargs)
    assert bound == {**dict(zip(names, args)), **kwargs}
    assert set(bound) <= set(names)
