"""Proxies, without I/O: the proxy URL, the proxy environment variables and ``NO_PROXY``.

The rules are httpx's (so BentoML's client's), checked against httpx 0.28:

- ``proxy=`` wins and applies to every TCP service, whatever ``NO_PROXY`` says;
  ``trust_env=False`` ignores the environment; a Unix-socket service is never proxied.
- From the environment: ``HTTP_PROXY`` for ``http://`` services, ``HTTPS_PROXY`` for
  ``https://`` ones, ``ALL_PROXY`` when the scheme's own is not set.  Names are read in
  either case and the lowercase one wins; an empty value means "not set" (a lowercase empty
  value also hides an uppercase one).  As in the standard library, ``HTTP_PROXY`` in upper
  case is ignored when ``REQUEST_METHOD`` is set (a CGI script, where a request's ``Proxy:``
  header could set it).  A value without ``scheme://`` means ``http://``.
- ``NO_PROXY`` is a comma-separated list: ``*`` (no proxy at all), ``localhost``, a host
  name (``example.com`` matches it and its subdomains; ``.example.com`` only subdomains),
  an IP address (IPv6 with or without brackets), any of those with ``:port``, a CIDR block
  (``10.0.0.0/8``), or ``scheme://host[:port]`` for one scheme only.  Loopback addresses
  are not special: like httpx, a proxy from the environment is used for ``localhost`` too,
  unless ``NO_PROXY`` names it.

Only plain ``http://`` proxies are supported: ``http://`` services are sent to the proxy in
absolute form, ``https://`` services through a ``CONNECT`` tunnel.  The password of a proxy
URL never appears in a message or a ``repr``.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import NamedTuple, Optional, Union
from urllib.parse import unquote, urlsplit

from ._url import ServiceAddress
from .exceptions import ConfigurationError, ConnectTimeout, ProxyError

__all__ = [
    "ProxyConfig",
    "environment_proxies",
    "no_proxy_matches",
    "parse_proxy_url",
    "proxy_connect_error",
    "proxy_connect_request",
    "proxy_from_environment",
    "proxy_status_error",
    "proxy_timeout_error",
    "redact_url",
    "select_proxy",
    "transport_proxy",
]

#: Where a proxy came from when it was given as the client option.
OPTION = "proxy="


class ProxyConfig(NamedTuple):
    """An HTTP proxy to send through: where it is and the ``Proxy-Authorization`` to send.

    ``authorization`` is the whole header value (``Basic ...``), made from ``user:password@``
    in the proxy URL (percent-decoded, UTF-8), or None.  ``source`` says where the proxy came
    from (``"proxy="`` or the environment variable's name, e.g. ``"HTTPS_PROXY"``).
    ``repr()``, ``str()`` and :attr:`display` never show the password.
    """

    host: str  # without brackets for IPv6
    port: int
    authorization: Optional[str] = None
    username: Optional[str] = None
    source: str = OPTION
    scheme: str = "http"

    @property
    def authority(self) -> str:
        """``host:port``, IPv6 in brackets: where to connect, as a ``CONNECT`` target writes it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def display(self) -> str:
        """The proxy URL for messages: the user name is kept, a password shows as ``***``."""
        userinfo = f"{self.username}:***@" if self.authorization is not None else ""
        return f"{self.scheme}://{userinfo}{self.authority}"

    @property
    def described(self) -> str:
        """``the proxy http://host:port (from HTTPS_PROXY)``: how messages name it."""
        origin = "proxy=" if self.source == OPTION else f"the {self.source} environment variable"
        return f"the proxy {self.display} (from {origin})"

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """The headers for the proxy itself (``Proxy-Authorization``), never for the service."""
        return (("Proxy-Authorization", self.authorization),) if self.authorization is not None else ()

    def __repr__(self) -> str:
        return f"ProxyConfig({self.display!r}, source={self.source!r})"

    def __str__(self) -> str:
        return self.display


def redact_url(text: str) -> str:
    """``text`` with the password of a ``scheme://user:password@host`` URL replaced by ``***``."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    cut = len(rest)
    for mark in "/?#":
        index = rest.find(mark)
        if index != -1:
            cut = min(cut, index)
    netloc, tail = rest[:cut], rest[cut:]
    if "@" not in netloc:
        return text
    userinfo, _, hostport = netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}{sep}{user}{':***' if colon else ''}@{hostport}{tail}"


def _basic(username: str, password: str) -> str:
    # binascii, not base64: the same encoding without one more module to import.
    token = binascii.b2a_base64(f"{username}:{password}".encode(), newline=False).decode("ascii")
    return f"Basic {token}"


def parse_proxy_url(url: str, *, source: str = OPTION) -> ProxyConfig:
    """Parse ``http://[user:password@]host[:port]`` (the port defaults to 80, as in httpx).

    Raises :class:`ConfigurationError` naming ``source`` (and the URL without its password).
    """
    where = "proxy=" if source == OPTION else f"the {source} environment variable"
    if not isinstance(url, str):
        raise ConfigurationError(
            f"proxy must be a URL string such as 'http://proxy.example.com:3128', got {type(url).__name__}"
        )
    text = url.strip()
    if not text:
        raise ConfigurationError(f"{where} is empty; give a URL such as 'http://proxy.example.com:3128', or None")
    shown = redact_url(text)
    if "://" not in text:
        raise ConfigurationError(
            f"{where}: {shown!r} has no scheme; write it as 'http://{shown}' (only http:// proxies are supported)"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{where}: {shown!r} is not a valid proxy URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise ConfigurationError(
            f"{where}: {shown!r} is an https:// proxy (TLS to the proxy itself), which is not supported; use the "
            "proxy's plain http:// address: https:// services are still tunnelled through it with CONNECT, "
            "encrypted end to end"
        )
    if scheme.startswith("socks"):
        raise ConfigurationError(
            f"{where}: {shown!r} is a SOCKS proxy, which is not supported; use an HTTP proxy "
            "('http://host:port'), or pass transport= a transport that speaks SOCKS"
        )
    if scheme != "http":
        raise ConfigurationError(
            f"{where}: {shown!r} has the scheme {parts.scheme!r}; a proxy URL looks like 'http://host:port'"
        )
    if not parts.hostname:
        raise ConfigurationError(f"{where}: {shown!r} has no host name; write it as 'http://host:port'")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{where}: {shown!r} has a path or query, which a proxy URL cannot have; write it as 'http://host:port'"
        )
    authorization = username = None
    if parts.username is not None or parts.password is not None:
        username = unquote(parts.username or "")
        authorization = _basic(username, unquote(parts.password or ""))
    return ProxyConfig(parts.hostname, 80 if port is None else port, authorization, username, source)


# --- the environment --------------------------------------------------------------------


def environment_proxies(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``{"http": (value, variable name), "https": ..., "all": ..., "no": ...}`` from ``environ``.

    The standard library's reading (``urllib.request.getproxies_environment``, which httpx
    uses): any case, the lowercase name wins, an empty value removes, and ``HTTP_PROXY`` in
    upper case is ignored under CGI (``REQUEST_METHOD`` set).
    """
    found: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        lower = name.lower()
        if value and lower.endswith("_proxy"):
            found[lower[:-6]] = (value, name)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):  # a lowercase suffix: these override the first pass
            key = name.lower()[:-6]
            if value:
                found[key] = (value, name)
            else:
                found.pop(key, None)
    return found


def _looks_like_ip(host: str) -> bool:
    return ":" in host or (host.replace(".", "").isdigit() and host.count(".") == 3)


def _same_ip(a: str, b: str) -> bool:
    if a == b:
        return True
    if not (_looks_like_ip(a) and _looks_like_ip(b)):
        return False
    import ipaddress  # only for IP entries in NO_PROXY, never at import time

    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def _in_network(host: str, block: str) -> bool:
    if not _looks_like_ip(host):
        return False  # no DNS here: a name is never inside a CIDR block
    import ipaddress

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(block, strict=False)
    except ValueError:
        return False


def _split_entry(entry: str) -> Optional[tuple[str, Optional[int]]]:
    """``host[:port]`` (IPv6 in brackets when a port follows) -> (host, port); None if malformed."""
    port_text = ""
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
        if rest and not port_text:
            return None
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    else:
        host = entry  # a name, an IPv4 address or block, or a bare IPv6 address or block
    if port_text and not port_text.isdigit():
        return None
    if not host:
        return None
    return host, (int(port_text) if port_text else None)


def _entry_matches(entry: str, scheme: str, host: str, port: int) -> bool:
    exact = False
    if "://" in entry:  # scheme://host[:port]: one scheme only, the host itself
        entry_scheme, _, entry = entry.partition("://")
        if entry_scheme not in ("all", scheme):
            return False
        entry = entry.rstrip("/")
        exact = True
    split = _split_entry(entry)
    if split is None:
        return False
    name, entry_port = split
    if entry_port is not None and entry_port != port:
        return False
    if "/" in name:
        return _in_network(host, name)
    if _looks_like_ip(name):
        return _same_ip(name, host)
    if _looks_like_ip(host):
        return False  # an IP address matches IP entries only, never as a domain suffix ("0.0.1")
    name = name.rstrip(".")  # example.com. (fully qualified) is example.com
    if name.startswith("*."):
        name = name[1:]  # *.example.com: as .example.com
    if name.startswith("."):
        return not exact and host.endswith(name)  # subdomains only, as httpx
    if exact or name == "localhost":
        return host == name
    return host == name or host.endswith("." + name)


def no_proxy_matches(no_proxy: str, scheme: str, host: str, port: int) -> bool:
    """Whether ``NO_PROXY`` (its value) exempts ``scheme://host:port`` from the proxy.

    ``host`` is a name or an IP address (IPv6 without brackets).  Malformed entries match
    nothing.  No DNS: a name never matches an IP entry, nor the reverse.
    """
    host = host.lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*" or _entry_matches(entry, scheme, host, port):
            return True
    return False


def proxy_from_environment(address: ServiceAddress, environ: Mapping[str, str]) -> Optional[ProxyConfig]:
    """The proxy the environment names for ``address``, or None (not set, or ``NO_PROXY``)."""
    if address.scheme == "unix":
        return None
    found = environment_proxies(environ)
    no_proxy = found.get("no")
    if no_proxy is not None and no_proxy_matches(no_proxy[0], address.scheme, address.host, address.port):
        return None
    chosen = found.get(address.scheme) or found.get("all")
    if chosen is None:
        return None
    value, name = chosen
    text = value.strip()
    if text and "://" not in text:
        text = "http://" + text  # as httpx reads a bare host:port from the environment
    try:
        return parse_proxy_url(text, source=name)
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"{exc.message}; or keep this service off the proxy: add its host to NO_PROXY, or pass trust_env=False"
        ) from exc


def select_proxy(
    address: ServiceAddress, proxy: Optional[str], trust_env: bool, environ: Mapping[str, str]
) -> Optional[ProxyConfig]:
    """The proxy for a client of ``address``: ``proxy=`` when given (``NO_PROXY`` does not
    apply to it, as in httpx), else the environment's when ``trust_env``, else None."""
    if not isinstance(trust_env, bool):
        raise ConfigurationError(f"trust_env must be True or False, got {trust_env!r}")
    if proxy is not None:
        config = parse_proxy_url(proxy, source=OPTION)
        if address.scheme == "unix":
            raise ConfigurationError(
                "proxy= cannot be used with a Unix-socket service URL (file:// or unix://): the service is on "
                "this machine; remove proxy="
            )
        return config
    if not trust_env:
        return None
    return proxy_from_environment(address, environ)


# --- what transports send and raise --------------------------------------------------------


def transport_proxy(address: ServiceAddress, proxy: Union[ProxyConfig, str, None]) -> Optional[ProxyConfig]:
    """A transport's ``proxy=`` argument, checked: a :class:`ProxyConfig`, a proxy URL or None."""
    if isinstance(proxy, str):
        proxy = parse_proxy_url(proxy)
    elif proxy is not None and not isinstance(proxy, ProxyConfig):
        raise ConfigurationError(
            f"proxy must be a proxy URL such as 'http://proxy.example.com:3128' or a ProxyConfig, "
            f"got {type(proxy).__name__}"
        )
    if proxy is not None and address.scheme == "unix":
        raise ConfigurationError("a Unix-socket service cannot be reached through a proxy; pass proxy=None")
    return proxy


def proxy_connect_request(address: ServiceAddress, proxy: ProxyConfig) -> bytes:
    """The ``CONNECT host:port`` request head that opens a tunnel to ``address`` (https).

    It carries ``Proxy-Authorization`` when the proxy URL has credentials, and nothing of
    the service's (no token: that travels inside the TLS session, through the tunnel).
    """
    host = f"[{address.host}]" if ":" in address.host else address.host
    authority = f"{host}:{address.port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    lines += [f"{name}: {value}" for name, value in proxy.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _advice_for_reach(proxy: ProxyConfig) -> str:
    if proxy.source == OPTION:
        return "check proxy=, or leave it out to connect directly"
    return f"check {proxy.source}, or connect to the service directly: add its host to NO_PROXY or pass trust_env=False"


def proxy_status_error(
    address: ServiceAddress, proxy: ProxyConfig, status: int, reason: str = "", *, tunnel: bool
) -> ProxyError:
    """The error for a proxy that answered ``status`` instead of passing the request on.

    ``tunnel``: the answer was to ``CONNECT`` (an https service); else to a plain-http
    request in absolute form (only 407 is known to come from the proxy there).
    """
    what = f"CONNECT to {address.host}:{address.port}" if tunnel else f"the request for {address.url}"
    head = f"{proxy.described} answered {status} {reason.strip()}".rstrip() + f" to {what}"
    if status == 407:
        if proxy.authorization is None:
            advice = "it needs credentials: put them in the proxy URL, as 'http://user:password@host:port'"
        else:
            advice = "check the user name and password in the proxy URL"
    elif status == 403:
        advice = "the proxy does not allow this service; ask its administrators, or " + (
            "leave out proxy= to connect directly"
            if proxy.source == OPTION
            else "add the service's host to NO_PROXY to connect directly"
        )
    else:
        advice = "it could not open a tunnel to the service; check that the proxy can reach it, or " + (
            "leave out proxy= to connect directly"
            if proxy.source == OPTION
            else "add the service's host to NO_PROXY to connect directly"
        )
    return ProxyError(f"{head}: {advice}", url=address.url, proxy=proxy.display, status_code=status, request_sent=False)


def proxy_connect_error(address: ServiceAddress, proxy: ProxyConfig, reason: str) -> ProxyError:
    """The error for a proxy that cannot be reached (refused, unreachable, DNS) or broke the tunnel."""
    return ProxyError(
        f"cannot connect to {address.url} through {proxy.described}: {reason}; {_advice_for_reach(proxy)}",
        url=address.url,
        proxy=proxy.display,
        request_sent=False,
    )


def proxy_timeout_error(address: ServiceAddress, proxy: ProxyConfig, seconds: Optional[float]) -> ConnectTimeout:
    """The error for a proxy that did not connect (or open the tunnel) within the connect timeout."""
    limit = "the connect timeout" if seconds is None else f"{seconds:g} s"
    return ConnectTimeout(
        f"connecting to {address.url} through {proxy.described} took longer than {limit}; " + _advice_for_reach(proxy),
        url=address.url,
        request_sent=False,
    )
