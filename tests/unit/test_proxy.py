"""Proxies without I/O: proxy URLs, the environment variables, NO_PROXY, the choice of proxy,
the CONNECT request, the errors, and the client options (checked before anything is sent)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any, Optional

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bentoclient import SyncHTTPClient
from bentoclient._proxy import (
    ProxyConfig,
    environment_proxies,
    no_proxy_matches,
    parse_proxy_url,
    proxy_connect_error,
    proxy_connect_request,
    proxy_from_environment,
    proxy_status_error,
    proxy_timeout_error,
    redact_url,
    select_proxy,
)
from bentoclient._retry import Retry
from bentoclient._url import parse_service_url
from bentoclient.exceptions import ConfigurationError, ConnectError, ConnectTimeout, ProxyError, TLSError
from bentoclient.transport import HTTPTransport

HTTP = parse_service_url("http://svc.example.com:3000")
HTTPS = parse_service_url("https://svc.example.com")
UNIX = parse_service_url("file:///tmp/svc.sock")

# --- proxy URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("http://proxy.corp:3128", "proxy.corp", 3128),
        ("http://proxy.corp", "proxy.corp", 80),
        ("http://proxy.corp:3128/", "proxy.corp", 3128),
        ("HTTP://Proxy.Corp:8080", "proxy.corp", 8080),
        ("  http://10.1.2.3:3128  ", "10.1.2.3", 3128),
        ("http://[::1]:3128", "::1", 3128),
        ("http://[fe80::1]", "fe80::1", 80),
    ],
)
def test_proxy_url_forms(url: str, host: str, port: int) -> None:
    proxy = parse_proxy_url(url)
    assert (proxy.scheme, proxy.host, proxy.port) == ("http", host, port)
    assert proxy.authorization is None
    assert proxy.username is None
    assert proxy.headers == ()
    assert proxy.source == "proxy="


def test_authority_brackets_ipv6() -> None:
    assert parse_proxy_url("http://[::1]:3128").authority == "[::1]:3128"
    assert parse_proxy_url("http://p:1").authority == "p:1"


@pytest.mark.parametrize(
    ("userinfo", "header", "username"),
    [
        ("alice:s3cret", "Basic YWxpY2U6czNjcmV0", "alice"),
        ("alice", "Basic YWxpY2U6", "alice"),  # no password: "alice:"
        ("alice:", "Basic YWxpY2U6", "alice"),
        (":s3cret", "Basic OnMzY3JldA==", ""),
        ("al%40ice:p%3Ass%40w%2Frd", "Basic YWxAaWNlOnA6c3NAdy9yZA==", "al@ice"),  # percent-decoded
        ("j%C3%BCrgen:p%C3%A4ss", "Basic asO8cmdlbjpww6Rzcw==", "jürgen"),  # UTF-8, as httpx
    ],
)
def test_credentials_become_proxy_authorization(userinfo: str, header: str, username: str) -> None:
    proxy = parse_proxy_url(f"http://{userinfo}@proxy.corp:3128")
    assert proxy.authorization == header
    assert proxy.username == username
    assert proxy.headers == (("Proxy-Authorization", header),)
    assert proxy.display == f"http://{username}:***@proxy.corp:3128"


def test_password_never_in_repr_str_or_display() -> None:
    proxy = parse_proxy_url("http://alice:Sup3rS3cret@proxy.corp:3128", source="HTTPS_PROXY")
    for text in (repr(proxy), str(proxy), proxy.display, proxy.described, repr([proxy]), f"{proxy}"):
        assert "Sup3rS3cret" not in text
        assert "YWxpY2U6U3VwM3JTM2NyZXQ" not in text  # nor its base64
    assert repr(proxy) == "ProxyConfig('http://alice:***@proxy.corp:3128', source='HTTPS_PROXY')"
    assert proxy.described == "the proxy http://alice:***@proxy.corp:3128 (from the HTTPS_PROXY environment variable)"
    assert parse_proxy_url("http://p:1").described == "the proxy http://p:1 (from proxy=)"


def test_proxy_config_pickles_and_compares() -> None:
    proxy = parse_proxy_url("http://alice:pw@proxy.corp:3128", source="http_proxy")
    assert pickle.loads(pickle.dumps(proxy)) == proxy
    assert proxy != parse_proxy_url("http://alice:other@proxy.corp:3128", source="http_proxy")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://proxy.corp:3128", "https:// proxy (TLS to the proxy itself), which is not supported"),
        ("socks5://proxy.corp:1080", "SOCKS proxy, which is not supported"),
        ("socks5h://proxy.corp:1080", "SOCKS proxy"),
        ("socks4://proxy.corp:1080", "SOCKS proxy"),
        ("ftp://proxy.corp", "has the scheme 'ftp'"),
        ("proxy.corp:3128", "has no scheme; write it as 'http://proxy.corp:3128'"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("http://", "has no host name"),
        ("http://:3128", "has no host name"),
        ("http://proxy.corp:port", "is not a valid proxy URL"),
        ("http://proxy.corp:99999", "is not a valid proxy URL"),
        ("http://proxy.corp:3128/path", "has a path or query"),
        ("http://proxy.corp:3128?x=1", "has a path or query"),
        ("http://[::1", "is not a valid proxy URL"),
    ],
)
def test_bad_proxy_urls(url: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^proxy=") as info:
        parse_proxy_url(url)
    assert fragment in str(info.value)


def test_https_proxy_error_names_the_fix() -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_proxy_url("https://alice:hunter2@proxy.corp:3128")
    message = str(info.value)
    assert "use the proxy's plain http:// address" in message
    assert "hunter2" not in message
    assert "alice:***@proxy.corp:3128" in message


@pytest.mark.parametrize("value", [3128, b"http://p:1", ["http://p:1"]])
def test_proxy_must_be_a_string(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="proxy must be a URL string"):
        parse_proxy_url(value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://alice:pw@host:1", "http://alice:***@host:1"),
        ("http://alice@host:1", "http://alice@host:1"),
        ("http://host:1", "http://host:1"),
        ("alice:pw@host:1", "alice:***@host:1"),
        ("http://a:b@c@host:1/x?y@z", "http://a:***@host:1/x?y@z"),
        ("http://host:1/p@th", "http://host:1/p@th"),
    ],
)
def test_redact_url(text: str, shown: str) -> None:
    assert redact_url(text) == shown


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="@/?#"), min_size=4))
@example(password="http")  # a password that is also part of the rest of the URL
def test_redact_url_never_shows_a_password(password: str) -> None:
    url = f"http://user:{password}@proxy.corp:3128"
    assert redact_url(url) == "http://user:***@proxy.corp:3128"
    shown = ""
    try:
        shown = repr(parse_proxy_url(url))
    except ConfigurationError as exc:  # the password can make the URL invalid: then the message
        shown = str(exc)
    # Whatever else it says, it never says the URL with the password in it.
    assert f"user:{password}@" not in shown


# --- the environment ----------------------------------------------------------------------------


def test_environment_names_in_either_case_lowercase_wins() -> None:
    env = {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:1", "HTTPS_PROXY": "http://s:1"}
    expected = {"http": ("http://lower:1", "http_proxy"), "https": ("http://s:1", "HTTPS_PROXY")}
    assert environment_proxies(env) == expected
    # The order of the mapping does not matter.
    assert environment_proxies(dict(reversed(env.items())))["http"] == ("http://lower:1", "http_proxy")


def test_environment_empty_values() -> None:
    assert environment_proxies({"HTTP_PROXY": ""}) == {}
    # An empty lowercase name hides the uppercase one (as the standard library reads them).
    assert environment_proxies({"HTTP_PROXY": "http://p:1", "http_proxy": ""}) == {}
    # An empty uppercase one does not hide the lowercase one.
    assert environment_proxies({"http_proxy": "http://p:1", "HTTP_PROXY": ""}) == {"http": ("http://p:1", "http_proxy")}


def test_environment_cgi_ignores_uppercase_http_proxy() -> None:
    env = {"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://from-a-header:1", "HTTPS_PROXY": "http://s:1"}
    assert environment_proxies(env) == {"https": ("http://s:1", "HTTPS_PROXY")}
    env["http_proxy"] = "http://p:1"
    assert environment_proxies(env)["http"] == ("http://p:1", "http_proxy")


def test_environment_matches_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    env = {
        "HTTP_PROXY": "http://a:1",
        "https_proxy": "http://b:2",
        "HTTPS_PROXY": "http://c:3",
        "ALL_PROXY": "http://d:4",
        "all_proxy": "",
        "no_proxy": "x,y",
        "NO_PROXY": "z",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ours = {key: value for key, (value, _) in environment_proxies(env).items()}
    assert ours == urllib.request.getproxies_environment()


@pytest.mark.parametrize(
    ("env", "address", "expected"),
    [
        ({"HTTP_PROXY": "http://p:1"}, HTTP, ("p", 1, "HTTP_PROXY")),
        ({"HTTP_PROXY": "http://p:1"}, HTTPS, None),
        ({"HTTPS_PROXY": "http://s:2"}, HTTPS, ("s", 2, "HTTPS_PROXY")),
        ({"HTTPS_PROXY": "http://s:2"}, HTTP, None),
        ({"ALL_PROXY": "http://a:3"}, HTTP, ("a", 3, "ALL_PROXY")),
        ({"all_proxy": "http://a:3"}, HTTPS, ("a", 3, "all_proxy")),
        ({"ALL_PROXY": "http://a:3", "HTTPS_PROXY": "http://s:2"}, HTTPS, ("s", 2, "HTTPS_PROXY")),
        ({"ALL_PROXY": "http://a:3", "HTTPS_PROXY": ""}, HTTPS, ("a", 3, "ALL_PROXY")),
        ({"HTTP_PROXY": "p:8080"}, HTTP, ("p", 8080, "HTTP_PROXY")),  # no scheme: http://
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "svc.example.com"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "other.com"}, HTTP, ("p", 1, "HTTP_PROXY")),
        ({"FTP_PROXY": "http://f:1"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1"}, UNIX, None),
        ({}, HTTP, None),
    ],
)
def test_proxy_from_environment(env: dict[str, str], address: Any, expected: Optional[tuple[str, int, str]]) -> None:
    proxy = proxy_from_environment(address, env)
    assert (None if proxy is None else (proxy.host, proxy.port, proxy.source)) == expected


def test_unsupported_proxy_in_the_environment_names_the_variable_and_the_ways_out() -> None:
    with pytest.raises(ConfigurationError) as info:
        proxy_from_environment(HTTPS, {"https_proxy": "socks5://u:topsecret@p:1080"})
    message = str(info.value)
    assert message.startswith("the https_proxy environment variable: 'socks5://u:***@p:1080' is a SOCKS proxy")
    assert "NO_PROXY" in message
    assert "trust_env=False" in message
    assert "topsecret" not in message
    # NO_PROXY first: a service it exempts never reads the unsupported proxy.
    assert proxy_from_environment(HTTPS, {"https_proxy": "socks5://p:1080", "no_proxy": "example.com"}) is None


# --- NO_PROXY -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("no_proxy", "scheme", "host", "port", "matches"),
    [
        ("*", "http", "anything.example", 80, True),
        ("a.com, *", "https", "x", 443, True),
        ("", "http", "example.com", 80, False),
        (" , ,", "http", "example.com", 80, False),
        # host names: exact, and as a domain (subdomains too), case-insensitive
        ("example.com", "http", "example.com", 80, True),
        ("example.com", "http", "api.example.com", 80, True),
        ("example.com", "http", "a.b.example.com", 443, True),
        ("example.com", "http", "badexample.com", 80, False),
        ("example.com", "http", "example.com.evil.net", 80, False),
        ("EXAMPLE.com", "http", "Api.Example.COM", 80, True),
        ("example.com", "http", "example.com.", 80, True),  # a fully qualified name
        ("example.com.", "http", "api.example.com", 80, True),
        (".example.com.", "http", "api.example.com", 80, True),
        # a leading dot: subdomains only (httpx's reading)
        (".example.com", "http", "api.example.com", 80, True),
        (".example.com", "http", "example.com", 80, False),
        ("*.example.com", "http", "api.example.com", 80, True),
        ("*.example.com", "http", "example.com", 80, False),
        # localhost: exactly
        ("localhost", "http", "localhost", 3000, True),
        ("localhost", "http", "my.localhost", 3000, False),
        ("localhost", "http", "127.0.0.1", 3000, False),  # no DNS
        # ports
        ("example.com:8080", "http", "example.com", 8080, True),
        ("example.com:8080", "http", "api.example.com", 8080, True),
        ("example.com:8080", "http", "example.com", 80, False),
        ("example.com:443", "https", "example.com", 443, True),  # the default port counts
        ("example.com:bad", "http", "example.com", 80, False),  # malformed: matches nothing
        ("example.com:", "http", "example.com", 80, True),
        # IPv4
        ("10.1.2.3", "http", "10.1.2.3", 80, True),
        ("10.1.2.3", "http", "110.1.2.3", 80, False),
        ("10.1.2.3", "http", "10.1.2.30", 80, False),
        ("10.1.2.3:3000", "http", "10.1.2.3", 3000, True),
        ("10.1.2.3:3000", "http", "10.1.2.3", 3001, False),
        ("0.0.1", "http", "127.0.0.1", 80, False),  # an address is never matched as a domain suffix
        ("2.3", "http", "10.1.2.3", 80, False),
        ("example.com", "http", "10.1.2.3", 80, False),
        # CIDR blocks
        ("10.0.0.0/8", "http", "10.200.3.4", 80, True),
        ("10.0.0.0/8", "http", "11.0.0.1", 80, False),
        ("192.168.0.0/16", "https", "192.168.44.1", 443, True),
        ("127.0.0.1/32", "http", "127.0.0.1", 80, True),
        ("10.0.0.1/8", "http", "10.9.9.9", 80, True),  # host bits set: still the /8
        ("10.0.0.0/8", "http", "intranet.corp", 80, False),  # no DNS
        ("10.0.0.0/99", "http", "10.0.0.1", 80, False),  # malformed
        ("fd00::/8", "http", "fd12::1", 80, True),
        ("fd00::/8", "http", "fe80::1", 80, False),
        ("10.0.0.0/8:80", "http", "10.0.0.1", 80, True),
        # IPv6, with or without brackets, any spelling
        ("::1", "http", "::1", 80, True),
        ("[::1]", "http", "::1", 80, True),
        ("[::1]:3000", "http", "::1", 3000, True),
        ("[::1]:3000", "http", "::1", 3001, False),
        ("0:0::1", "http", "::1", 80, True),
        ("::1", "http", "::2", 80, False),
        ("::1", "http", "[::1]", 80, True),  # a bracketed target host
        ("[::1", "http", "::1", 80, False),
        ("[::1]x", "http", "::1", 80, False),
        # scheme://host[:port]: one scheme, that host
        ("http://example.com", "http", "example.com", 80, True),
        ("http://example.com", "https", "example.com", 443, False),
        ("http://example.com", "http", "api.example.com", 80, False),
        ("https://example.com:8443", "https", "example.com", 8443, True),
        ("all://example.com", "https", "example.com", 443, True),
        ("http://10.1.2.3/", "http", "10.1.2.3", 80, True),
    ],
)
def test_no_proxy_forms(no_proxy: str, scheme: str, host: str, port: int, matches: bool) -> None:
    assert no_proxy_matches(no_proxy, scheme, host, port) is matches


def test_no_proxy_does_not_import_ipaddress_for_names() -> None:
    # (Newer urllib.parse imports ipaddress itself: then there is nothing to save.)
    code = (
        "import sys, http.client, urllib.parse; before = 'ipaddress' in sys.modules;"
        "from bentoclient._proxy import no_proxy_matches;"
        "assert no_proxy_matches('a.com,.b.org,localhost:3000', 'http', 'x.b.org', 80);"
        "assert not no_proxy_matches('a.com,10.0.0.0/8', 'http', 'c.org', 80);"
        "assert ('ipaddress' in sys.modules) == before, 'ipaddress imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- choosing the proxy --------------------------------------------------------------------------


def test_select_explicit_proxy_wins_and_ignores_no_proxy() -> None:
    env = {"HTTP_PROXY": "http://env:1", "NO_PROXY": "*"}
    proxy = select_proxy(HTTP, "http://explicit:2", True, env)
    assert proxy is not None
    assert (proxy.host, proxy.source) == ("explicit", "proxy=")
    proxy = select_proxy(HTTP, "http://explicit:2", False, env)
    assert proxy is not None
    assert proxy.host == "explicit"


def test_select_from_environment_unless_trust_env_false() -> None:
    env = {"HTTPS_PROXY": "http://env:1"}
    proxy = select_proxy(HTTPS, None, True, env)
    assert proxy is not None
    assert proxy.host == "env"
    assert select_proxy(HTTPS, None, False, env) is None
    # trust_env=False does not read the variables at all, not even a bad one.
    assert select_proxy(HTTPS, None, False, {"HTTPS_PROXY": "socks5://x:1"}) is None


def test_select_never_proxies_a_unix_socket_from_the_environment() -> None:
    assert select_proxy(UNIX, None, True, {"ALL_PROXY": "http://p:1", "HTTP_PROXY": "http://p:1"}) is None


def test_select_refuses_an_explicit_proxy_for_a_unix_socket() -> None:
    with pytest.raises(ConfigurationError, match=r"proxy= cannot be used with a Unix-socket service URL.*remove"):
        select_proxy(UNIX, "http://p:1", True, {})


@pytest.mark.parametrize("value", ["yes", 1, None, 0])
def test_select_trust_env_must_be_a_bool(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="trust_env must be True or False"):
        select_proxy(HTTP, None, value, {})


# --- what transports send and raise ---------------------------------------------------------------


def test_connect_request_with_and_without_credentials() -> None:
    proxy = parse_proxy_url("http://alice:pw@proxy.corp:3128")
    assert proxy_connect_request(HTTPS, proxy) == (
        b"CONNECT svc.example.com:443 HTTP/1.1\r\nHost: svc.example.com:443\r\n"
        b"Proxy-Authorization: Basic YWxpY2U6cHc=\r\n\r\n"
    )
    ipv6 = parse_service_url("https://[::1]:8443")
    assert proxy_connect_request(ipv6, parse_proxy_url("http://p:1")) == (
        b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("status", "source", "credentials", "advice"),
    [
        (407, "proxy=", False, "it needs credentials: put them in the proxy URL"),
        (407, "HTTPS_PROXY", True, "check the user name and password in the proxy URL"),
        (403, "HTTPS_PROXY", False, "add the service's host to NO_PROXY"),
        (403, "proxy=", False, "leave out proxy= to connect directly"),
        (502, "HTTPS_PROXY", False, "could not open a tunnel to the service"),
    ],
)
def test_status_errors(status: int, source: str, credentials: bool, advice: str) -> None:
    url = "http://alice:pw9876@proxy.corp:3128" if credentials else "http://proxy.corp:3128"
    proxy = parse_proxy_url(url, source=source)
    error = proxy_status_error(HTTPS, proxy, status, "Some Reason", tunnel=True)
    assert isinstance(error, ProxyError)
    assert isinstance(error, ConnectError)
    assert error.status_code == status
    assert error.error_code == status
    assert error.request_sent is False
    assert error.refused is (status in (403, 407))
    assert error.proxy == proxy.display
    assert error.url == HTTPS.url
    message = str(error)
    assert message.startswith(f"{proxy.described} answered {status} Some Reason to CONNECT to svc.example.com:443: ")
    assert advice in message
    assert "pw9876" not in message


def test_status_error_for_a_plain_http_request() -> None:
    error = proxy_status_error(HTTP, parse_proxy_url("http://p:1"), 407, "", tunnel=False)
    assert str(error).startswith("the proxy http://p:1 (from proxy=) answered 407 to the request for http://svc")


def test_connect_and_timeout_errors() -> None:
    env_proxy = parse_proxy_url("http://u:pw1234@p:1", source="http_proxy")
    error = proxy_connect_error(HTTP, env_proxy, "Connection refused")
    assert isinstance(error, ProxyError)
    assert error.status_code is None
    assert not error.refused
    assert str(error) == (
        "cannot connect to http://svc.example.com:3000 through the proxy http://u:***@p:1 (from the http_proxy "
        "environment variable): Connection refused; check http_proxy, or connect to the service directly: "
        "add its host to NO_PROXY or pass trust_env=False"
    )
    error = proxy_connect_error(HTTP, parse_proxy_url("http://p:1"), "Connection refused")
    assert str(error).endswith("check proxy=, or leave it out to connect directly")
    timeout = proxy_timeout_error(HTTP, env_proxy, 2.5)
    assert isinstance(timeout, ConnectTimeout)
    assert timeout.request_sent is False
    assert "took longer than 2.5 s" in str(timeout)
    assert "pw1234" not in str(timeout)


def test_proxy_error_pickles() -> None:
    error = proxy_status_error(HTTPS, parse_proxy_url("http://p:1"), 407, "x", tunnel=True)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.status_code, copy.proxy, str(copy)) == (ProxyError, 407, "http://p:1", str(error))


def test_refusals_are_not_retried_connect_failures_are() -> None:
    proxy = parse_proxy_url("http://p:1")
    retry = Retry()
    assert retry.delay_after_error(0, proxy_status_error(HTTPS, proxy, 407, "", tunnel=True), "GET") is None
    assert retry.delay_after_error(0, proxy_status_error(HTTPS, proxy, 403, "", tunnel=True), "GET") is None
    assert retry.delay_after_error(0, proxy_status_error(HTTPS, proxy, 502, "", tunnel=True), "POST") is not None
    assert retry.delay_after_error(0, proxy_connect_error(HTTPS, proxy, "refused"), "POST") is not None
    assert retry.delay_after_error(0, TLSError("x", request_sent=False), "GET") is None


def test_readiness_wait_stops_at_a_refusal_only() -> None:
    from bentoclient._models import Timeout
    from bentoclient._ready import ReadyWait

    proxy = parse_proxy_url("http://p:1")
    wait = ReadyWait(10, Timeout.of(1), url=HTTP.url, now=0.0)
    wait.no_answer(proxy_connect_error(HTTP, proxy, "refused"))  # waited out, like a service down
    with pytest.raises(ProxyError):
        wait.no_answer(proxy_status_error(HTTP, proxy, 407, "", tunnel=False))


# --- the client options ---------------------------------------------------------------------------


def test_client_rejects_bad_proxy_options_before_any_io() -> None:
    # svc.invalid does not resolve: reaching the network would fail differently.
    with pytest.raises(ConfigurationError, match="https:// proxy"):
        SyncHTTPClient("http://svc.invalid", proxy="https://p:1")
    with pytest.raises(ConfigurationError, match="SOCKS"):
        SyncHTTPClient("http://svc.invalid", proxy="socks5://p:1")
    with pytest.raises(ConfigurationError, match="trust_env must be True or False"):
        SyncHTTPClient("http://svc.invalid", trust_env="no")  # type: ignore[arg-type]  # the mistake tested
    with pytest.raises(ConfigurationError, match="Unix-socket"):
        SyncHTTPClient("file:///tmp/x.sock", proxy="http://p:1")


def test_client_rejects_an_unsupported_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://p:1080")
    with pytest.raises(ConfigurationError, match=r"HTTPS_PROXY environment variable.*trust_env=False"):
        SyncHTTPClient("https://svc.invalid")


def test_proxy_with_transport_is_refused_and_the_environment_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_memory_transport import FakeService, MemoryTransport

    with pytest.raises(ConfigurationError, match="proxy= is used by the default transport only"):
        SyncHTTPClient("http://svc.test", proxy="http://p:1", transport=MemoryTransport(FakeService()))
    monkeypatch.setenv("HTTP_PROXY", "socks5://p:1080")  # would be refused if it were read
    with SyncHTTPClient("http://svc.test", transport=MemoryTransport(FakeService())) as client:
        assert client._proxy is None


def test_http_transport_takes_a_proxy_and_refuses_one_for_a_unix_socket() -> None:
    proxy = parse_proxy_url("http://p:1")
    transport = HTTPTransport(HTTP, proxy=proxy)
    assert transport.proxy == proxy
    assert pickle.loads(pickle.dumps(transport)).proxy == proxy
    with pytest.raises(ConfigurationError, match="Unix-socket"):
        HTTPTransport(UNIX, proxy=proxy)
    assert HTTPTransport(HTTP, proxy="http://p:1").proxy == proxy  # a URL is parsed
    with pytest.raises(ConfigurationError, match="SOCKS"):
        HTTPTransport(HTTP, proxy="socks5://p:1")
    with pytest.raises(ConfigurationError, match="or a ProxyConfig, got tuple"):
        HTTPTransport(HTTP, proxy=("p", 1))  # type: ignore[arg-type]  # the mistake tested


def test_proxy_helpers_are_shared_with_the_siblings_not_on_the_public_seam() -> None:
    # A transport given to a client gets no proxy: the helpers serve bentoclient's own transports.
    import bentoclient._plugin as plugin
    import bentoclient.transport as seam

    assert plugin.ProxyConfig is ProxyConfig
    for name in ("ProxyConfig", "proxy_status_error", "proxy_connect_error", "proxy_timeout_error", "transport_proxy"):
        assert name in plugin.__all__
        assert name not in seam.__all__


# --- httpx agrees ------------------------------------------------------------------------------


HTTPX_CASES = [
    ({"HTTP_PROXY": "http://p:1"}, "http://svc.example.com:3000"),
    ({"HTTP_PROXY": "http://p:1"}, "https://svc.example.com"),
    ({"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1"}, "http://svc.example.com"),
    ({"HTTPS_PROXY": "http://s:2", "ALL_PROXY": "http://a:3"}, "https://svc.example.com"),
    ({"HTTPS_PROXY": "http://s:2", "ALL_PROXY": "http://a:3"}, "http://svc.example.com"),
    ({"HTTP_PROXY": "p:8080"}, "http://svc.example.com"),
    ({"HTTP_PROXY": "http://p:1"}, "http://localhost:3000"),
    ({"HTTP_PROXY": "http://p:1"}, "http://127.0.0.1:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "localhost"}, "http://localhost:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, "http://svc.example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "http://svc.example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "http://example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, "http://example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, "http://svc.example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "other.com,example.com"}, "http://x.example.com"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com:3000"}, "http://svc.example.com:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com:3000"}, "http://svc.example.com:3001"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.1.2.3"}, "http://10.1.2.3:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.1.2.3"}, "http://10.1.2.4:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "::1"}, "http://[::1]:3000"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "http://svc.example.com"}, "http://svc.example.com"),
    ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "http://svc.example.com"}, "https://svc.example.com"),
    ({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}, "http://svc.example.com"),
]


HTTPX_LINES = ["httpx", "httpx2"]  # bentoclient-async uses httpx2 on Python 3.11+, httpx before


@pytest.mark.parametrize("line", HTTPX_LINES)
@pytest.mark.parametrize(("env", "url"), HTTPX_CASES)
def test_environment_choice_matches_httpx(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, line: str
) -> None:
    httpx = pytest.importorskip(line)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with httpx.Client(trust_env=True) as client:
        pool = client._transport_for_url(httpx.URL(url))._pool
        proxy_url = getattr(pool, "_proxy_url", None)
        theirs = None if proxy_url is None else (proxy_url.host.decode(), proxy_url.port)
    proxy = select_proxy(parse_service_url(url), None, True, env)
    ours = None if proxy is None else (proxy.host, proxy.port)
    assert ours == theirs


@pytest.mark.parametrize("line", HTTPX_LINES)
def test_explicit_proxy_choice_matches_httpx(monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    httpx = pytest.importorskip(line)
    monkeypatch.setenv("NO_PROXY", "*")
    with httpx.Client(proxy="http://explicit:3128") as client:
        pool = client._transport_for_url(httpx.URL("http://svc.example.com"))._pool
        assert pool._proxy_url.host == b"explicit"
    proxy = select_proxy(HTTP, "http://explicit:3128", True, {"NO_PROXY": "*"})
    assert proxy is not None
    assert proxy.host == "explicit"
