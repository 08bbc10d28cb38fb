"""Stream objects: iteration, lifetime and errors around bentoclient's pure stream decoders."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING, Any, Optional

from bentoclient._decode import error_from_response
from bentoclient._models import Request
from bentoclient._schema import Endpoint
from bentoclient._stream import StreamDecoder, stream_decoder
from bentoclient.exceptions import ReadError, StreamTruncated

if TYPE_CHECKING:
    import httpx

    from bentoclient import SyncHTTPClient
    from bentoclient._transport import Response
    from bentoclient_async import AsyncHTTPClient

__all__ = ["AsyncStream", "SyncStream", "async_stream", "sync_stream"]


def _truncated(endpoint: Endpoint, error: ReadError) -> StreamTruncated:
    err = StreamTruncated(f"endpoint {endpoint.name!r}: the stream broke off: {error.message}", url=error.url)
    err.attempts = error.attempts
    return err


def _decode(endpoint: Endpoint, response: Response, decoder: StreamDecoder) -> Iterator[Any]:
    # A function, not a method: a generator holding its SyncStream would make a reference
    # cycle, so a stream dropped half-way (``break`` without ``with``) would keep its
    # connection until the cyclic garbage collector ran, instead of releasing it at once.
    try:
        for chunk in response.iter_bytes():
            yield from decoder.feed(chunk)
    except StreamTruncated:
        raise
    except ReadError as err:
        raise _truncated(endpoint, err) from None
    finally:
        response.close()
    yield from decoder.finish()


class SyncStream:
    """The items of one streaming call on ``SyncHTTPClient``; iterate it once."""

    def __init__(self, client: SyncHTTPClient, endpoint: Endpoint, request: Request) -> None:
        self._client = client
        self.endpoint = endpoint
        self._request = request
        self._response: Optional[Response] = None
        self._items: Iterator[Any] = iter(())
        self._started = False
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
        self._started = True
        from bentoclient._client import _read

        response = self._client._send(self._request, self._client._timeout)
        if response.status_code >= 400:
            raise error_from_response(_read(response), self.endpoint.name)
        self._response = response
        self._items = _decode(self.endpoint, response, stream_decoder(self.endpoint))

    def __iter__(self) -> SyncStream:
        return self

    def __next__(self) -> Any:
        if self._closed:
            raise StopIteration
        self._start()
        return next(self._items)

    def __enter__(self) -> SyncStream:
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection (it is not reused mid-body)."""
        self._closed = True
        if self._response is not None:
            self._response.close()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __repr__(self) -> str:
        return f"<SyncStream of endpoint {self.endpoint.name!r}>"


class AsyncStream:
    """The items of one streaming call on ``AsyncHTTPClient``; iterate it once."""

    def __init__(self, client: AsyncHTTPClient, endpoint: Endpoint, request: Request) -> None:
        self._client = client
        self.endpoint = endpoint
        self._request = request
        self._response: Optional[httpx.Response] = None
        self._decoder = stream_decoder(endpoint)
        self._chunks: Optional[AsyncGenerator[bytes, None]] = None
        self._pending: deque[Any] = deque()
        self._started = False
        self._finished = False
        self._closed = False

    @property
    def status_code(self) -> Optional[int]:
        return None if self._response is None else self._response.status_code

    async def _start(self) -> None:
        if self._started:
            return
        self._started = True  # sent once: a failed start is not sent again by the next read
        from bentoclient_async._client import _aread, aiter_body

        try:
            response = await self._client._send(self._request, self._client._timeout)
            if response.status_code >= 400:
                raise error_from_response(await _aread(response, self._client._address.url), self.endpoint.name)
        except BaseException:
            self._closed = True
            raise
        self._response = response
        self._chunks = aiter_body(response, self._client._address.url)

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Any:
        if self._closed:
            raise StopAsyncIteration
        await self._start()
        if self._closed or self._chunks is None:  # closed while starting
            raise StopAsyncIteration
        try:
            while not self._pending and not self._finished:
                try:
                    chunk = await self._chunks.__anext__()
                except StopAsyncIteration:
                    self._finished = True
                    self._pending.extend(self._decoder.finish())
                except StreamTruncated:
                    raise
                except ReadError as err:
                    raise _truncated(self.endpoint, err) from None
                else:
                    self._pending.extend(self._decoder.feed(chunk))
        except BaseException:
            # Whatever ends the stream early (a broken or stalled body, an item that does
            # not decode, a cancelled task) releases its connection now, as SyncStream does.
            await self.aclose()
            raise
        if not self._pending:
            await self.aclose()
            raise StopAsyncIteration
        return self._pending.popleft()

    async def __aenter__(self) -> AsyncStream:
        await self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._closed = True
        chunks, self._chunks = self._chunks, None
        try:
            if chunks is not None:
                await chunks.aclose()
        finally:
            if self._response is not None:
                await self._response.aclose()

    close = aclose

    def __repr__(self) -> str:
        return f"<AsyncStream of endpoint {self.endpoint.name!r}>"


def sync_stream(client: SyncHTTPClient, endpoint: Endpoint, request: Request) -> SyncStream:
    """What ``SyncHTTPClient.call`` returns for a streaming endpoint."""
    return SyncStream(client, endpoint, request)


def async_stream(client: AsyncHTTPClient, endpoint: Endpoint, request: Request) -> AsyncStream:
    """What ``AsyncHTTPClient.call`` returns for a streaming endpoint."""
    return AsyncStream(client, endpoint, request)
