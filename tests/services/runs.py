"""Services that count how often their code runs, for the retry-policy tests.

``Runs`` raises on demand (a 503 ``ServiceUnavailable`` or a 500) after counting the run,
and reports its counters; ``Busy`` accepts one request at a time
(``traffic={"max_concurrency": 1}``), so a second concurrent call is turned away by BentoML
before dispatch; ``Guarded`` checks the ``Authorization`` header itself.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Iterator
from typing import Any

import bentoml
from bentoml.exceptions import ServiceUnavailable

_COUNTS: collections.Counter[str] = collections.Counter()
_LOCK = threading.Lock()


def _count(key: str) -> int:
    with _LOCK:
        _COUNTS[key] += 1
        return _COUNTS[key]


@bentoml.service(workers=1)
class Runs:
    """Counts its runs per key and fails on demand."""

    @bentoml.api
    def unavailable(self, key: str) -> str:
        _count(key)
        raise ServiceUnavailable(f"busy doing {key}")

    @bentoml.api
    def broken(self, key: str) -> str:
        _count(key)
        raise RuntimeError(f"broke while doing {key}")

    @bentoml.api
    def flaky(self, key: str, failures: int = 1) -> str:
        """Raises ServiceUnavailable for the first ``failures`` runs of ``key``, then succeeds."""
        if _count(key) <= failures:
            raise ServiceUnavailable(f"not yet: {key}")
        return f"done {key}"

    @bentoml.api
    def runs(self, key: str) -> int:
        with _LOCK:
            return _COUNTS[key]


@bentoml.service(workers=1, traffic={"max_concurrency": 1})
class Busy:
    """One request at a time; the others are rejected by BentoML before dispatch."""

    @bentoml.api
    async def hold(self, key: str, seconds: float = 1.0) -> str:
        _count(key)
        await asyncio.sleep(seconds)
        return f"held {key}"

    @bentoml.api
    def runs(self, key: str) -> int:
        with _LOCK:
            return _COUNTS[key]


class _TokenCheck:
    """ASGI middleware: 401 without a bearer token, 403 with a wrong one; probes stay open."""

    OPEN = ("/readyz", "/livez", "/healthz", "/metrics")

    def __init__(self, app: Any, token: str = "secret") -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.OPEN:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth == f"Bearer {self.token}":
            await self.app(scope, receive, send)
            return
        status, body = (401, b'{"error":"missing token"}') if not auth else (403, b'{"error":"wrong token"}')
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


@bentoml.service(workers=1)
class Guarded:
    """Answers only requests that carry ``Authorization: Bearer secret`` (``/readyz`` is open)."""

    @bentoml.api
    def echo(self, text: str) -> str:
        return text

    @bentoml.api
    def words(self, n: int = 3) -> Iterator[str]:
        """A text stream whose last piece has no newline: ``"w0 w1 w2"``."""
        for i in range(n):
            yield f"w{i}" if i == 0 else f" w{i}"

    @bentoml.api
    def shout(self, text: str, /) -> str:
        """A root input (one positional value)."""
        return text.upper()


Guarded.add_asgi_middleware(_TokenCheck, token="secret")
