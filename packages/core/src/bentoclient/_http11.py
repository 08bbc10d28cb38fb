"""HTTP/1.1 response heads, without I/O: the rules and limits every transport applies alike.

Both the standard-library pool and the asyncio transport read a head line by line and hand
each line here, so a head one of them refuses the other refuses too (the same 64 KiB line and
100-field bounds ``http.client`` uses), and both skip the same interim ``1xx`` responses.
"""

from __future__ import annotations

import re
from typing import Optional

from ._models import Headers, Request
from .exceptions import ConfigurationError

__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_LINE",
    "HeadError",
    "HeadFields",
    "check_request",
    "is_interim",
    "parse_status_line",
    "request_framing",
]

MAX_HEADER_LINE = 65536
MAX_HEADERS = 100


class HeadError(ValueError):
    """The response head breaks HTTP/1.1 or a limit; transports report it as RemoteProtocolError."""


def parse_status_line(line: bytes) -> tuple[int, int, str]:
    """``b"HTTP/1.1 200 OK\\r\\n"`` -> ``(11, 200, "OK")``: the version (10 or 11), status, reason."""
    if len(line) > MAX_HEADER_LINE:
        raise HeadError("the status line is longer than 64 KiB")
    text = line.decode("latin-1")
    parts = text.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HeadError(f"not an HTTP status line: {text[:60]!r}")
    version, code = parts[0], parts[1]
    if version in ("HTTP/1.0", "HTTP/0.9"):
        number = 10
    elif version.startswith("HTTP/1."):
        number = 11
    else:
        raise HeadError(f"unsupported HTTP version {version[:20]!r}")
    if len(code) != 3 or not code.isdigit() or not code.isascii() or not 100 <= int(code) <= 999:
        raise HeadError(f"not a status code: {code[:20]!r}")
    return number, int(code), parts[2].strip() if len(parts) > 2 else ""


def is_interim(status: int) -> bool:
    """An informational answer (``100 Continue``, ``103 Early Hints``) before the final one.

    ``101 Switching Protocols`` is final: the connection stops being HTTP.
    """
    return 100 <= status < 200 and status != 101


class HeadFields:
    """The fields of one head, fed a line at a time (latin-1, as HTTP says)."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []

    def add(self, line: bytes) -> bool:
        """Take one line; False once the head ended (a blank line, or the end of the input)."""
        if len(line) > MAX_HEADER_LINE:
            raise HeadError("a header line is longer than 64 KiB")
        if line in (b"\r\n", b"\n", b""):
            return False
        fields = self.fields
        if len(fields) >= MAX_HEADERS:
            raise HeadError(f"more than {MAX_HEADERS} header fields")
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t") and fields:  # obsolete line folding continues the last field
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {text.strip()}")
            return True
        name, colon, value = text.partition(":")
        if colon:  # a line without a colon is junk: skipped, as the email parser does
            fields.append((name.strip(), value.strip()))
        return True

    def headers(self) -> Headers:
        return Headers(self.fields)


def body_length(headers: Headers, status: int, method: str) -> tuple[bool, Optional[int]]:
    """How the body is framed: ``(chunked, length)``; ``(False, None)`` means until the close."""
    if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
        return False, 0
    encoding = headers.get("transfer-encoding")
    if encoding and encoding.lower() == "chunked":
        return True, None
    length = headers.get("content-length")
    if length:
        try:
            value = int(length)
        except ValueError:
            raise HeadError(f"invalid Content-Length {length[:20]!r}") from None
        if value < 0:
            raise HeadError(f"invalid Content-Length {length[:20]!r}")
        return False, value
    return False, None


# --- the request side: what every transport checks before a byte is sent ------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: methods and field names
_TARGET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, no control character
_FIELD_VALUE = re.compile(r"[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*")  # RFC 9110 field-value, ASCII only
#: Methods whose requests carry no body by convention: an empty body sends no framing header.
BODYLESS_METHODS = frozenset(("GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"))


def check_request(request: Request) -> tuple[tuple[str, str], ...]:
    """Refuse a request head that would not reach the server as written; return its fields.

    The one rule every transport applies before sending (so a caller-built
    :class:`~bentoclient.transport.Request` cannot inject a header or a second request):
    the method and field names are RFC 9110 tokens, the target is visible ASCII, and field
    values are ASCII text without control characters (leading and trailing blanks are
    dropped, as HTTP ignores them).  Non-ASCII values are refused, as httpx and h11 do:
    percent- or base64-encode them.  Raises :class:`~bentoclient.exceptions.ConfigurationError`.
    """
    method = request.method
    if not _TOKEN.fullmatch(method):
        raise ConfigurationError(f"cannot send a request with method {method[:40]!r}: not an HTTP token")
    if not _TARGET.fullmatch(request.target) or not request.target.startswith(("/", "*")):
        raise ConfigurationError(
            f"cannot send {method} {request.target[:80]!r}: the target must start with '/' and be "
            "visible ASCII (percent-encode spaces, control and non-ASCII characters)"
        )
    fields = []
    for name, value in request.headers:
        if not _TOKEN.fullmatch(name):
            raise ConfigurationError(
                f"cannot send header {name[:40]!r} with {method} {request.target[:80]}: "
                "a field name is letters, digits and !#$%&'*+-.^_`|~ only"
            )
        value = value.strip(" \t")
        if value and not _FIELD_VALUE.fullmatch(value):
            shown = "its value" if name.lower() in ("authorization", "proxy-authorization") else repr(value[:60])
            raise ConfigurationError(
                f"cannot send header {name!r} with {method} {request.target[:80]}: {shown} has a "
                "control character (CR, LF, NUL, ...) or a non-ASCII character; remove them, or "
                "percent- or base64-encode the value"
            )
        fields.append((name, value))
    return tuple(fields)


def request_framing(request: Request) -> Optional[tuple[str, str]]:
    """The body framing field for ``request``, the same on every transport (None: no field).

    A known length is sent as ``Content-Length``, an unknown one chunked
    (``Transfer-Encoding: chunked``), whatever the method; an empty body sends
    ``Content-Length: 0`` except on methods that carry no body by convention (GET, HEAD, ...).
    """
    length = request.body_length
    if length is None:
        return ("Transfer-Encoding", "chunked")
    if length == 0 and request.method in BODYLESS_METHODS:
        return None
    return ("Content-Length", str(length))
