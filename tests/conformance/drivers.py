"""Every transport of the seam, driven the same way: a few requests in a row on one transport.

``HTTPTransport`` always; ``bentoclient_async``'s ``AsyncioTransport`` and ``HTTPXTransport``
when that package is importable, built as the clients build them and driven through
``await transport.send(request, timeout, deadline)``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import time
from collections.abc import Sequence
from typing import Any, Callable, NamedTuple, Optional, Union

from bentoclient import Timeout
from bentoclient._url import parse_service_url
from bentoclient.exceptions import BentoClientError
from bentoclient.transport import HTTPTransport, Request


class Got(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


Outcome = Union[Got, BentoClientError]


class Step(NamedTuple):
    request: Request
    timeout: Timeout
    total: Optional[float] = None  # seconds from the send: the deadline
    read: bool = True  # False: close the response without reading its body


def _got(status: int, headers: Any, body: bytes) -> Got:
    return Got(status, {name.lower(): headers[name] for name in headers}, body)


def run_sync(url: str, steps: Sequence[Step]) -> list[Outcome]:
    transport = HTTPTransport(parse_service_url(url))
    out: list[Outcome] = []
    try:
        for step in steps:
            deadline = None if step.total is None else time.monotonic() + step.total
            try:
                response = transport.send(step.request, step.timeout, deadline)
                if step.read:
                    body = response.read()
                else:
                    response.close()
                    body = b""
                out.append(_got(response.status_code, response.headers, body))
            except BentoClientError as exc:
                out.append(exc)
    finally:
        transport.close()
    return out


def _run_async(make: Callable[[str], Any]) -> Callable[[str, Sequence[Step]], list[Outcome]]:
    def run(url: str, steps: Sequence[Step]) -> list[Outcome]:
        async def main() -> list[Outcome]:
            transport = make(url)
            out: list[Outcome] = []
            try:
                for step in steps:
                    deadline = None if step.total is None else time.monotonic() + step.total
                    try:
                        response = await transport.send(step.request, step.timeout, deadline)
                        if step.read:
                            body = await response.aread()
                        else:
                            await response.aclose()
                            body = b""
                        out.append(_got(response.status_code, response.headers, body))
                    except BentoClientError as exc:
                        out.append(exc)
            finally:
                await transport.aclose()
            return out

        return asyncio.run(main())

    return run


def _asyncio_transport(url: str) -> Any:
    from bentoclient_async import AsyncioTransport

    return AsyncioTransport(parse_service_url(url))


def _httpx_transport(url: str) -> Any:
    from bentoclient_async import HTTPXTransport

    return HTTPXTransport(parse_service_url(url))


DRIVERS: dict[str, Callable[[str, Sequence[Step]], list[Outcome]]] = {"HTTPTransport": run_sync}
if importlib.util.find_spec("bentoclient_async") is not None:
    DRIVERS["AsyncioTransport"] = _run_async(_asyncio_transport)
    DRIVERS["HTTPXTransport"] = _run_async(_httpx_transport)
#: ``BENTOCLIENT_CONFORMANCE=async``: the async transports only.  The noxfile sets it where a
#: core-only session on the same Python has already held the sync transport to every case.
if os.environ.get("BENTOCLIENT_CONFORMANCE") == "async":
    del DRIVERS["HTTPTransport"]
    if not DRIVERS:
        raise RuntimeError("BENTOCLIENT_CONFORMANCE=async needs bentoclient-async installed")
