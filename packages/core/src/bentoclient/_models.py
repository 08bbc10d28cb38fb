"""Plain data shared by the protocol layer and every transport: no I/O here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Optional, Union

from ._headers import Headers
from .exceptions import ConfigurationError, ResponseDecodeError

__all__ = ["Headers", "Request", "Timeout", "TimeoutTypes"]


def check_header_value(name: str, value: str, *, secret: bool = False) -> str:
    """Refuse header values that would split the request (CR, LF, NUL)."""
    if any(ch in value for ch in "\r\n\0"):
        shown = "the value" if secret else repr(value)
        raise ConfigurationError(
            f"header {name!r}: {shown} contains a line break or NUL character, which would "
            "let it inject other headers; remove them before passing it"
        )
    if not name or any(ch in name for ch in "\r\n\0: \t"):
        raise ConfigurationError(f"header name {name!r} is not a valid HTTP field name")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        shown = "the value" if secret else repr(value)
        raise ConfigurationError(
            f"header {name!r}: {shown} has characters HTTP headers cannot carry (only Latin-1); "
            "encode it first (e.g. percent- or base64-encode it)"
        ) from None
    return value


class Timeout:
    """Time limits in seconds; ``None`` means no limit.

    ``connect``: opening a connection.  ``read``: the longest silence while waiting for
    response bytes.  ``write``: the longest stall while sending.  ``pool``: waiting for a
    free pooled connection.  ``total``: the whole call, retries and back-off included.
    A plain number ``t`` means ``Timeout(t, t, t, t)`` with no total, as in BentoML.
    """

    __slots__ = ("connect", "pool", "read", "total", "write")

    def __init__(
        self,
        connect: Optional[float] = 30.0,
        read: Optional[float] = 30.0,
        write: Optional[float] = 30.0,
        pool: Optional[float] = 30.0,
        total: Optional[float] = None,
    ) -> None:
        self.connect = _seconds("Timeout.connect", connect)
        self.read = _seconds("Timeout.read", read)
        self.write = _seconds("Timeout.write", write)
        self.pool = _seconds("Timeout.pool", pool)
        self.total = _seconds("Timeout.total", total)

    def _key(self) -> tuple[Optional[float], ...]:
        return (self.connect, self.read, self.write, self.pool, self.total)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        c, r, w, p, t = self._key()
        return f"Timeout(connect={c}, read={r}, write={w}, pool={p}, total={t})"

    def clipped(self, remaining: float) -> Timeout:
        """These limits, none longer than ``remaining`` seconds (what is left of ``total``)."""

        def clip(value: Optional[float]) -> float:
            return remaining if value is None else min(value, remaining)

        return Timeout(clip(self.connect), clip(self.read), clip(self.write), clip(self.pool), None)

    @classmethod
    def of(cls, value: TimeoutTypes) -> Timeout:
        """A client's ``timeout=`` option as limits: a number, a :class:`Timeout` or None.

        ``0`` means no limit, like ``None``.  BentoML's client accepts ``timeout=0`` and hands
        it to httpx as a zero-second limit, with which no request can succeed (every connect
        fails at once, and the readiness wait derived from it gives up before its first
        probe); no limit is what such a setting can sensibly ask for (as in curl and gunicorn).
        """
        if isinstance(value, Timeout):
            return value
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0):
            return cls(None, None, None, None)
        seconds = _seconds("timeout", value)
        seconds = None if seconds is None else float(seconds)
        return cls(seconds, seconds, seconds, seconds)


def _seconds(name: str, value: Any) -> Optional[float]:
    """A positive, finite number of seconds; infinity means no limit (None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:  # NaN fails `> 0`
        raise ConfigurationError(f"{name} must be a positive number of seconds (or None for no limit), got {value!r}")
    return None if value == float("inf") else value


TimeoutTypes = Union[float, int, Timeout, None]


class Request(NamedTuple):
    """One HTTP request as the protocol layer describes it, for any transport to send.

    ``target`` is the path (and query) relative to the service's base URL.  ``content`` is
    the whole body as bytes, or an iterable of byte chunks; a transport sends a body again
    (to retry a stale connection) only when it is bytes or says ``replayable = True``
    (iterating it again then produces the same bytes).  When
    ``content_length`` is None and the content is not bytes the body is sent chunked.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    content: Union[bytes, Iterable[bytes]] = b""
    content_length: Optional[int] = None
    endpoint: str = ""

    @property
    def body_length(self) -> Optional[int]:
        if isinstance(self.content, (bytes, bytearray)):
            return len(self.content)
        return self.content_length


class ResponseData:
    """A fully read response: what the protocol layer decodes."""

    def __init__(self, status_code: int, headers: Headers, content: bytes = b"", attempts: int = 1) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.attempts = attempts

    @property
    def text(self) -> str:
        try:
            return self.content.decode(_charset(self.headers) or "utf-8", errors="replace")
        except (LookupError, UnicodeError):  # a charset name the server got wrong
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError) as exc:
            raise ResponseDecodeError(f"response body is not valid JSON: {exc}", body=self.content) from None


def _charset(headers: Mapping[str, str]) -> Optional[str]:
    ctype = headers.get("content-type", "")
    for param in ctype.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return None
