"""Client-agnostic rules both clients share (pure): auth, readiness, redirects."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional
from urllib.parse import urljoin, urlsplit

from ._backoff import Backoff, RandomSource
from ._models import Request, Timeout, TimeoutTypes, check_header_value
from ._retry import Retry
from ._schema import ServiceSchema
from ._url import ServiceAddress
from ._version import __version__
from .exceptions import ConfigurationError, RemoteProtocolError, TimeoutException, TransportError

__all__ = [
    "MAX_REDIRECTS",
    "READY_BACKOFF",
    "REDIRECT_STATUSES",
    "RequestPlan",
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
    """``token``, else ``$BENTO_CLOUD_API_KEY``; an empty string turns authentication off.

    A token HTTP cannot carry is refused naming where it came from (``token=`` or the
    environment variable), never echoing it.
    """
    source = "token="
    if token is None:
        token = os.environ.get("BENTO_CLOUD_API_KEY")
        source = "the BENTO_CLOUD_API_KEY environment variable (read because token= is not given)"
    if token is not None and not isinstance(token, str):
        raise ConfigurationError(f"token must be a string or None, got {type(token).__name__}")
    if not token:
        return None
    if any(ch in token for ch in "\r\n\0"):
        raise ConfigurationError(
            f"the token in {source} contains a line break or NUL character (a trailing newline from a file "
            "or `echo` counts), which an Authorization header cannot carry; remove it (e.g. .strip() it)"
        )
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigurationError(
            f"the token in {source} has characters an Authorization header cannot carry (only Latin-1); "
            "check that it is the API token itself"
        ) from None
    check_header_value("Authorization", token, secret=True)
    return token


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
    current = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}{request.target}"
    try:
        parts = urlsplit(urljoin(current, location))
        target_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RemoteProtocolError(
            f"{address.url}{request.target} redirected to a malformed location {location[:200]!r}; bentoclient "
            "follows redirects only on the service's own host, never to another host",
            url=address.url,
        ) from None
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


class RequestPlan:
    """The life of one logical request, without I/O, without a clock and without its own
    randomness: attempts, redirects, retries (the stale-connection resend among them) and the
    total deadline.

    Every decision takes the current ``time.monotonic()`` as ``now`` (and, for a
    ``Retry-After`` HTTP date, ``time.time()`` as ``wall``); the jitter comes from ``rng``.
    Tests drive it with made-up times and a seeded ``random.Random``.  The one driver
    (``bentoclient._async.client``, and the sync code generated from it) runs it like this::

        plan = RequestPlan(address, request, timeout, retry, now=monotonic(), rng=shared_random())
        while True:
            try:
                response = send(plan.request, plan.attempt_timeout(monotonic()), plan.deadline)
            except TransportError as err:
                sleep(plan.after_error(err, monotonic()))  # re-raises when it may not be retried
                continue
            delay = plan.after_response(response.status_code, response.headers, monotonic(), wall=time())
            if delay is None:
                return response  # final: success or an error status to raise
            drain(response)
            sleep(delay)  # 0 after a redirect (plan.request changed)
    """

    def __init__(
        self,
        address: ServiceAddress,
        request: Request,
        timeout: Timeout,
        retry: Retry,
        *,
        now: float,
        rng: Optional[RandomSource] = None,
    ) -> None:
        self.address = address
        self.request = request
        self.timeout = timeout
        self.retry = retry
        self.retries = 0
        self.redirects = 0
        self.deadline = None if timeout.total is None else now + timeout.total
        self._rng = rng

    @property
    def attempts(self) -> int:
        """Requests sent so far for this call (redirects aside): every resend counts."""
        return self.retries + 1

    def attempt_timeout(self, now: float) -> Timeout:
        """The limits for the next attempt: what is left of the total, at most."""
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - now
        if remaining <= 0:
            raise self.total_timeout_error(self.attempts - 1)
        return self.timeout.clipped(remaining)

    def total_timeout_error(self, attempts: int, kind: type[TimeoutException] = TimeoutException) -> TimeoutException:
        """The error (of class ``kind``) for a total timeout that ran out after ``attempts`` attempts."""
        err = kind(
            f"the total timeout of {self.timeout.total:g} s for {self.address.url}{self.request.target} "
            f"ran out after {attempts} attempt(s); allow more with Timeout(total=...), or None for no total",
            url=self.address.url,
        )
        err.attempts = attempts
        return err

    def _fits(self, delay: float, now: float) -> bool:
        return self.deadline is None or now + delay < self.deadline

    def _request_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.request.headers}

    def after_error(self, error: TransportError, now: float) -> float:
        """The delay before trying again; re-raises ``error`` (with ``attempts``) when final.

        One rule for every transport error, the stale kept-alive connection included
        (``error.stale_connection``, bentoml/BentoML#4971): it goes through the retry policy
        and counts as an attempt.  Nothing sent: sent again (at once, for a stale
        connection).  Sent: only an idempotent or ``Idempotency-Key`` request, or with
        ``retry_sent_requests=True``, and only when its body can be produced again.
        """
        if isinstance(error, TimeoutException) and self.deadline is not None and now >= self.deadline - 0.001:
            # The attempt's limit was what was left of the total: say that, not "read timeout 0.99998 s".
            raise self.total_timeout_error(self.attempts, type(error)) from error
        delay = self.retry.delay_after_error(
            self.retries, error, self.request.method, self._rng, headers=self._request_headers()
        )
        if delay is None or (error.request_sent and not self._replayable()) or not self._fits(delay, now):
            error.attempts = self.attempts
            raise error
        self.retries += 1
        return delay

    def after_response(self, status: int, headers: Mapping[str, str], now: float, *, wall: float) -> Optional[float]:
        """None when the response is final; else the delay before the next attempt.

        ``now`` is ``time.monotonic()``, ``wall`` is ``time.time()`` (for a ``Retry-After``
        HTTP date).
        """
        location = headers.get("location")
        if status in REDIRECT_STATUSES and not location:
            raise RemoteProtocolError(
                f"{self.address.url}{self.request.target} answered {status} (a redirect) without a Location header, "
                "so there is nowhere to follow it; check the service or the proxy in front of it",
                url=self.address.url,
            )
        if status in REDIRECT_STATUSES and location:
            self.redirects += 1
            if self.redirects > MAX_REDIRECTS:
                raise RemoteProtocolError(
                    f"more than {MAX_REDIRECTS} redirects from {self.address.url}", url=self.address.url
                )
            self.request = redirect_request(self.address, self.request, status, location)
            return 0.0
        if status < 400:
            return None
        delay = self.retry.delay_after_status(
            self.retries,
            status,
            headers,
            now=wall,
            method=self.request.method,
            rng=self._rng,
        )
        if delay is None or not self._fits(delay, now):
            return None
        self.retries += 1
        return delay

    def _replayable(self) -> bool:
        # A body streamed from a caller's non-seekable file cannot be produced twice.
        content = self.request.content
        return isinstance(content, (bytes, bytearray)) or bool(getattr(content, "replayable", False))
