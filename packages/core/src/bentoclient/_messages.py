"""Error messages that need some reasoning to point the right way (pure, no I/O).

Both clients' transports call these where they turn a low-level failure into one of
bentoclient's exceptions, so a user reads the same advice whichever client they use.
"""

from __future__ import annotations

import os
import re

__all__ = ["install_command", "plain_http_url", "tls_failure_kind", "tls_failure_message"]

# OpenSSL's words when what answered the ClientHello was not TLS at all (a plain-HTTP server
# replying "HTTP/1.1 400 ...", or closing): the fix is http://, not another CA bundle.
_NOT_TLS = (
    "wrong version number",  # OpenSSL 1.1/3.0: the reply's first bytes are not a TLS record
    "record layer failure",  # OpenSSL 3.2+: the same
    "unexpected eof",  # the server closed instead of answering the handshake
    "eof occurred in violation of protocol",  # the same, as Python words it
    "connection has been closed (eof)",  # the same, as older OpenSSL builds word it (SSLZeroReturnError)
    "packet length too long",  # a plain-text reply read as a record length
    "unknown protocol",  # older OpenSSL
)
_CERTIFICATE = (
    "certificate",  # CERTIFICATE_VERIFY_FAILED, self-signed, expired, unable to get issuer ...
    "hostname mismatch",
    "ip address mismatch",
)
_SSL_C_SUFFIX = re.compile(r"\s*\(_ssl\.c:\d+\)$")


def tls_failure_kind(reason: str) -> str:
    """``"not-tls"``, ``"certificate"`` or ``"other"`` for an ``ssl`` error's text."""
    words = reason.lower().replace("_", " ")
    if any(marker in words for marker in _NOT_TLS):
        return "not-tls"
    # An "alert" comes from the server (e.g. it refused a client certificate): not ours to trust.
    if "alert" not in words and any(marker in words for marker in _CERTIFICATE):
        return "certificate"
    return "other"


def plain_http_url(url: str) -> str:
    """``url`` with ``http://`` instead of ``https://``, keeping the port (443 when implied)."""
    if not url.lower().startswith("https://"):
        return url
    rest = url[len("https://") :]
    authority, slash, path = rest.partition("/")
    host_end = authority.rfind("]")  # an IPv6 literal: the port, if any, follows "]"
    has_port = ":" in authority[host_end + 1 :]
    return f"http://{authority if has_port else authority + ':443'}{slash}{path}"


def tls_failure_message(url: str, reason: str) -> str:
    """The message of a failed TLS handshake with ``url``, given the ``ssl`` error's text.

    A server that does not speak TLS (the usual cause: ``https://`` for a plain-HTTP
    ``bentoml serve``) gets "use http://..."; only certificate failures get the advice to
    pass ``verify=``.
    """
    text = _SSL_C_SUFFIX.sub("", reason.strip()) or "no reason given"
    kind = tls_failure_kind(text)
    head = f"TLS handshake with {url} failed: {text}"
    if kind == "not-tls":
        return (
            f"{head}; the server does not speak TLS here. If it serves plain HTTP (as `bentoml serve` "
            f"does), use {plain_http_url(url)!r}"
        )
    if kind == "certificate":
        return (
            f"{head}; the server's certificate is not trusted for this host: pass verify= a CA bundle path "
            "or an ssl.SSLContext that trusts the server's certificate"
        )
    return (
        f"{head}; the server and the client found no TLS version or cipher they both accept: check the "
        "server's TLS setup, or pass verify= an ssl.SSLContext configured for it"
    )


def install_command(extra: str, *, upgrade: bool = False, here: str = __file__) -> str:
    """The command that installs bentoclient's ``extra`` (``"async"``, ``"stream"``) for this copy.

    Run from a checkout of the repository (``packages/core/src/bentoclient/`` beside
    ``packages/<extra>/``): ``pip install`` of that folder, which works as is.  Otherwise the
    extra, and, while the packages are not on PyPI, the form that installs it from the wheels
    ``nox -s build`` writes.  Only looks at the file system, and only when called (an error path).
    """
    flag = "-U " if upgrade else ""
    source = os.path.dirname(os.path.abspath(here))  # .../packages/core/src/bentoclient
    packages = os.path.dirname(os.path.dirname(os.path.dirname(source)))
    sibling = os.path.join(packages, extra)
    if os.path.basename(os.path.dirname(os.path.dirname(source))) == "core" and os.path.isfile(
        os.path.join(sibling, "pyproject.toml")
    ):
        return f'pip install {flag}"{sibling}"'
    return (
        f'pip install {flag}"bentoclient[{extra}]" (until bentoclient is on PyPI: pip install {flag}--find-links '
        f'DIR "bentoclient[{extra}]", DIR being the folder of the wheels `nox -s build` wrote)'
    )
