"""Service URL forms (BentoML protocol §1.2): http(s), tcp, file/unix sockets, and mistakes."""

from __future__ import annotations

import pytest

from bentoclient._url import ServiceAddress, parse_service_url, remove_dot_segments
from bentoclient.exceptions import BentoClientError, ConfigurationError, InvalidURL


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "host_header"),
    [
        ("http://localhost:3000", "http", "localhost", 3000, "localhost:3000"),
        ("http://example.com", "http", "example.com", 80, "example.com"),
        ("https://example.com", "https", "example.com", 443, "example.com"),
        ("https://example.com:8443", "https", "example.com", 8443, "example.com:8443"),
        ("http://example.com:443", "http", "example.com", 443, "example.com:443"),
        ("HTTP://Example.COM:3000", "http", "example.com", 3000, "example.com:3000"),
        ("HtTpS://h", "https", "h", 443, "h"),
        ("  http://127.0.0.1:3000  ", "http", "127.0.0.1", 3000, "127.0.0.1:3000"),
    ],
)
def test_http_and_https(url: str, scheme: str, host: str, port: int, host_header: str) -> None:
    address = parse_service_url(url)
    assert (address.scheme, address.host, address.port) == (scheme, host, port)
    assert address.host_header == host_header
    assert address.socket_path is None
    assert address.base_path == ""
    assert address.logical_origin == (scheme, host, port)


@pytest.mark.parametrize(
    ("url", "base_path"),
    [
        ("http://h:3000/prefix", "/prefix"),
        ("http://h:3000/prefix/", "/prefix"),
        ("http://h:3000/a/b/c", "/a/b/c"),
        ("http://h:3000/a/b/c//", "/a/b/c"),
        ("http://h:3000/", ""),
        ("http://h:3000", ""),
    ],
)
def test_base_path_is_kept_and_trailing_slash_is_irrelevant(url: str, base_path: str) -> None:
    address = parse_service_url(url)
    assert address.base_path == base_path
    assert address.target("/readyz") == base_path + "/readyz"
    assert address.target("/schema.json") == base_path + "/schema.json"
    assert address.url == "http://h:3000" + base_path


def test_base_path_with_and_without_trailing_slash_are_the_same_address() -> None:
    assert parse_service_url("http://h:3000/v1/") == parse_service_url("http://h:3000/v1")


@pytest.mark.parametrize("url", ["tcp://10.0.0.5:5000", "tcp://10.0.0.5:5000/ignored/path", "TCP://10.0.0.5:5000/"])
def test_tcp_is_plain_http_and_drops_the_path(url: str) -> None:
    address = parse_service_url(url)
    assert address == ServiceAddress("http", "10.0.0.5", 5000)
    assert address.base_path == ""
    assert address.host_header == "10.0.0.5:5000"
    assert address.target("/readyz") == "/readyz"


def test_tcp_requires_a_port() -> None:
    with pytest.raises(InvalidURL, match="port"):
        parse_service_url("tcp://10.0.0.5")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///tmp/bentoml-uds/1.sock", "/tmp/bentoml-uds/1.sock"),
        ("unix:///run/svc.sock", "/run/svc.sock"),
        ("FILE:///tmp/x.sock", "/tmp/x.sock"),
        ("file:///tmp/with%20space.sock", "/tmp/with space.sock"),
    ],
)
def test_unix_socket_urls(url: str, path: str) -> None:
    address = parse_service_url(url)
    assert address.scheme == "unix"
    assert address.socket_path == path
    # BentoML's own client talks to a socket as http://127.0.0.1:3000.
    assert address.host_header == "127.0.0.1:3000"
    assert address.logical_origin == ("http", "127.0.0.1", 3000)
    assert address.base_path == ""
    assert address.target("/readyz") == "/readyz"


def test_unix_socket_url_needs_an_absolute_path() -> None:
    with pytest.raises(InvalidURL, match="absolute path"):
        parse_service_url("file://relative.sock")


@pytest.mark.parametrize(
    ("url", "suggestion"),
    [
        ("localhost:3000", "'http://localhost:3000'"),
        ("127.0.0.1:3000/v1", "'http://127.0.0.1:3000/v1'"),
        ("my-service", "'http://my-service'"),
    ],
)
def test_missing_scheme_suggests_http(url: str, suggestion: str) -> None:
    with pytest.raises(InvalidURL) as info:
        parse_service_url(url)
    assert suggestion in str(info.value)
    assert "scheme" in str(info.value)


@pytest.mark.parametrize(
    ("url", "suggestion"),
    [
        ("http:/host:3000", "http://host:3000"),
        ("http//host:3000", "http://host:3000"),
        ("http:host:3000", "http://host:3000"),
        ("http:///host:3000", "http://host:3000"),
        ("https:/host/v1", "https://host/v1"),
        ("https//host", "https://host"),
        ("HTTP:/Host:3000", "http://Host:3000"),
        ("tcp:/127.0.0.1:3000", "tcp://127.0.0.1:3000"),
        ("file:/tmp/svc.sock", "file:///tmp/svc.sock"),
        (" http//host:3000 ", "http://host:3000"),
    ],
)
def test_mangled_scheme_suggests_the_repaired_url(url: str, suggestion: str) -> None:
    # Not "http://http:/host:3000": the scheme is there, only its "://" went wrong.
    with pytest.raises(InvalidURL) as info:
        parse_service_url(url)
    message = str(info.value)
    assert f"did you mean {suggestion!r}?" in message
    assert "http://http" not in message
    parse_service_url(suggestion)  # the suggestion itself works


@pytest.mark.parametrize("url", ["http-gateway:3000", "https-svc", "tcp-host:3000", "fileserver:8080"])
def test_host_names_that_start_like_a_scheme_still_get_http_prepended(url: str) -> None:
    with pytest.raises(InvalidURL) as info:
        parse_service_url(url)
    assert f"'http://{url}'" in str(info.value)


@pytest.mark.parametrize("url", ["ftp://h:21", "ws://h:3000", "grpc://h:3000", "mailto://x@y"])
def test_unsupported_schemes(url: str) -> None:
    with pytest.raises(InvalidURL, match="not supported"):
        parse_service_url(url)


@pytest.mark.parametrize("url", ["http://", "https:///path", "http://:3000"])
def test_missing_host(url: str) -> None:
    with pytest.raises(InvalidURL, match="host"):
        parse_service_url(url)


@pytest.mark.parametrize("url", ["http://h:notaport", "http://h:99999", "http://[::1"])
def test_unparsable_urls(url: str) -> None:
    with pytest.raises(InvalidURL):
        parse_service_url(url)


@pytest.mark.parametrize("url", ["http://user:pw@h:3000", "http://user@h:3000", "https://:pw@h"])
def test_credentials_in_the_url_are_rejected(url: str) -> None:
    with pytest.raises(InvalidURL, match="credentials"):
        parse_service_url(url)


def test_credentials_error_does_not_echo_the_password() -> None:
    # The error is meant to be shown and logged; the password in the URL is a secret
    # (tokens are never echoed either, see check_header_value(secret=True)).
    with pytest.raises(InvalidURL) as info:
        parse_service_url("http://alice:s3cr3t-passw0rd@h:3000")
    assert "s3cr3t-passw0rd" not in str(info.value)


def test_not_a_string() -> None:
    with pytest.raises(InvalidURL, match="string"):
        parse_service_url(3000)  # type: ignore[arg-type]


def test_invalid_url_is_a_configuration_error_and_a_value_error() -> None:
    with pytest.raises(InvalidURL) as info:
        parse_service_url("localhost:3000")
    assert isinstance(info.value, ConfigurationError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, BentoClientError)


@pytest.mark.parametrize(
    ("url", "host", "port", "host_header"),
    [
        ("http://[::1]:3000", "::1", 3000, "[::1]:3000"),
        ("http://[::1]", "::1", 80, "[::1]"),
        ("https://[2001:db8::7]:8443/base", "2001:db8::7", 8443, "[2001:db8::7]:8443"),
        ("tcp://[fe80::1]:5000", "fe80::1", 5000, "[fe80::1]:5000"),
    ],
)
def test_ipv6_host_header_is_bracketed(url: str, host: str, port: int, host_header: str) -> None:
    address = parse_service_url(url)
    assert address.host == host
    assert address.port == port
    assert address.host_header == host_header
    assert address.origin.endswith("://" + host_header)


def test_origin_and_url() -> None:
    address = parse_service_url("https://api.example.com/deploy/one/")
    assert address.origin == "https://api.example.com"
    assert address.url == "https://api.example.com/deploy/one"
    unix = parse_service_url("file:///tmp/a.sock")
    assert unix.origin == "unix:///tmp/a.sock"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/a/../info", "/info"),
        ("/a/./b/../c?q=../x", "/a/c?q=../x"),
        ("/info", "/info"),
        ("/a/b/..", "/a/"),
        ("/..", "/"),
        ("/a/.", "/a/"),
        ("/v1/x/../../y", "/y"),
        ("/.hidden/f..txt", "/.hidden/f..txt"),
    ],
)
def test_remove_dot_segments(target: str, expected: str) -> None:
    assert remove_dot_segments(target) == expected
