"""The readiness wait as a pure plan: probe limits, back-off, the path-prefix check, the error."""

from __future__ import annotations

from typing import Optional

from ._backoff import RandomSource
from ._models import Timeout
from ._protocol import READY_BACKOFF
from .exceptions import (
    BentoClientError,
    ClientClosedError,
    ConfigurationError,
    ProxyError,
    ServerNotReady,
    TLSError,
    status_error_class,
)

__all__ = ["ReadyWait"]


class ReadyWait:
    """One wait for ``GET /readyz`` to answer 200, without I/O and without a clock.

    The driver runs it like this (``now`` is ``time.monotonic()``)::

        wait = ReadyWait(seconds, client_timeout, url=..., now=now)
        while (limits := wait.next_probe(now)) is not None:
            try:
                response = get(readyz_path, limits)
            except BentoClientError as exc:
                wait.no_answer(exc)  # re-raises what waiting cannot fix
            else:
                step = wait.answered(response.status_code, response.text)
                if step == READY: return
                if step == CHECK_PREFIX:
                    if prefix found under /schema.json: continue (probe the new path at once)
                    raise wait.not_a_service(readyz_path)
            sleep(wait.pause(now))
        raise wait.error(readyz_path)
    """

    READY = "ready"
    CHECK_PREFIX = "check-prefix"
    RETRY = "retry"

    def __init__(
        self, seconds: float, limits: Timeout, *, url: str, now: float, rng: Optional[RandomSource] = None
    ) -> None:
        self.seconds = seconds
        self.url = url
        self.deadline = now + seconds
        self._limits = limits
        self._delays = READY_BACKOFF.delays(rng)  # jitter from the source passed in
        self._last = "no answer"
        self._last_status: Optional[int] = None
        self._prefix_checked = False

    def next_probe(self, now: float) -> Optional[Timeout]:
        """The limits for the next probe, or None when the time is up."""
        remaining = self.deadline - now
        return None if remaining <= 0 else self._limits.clipped(remaining)

    def no_answer(self, error: BentoClientError) -> None:
        """Note a probe that got no HTTP answer; re-raise errors that waiting cannot fix."""
        if isinstance(error, (ClientClosedError, ConfigurationError, TLSError)):
            raise error
        if isinstance(error, ProxyError) and error.refused:
            raise error
        self._last, self._last_status = str(error), None

    def answered(self, status_code: int, text: str) -> str:
        """What to do after an HTTP answer: READY, CHECK_PREFIX (a first 404) or RETRY."""
        if status_code == 200:
            return self.READY
        if status_code in (401, 403):  # waiting cannot fix the token: say how to give it, at once
            error = status_error_class(status_code)(text, status_code=status_code, body=text.encode("utf-8", "replace"))
            error.target = f"GET {self.url}/readyz"
            raise error
        self._last_status = status_code
        self._last = f"HTTP {status_code} {text.strip()[:200]}"
        if status_code == 404 and not self._prefix_checked:
            self._prefix_checked = True
            return self.CHECK_PREFIX
        return self.RETRY

    def pause(self, now: float) -> float:
        """How long to sleep before the next probe (never past the deadline)."""
        return max(0.0, min(next(self._delays), self.deadline - now))

    def not_a_service(self, readyz_path: str) -> ServerNotReady:
        """A 404 on ``/readyz`` with no path prefix to try: waiting longer cannot help."""
        return ServerNotReady(
            f"{self.url}{readyz_path} answered 404 and {self.url}/schema.json names no other path: this URL is "
            "not the root of a BentoML service. Use the service's base URL, without an endpoint path "
            "(e.g. 'http://127.0.0.1:3000', not 'http://127.0.0.1:3000/classify')",
            url=self.url,
            status_code=404,
        )

    def error(self, readyz_path: str) -> ServerNotReady:
        return ServerNotReady(
            f"{self.url}{readyz_path} did not answer 200 within {self.seconds:g} seconds "
            f"(last: {self._last}); check that the service is running at this URL, or wait longer with "
            "server_ready_timeout=",
            url=self.url,
            status_code=self._last_status,
        )
