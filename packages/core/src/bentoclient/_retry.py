"""The retry policy and its decisions (pure): what may be sent again, and after how long."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Optional

from ._backoff import Backoff
from ._retry_after import parse_retry_after
from .exceptions import BentoClientError, ProxyError, TLSError, TransportError

__all__ = ["NO_RETRY", "Retry", "parse_retry_after"]

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"))


class Retry(NamedTuple):
    """When a failed request is sent again.  Immutable; change it with ``._replace(...)``.

    Retried by default, because the server cannot have run the call:

    - connection failures before the request was sent (refused, connect timeout, no free
      pooled connection); a kept-alive connection the server closed before answering is
      retried by the transport itself;
    - ``statuses`` (429 and 503: the server turned the request away), after ``Retry-After``
      when the server sends one (seconds or an HTTP date), else after the back-off.

    Never retried: TLS failures and a proxy's refusal (403, 407), which the same request
    would meet again.

    Opt-in, because the call may have run already: ``retry_sent_requests=True`` also retries
    read timeouts and broken responses of non-idempotent (POST) calls, and
    ``extra_statuses`` adds statuses such as 500/502/504.  Idempotent methods (GET, HEAD,
    PUT, DELETE, ...) retry those read failures anyway.

    ``total`` is the number of retries (so ``total + 1`` attempts at most).  A
    ``Retry-After`` longer than ``max_retry_after`` seconds is not waited for: the error is
    raised with ``.retry_after`` set.  ``Timeout(total=...)`` bounds everything, back-off
    included.
    """

    total: int = 2
    backoff: Backoff = Backoff(initial=0.2, factor=2.0, maximum=8.0, jitter=0.2)
    statuses: frozenset[int] = frozenset((429, 503))
    extra_statuses: frozenset[int] = frozenset()
    retry_sent_requests: bool = False
    max_retry_after: float = 60.0

    def delay_after_error(self, retries_done: int, error: BentoClientError, method: str) -> Optional[float]:
        """Seconds to wait before sending again after a transport error, or None to give up."""
        if retries_done >= self.total or not isinstance(error, TransportError) or isinstance(error, TLSError):
            return None
        if isinstance(error, ProxyError) and error.refused:  # 403/407: the proxy would refuse again
            return None
        if error.request_sent and not (self.retry_sent_requests or method.upper() in IDEMPOTENT_METHODS):
            return None
        return self.backoff.delay(retries_done)

    def delay_after_status(
        self, retries_done: int, status: int, headers: Mapping[str, str], *, now: Optional[float] = None
    ) -> Optional[float]:
        """Seconds to wait before sending again after an error status, or None to give up."""
        if retries_done >= self.total or (status not in self.statuses and status not in self.extra_statuses):
            return None
        wait = parse_retry_after(headers.get("retry-after"), now=now)
        if wait is None:
            return self.backoff.delay(retries_done)
        if wait > self.max_retry_after:
            return None
        return wait


#: A policy that never retries.
NO_RETRY = Retry(total=0)
