"""Run with ``python -I`` by ``test_vendor_set.py``: a project that copied only the minimal
vendor set of ``bentoclient`` (as ``myapp/_vendor/bentoclient``) uses both clients against a
real service; the parts left out of the set are really absent, and nothing installed is used.

    python -I vendor_set_proof.py PROJECT_DIR URL
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import AsyncIterator
from typing import Any, Optional


def main(project: str, url: str) -> None:
    sys.path.insert(0, project)
    from myapp._vendor import bentoclient  # type: ignore[import-not-found]  # exists only in the temporary project
    from myapp._vendor.bentoclient import SyncHTTPClient  # type: ignore[import-not-found]  # same
    from myapp._vendor.bentoclient.aio import AsyncHTTPClient  # type: ignore[import-not-found]  # same
    from myapp._vendor.bentoclient.exceptions import ArgumentError  # type: ignore[import-not-found]  # same
    from myapp._vendor.bentoclient.transport import HTTPTransport  # type: ignore[import-not-found]  # same

    assert bentoclient.__file__.startswith(project), bentoclient.__file__

    with SyncHTTPClient(url) as client:
        assert client.summarize(text="Vendored. Minimal.") == "Vendored."
        assert list(client.map("classify", [{"input_series": [[n, n]]} for n in (1, 9)], concurrency=2)) == [[0], [1]]
        try:
            client.summarize(txt="typo")
        except ArgumentError as exc:
            refused = str(exc)
        else:
            raise AssertionError("a bad argument was not refused")
        assert "'text'" in refused, refused

    async def use_async() -> None:
        # No bentoclient-async here: the async client sends through a transport of the project's.
        transport = ThreadTransport(HTTPTransport(url, max_connections=4))
        async with AsyncHTTPClient(url, transport=transport) as client:
            assert await client.summarize(text="Async too. Yes.") == "Async too."
            assert await client.map("classify", [{"input_series": [[8, 8]]}]) == [[1]]

    asyncio.run(use_async())

    for left_out in ("_cli", "_gen", "testing", "__main__"):
        try:
            importlib.import_module(f"myapp._vendor.bentoclient.{left_out}")
        except ModuleNotFoundError:
            continue
        raise AssertionError(f"bentoclient.{left_out} is in the copy, but not in the vendor set")
    leaked = sorted(name for name in sys.modules if name.split(".")[0] in ("bentoclient", "bentoclient_async"))
    assert leaked == [], f"an installed package was imported: {leaked}"
    print(f"vendor set of bentoclient {bentoclient.__version__}: sync and async clients ok")


class ThreadResponse:
    """An async view of a sync transport's response: each blocking read runs in a thread."""

    def __init__(self, response: Any) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        code: int = self._response.status_code
        return code

    @property
    def headers(self) -> Any:
        return self._response.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        chunks = iter(self._response.iter_bytes())
        while True:
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                return
            yield chunk

    async def aread(self) -> bytes:
        body: bytes = await asyncio.to_thread(self._response.read)
        return body

    async def aclose(self) -> None:
        await asyncio.to_thread(self._response.close)


class ThreadTransport:
    """The async transport seam over the standard-library one, a thread per blocking step."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    async def send(self, request: Any, timeout: Any, deadline: Optional[float] = None) -> ThreadResponse:
        return ThreadResponse(await asyncio.to_thread(self._transport.send, request, timeout, deadline))

    async def aclose(self) -> None:
        await asyncio.to_thread(self._transport.close)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
