"""Error responses -> the exception tree (BentoML protocol §8), and the tree itself."""

from __future__ import annotations

import inspect
import json
import pickle
from http import HTTPStatus
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient import exceptions
from bentoclient._decode import error_from_response
from bentoclient.exceptions import (
    ArgumentError,
    BadGateway,
    BentoClientError,
    BentoMLException,
    ClientClosedError,
    ConfigurationError,
    EndpointNotFound,
    Forbidden,
    GatewayTimeout,
    HTTPStatusError,
    InternalServerError,
    InvalidArgument,
    MissingDependencyError,
    NotFound,
    PayloadTooLarge,
    ServerNotReady,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    UnsupportedMediaType,
    status_error_class,
)

from ._helpers import response

VALIDATION_BODY = (
    b'{"error":"1 validation error for Input","detail":[{"type":"missing","loc":["text"],'
    b'"msg":"Field required","url":"https://errors.pydantic.dev/2.11/v/missing"}]}'
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidArgument),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType),
        (422, UnprocessableEntity),
        (429, TooManyRequests),
        (500, InternalServerError),
        (502, BadGateway),
        (503, ServiceUnavailable),
        (504, GatewayTimeout),
    ],
)
def test_status_maps_to_its_class(status: int, cls: type[HTTPStatusError]) -> None:
    body = b'{"error":"something"}'
    err = error_from_response(response(status, body, "application/json"), "predict")
    assert type(err) is cls
    assert status_error_class(status) is cls
    assert isinstance(err, HTTPStatusError)
    assert isinstance(err, BentoMLException)
    assert isinstance(err, BentoClientError)
    assert isinstance(err.error_code, HTTPStatus)
    assert err.error_code == status
    assert err.status_code == status
    assert err.endpoint == "predict"
    assert err.message == body.decode()
    assert err.error == "something"
    assert str(err).startswith(f"HTTP {status} from endpoint 'predict'")


def test_a_standard_status_without_its_own_class() -> None:
    err = error_from_response(response(405, b"Method Not Allowed", "text/plain"))
    assert type(err) is HTTPStatusError
    assert err.error_code is HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("status", [520, 499, 599, 460])
def test_non_standard_status_does_not_crash(status: int) -> None:
    # BentoML's client raises ValueError from HTTPStatus(520) here.
    err = error_from_response(response(status, b"origin error", "text/plain"), "predict")
    assert type(err) is HTTPStatusError
    assert err.error_code == status
    assert type(err.error_code) is int
    assert err.status_code == status
    assert str(status) in str(err)
    assert err.message == "origin error"


def test_object_error_body() -> None:
    err = error_from_response(response(400, VALIDATION_BODY, "application/json"), "text")
    assert err.error == "1 validation error for Input"
    assert isinstance(err.detail, list)
    assert err.detail[0]["loc"] == ["text"]
    assert err.message == VALIDATION_BODY.decode()


def test_list_error_body() -> None:
    # BentoML's server wraps user-raised errors in a one-element list (a stray trailing comma).
    body = b'[{"error":"bad input given"}]'
    err = error_from_response(response(400, body, "application/json"))
    assert err.error == "bad input given"
    assert err.detail is None
    assert err.message == '[{"error":"bad input given"}]'


@pytest.mark.parametrize(
    "body",
    [b"Not Found", b"", b"[]", b'[{"error":"a"},{"error":"b"}]', b'{"detail":"x"}', b"null", b'"error"'],
)
def test_bodies_without_an_error_field(body: bytes) -> None:
    err = error_from_response(response(404, body, "text/plain"))
    assert err.error is None
    assert err.detail is None
    assert err.message == body.decode()


def test_non_string_error_value_is_json_text() -> None:
    err = error_from_response(response(500, b'{"error":{"code":7}}', "application/json"))
    assert err.error == '{"code": 7}'


def test_headers_and_body_are_kept() -> None:
    headers = {"Content-Type": "application/json", "X-BentoML-Request-ID": "abc123", "server": "BentoML Service/W"}
    err = error_from_response(response(503, b'{"error":"busy"}', headers=headers), "slow")
    assert err.body == b'{"error":"busy"}'
    assert err.headers["X-BentoML-Request-ID"] == "abc123"
    assert err.headers["server"] == "BentoML Service/W"
    assert err.request_id == "abc123"
    assert error_from_response(response(503, b"")).request_id is None


def test_retry_after_header() -> None:
    err = error_from_response(response(429, b'{"error":"Too many requests"}', headers={"Retry-After": "3"}))
    assert isinstance(err, TooManyRequests)
    assert err.retry_after == 3.0
    assert error_from_response(response(429, b"")).retry_after is None


def test_str_of_a_validation_error_names_the_field_and_pydantics_message() -> None:
    err = error_from_response(response(400, VALIDATION_BODY, "application/json"), "summarize")
    text = str(err)
    assert "HTTP 400" in text
    assert "'summarize'" in text
    assert "1 validation error for Input" in text
    assert "text" in text
    assert "Field required" in text


def test_str_of_a_validation_error_keeps_pydantics_type_codes() -> None:
    # BentoML's str(e) is the raw body; code written for it checks the codes.
    body = json.dumps(
        {
            "error": "2 validation errors for Input",
            "detail": [
                {"type": "int_parsing", "loc": ["a"], "msg": "Input should be a valid integer, unable to parse"},
                {"type": "missing", "loc": ["body", "b"], "msg": "Field required"},
            ],
        }
    ).encode()
    text = str(error_from_response(response(400, body, "application/json"), "add"))
    assert text == (
        "HTTP 400 from endpoint 'add': 2 validation errors for Input; "
        "a: Input should be a valid integer, unable to parse [type=int_parsing]; b: Field required [type=missing]"
    )
    assert "int_parsing" in text
    assert "missing" in text


def test_str_of_a_long_validation_error_says_how_many_more() -> None:
    detail = [{"type": "missing", "loc": [f"f{i}"], "msg": "Field required"} for i in range(8)]
    body = json.dumps({"error": "8 validation errors for Input", "detail": detail}).encode()
    text = str(error_from_response(response(400, body, "application/json"), "ep"))
    assert "f4: Field required [type=missing]" in text
    assert "f5" not in text
    assert text.endswith("; and 3 more (all in .detail)")


def test_str_of_a_detail_without_a_type_code_has_no_brackets() -> None:
    body = b'{"error":"bad","detail":[{"loc":["x"],"msg":"nope"},{"type":7,"msg":"odd"}]}'
    assert str(error_from_response(response(400, body), "ep")) == "HTTP 400 from endpoint 'ep': bad; x: nope; odd"


def test_message_is_the_raw_body_text_in_its_charset() -> None:
    err = error_from_response(response(500, "Ungültig".encode("latin-1"), "text/plain; charset=iso-8859-1"))
    assert err.message == "Ungültig"
    err = error_from_response(response(500, b"\xff\xfe broken utf-8", "text/plain"))
    assert err.message.endswith(" broken utf-8")


@pytest.mark.parametrize("charset", ["idna", "punycode", "no-such-codec", "base64", "utf-16"])
def test_any_declared_charset_still_gives_the_http_error(charset: str) -> None:
    # The charset comes from the server; whatever it names, the caller must get the typed
    # HTTP error, not a UnicodeError from decoding its message.
    err = error_from_response(response(502, b"\xff\x00bad gateway \xc3", f"text/plain; charset={charset}"))
    assert isinstance(err, BadGateway)
    assert err.body == b"\xff\x00bad gateway \xc3"
    assert isinstance(err.message, str)


_content_types = st.none() | st.sampled_from(
    ["application/json", "text/plain; charset=utf-8", "text/plain; charset=latin-1", "text/html; charset=bogus"]
)


@settings(max_examples=200, deadline=None)
@given(st.integers(400, 999), st.binary(max_size=200), _content_types)
def test_arbitrary_error_bodies_never_raise(status: int, body: bytes, content_type: Optional[str]) -> None:
    err = error_from_response(response(status, body, content_type), "ep")
    assert isinstance(err, HTTPStatusError)
    assert err.status_code == status
    assert err.body == body
    assert isinstance(err.message, str)
    assert err.error is None or isinstance(err.error, str)
    str(err)
    repr(err)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.__dict__ == err.__dict__


@settings(max_examples=80, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["error", "detail", "msg", "loc"]), inner)
        ),
        max_leaves=12,
    )
)
def test_arbitrary_json_error_bodies_never_raise(value: Any) -> None:
    body = json.dumps(value).encode()
    err = error_from_response(response(400, body, "application/json"))
    assert err.error is None or isinstance(err.error, str)
    str(err)


# --- the tree ---------------------------------------------------------------------------------


def test_bentoml_compatible_names() -> None:
    assert BentoMLException is BentoClientError
    for name in ("BentoMLException", "InvalidArgument", "NotFound", "UnprocessableEntity", "ServiceUnavailable"):
        cls = getattr(exceptions, name)
        assert issubclass(cls, BentoMLException)
        assert name in exceptions.__all__
    assert BentoClientError("x").error_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert BentoClientError("x", error_code=404).error_code is HTTPStatus.NOT_FOUND
    assert str(BentoClientError("plain message")) == "plain message"
    assert BentoClientError("plain message").message == "plain message"


def test_builtin_bases_for_caller_mistakes() -> None:
    assert issubclass(ArgumentError, TypeError)
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(MissingDependencyError, ImportError)
    assert issubclass(ClientClosedError, RuntimeError)
    assert issubclass(EndpointNotFound, NotFound)
    assert issubclass(EndpointNotFound, ArgumentError)
    assert issubclass(ServerNotReady, ServiceUnavailable)


def test_response_decode_error_is_a_value_error_like_bentomls_json_decode_error() -> None:
    # BentoML's client (and httpx's Response.json()) let json.JSONDecodeError through.
    assert issubclass(exceptions.ResponseDecodeError, ValueError)
    err = exceptions.ResponseDecodeError("bad json", endpoint="ep", body=b"{")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.endpoint, clone.body, str(clone)) == ("ep", b"{", "bad json")


def test_endpoint_not_found_and_server_not_ready() -> None:
    err = EndpointNotFound("Endpoint nope not found", endpoint="nope")
    assert str(err) == "Endpoint nope not found"
    assert err.error_code is HTTPStatus.NOT_FOUND
    assert err.endpoint == "nope"
    ready = ServerNotReady("not ready after 5 s", url="http://h:3000", status_code=503)
    assert str(ready) == "not ready after 5 s"
    assert ready.last_status == 503
    assert ready.error_code is HTTPStatus.SERVICE_UNAVAILABLE
    assert not isinstance(ready, exceptions.TransportError)
    assert not isinstance(ready, exceptions.TimeoutException)


# The kinds of error; a class is one of them, with EndpointNotFound the documented exception.
_KINDS = (
    exceptions.TransportError,
    exceptions.HTTPStatusError,
    exceptions.ArgumentError,
    exceptions.ConfigurationError,
    exceptions.MissingDependencyError,
    exceptions.ClientClosedError,
    exceptions.ClientNotSetUpError,
    exceptions.EventLoopError,
    exceptions.SchemaError,
    exceptions.ResponseDecodeError,
)


def test_no_exception_class_is_two_kinds_at_once() -> None:
    mixed = {}
    for cls in _exception_classes():
        kinds = [kind.__name__ for kind in _KINDS if issubclass(cls, kind)]
        if len(kinds) > 1:
            mixed[cls.__name__] = kinds
    assert mixed == {"EndpointNotFound": ["HTTPStatusError", "ArgumentError"]}
    doc = exceptions.EndpointNotFound.__doc__ or ""
    assert "NotFound" in doc
    assert "ArgumentError" in doc  # the reason is documented


def test_status_error_headers_are_case_insensitive_and_survive_pickling() -> None:
    from bentoclient import Headers

    err = error_from_response(response(429, b"", headers={"Retry-After": "2", "X-BentoML-Request-ID": "r1"}))
    assert isinstance(err.headers, Headers)
    assert err.headers["retry-after"] == "2"
    assert err.headers["RETRY-AFTER"] == "2"
    assert "x-bentoml-request-id" in err.headers
    assert err.retry_after == 2.0
    assert err.request_id == "r1"
    clone = pickle.loads(pickle.dumps(err))
    assert clone.headers["retry-after"] == "2"
    assert dict(clone.headers) == {"Retry-After": "2", "X-BentoML-Request-ID": "r1"}
    plain = HTTPStatusError("x", status_code=418, headers={"A": "1"})
    assert plain.headers["a"] == "1"
    assert HTTPStatusError("x", status_code=418).headers == {}


def _exception_classes() -> list[type[BaseException]]:
    classes = []
    for name in exceptions.__all__:
        obj = getattr(exceptions, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            classes.append(obj)
    return classes


_POOL: dict[str, Any] = {
    "endpoint": "predict",
    "argument": "text",
    "url": "http://h:3000",
    "request_sent": False,
    "package": "bentoclient-async",
    "headers": {"x-bentoml-request-id": "r1", "retry-after": "2"},
    "attempts": 3,
}


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance with every attribute its constructor accepts set to a non-default value."""
    params = inspect.signature(cls.__init__).parameters
    kwargs = {key: value for key, value in _POOL.items() if key in params}
    if "body" in params:
        kwargs["body"] = b'{"error":"boom","detail":[{"loc":["text"],"msg":"bad"}]}'
    if "status_code" in params:
        code = getattr(cls, "error_code", 520)
        kwargs["status_code"] = 520 if cls is HTTPStatusError else int(code)
    elif "error_code" in params:
        kwargs["error_code"] = 418
    return cls("the message", **kwargs)


def test_every_public_exception_is_in_the_tree() -> None:
    classes = _exception_classes()
    assert len(classes) >= 30
    for cls in classes:
        assert issubclass(cls, BentoClientError), cls


@pytest.mark.parametrize("cls", _exception_classes(), ids=lambda c: c.__name__)
def test_every_exception_survives_pickling(cls: type[BaseException]) -> None:
    err = _instance(cls)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls
    assert clone.args == err.args
    assert vars(clone) == vars(err)
    assert str(clone) == str(err)
    # the attributes that were set survive, not just defaults
    for key in ("endpoint", "argument", "url", "request_sent", "package", "status_code", "body", "headers", "error"):
        if hasattr(err, key):
            assert getattr(clone, key) == getattr(err, key), key
    if isinstance(err, BentoClientError):
        assert isinstance(clone, BentoClientError)
        assert clone.error_code == err.error_code
        assert clone.message == "the message"


def test_pickled_http_error_keeps_parsed_body() -> None:
    err = error_from_response(response(400, VALIDATION_BODY, "application/json", {"X-BentoML-Request-ID": "r9"}), "t")
    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, InvalidArgument)
    assert (clone.error, clone.detail, clone.request_id, clone.endpoint) == (err.error, err.detail, "r9", "t")
    assert str(clone) == str(err)


@pytest.mark.parametrize(("status", "cls"), [(401, Unauthorized), (403, Forbidden)])
def test_auth_errors_say_how_to_give_the_token(status: int, cls: type[HTTPStatusError]) -> None:
    err = error_from_response(response(status, b'{"error":"missing token"}'), "classify")
    assert isinstance(err, cls)
    text = str(err)
    assert text.startswith(f"HTTP {status} from endpoint 'classify': missing token; ")
    assert 'token="..."' in text
    assert "BENTO_CLOUD_API_KEY" in text
    assert pickle.loads(pickle.dumps(err)).status_code == status


def test_other_errors_do_not_talk_about_tokens() -> None:
    assert "token" not in str(error_from_response(response(404, b'{"error":"gone"}'), "classify"))


def test_an_error_outside_an_endpoint_names_its_request() -> None:
    err = error_from_response(response(401, b""))
    err.target = "GET http://127.0.0.1:3000/schema.json"
    assert str(err).startswith("HTTP 401 from GET http://127.0.0.1:3000/schema.json: ")
