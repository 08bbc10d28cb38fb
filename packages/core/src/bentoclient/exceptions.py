"""The one exception tree of bentoclient.

Every error the client raises derives from :class:`BentoClientError`.  The names that
BentoML's own client raises (``BentoMLException``, ``InvalidArgument``, ``NotFound``,
``UnprocessableEntity``, ``ServiceUnavailable``) exist here with the same meaning and the
same ``.message`` / ``.error_code`` attributes, so ``except`` clauses written for BentoML
keep working after switching the import.

Errors that describe a mistake in the caller's input also derive from the built-in class
BentoML raised for it (``TypeError`` for bad arguments, ``ValueError`` for bad
configuration), so existing handlers for those keep catching them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Optional, Union

from ._headers import Headers

__all__ = [
    "ArgumentError",
    "BadGateway",
    "BentoClientError",
    "BentoMLException",
    "ClientClosedError",
    "ClientNotSetUpError",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeout",
    "EndpointNotFound",
    "EventLoopError",
    "Forbidden",
    "GatewayTimeout",
    "HTTPStatusError",
    "InternalServerError",
    "InvalidArgument",
    "InvalidURL",
    "MissingDependencyError",
    "MissingDependencyWarning",
    "NotATaskEndpoint",
    "NotFound",
    "PayloadTooLarge",
    "PoolTimeout",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "ResponseDecodeError",
    "SchemaError",
    "StreamItemTooLarge",
    "StreamTruncated",
    "ServerNotReady",
    "ServiceUnavailable",
    "TLSError",
    "TimeoutException",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "WriteError",
    "WriteTimeout",
    "status_error_class",
]

ErrorCode = Union[HTTPStatus, int]


def _as_status(code: int) -> ErrorCode:
    """``HTTPStatus(code)`` when the code is a standard one, else the plain int (520 stays 520)."""
    try:
        return HTTPStatus(code)
    except ValueError:
        return code


def _restore(cls: type[BentoClientError], args: tuple[Any, ...], state: dict[str, Any]) -> BentoClientError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class BentoClientError(Exception):
    """Base of every error raised by bentoclient.

    ``message`` is the human-readable text (for HTTP errors: the raw response body, as in
    BentoML); ``error_code`` is an :class:`http.HTTPStatus` (or a plain ``int`` for
    non-standard codes), 500 unless a subclass or the raiser says otherwise.
    """

    error_code: ErrorCode = HTTPStatus.INTERNAL_SERVER_ERROR
    #: How many times the request was sent before this error (retries + 1).
    attempts: int = 1

    def __init__(self, message: str = "", *, error_code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = _as_status(error_code)

    def __str__(self) -> str:
        return self.message

    # Keyword-only constructor arguments would be lost by the default pickling of
    # exceptions (which calls ``cls(*args)``); restore the whole state instead.
    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


#: BentoML's base exception name; the same class as :class:`BentoClientError`.
BentoMLException = BentoClientError


# --- mistakes in the caller's input -------------------------------------------------


class ConfigurationError(BentoClientError, ValueError):
    """A client option is invalid (bad URL, timeout, token or header value)."""

    error_code = HTTPStatus.BAD_REQUEST


class InvalidURL(ConfigurationError):
    """The service URL cannot be used."""


class ArgumentError(BentoClientError, TypeError):
    """The arguments of an endpoint call do not fit the endpoint's schema.

    Raised before anything is sent.  ``endpoint`` and ``argument`` name what was wrong.
    """

    error_code = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, *, endpoint: str = "", argument: Optional[str] = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.argument = argument


class MissingDependencyError(BentoClientError, ImportError):
    """An optional part of bentoclient (or an optional library) is not installed."""

    def __init__(self, message: str, *, package: str = "") -> None:
        super().__init__(message)
        self.package = package


class MissingDependencyWarning(BentoClientError, UserWarning):
    """A warning: a result is a plain value because the library that gives its usual type is missing.

    A ``tensor`` output is a numpy array, a ``dataframe`` output a pandas DataFrame and an
    image output a PIL image.  Without numpy, pandas or Pillow in the client's environment the
    value is the nested lists, the records or columns, or the saved file's ``Path``, and this
    warning names what to install.  To take plain values on purpose, ignore it:
    ``warnings.filterwarnings("ignore", category=MissingDependencyWarning)``.  In the tree
    too, so where warnings are turned into errors ``except BentoClientError`` catches it.
    """

    def __init__(self, message: str, *, package: str = "") -> None:
        super().__init__(message)
        self.package = package


class ClientClosedError(BentoClientError, RuntimeError):
    """The client was used after ``close()``."""


class EventLoopError(BentoClientError, RuntimeError):
    """An ``AsyncHTTPClient`` used from another event loop than the one it first ran on (for
    example across two ``asyncio.run()`` calls): its connections belong to that loop."""


class ClientNotSetUpError(BentoClientError, RuntimeError):
    """An async client was used before ``async with client`` (or ``await client.setup()``)."""


class SchemaError(BentoClientError):
    """The service's ``/schema.json`` could not be fetched or understood."""


class ResponseDecodeError(BentoClientError, ValueError):
    """A response body does not match what its Content-Type or the schema promised.

    A ``ValueError``, as the ``json.JSONDecodeError`` / ``UnicodeDecodeError`` BentoML's
    client (and httpx's ``Response.json()``) lets through for the same bodies.
    """

    def __init__(self, message: str, *, endpoint: str = "", body: bytes = b"") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.body = body


class StreamItemTooLarge(ResponseDecodeError):
    """One item of a stream grew past the decoder's bound (``limit``, in characters) before
    it ended: the stream is stopped rather than buffering without end."""

    def __init__(self, message: str, *, endpoint: str = "", limit: int = 0) -> None:
        super().__init__(message, endpoint=endpoint)
        self.limit = limit


# --- transport ------------------------------------------------------------------------


class TransportError(BentoClientError):
    """The request did not complete at the connection level (no usable HTTP response).

    ``request_sent`` tells whether any byte of the request may have reached the server;
    when it is False, retrying cannot run the call twice.  ``stale_connection`` tells that
    the request went out on a kept-alive connection reused from the pool and the server
    closed it before any byte of a response (it had most likely dropped the idle
    connection): the retry policy sends it once more at once on a fresh one when nothing was
    written, or when the request is idempotent or marked replayable (Go's ``net/http`` rule),
    and counts that as an attempt.  Transports set both; the retry plan reads them.
    """

    error_code = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(
        self, message: str, *, url: str = "", request_sent: bool = True, stale_connection: bool = False
    ) -> None:
        super().__init__(message)
        self.url = url
        self.request_sent = request_sent
        self.stale_connection = stale_connection
        self.attempts = 1


class ConnectError(TransportError):
    """The connection could not be opened (refused, unreachable, DNS, TLS handshake)."""


class TLSError(ConnectError):
    """The TLS handshake failed (certificate not trusted, wrong host name): a configuration
    problem, so it is neither retried nor waited out."""


class ProxyError(ConnectError):
    """The proxy refused the request or could not be reached; nothing reached the service.

    ``proxy`` is the proxy's URL without its password.  ``status_code`` is what the proxy
    answered (407: it wants credentials, or other ones; 403: it does not allow the service;
    502 and the like: it could not reach the service), or None when the proxy itself could
    not be reached.  A 403 or 407 is a configuration problem: it is neither retried nor
    waited out.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        proxy: str = "",
        status_code: Optional[int] = None,
        request_sent: bool = False,
        stale_connection: bool = False,
    ) -> None:
        super().__init__(message, url=url, request_sent=request_sent, stale_connection=stale_connection)
        self.proxy = proxy
        self.status_code = status_code
        if status_code is not None:
            try:
                self.error_code = HTTPStatus(status_code)  # the proxy's answer (407, 403, 502 ...)
            except ValueError:
                pass  # a non-standard code: keep 503

    @property
    def refused(self) -> bool:
        """Whether the proxy refused (403, 407): the same request would be refused again."""
        return self.status_code in (403, 407)


class ReadError(TransportError):
    """The connection broke while the response was being read."""


class WriteError(TransportError):
    """The connection broke while the request was being sent."""


class RemoteProtocolError(TransportError):
    """The server broke the HTTP protocol (closed early, malformed or oversized headers)."""


class StreamTruncated(ReadError):
    """A streamed response ended before its framing said it was complete (a value cut off,
    or the connection closed mid-stream) instead of finishing quietly with partial data."""


class TimeoutException(TransportError):
    """A time limit ran out."""

    error_code = HTTPStatus.GATEWAY_TIMEOUT


class ConnectTimeout(TimeoutException):
    """Opening the connection took longer than the connect timeout."""


class ReadTimeout(TimeoutException):
    """The server sent nothing for longer than the read timeout."""


class WriteTimeout(TimeoutException):
    """Sending the request took longer than the write timeout."""


class PoolTimeout(TimeoutException):
    """No pooled connection became free in time."""


# --- HTTP status errors ---------------------------------------------------------------


class HTTPStatusError(BentoClientError):
    """The server answered with an error status (>= 400).

    ``message`` is the raw body text (as in BentoML).  ``error`` and ``detail`` are parsed
    from BentoML's two error body forms, ``{"error": ..., "detail": ...}`` and
    ``[{"error": ...}]``.  ``status_code``, ``headers`` (a case-insensitive
    :class:`~bentoclient.Headers`: ``err.headers["retry-after"]``) and ``body`` keep the
    response; ``endpoint`` names the called endpoint (or the request path).
    """

    def __init__(
        self,
        message: str = "",
        *,
        error_code: Optional[int] = None,
        status_code: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: bytes = b"",
        endpoint: str = "",
        attempts: int = 1,
    ) -> None:
        code = status_code if status_code is not None else error_code
        # Explicit base call: subclasses mix this class with TransportError/ArgumentError,
        # whose constructors take other keywords.
        BentoClientError.__init__(self, message, error_code=code)
        self.status_code: int = int(self.error_code)
        self.headers: Headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self.endpoint = endpoint
        self.attempts = attempts
        self.error, self.detail = _parse_error_body(body or message.encode("utf-8", "replace"))

    @property
    def retry_after(self) -> Optional[float]:
        """The server's ``Retry-After`` in seconds (429/503), when it sent one (a date: from now)."""
        import time

        from ._retry_after import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"), now=time.time())

    @property
    def request_id(self) -> Optional[str]:
        """BentoML's ``x-bentoml-request-id`` response header, when the server sent one."""
        return self.headers.get("x-bentoml-request-id")

    #: The request that got this answer when it is not an endpoint call (``GET <url>/schema.json``).
    target = ""

    def __str__(self) -> str:
        where = f" from endpoint '{self.endpoint}'" if self.endpoint else f" from {self.target}" if self.target else ""
        reason = self.error if self.error is not None else self.message
        return f"HTTP {self.status_code}{where}: {reason}{_detail_text(self.detail)}"


#: How many of pydantic's validation details ``str()`` of an HTTP error lists.
_DETAILS_SHOWN = 5


def _detail_text(detail: Any) -> str:
    """pydantic's validation details as ``; text: Input should be a valid string [type=string_type]``.

    The ``[type=...]`` code is pydantic's own notation: code written for BentoML's client,
    whose ``str(e)`` is the raw body, checks for it (``"int_parsing" in str(e)``).
    """
    if not isinstance(detail, list):
        return ""
    parts = []
    items = [item for item in detail if isinstance(item, dict) and "msg" in item]
    for item in items[:_DETAILS_SHOWN]:
        where = item.get("loc")
        where = where if isinstance(where, (list, tuple)) else () if where is None else (where,)
        loc = ".".join(str(x) for x in where if x != "body")
        text = f"{loc}: {item['msg']}" if loc else str(item["msg"])
        kind = item.get("type")
        parts.append(f"{text} [type={kind}]" if isinstance(kind, str) and kind else text)
    if len(items) > _DETAILS_SHOWN:
        parts.append(f"and {len(items) - _DETAILS_SHOWN} more (all in .detail)")
    return "; " + "; ".join(parts) if parts else ""


def _parse_error_body(body: bytes) -> tuple[Optional[str], Any]:
    """Return ``(error, detail)`` from either BentoML error body form, else ``(None, None)``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict) and "error" in data:
        error = data["error"]
        return (error if isinstance(error, str) else json.dumps(error)), data.get("detail")
    return None, None


class InvalidArgument(HTTPStatusError):
    """400: the server rejected the input (validation error or ``InvalidArgument``)."""

    error_code = HTTPStatus.BAD_REQUEST


#: Where a client's token comes from, said by every authentication error.
TOKEN_HINT = (
    'pass the service\'s API token as token="..." to the client (or --token on the command line), or set '
    "the BENTO_CLOUD_API_KEY environment variable, which is read when token= is not given"
)


class _AuthError(HTTPStatusError):
    """An authentication error: its message says how to give the token."""

    hint = ""

    def __str__(self) -> str:
        return f"{super().__str__()}; {self.hint}"


class Unauthorized(_AuthError):
    """401: missing or wrong token."""

    error_code = HTTPStatus.UNAUTHORIZED
    hint = f"the service wants a valid token: {TOKEN_HINT}"


class Forbidden(_AuthError):
    """403: the token is not allowed to call this endpoint."""

    error_code = HTTPStatus.FORBIDDEN
    hint = f"the service refused the token sent (or its permissions do not allow this): check it; {TOKEN_HINT}"


class NotFound(HTTPStatusError):
    """404: no such route (or, raised by ``call()``, no such endpoint in the schema)."""

    error_code = HTTPStatus.NOT_FOUND


class PayloadTooLarge(HTTPStatusError):
    """413: the request body is larger than the server accepts."""

    error_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaType(HTTPStatusError):
    """415: the server does not accept the request's Content-Type."""

    error_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class UnprocessableEntity(HTTPStatusError):
    """422: the server understood the request but could not process it."""

    error_code = HTTPStatus.UNPROCESSABLE_ENTITY


class TooManyRequests(HTTPStatusError):
    """429: the server's concurrency limit was reached; ``retry_after`` is in seconds."""

    error_code = HTTPStatus.TOO_MANY_REQUESTS


class InternalServerError(HTTPStatusError):
    """500: the service raised an unexpected error; see the server log."""


class BadGateway(HTTPStatusError):
    """502: a proxy in front of the service got no valid answer."""

    error_code = HTTPStatus.BAD_GATEWAY


class ServiceUnavailable(HTTPStatusError):
    """503: the service is overloaded, starting or not ready."""

    error_code = HTTPStatus.SERVICE_UNAVAILABLE


class GatewayTimeout(HTTPStatusError):
    """504: the server gave up on the request after its own time limit."""

    error_code = HTTPStatus.GATEWAY_TIMEOUT


class EndpointNotFound(NotFound, ArgumentError):
    """``call()`` was given a name that the service's schema does not list.

    A :class:`NotFound`, as BentoML's client raises for it, and an :class:`ArgumentError`, as
    every mistake in a call found before anything is sent (its ``status_code`` is 404, but no
    request was made).
    """

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        HTTPStatusError.__init__(self, message, status_code=404, endpoint=endpoint)
        self.argument = None

    def __str__(self) -> str:  # raised before any request: no HTTP status to show
        return self.message


class NotATaskEndpoint(ArgumentError, AttributeError):
    """A task function (``submit``, ``get_status``, ...) asked of an endpoint that is not a
    ``@bentoml.task``.  Also an ``AttributeError``, so ``hasattr()`` answers False."""


class ServerNotReady(ServiceUnavailable):
    """The server did not report ready (``GET /readyz`` == 200) within the wait, or the URL is
    not a BentoML service's root.

    A :class:`ServiceUnavailable`, as BentoML's client raises for it; not a
    :class:`TransportError` nor a :class:`TimeoutException`: the wait as a whole failed, not
    one connection or one time limit, so a handler for those is not run for it.  The message
    names the last answer or connection error; ``url`` is the service URL, ``last_status``
    the last status ``/readyz`` answered (None when nothing answered).
    """

    def __init__(self, message: str, *, url: str = "", status_code: Optional[int] = None) -> None:
        super().__init__(message, status_code=503, endpoint="/readyz")
        self.url = url
        self.last_status = status_code

    def __str__(self) -> str:
        return self.message


_STATUS_CLASSES: dict[int, type[HTTPStatusError]] = {
    400: InvalidArgument,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: UnprocessableEntity,
    429: TooManyRequests,
    500: InternalServerError,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def status_error_class(status_code: int) -> type[HTTPStatusError]:
    """The exception class for an HTTP error status; :class:`HTTPStatusError` for others."""
    return _STATUS_CLASSES.get(status_code, HTTPStatusError)
