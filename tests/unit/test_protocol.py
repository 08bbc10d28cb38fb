"""Client-agnostic rules: token, readiness wait, path prefix, redirects, back-off."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._backoff import Backoff
from bentoclient._models import Request, Timeout
from bentoclient._protocol import READY_BACKOFF, derive_path_prefix, ready_wait_seconds, redirect_request, resolve_token
from bentoclient._schema import parse_schema
from bentoclient._url import parse_service_url
from bentoclient.exceptions import ConfigurationError, RemoteProtocolError, TransportError

# --- resolve_token ------------------------------------------------------------------------------


def test_explicit_token_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "from-env")
    assert resolve_token("explicit") == "explicit"


def test_env_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "from-env")
    assert resolve_token(None) == "from-env"


def test_no_token_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)
    assert resolve_token(None) is None


def test_empty_string_disables_auth_even_with_the_env_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "from-env")
    assert resolve_token("") is None


def test_empty_env_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "")
    assert resolve_token(None) is None


@pytest.mark.parametrize("token", ["pw1\r\nX-Evil: yes", "pw1\nline", "pw1\0nul"])
def test_token_with_line_breaks_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_token(token)
    assert "pw1" not in str(info.value)
    assert "Evil" not in str(info.value)


SECRET = "s3cr3t-t0ken"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (SECRET + "\n", "line break"),  # `echo $KEY > file` / `$(cat file)` leftovers
        (SECRET + "\r\nX-Evil: yes", "line break"),
        (SECRET + "\u2713", "Latin-1"),
        ("\u201c" + SECRET + "\u201d", "Latin-1"),  # pasted with typographic quotes
    ],
)
def test_bad_env_token_names_the_variable_not_the_secret(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", value)
    with pytest.raises(ConfigurationError) as info:
        resolve_token(None)
    message = str(info.value)
    assert "BENTO_CLOUD_API_KEY environment variable" in message
    assert problem in message
    assert SECRET not in message
    assert "Evil" not in message


@pytest.mark.parametrize("value", [SECRET + "\n", SECRET + "\u2713"])
def test_bad_passed_token_names_token_not_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "fine")
    with pytest.raises(ConfigurationError) as info:
        resolve_token(value)
    message = str(info.value)
    assert "the token in token=" in message
    assert "BENTO_CLOUD_API_KEY" not in message
    assert SECRET not in message


def test_env_token_with_line_breaks_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "envtok\r\nX-Evil: yes")
    with pytest.raises(ConfigurationError) as info:
        resolve_token(None)
    assert "envtok" not in str(info.value)


def test_non_string_token() -> None:
    with pytest.raises(ConfigurationError, match="string"):
        resolve_token(123)  # type: ignore[arg-type]


# --- ready_wait_seconds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(10, 10.0), (2.5, 2.5), (Timeout(connect=1, read=7, write=1, pool=1), 7.0), (None, 30.0)],
)
def test_none_waits_as_long_as_the_client_timeout(timeout: Any, expected: float) -> None:
    assert ready_wait_seconds(timeout, None) == expected


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (-5, 0.0), (-0.1, 0.0), (3, 3.0), (0.25, 0.25)])
def test_explicit_server_ready_timeout(value: float, expected: float) -> None:
    assert ready_wait_seconds(30, value) == expected


@pytest.mark.parametrize("value", [True, "5", [1]])
def test_invalid_server_ready_timeout(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="server_ready_timeout"):
        ready_wait_seconds(30, value)


def test_invalid_client_timeout_is_reported_through_the_wait() -> None:
    with pytest.raises(ConfigurationError):
        ready_wait_seconds(-1, None)


# --- derive_path_prefix -------------------------------------------------------------------------


def _schema(*routes: str) -> Any:
    return parse_schema({"routes": [{"name": f"r{i}", "route": route} for i, route in enumerate(routes)]})


@pytest.mark.parametrize(
    ("routes", "prefix"),
    [
        (("/v1/ping", "/v1/predict"), "/v1"),
        (("/v1/ping",), "/v1"),
        (("/api/v2/a", "/api/v2/b/c"), "/api/v2"),
        (("/api/v2/a", "/api/v3/b"), "/api"),
        (("/ping", "/predict"), ""),
        (("/v1/ping", "/predict"), ""),
        (("/v1", "/v1/predict"), ""),
        ((), ""),
    ],
)
def test_derive_path_prefix(routes: tuple[str, ...], prefix: str) -> None:
    assert derive_path_prefix(_schema(*routes)) == prefix


# --- redirect_request ---------------------------------------------------------------------------

ADDRESS = parse_service_url("http://svc.local:3000")
POST = Request(
    "POST",
    "/predict",
    (("Content-Type", "application/json"), ("Content-Length", "9"), ("Authorization", "Bearer t")),
    b'{"a": 1}\n',
    9,
    "predict",
)


@pytest.mark.parametrize("status", [307, 308])
def test_307_308_keep_method_and_body(status: int) -> None:
    new = redirect_request(ADDRESS, POST, status, "/v2/predict")
    assert (new.method, new.target, new.content, new.content_length) == ("POST", "/v2/predict", POST.content, 9)
    assert new.headers == POST.headers
    assert new.endpoint == "predict"


@pytest.mark.parametrize("status", [301, 302, 303])
def test_post_becomes_a_bodiless_get(status: int) -> None:
    new = redirect_request(ADDRESS, POST, status, "/result")
    assert new.method == "GET"
    assert new.target == "/result"
    assert new.content == b""
    assert new.content_length is None
    names = [name.lower() for name, _ in new.headers]
    assert "content-type" not in names
    assert "content-length" not in names
    assert "authorization" in names  # same host: the token stays


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_get_stays_get(status: int) -> None:
    get = Request("GET", "/readyz", (("Accept", "*/*"),))
    new = redirect_request(ADDRESS, get, status, "/v1/readyz")
    assert (new.method, new.target, new.headers) == ("GET", "/v1/readyz", get.headers)


def test_303_turns_any_method_into_get() -> None:
    put = Request("PUT", "/x", (("Content-Type", "text/plain"),), b"data", 4)
    new = redirect_request(ADDRESS, put, 303, "/y")
    assert (new.method, new.content) == ("GET", b"")


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("http://svc.local:3000/abs?x=1&y=2", "/abs?x=1&y=2"),
        ("HTTP://SVC.LOCAL:3000/upper", "/upper"),
        ("//svc.local:3000/scheme-relative", "/scheme-relative"),
        ("sibling", "/sibling"),
        ("/with#fragment", "/with"),
        ("?q=1", "/predict?q=1"),
    ],
)
def test_same_host_locations(location: str, target: str) -> None:
    assert redirect_request(ADDRESS, POST, 307, location).target == target


def test_relative_location_under_a_base_path() -> None:
    address = parse_service_url("http://svc.local:3000/base")
    request = Request("GET", address.target("/a/b"))
    assert redirect_request(address, request, 302, "c").target == "/base/a/c"
    assert redirect_request(address, request, 302, "/base/x").target == "/base/x"


def test_default_ports_match() -> None:
    http = parse_service_url("http://svc.local")
    assert redirect_request(http, POST, 307, "http://svc.local:80/x").target == "/x"
    https = parse_service_url("https://svc.local")
    assert redirect_request(https, POST, 307, "https://svc.local/x").target == "/x"


def test_unix_socket_address_follows_its_logical_origin() -> None:
    address = parse_service_url("file:///tmp/svc.sock")
    assert redirect_request(address, POST, 307, "http://127.0.0.1:3000/x").target == "/x"
    with pytest.raises(RemoteProtocolError):
        redirect_request(address, POST, 307, "http://evil.example/x")


@pytest.mark.parametrize(
    "location",
    [
        "http://evil.example/steal",
        "http://svc.local:3001/other-port",
        "https://svc.local:3000/other-scheme",
        "//evil.example/x",
        "http://svc.local.evil.example:3000/x",
        "http://svc.local:notaport/x",
        "ftp://svc.local:3000/x",
    ],
)
def test_other_hosts_ports_or_schemes_are_not_followed(location: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        redirect_request(ADDRESS, POST, 302, location)
    assert isinstance(info.value, TransportError)
    assert "another host" in str(info.value)
    assert "Bearer" not in str(info.value)


def test_ipv6_redirect() -> None:
    address = parse_service_url("http://[::1]:3000")
    assert redirect_request(address, POST, 307, "http://[::1]:3000/x").target == "/x"
    with pytest.raises(RemoteProtocolError):
        redirect_request(address, POST, 307, "http://[::2]:3000/x")


# --- Backoff ------------------------------------------------------------------------------------


def test_backoff_grows_geometrically_up_to_the_cap() -> None:
    backoff = Backoff(initial=0.1, factor=2.0, maximum=1.0, jitter=0.0)
    delays = [backoff.delay(n) for n in range(7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
    assert backoff.delay(10_000) == 1.0  # huge attempt numbers do not overflow


def test_backoff_delays_iterator() -> None:
    backoff = Backoff(initial=1.0, factor=3.0, maximum=10.0, jitter=0.0)
    iterator = backoff.delays()
    assert [next(iterator) for _ in range(4)] == [1.0, 3.0, 9.0, 10.0]


def test_backoff_jitter_is_seeded_and_bounded() -> None:
    backoff = Backoff(initial=0.5, factor=2.0, maximum=4.0, jitter=0.25)
    first = [backoff.delay(n, random.Random(7)) for n in range(8)]
    again = [backoff.delay(n, random.Random(7)) for n in range(8)]
    assert first == again
    rng = random.Random(1234)
    samples = [backoff.delay(3, rng) for _ in range(200)]
    assert all(4.0 * 0.75 <= d <= 4.0 * 1.25 for d in samples)
    assert len(set(samples)) > 100  # jitter actually applied
    assert min(samples) < 4.0 < max(samples)


def test_backoff_delays_iterator_uses_the_given_rng() -> None:
    backoff = Backoff(initial=0.5, factor=2.0, maximum=4.0, jitter=0.25)
    a = backoff.delays(random.Random(3))
    b = backoff.delays(random.Random(3))
    assert [next(a) for _ in range(5)] == [next(b) for _ in range(5)]


def test_ready_backoff_is_quick_then_at_most_about_a_second() -> None:
    rng = random.Random(0)
    assert READY_BACKOFF.delay(0, rng) <= 0.05 * (1 + READY_BACKOFF.jitter)
    assert max(READY_BACKOFF.delay(n, rng) for n in range(50)) <= 1.0 * (1 + READY_BACKOFF.jitter)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.001, 5.0),
    st.floats(1.0, 4.0),
    st.floats(0.001, 30.0),
    st.floats(0.0, 1.0),
    st.integers(0, 500),
    st.integers(0, 2**32),
)
def test_backoff_bounds(initial: float, factor: float, maximum: float, jitter: float, attempt: int, seed: int) -> None:
    backoff = Backoff(initial=initial, factor=factor, maximum=maximum, jitter=jitter)
    base = min(maximum, initial * factor ** min(attempt, 64))
    delay = backoff.delay(attempt, random.Random(seed))
    assert delay >= 0.0
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9
    assert delay <= maximum * (1 + jitter) + 1e-9


def test_ipv6_relative_redirect_stays_on_the_host() -> None:
    # The host was once formatted without brackets, so a plain "/x" looked malformed.
    address = parse_service_url("http://[::1]:3000/base")
    assert redirect_request(address, POST, 307, "/x").target == "/x"
    assert redirect_request(parse_service_url("https://[2001:db8::1]/p"), POST, 308, "q").target == "/q"
