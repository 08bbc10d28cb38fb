"""Client-agnostic rules both clients share (pure): auth, readiness, redirects."""

from __future__ import annotations

import os
from typing import Optional
from urllib.parse import urljoin, urlsplit

from ._backoff import Backoff
from ._models import Request, Timeout, TimeoutTypes, check_header_value
from ._schema import ServiceSchema
from ._url import ServiceAddress
from ._version import __version__
from .exceptions import ConfigurationError, RemoteProtocolError

__all__ = [
    "MAX_REDIRECTS",
    "READY_BACKOFF",
    "REDIRECT_STATUSES",
    "USER_AGENT",
    "derive_path_prefix",
    "ready_wait_seconds",
    "redirect_request",
    "resolve_token",
]

USER_AGENT = f"bentoclient/{__version__}"
#: Readiness polling: quick at first (a server a moment from ready), then at most 1 s apart.
READY_BACKOFF = Backoff(initial=0.05, factor=1.6, maximum=1.0, jitter=0.2)
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))


def resolve_token(token: Optional[str]) -> Optional[str]:
    """``token``, else ``$BENTO_CLOUD_API_KEY``; an empty string turns authentication off."""
    if token is None:
        token = os.environ.get("BENTO_CLOUD_API_KEY")
    if token is not None and not isinstance(token, str):
        raise ConfigurationError(f"token must be a string or None, got {type(token).__name__}")
    if token:
        check_header_value("Authorization", token, secret=True)
    return token or None


def ready_wait_seconds(timeout: TimeoutTypes, server_ready_timeout: Optional[float]) -> float:
    """How long to wait for ``/readyz``: None -> the client timeout; 0 or less -> no wait."""
    if server_ready_timeout is None:
        t = Timeout.of(timeout)
        return t.read if t.read is not None else 30.0
    if isinstance(server_ready_timeout, bool) or not isinstance(server_ready_timeout, (int, float)):
        raise ConfigurationError(
            f"server_ready_timeout must be a number of seconds or None, got {server_ready_timeout!r}"
        )
    return max(0.0, float(server_ready_timeout))


def derive_path_prefix(schema: ServiceSchema) -> str:
    """The leading path every route shares, e.g. ``/v1`` for a ``path_prefix="/v1"`` service."""
    split = [ep.route.strip("/").split("/")[:-1] for ep in schema.endpoints.values()]
    if not split:
        return ""
    common: list[str] = []
    for parts in zip(*split):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "/".join(common) if common else ""


def redirect_request(address: ServiceAddress, request: Request, status: int, location: str) -> Request:
    """The request to send after a redirect, or :class:`RemoteProtocolError` when it leaves the host.

    Redirects are followed only on the service's own scheme, host and port, so the token
    and headers never travel to another host.  303 (and 301/302 after a POST) become a
    body-less GET, as browsers and httpx do.
    """
    scheme, host, port = address.logical_origin
    current = f"{scheme}://{host}:{port}{request.target}"
    parts = urlsplit(urljoin(current, location))
    try:
        target_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        target_port = -1
    if (parts.scheme, parts.hostname or "", target_port) != (scheme, host, port):
        raise RemoteProtocolError(
            f"{address.url}{request.target} redirected to another host ({parts.scheme}://{parts.netloc}); "
            "bentoclient follows redirects only on the service's own host, so your token stays there. "
            "Use that URL as the client URL if you trust it",
            url=address.url,
        )
    method, content, headers = request.method, request.content, request.headers
    if status == 303 or (status in (301, 302) and method == "POST"):
        method, content = "GET", b""
        headers = tuple(h for h in headers if h[0].lower() not in ("content-type", "content-length"))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    length = request.content_length if content else None
    return Request(method, target, headers, content, length, request.endpoint)
