"""What a client tells the outside about its requests: logging, tracing, and event hooks.

- **Logging**: the ``bentoclient`` logger (stdlib ``logging``) gets each request and response at
  DEBUG, and retries with their back-off at INFO; never a header value (so never the token or
  proxy credentials) and never a body.  The library installs no handler and prints nothing.
- **Tracing**: when OpenTelemetry is in use (``opentelemetry.trace`` imported by the
  application) and a span is active, each logical request gets a client span and carries the
  W3C ``traceparent`` (and ``tracestate``) header.  Otherwise nothing is imported or done.
- **Hooks**: ``event_hooks={"request": [...], "response": [...]}`` on either client, called
  before every attempt is sent and when its response head arrived.

Neither logging nor OpenTelemetry is imported here: both are looked up in ``sys.modules``, so
an application that uses neither pays nothing for them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from ._models import Request
from ._url import ServiceAddress
from ._version import __version__
from .exceptions import ConfigurationError

__all__ = ["EventHooks", "Observation", "check_event_hooks", "observe"]

LOGGER_NAME = "bentoclient"
HOOK_KINDS = ("request", "response")
#: What ``event_hooks=`` holds once checked: kind -> callables.
EventHooks = Mapping[str, Sequence[Callable[..., Any]]]


def check_event_hooks(hooks: Optional[Mapping[str, Any]], *, allow_coroutines: bool) -> dict[str, tuple[Any, ...]]:
    """``event_hooks=`` as the client keeps it, or a ``ConfigurationError`` naming the fix."""
    if not hooks:
        return {}
    if not isinstance(hooks, Mapping):
        raise ConfigurationError(
            f"event_hooks must be a dict such as {{'request': [fn], 'response': [fn]}}, got {type(hooks).__name__}"
        )
    checked: dict[str, tuple[Any, ...]] = {}
    for kind, functions in hooks.items():
        if kind not in HOOK_KINDS:
            raise ConfigurationError(f"event_hooks: unknown kind {kind!r}; the kinds are 'request' and 'response'")
        if callable(functions):
            functions = [functions]
        if not isinstance(functions, (list, tuple)) or not all(callable(f) for f in functions):
            raise ConfigurationError(f"event_hooks[{kind!r}] must be a list of functions")
        if not allow_coroutines:
            import inspect  # only when hooks are given

            for function in functions:
                if inspect.iscoroutinefunction(function):
                    raise ConfigurationError(
                        f"event_hooks[{kind!r}]: {getattr(function, '__name__', function)!r} is a coroutine function, "
                        "which SyncHTTPClient cannot await; pass a plain function (async ones work on AsyncHTTPClient)"
                    )
        checked[kind] = tuple(functions)
    return checked


def _logger() -> Any:
    """The ``bentoclient`` logger when logging is in use and it would record INFO, else None."""
    logging = sys.modules.get("logging")
    if logging is None:
        return None
    log = logging.getLogger(LOGGER_NAME)
    return log if log.isEnabledFor(logging.INFO) else None


class Observation:
    """One logical request as the logger and the tracer see it (made only when one listens)."""

    __slots__ = ("_debug", "_log", "_span", "_trace", "url")

    def __init__(self, log: Any, url: str) -> None:
        self._log = log
        self._debug = log is not None and log.isEnabledFor(10)  # logging.DEBUG
        self._span: Any = None
        self._trace: Any = None
        self.url = url

    def start_span(self, trace: Any, address: ServiceAddress, request: Request) -> tuple[tuple[str, str], ...]:
        """Open the client span of this request; the headers that carry its context."""
        scheme, host, port = address.logical_origin
        path = request.target.partition("?")[0]
        tracer = trace.get_tracer("bentoclient", __version__)
        self._trace = trace
        self._span = tracer.start_span(
            f"{request.method} {path}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "url.full": self.url,
                "url.path": path,
                "server.address": host,
                "server.port": port,
                "url.scheme": scheme,
            },
        )
        propagate = sys.modules.get("opentelemetry.propagate")
        if propagate is None:
            import importlib

            propagate = importlib.import_module("opentelemetry.propagate")
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(self._span))
        return tuple(carrier.items())

    def sending(self, request: Request, attempt: int) -> None:
        if self._debug:
            self._log.debug("%s %s (attempt %d)", request.method, self.url, attempt)

    def answered(self, request: Request, status: int, attempt: int, elapsed: float) -> None:
        if self._debug:
            self._log.debug(
                "%s %s -> %d in %.1f ms (attempt %d)", request.method, self.url, status, elapsed * 1e3, attempt
            )

    def retrying(self, request: Request, reason: str, delay: float, next_attempt: int) -> None:
        if self._log is not None:
            self._log.info(
                "%s %s: %s; sending again in %.2f s (attempt %d)", request.method, self.url, reason, delay, next_attempt
            )

    def finished(self, status: Optional[int], error: Optional[BaseException]) -> None:
        span = self._span
        if span is None:
            return
        self._span = None
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if error is not None or (status is not None and status >= 400):
            kind = type(error).__name__ if error is not None else str(status)
            span.set_attribute("error.type", kind)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, kind))
        span.end()


def observe(address: ServiceAddress, request: Request) -> tuple[Optional[Observation], Request]:
    """An :class:`Observation` when a logger or a tracer listens (else None), and the request
    to send (with the trace context headers added when a span is active)."""
    log = _logger()
    trace = sys.modules.get("opentelemetry.trace")
    active = trace is not None and trace.get_current_span().get_span_context().is_valid
    if log is None and not active:
        return None, request
    seen = Observation(log, address.origin + request.target)
    if active:
        extra = seen.start_span(trace, address, request)
        if extra:
            names = {name.lower() for name, _ in extra}
            kept = tuple(h for h in request.headers if h[0].lower() not in names)
            request = request._replace(headers=kept + extra)
    return seen, request
