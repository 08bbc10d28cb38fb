"""The retry policy and its decisions (pure): what may be sent again, and after how long.

The rule: a call is sent again by default only when the failure proves that the service's
code did not run it.  Everything else (a 500, a 503 the service raised, a read timeout, a
reset after the request went out) is retried only when the caller asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Optional

from ._backoff import Backoff, RandomSource
from ._retry_after import parse_retry_after
from .exceptions import BentoClientError, ProxyError, TimeoutException, TLSError, TransportError

__all__ = ["NO_RETRY", "Retry", "parse_retry_after", "ran_service_code"]

#: Methods a server may receive twice without a different outcome (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"))
#: BentoML sets this header on every answer of a request it dispatched to the service's code;
#: its own pre-dispatch rejections (``traffic={"max_concurrency": N}`` reached: 429
#: ``{"error":"Too many requests"}``) do not carry it.
DISPATCHED_HEADER = "x-bentoml-request-id"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def ran_service_code(headers: Mapping[str, str]) -> bool:
    """Whether an error answer came from the service's code (so the call ran), per BentoML's header."""
    return DISPATCHED_HEADER in headers or any(key.lower() == DISPATCHED_HEADER for key in headers)


def replayable_request(method: str, headers: Mapping[str, str]) -> bool:
    """Go's rule: a request that reached the server may go again when its method is idempotent
    or it carries an ``Idempotency-Key`` (the caller marked it safe to repeat)."""
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    return any(key.lower() in ("idempotency-key", "x-idempotency-key") for key in headers)


class Retry(NamedTuple):
    """When a failed request is sent again.  Immutable; change it with ``._replace(...)``.

    By default a request is sent again only when the service's code cannot have run it:

    - **nothing was sent**: connection refused or unreachable, connect timeout, no free pooled
      connection, a kept-alive connection found closed before the request went out
      (``TransportError.request_sent`` is False);
    - **a status in ``statuses`` (429, 503) that the server answered before dispatching the
      call**: BentoML's own overload rejection, a proxy or gateway turning the request away.
      BentoML marks every answer of a dispatched call with ``x-bentoml-request-id``; an
      answer carrying it is the service's own (a ``ServiceUnavailable`` raised after doing
      work) and is not retried.  After ``Retry-After`` when the server sends one (seconds or an
      HTTP date), else after the back-off;
    - **a request that reached the server but got no answer**, only when its method is
      idempotent (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or it carries an
      ``Idempotency-Key`` header, and the failure was not a timeout (a read timeout is no
      proof that the server is not working on it).  This covers a kept-alive connection the
      server closed as the request went out (Go's ``net/http`` rule).  Endpoint calls are
      POSTs: not resent.

    Never retried: TLS failures and a proxy's refusal (403, 407), which the same request
    would meet again.

    Opt-in, because the call may have run already: ``retry_sent_requests=True`` also resends
    requests that reached the server (read timeouts, resets, broken answers, stale
    connections) whatever their method; ``extra_statuses`` adds statuses retried even when
    the service's code answered them (e.g. ``{500, 503}``).

    Every resend counts: ``total`` is the number of retries (so ``total + 1`` attempts at
    most) and ``NO_RETRY`` sends once.  A ``Retry-After`` longer than ``max_retry_after``
    seconds is not waited for: the error is raised with ``.retry_after`` set.
    ``Timeout(total=...)`` bounds everything, back-off included.
    """

    total: int = 2
    backoff: Backoff = Backoff(initial=0.2, factor=2.0, maximum=8.0, jitter=0.2)
    statuses: frozenset[int] = frozenset((429, 503))
    extra_statuses: frozenset[int] = frozenset()
    retry_sent_requests: bool = False
    max_retry_after: float = 60.0

    def may_resend(self, error: BentoClientError, method: str, headers: Mapping[str, str] = _NO_HEADERS) -> bool:
        """Whether the policy allows sending again after ``error`` (the budget aside)."""
        if not isinstance(error, TransportError) or isinstance(error, TLSError):
            return False
        if isinstance(error, ProxyError) and error.refused:  # 403/407: the proxy would refuse again
            return False
        if not error.request_sent or self.retry_sent_requests:
            return True
        if isinstance(error, TimeoutException):  # the server may still be working on it
            return False
        return replayable_request(method, headers)

    def delay_after_error(
        self,
        retries_done: int,
        error: BentoClientError,
        method: str,
        rng: Optional[RandomSource] = None,
        *,
        headers: Mapping[str, str] = _NO_HEADERS,
    ) -> Optional[float]:
        """Seconds to wait before sending again after a transport error, or None to give up."""
        if retries_done >= self.total or not self.may_resend(error, method, headers):
            return None
        if isinstance(error, TransportError) and error.stale_connection and retries_done == 0:
            return 0.0  # a connection the server dropped while idle: a fresh one at once
        return self.backoff.delay(retries_done, rng)

    def may_retry_status(self, status: int, headers: Mapping[str, str], method: str = "POST") -> bool:
        """Whether the policy allows sending again after an error status (the budget aside)."""
        if status in self.extra_statuses:
            return True
        if status not in self.statuses:
            return False
        return not ran_service_code(headers) or method.upper() in IDEMPOTENT_METHODS

    def delay_after_status(
        self,
        retries_done: int,
        status: int,
        headers: Mapping[str, str],
        *,
        now: float,
        method: str = "POST",
        rng: Optional[RandomSource] = None,
    ) -> Optional[float]:
        """Seconds to wait before sending again after an error status, or None to give up.

        ``now`` is the wall-clock time (``time.time()``), for a ``Retry-After`` HTTP date.
        """
        if retries_done >= self.total or not self.may_retry_status(status, headers, method):
            return None
        wait = parse_retry_after(headers.get("retry-after"), now=now)
        if wait is None:
            return self.backoff.delay(retries_done, rng)
        if wait > self.max_retry_after:
            return None
        return wait


#: A policy that never retries: every call is sent once.
NO_RETRY = Retry(total=0)
