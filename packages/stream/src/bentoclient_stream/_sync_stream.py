# Generated from bentoclient_stream/_async_stream.py by tools/unasync.py: do not edit; run 'nox -s unasync'.
"""The sync twin of ``bentoclient_stream/_async_stream.py``, generated from it (whose docstring explains it)."""

from __future__ import annotations

from collections import deque
from typing import Any, Optional

from bentoclient import Endpoint
from bentoclient.exceptions import ReadError, StreamTruncated
from bentoclient.streaming import SyncOpener, stream_decoder
from bentoclient.transport import SyncResponse

__all__ = ["SyncStream", "sync_stream"]


def _truncated(endpoint: Endpoint, error: ReadError) -> StreamTruncated:
    err = StreamTruncated(f"endpoint {endpoint.name!r}: the stream broke off: {error.message}", url=error.url)
    err.attempts = error.attempts
    return err


class SyncStream:
    """The items of one streaming call, by the endpoint's schema (``str``, ``bytes`` or JSON
    values); iterate it once.  The request is sent when the stream is first entered or
    iterated; leaving the ``with`` block, finishing or ``close()`` releases the connection."""

    def __init__(self, open: SyncOpener, endpoint: Endpoint) -> None:
        self._open = open
        self.endpoint = endpoint
        self._response: Optional[SyncResponse] = None
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

    def _start(self) -> None:
        if self._started:
            return
        self._started = True  # sent once: a failed start is not sent again by the next read
        try:
            self._response = self._open()
        except BaseException:
            self._closed = True
            raise
        self._chunks = self._response.iter_bytes()

    def __iter__(self) -> SyncStream:
        return self

    def __next__(self) -> Any:
        # The hot path, once per item: hand out what the last chunk held, else decode the next
        # chunk and hand out its first item straight away (BentoML sends one item per chunk).
        pending = self._pending
        if pending:
            return pending.popleft()
        if self._chunks is None or self._closed or self._finished:
            return self._first_or_end()
        try:
            while True:
                try:
                    chunk = self._chunks.__next__()
                except StopIteration:
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
            self.close()
            raise
        if not pending:
            self.close()
            raise StopIteration
        return pending.popleft()

    def _first_or_end(self) -> Any:
        """``next()`` before the stream started (send the request first), or after its end."""
        if self._closed or self._finished:
            self.close()
            raise StopIteration
        self._start()
        if self._closed or self._chunks is None:  # closed while starting
            raise StopIteration
        return self.__next__()

    def __enter__(self) -> SyncStream:
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection (it is not reused mid-body)."""
        self._closed = True
        chunks, self._chunks = self._chunks, None
        try:
            close_chunks = getattr(chunks, "close", None)
            if close_chunks is not None:
                close_chunks()
        finally:
            if self._response is not None:
                self._response.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of endpoint {self.endpoint.name!r}>"


def sync_stream(open: SyncOpener, endpoint: Endpoint) -> SyncStream:
    """What the sync client returns for a streaming endpoint (see :mod:`bentoclient.streaming`)."""
    return SyncStream(open, endpoint)
