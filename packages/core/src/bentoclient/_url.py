"""Parsing of the service URL forms BentoML accepts (pure)."""

from __future__ import annotations

from typing import NamedTuple, Optional
from urllib.parse import unquote, urlsplit

from .exceptions import InvalidURL

__all__ = ["ServiceAddress", "parse_service_url", "remove_dot_segments"]

# BentoML's Unix-socket URLs address a logical host; its own client sends this Host.
_UDS_HOST = "127.0.0.1:3000"


class ServiceAddress(NamedTuple):
    """Where a service lives: a TCP host/port (``http``/``https``) or a Unix socket path."""

    scheme: str  # "http", "https" or "unix"
    host: str
    port: int
    base_path: str = ""  # no trailing slash; prepended to every request path
    socket_path: Optional[str] = None

    @property
    def host_header(self) -> str:
        if self.scheme == "unix":
            return _UDS_HOST
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def logical_origin(self) -> tuple[str, str, int]:
        """(scheme, host, port) as HTTP sees it; a Unix socket is ``http://127.0.0.1:3000``."""
        if self.scheme == "unix":
            return ("http", "127.0.0.1", 3000)
        return (self.scheme, self.host, self.port)

    @property
    def origin(self) -> str:
        if self.scheme == "unix":
            return f"unix://{self.socket_path}"
        return f"{self.scheme}://{self.host_header}"

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    def target(self, path: str) -> str:
        """The request target for ``path`` (which starts with ``/``) under the base path."""
        return self.base_path + path


def parse_service_url(url: str) -> ServiceAddress:
    """Turn a service URL into a :class:`ServiceAddress`.

    Accepted: ``http://host[:port][/base]``, ``https://…``, ``tcp://host:port`` (plain HTTP,
    path ignored, as BentoML does), ``file:///path/to.sock`` and ``unix:///path/to.sock``
    (HTTP over a Unix domain socket).
    """
    if not isinstance(url, str):
        raise InvalidURL(f"url must be a string such as 'http://127.0.0.1:3000', got {type(url).__name__}")
    text = url.strip()
    repaired = _repaired_scheme(text)
    if repaired is not None:
        raise InvalidURL(
            f"url {url!r} has a malformed scheme separator; did you mean {repaired!r}? "
            "The host name follows 'http://', 'https://' or 'tcp://'; a socket path follows 'file://'"
        )
    if "://" not in text:
        raise InvalidURL(
            f"url {url!r} has no scheme; write it with one, e.g. 'http://{text}' "
            "(also accepted: https://, tcp://host:port, file:///path/to.sock)"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"url {url!r} cannot be parsed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme in ("file", "unix"):
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise InvalidURL(f"url {url!r}: a Unix socket URL needs an absolute path, e.g. 'file:///tmp/svc.sock'")
        return ServiceAddress("unix", "127.0.0.1", 3000, "", path)
    if scheme not in ("http", "https", "tcp"):
        raise InvalidURL(f"url {url!r}: scheme {parts.scheme!r} is not supported; use http, https, tcp or file")
    if not parts.hostname:
        raise InvalidURL(f"url {url!r} has no host name")
    if parts.username is not None or parts.password is not None:
        # Not echoing the URL here: it holds a password.
        raise InvalidURL("credentials (user name or password) in the url are not supported; pass token= instead")
    if scheme == "tcp":
        if port is None:
            raise InvalidURL(f"url {url!r}: a tcp:// URL needs a port, e.g. 'tcp://127.0.0.1:3000'")
        return ServiceAddress("http", parts.hostname, port)
    default = 443 if scheme == "https" else 80
    base_path = parts.path.rstrip("/")
    return ServiceAddress(scheme, parts.hostname, port if port is not None else default, base_path)


def remove_dot_segments(target: str) -> str:
    """``/a/./b/../c?q`` -> ``/a/c?q`` (RFC 3986 §5.2.4), the one path policy of both clients.

    Browsers, httpx and so BentoML's own client send paths this way; doing it here keeps the
    sync and async transports from differing on it.
    """
    path, mark, query = target.partition("?")
    if "." not in path:
        return target
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output) + mark + query


_SCHEMES = ("https", "http", "tcp", "file", "unix")  # "https" before "http": the longer first


def _repaired_scheme(text: str) -> Optional[str]:
    """``http://host:3000`` for ``http:/host:3000``, ``http//host:3000``, ``http:///host:3000`` ...

    None when ``text`` does not start with a known scheme followed by a wrong mix of ``:``
    and ``/`` (a correct one, or a host name such as ``https-gateway``, gives None too).
    """
    lower = text.lower()
    for scheme in _SCHEMES:
        if not lower.startswith(scheme):
            continue
        rest = text[len(scheme) :]
        tail = rest.lstrip(":/")
        separator = rest[: len(rest) - len(tail)]
        if not tail or not separator or ":" in separator[1:]:
            return None  # "http-svc:3000", "http::x", "http/:x": not a scheme gone wrong
        # An absolute socket path follows "file://" ("file://name" is reported as a relative path).
        correct = ":///" if scheme in ("file", "unix") else "://"
        return None if separator in (correct, "://") else f"{scheme}{correct}{tail}"
    return None
