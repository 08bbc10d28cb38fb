"""For bentoclient's own packages only (``bentoclient-async``, ``bentoclient-stream``): no
stability promise.

The public seam, :mod:`bentoclient.transport`, holds what anyone writing a transport needs.
The names here are what bentoclient's sibling distributions share with core beyond it: the
parsed service address a default transport is built for, the pool settings, and the TLS,
proxy and message helpers that make every bundled transport connect, refuse and word its
errors the same way.  They may change in any minor release; the siblings pin core to one
minor line (``>=X.Y.Z,<X.(Y+1)``), so a change here ships with theirs.  Other code should
not import this module: copy what it needs, or ask for a public name.

A sibling imports from core only its public modules and this one (a packaging test checks).
"""

from __future__ import annotations

from ._http11 import MAX_HEADERS
from ._messages import tls_failure_message
from ._proxy import (
    ProxyConfig,
    proxy_connect_error,
    proxy_status_error,
    proxy_timeout_error,
    transport_proxy,
)
from ._transport import KEEPALIVE_EXPIRY, READ_CHUNK, SSLOptions, ssl_context
from ._url import ServiceAddress, parse_service_url

__all__ = [
    "KEEPALIVE_EXPIRY",
    "MAX_HEADERS",
    "READ_CHUNK",
    "ProxyConfig",
    "SSLOptions",
    "ServiceAddress",
    "parse_service_url",
    "proxy_connect_error",
    "proxy_status_error",
    "proxy_timeout_error",
    "ssl_context",
    "tls_failure_message",
    "transport_proxy",
]
