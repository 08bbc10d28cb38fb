"""Stream objects: iteration, lifetime and errors around bentoclient's stream framing.

The source of truth for both streams: ``tools/unasync.py`` generates ``_sync_stream.py``
(``SyncStream``) from this file.  Only public bentoclient API is used: the opener the client
hands over (:mod:`bentoclient.streaming`) and the framing decoders.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Optional

from bentoclient import Endpoint
from bentoclient.exceptions import ReadError, StreamTruncated
from bentoclient.streaming import AsyncOpener, stream_decoder
from bentoclient.transport import AsyncResponse

__all__ = ["AsyncStream", "async_stream"]


def _truncated(endpoint: Endpoint, error: ReadError) -> StreamTruncated:
    err = StreamTruncated(f"endpoint {endpoint.name!r}: the stream broke off: {error.message}", url=error.url)
    err.attempts = error.attempts
    return err


class AsyncStream:
    """The items of one streaming call, by the endpoint's schema (``str``, ``bytes`` or JSON
    values); iterate it once.  The request is sent when the stream is first entered or
    iterated; leaving the ``with`` block, finishing or ``close()`` releases the connection."""

    def __init__(self, open: AsyncOpener, endpoint: Endpoint) -> None:
        self._open = open
        self.endpoint = endpoint
        self._response: Optional[AsyncResponse] = None
        self._decoder = stream_decoder(endpoint)
        self._feed = self._decoder.feed
        self._chunks: Any = None
        self._pending: deque[Any] = deque()
        self._started = False
        self._finished = False
        self._closed = False

    @property
    def status_code(self) -> Optional[int]:
        return None if self._response is None else self._response.status_code

    @property
    def headers(self) -> Any:
        return None if self._response is None else self._response.headers

    async def _start(self) -> None:
        if self._started:
            return
        self._started = True  # sent once: a failed start is not sent again by the next read
        try:
            self._response = await self._open()
        except BaseException:
            self._closed = True
            raise
        self._chunks = self._response.aiter_bytes()

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Any:
        # The hot path, once per item: hand out what the last chunk held, else decode the next
        # chunk and hand out its first item straight away (BentoML sends one item per chunk).
        pending = self._pending
        if pending:
            return pending.popleft()
        if self._chunks is None or self._closed or self._finished:
            return await self._first_or_end()
        try:
            while True:
                try:
                    chunk = await self._chunks.__anext__()
                except StopAsyncIteration:
                    self._finished = True
                    pending.extend(self._decoder.finish())
                    break
                except StreamTruncated:
                    raise
                except ReadError as err:
                    raise _truncated(self.endpoint, err) from None
                items = self._feed(chunk)
                if items:
                    if len(items) > 1:
                        pending.extend(items[1:])
                    return items[0]
        except BaseException:
            # Whatever ends the stream early (a broken or stalled body, an item that does
            # not decode, a cancelled task) releases its connection now.
            await self.aclose()
            raise
        if not pending:
            await self.aclose()
            raise StopAsyncIteration
        return pending.popleft()

    async def _first_or_end(self) -> Any:
        """``next()`` before the stream started (send the request first), or after its end."""
        if self._closed or self._finished:
            await self.aclose()
            raise StopAsyncIteration
        await self._start()
        if self._closed or self._chunks is None:  # closed while starting
            raise StopAsyncIteration
        return await self.__anext__()

    async def __aenter__(self) -> AsyncStream:
        await self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # async-only: begin
    def __iter__(self) -> None:
        raise TypeError(
            f"the stream of endpoint {self.endpoint.name!r} is asynchronous: iterate it with 'async for', "
            "inside a coroutine"
        )

    def __enter__(self) -> None:
        raise TypeError(
            f"the stream of endpoint {self.endpoint.name!r} is asynchronous: use 'async with', inside a coroutine"
        )

    def __exit__(self, *exc: object) -> None:  # pragma: no cover - __enter__ always raises
        pass

    # async-only: end

    async def aclose(self) -> None:
        """Stop reading and release the connection (it is not reused mid-body)."""
        self._closed = True
        chunks, self._chunks = self._chunks, None
        try:
            close_chunks = getattr(chunks, "aclose", None)  # async-only
            # sync-only: close_chunks = getattr(chunks, "close", None)
            if close_chunks is not None:
                await close_chunks()
        finally:
            if self._response is not None:
                await self._response.aclose()

    close = aclose  # async-only

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of endpoint {self.endpoint.name!r}>"


def async_stream(open: AsyncOpener, endpoint: Endpoint) -> AsyncStream:
    """What the async client returns for a streaming endpoint (see :mod:`bentoclient.streaming`)."""  # async-only
    # sync-only: """What the sync client returns for a streaming endpoint (see :mod:`bentoclient.streaming`)."""
    return AsyncStream(open, endpoint)
