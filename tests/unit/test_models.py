"""Plain data of the protocol layer: headers, header checks, timeouts, requests, responses."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._models import Headers, Request, ResponseData, Timeout, check_header_value
from bentoclient._protocol import ready_wait_seconds
from bentoclient.exceptions import ConfigurationError, ResponseDecodeError

# --- Headers ---------------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_keep_the_first_spelling() -> None:
    headers = Headers({"Content-Type": "text/plain", "X-BentoML-Request-ID": "abc"})
    assert headers["content-type"] == "text/plain"
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers.get("x-bentoml-request-id") == "abc"
    assert "content-TYPE" in headers
    assert "missing" not in headers
    not_a_str: object = 3
    assert not_a_str not in headers
    assert headers.get("missing") is None
    assert list(headers) == ["Content-Type", "X-BentoML-Request-ID"]
    assert len(headers) == 2
    with pytest.raises(KeyError):
        headers["missing"]


def test_repeated_headers_are_joined_in_order() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("x-dup", "1"), ("set-cookie", "b=2"), ("X-DUP", "2"), ("x-dup", "3")])
    assert headers["set-cookie"] == "a=1, b=2"
    assert headers["x-dup"] == "1, 2, 3"
    assert list(headers) == ["Set-Cookie", "x-dup"]
    headers.add("SET-COOKIE", "c=3")
    assert headers["Set-Cookie"] == "a=1, b=2, c=3"


def test_headers_from_nothing_and_as_a_dict() -> None:
    assert len(Headers()) == 0
    assert len(Headers(None)) == 0
    assert dict(Headers([("A", "1"), ("b", "2")])) == {"A": "1", "b": "2"}
    assert "Headers(" in repr(Headers({"A": "1"}))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text("abcABC-", min_size=1, max_size=4), st.text("xyz", max_size=3)), max_size=8))
def test_headers_agree_with_a_case_folded_model(pairs: list[tuple[str, str]]) -> None:
    headers = Headers(pairs)
    model: dict[str, list[str]] = {}
    for key, value in pairs:
        model.setdefault(key.lower(), []).append(value)
    assert len(headers) == len(model)
    for key, values in model.items():
        assert headers[key.upper()] == ", ".join(values)


# --- check_header_value -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b", "\r\n"])
def test_header_values_with_line_breaks_or_nul_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_header_value("X-Custom", value)
    assert "'X-Custom'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_secret_header_values_are_not_echoed() -> None:
    secret = "sk-live-SECRET\r\nX-Evil: 1"
    with pytest.raises(ConfigurationError) as info:
        check_header_value("Authorization", secret, secret=True)
    text = str(info.value)
    assert "SECRET" not in text
    assert "X-Evil" not in text
    assert "Authorization" in text


def test_good_header_values_pass_through() -> None:
    assert check_header_value("X-Custom", "v a l u e; q=1") == "v a l u e; q=1"
    assert check_header_value("Authorization", "Bearer tok", secret=True) == "Bearer tok"
    assert check_header_value("X-Empty", "") == ""


@pytest.mark.parametrize("name", ["", "Bad Name", "X:Colon", "X\r\nY", "Tab\tName"])
def test_bad_header_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="field name"):
        check_header_value(name, "v")


# --- Timeout -------------------------------------------------------------------------------------


def test_timeout_of_a_number_sets_every_phase_but_total() -> None:
    assert Timeout.of(5) == Timeout(5.0, 5.0, 5.0, 5.0, None)
    t = Timeout.of(2.5)
    assert (t.connect, t.read, t.write, t.pool, t.total) == (2.5, 2.5, 2.5, 2.5, None)
    assert isinstance(Timeout.of(5).read, float)


def test_timeout_of_none_is_no_limit() -> None:
    t = Timeout.of(None)
    assert (t.connect, t.read, t.write, t.pool, t.total) == (None, None, None, None, None)


def test_timeout_of_a_timeout_is_itself() -> None:
    t = Timeout(connect=1, read=60, write=10, pool=5, total=120)
    assert Timeout.of(t) is t


def test_timeout_defaults_equality_and_repr() -> None:
    assert Timeout() == Timeout(30.0, 30.0, 30.0, 30.0, None)
    assert Timeout(1) != Timeout(2)
    assert hash(Timeout(1)) == hash(Timeout(1))
    assert repr(Timeout(1, 2, 3, 4, 5)) == "Timeout(connect=1, read=2, write=3, pool=4, total=5)"


@pytest.mark.parametrize("value", [0, 0.0, -0.0])
def test_timeout_of_zero_is_no_limit(value: float) -> None:
    # BentoML's client accepts timeout=0 (and then fails every request); here it means no limit.
    assert Timeout.of(value) == Timeout(None, None, None, None, None)


def test_timeout_zero_gives_the_readiness_wait_of_no_limit() -> None:
    assert ready_wait_seconds(0, None) == ready_wait_seconds(None, None) == 30.0
    assert ready_wait_seconds(0, 5) == 5.0
    assert ready_wait_seconds(0, 0) == 0.0


@pytest.mark.parametrize("value", [-1, -0.5, True, False, "5", [5], float("-inf")])
def test_invalid_timeouts_are_configuration_errors(value: Any) -> None:
    with pytest.raises(ConfigurationError):
        Timeout.of(value)


@pytest.mark.parametrize("field", ["connect", "read", "write", "pool", "total"])
@pytest.mark.parametrize("value", [0, -3, "1", True])
def test_invalid_timeout_fields_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(f"Timeout.{field}")):
        Timeout(**{field: value})


def test_nan_is_not_a_timeout() -> None:
    # NaN is not a positive number of seconds; accepted here it only fails later, inside the
    # transport, as a bare ValueError from socket.settimeout().
    with pytest.raises(ConfigurationError):
        Timeout.of(math.nan)
    with pytest.raises(ConfigurationError, match=r"Timeout\.read"):
        Timeout(read=math.nan)


def test_infinite_timeout_is_refused_or_means_no_limit() -> None:
    # socket.settimeout(inf) raises OverflowError, so an infinite limit must not reach the
    # transport as is: refuse it, or store it as None ("no limit").
    accepted = []
    for field in ("connect", "read", "write", "pool", "total"):
        try:
            t = Timeout(**{field: math.inf})
        except ConfigurationError:
            continue
        if getattr(t, field) is not None:
            accepted.append(field)
    try:
        t = Timeout.of(math.inf)
    except ConfigurationError:
        pass
    else:
        if t.read is not None:
            accepted.append("Timeout.of")
    assert accepted == []


# --- Request / ResponseData ---------------------------------------------------------------------


def test_request_body_length() -> None:
    assert Request("POST", "/x", (), b"abcd").body_length == 4
    assert Request("POST", "/x", (), iter([b"ab"]), 2).body_length == 2
    assert Request("POST", "/x", (), iter([b"ab"])).body_length is None
    assert Request("GET", "/x").body_length == 0


def test_response_text_and_json() -> None:
    res = ResponseData(200, Headers({"Content-Type": 'text/plain; charset="iso-8859-1"'}), "é".encode("latin-1"))
    assert res.text == "é"
    assert ResponseData(200, Headers(), '{"a": "é"}'.encode()).json() == {"a": "é"}
    with pytest.raises(ResponseDecodeError) as info:
        ResponseData(200, Headers(), b"{broken").json()
    assert info.value.body == b"{broken"
