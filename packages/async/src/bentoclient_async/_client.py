"""``AsyncHTTPClient``: the asyncio twin of ``SyncHTTPClient``, on httpx.

Arguments, request building, retries, redirects and decoding come from bentoclient's
protocol layer; this module only drives httpx and maps its exceptions at the boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Optional, Union

import httpx

from bentoclient._base import ClientBase, ClientResponse, file_result, stream_support
from bentoclient._decode import decode_value, error_from_response, is_file_output
from bentoclient._models import Headers, Request, ResponseData, Timeout, TimeoutTypes
from bentoclient._protocol import RequestPlan
from bentoclient._retry import NO_RETRY, Retry
from bentoclient._schema import Endpoint, ServiceSchema
from bentoclient._tasks import (
    PollPlan,
    ResultStatus,
    parse_status,
    parse_task_id,
    submit_request,
)
from bentoclient._transport import KEEPALIVE_EXPIRY, SSLOptions, _ssl_context
from bentoclient.exceptions import (
    BentoClientError,
    ClientClosedError,
    ClientNotSetUpError,
    ConfigurationError,
    ConnectError,
    ConnectTimeout,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    ResponseDecodeError,
    TLSError,
    TransportError,
    WriteError,
    WriteTimeout,
)

__all__ = ["AsyncHTTPClient", "AsyncTask"]


@contextlib.contextmanager
def mapped_errors(url: str, *, body: bool = False) -> Iterator[None]:
    """httpx exceptions -> bentoclient's, so users never see ``httpx.*``.

    ``body=True`` while reading a response body: a body that breaks off (cut short,
    a broken chunk) is a :class:`ReadError` there, as on ``SyncHTTPClient``, whatever
    name httpx gives it.
    """
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise ConnectTimeout(f"connecting to {url} timed out: {exc}", url=url, request_sent=False) from None
    except httpx.PoolTimeout as exc:
        raise PoolTimeout(f"no free connection to {url} in time: {exc}", url=url, request_sent=False) from None
    except httpx.ReadTimeout:
        raise ReadTimeout(f"no data from {url} for longer than the read timeout", url=url) from None
    except httpx.WriteTimeout:
        raise WriteTimeout(f"sending the request to {url} stalled past the write timeout", url=url) from None
    except httpx.ConnectError as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
            raise TLSError(f"TLS handshake with {url} failed: {exc}", url=url, request_sent=False) from None
        raise ConnectError(f"cannot connect to {url}: {exc}", url=url, request_sent=False) from None
    except httpx.RemoteProtocolError as exc:
        if body:
            raise ReadError(f"the response from {url} ended early or broke off: {exc}", url=url) from None
        raise RemoteProtocolError(f"{url}: {exc}", url=url) from None
    except httpx.ReadError as exc:
        raise ReadError(f"the connection to {url} broke while reading the response: {exc}", url=url) from None
    except httpx.WriteError as exc:
        raise WriteError(f"the connection to {url} broke while sending the request: {exc}", url=url) from None
    except httpx.DecodingError as exc:
        raise ResponseDecodeError(f"{url}: {exc}") from None
    except httpx.LocalProtocolError as exc:
        raise ConfigurationError(f"the request to {url} is not valid HTTP: {exc}") from None
    except httpx.TransportError as exc:
        raise TransportError(f"{url}: {type(exc).__name__}: {exc}", url=url) from None
    except httpx.InvalidURL as exc:  # not an httpx.TransportError: e.g. CR/LF in a request() path
        raise ConfigurationError(f"cannot send a request to {url!r}: {exc}") from None


def _headers(response: httpx.Response) -> Headers:
    return Headers(response.headers.multi_items())


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Multipart bodies read files in 64 KiB pieces: quick enough not to need a thread.
    for chunk in chunks:
        yield chunk


async def _aread(response: httpx.Response, url: str) -> ResponseData:
    try:
        content = b"".join([chunk async for chunk in aiter_body(response, url, raw=False)])
    finally:
        await response.aclose()
    attempts: int = response.extensions.get("bentoclient_attempts", 1)
    return ResponseData(response.status_code, _headers(response), content, attempts)


async def aiter_body(response: httpx.Response, url: str, *, raw: bool = True) -> AsyncGenerator[bytes, None]:
    """The body of ``response`` in chunks (as sent, or decoded with ``raw=False``), errors
    mapped, within the call's total deadline; ``aclose()`` it when stopping early.

    ``Timeout(total=...)`` bounds reading the body too, as on ``SyncHTTPClient``: the read
    timeout restarts with every chunk, so a body dripping in would otherwise never end.
    """
    deadline: Optional[float] = response.extensions.get("bentoclient_deadline")
    chunks = response.aiter_raw() if raw else response.aiter_bytes()
    try:
        while True:
            try:
                with mapped_errors(url, body=True):
                    if deadline is None:
                        chunk = await chunks.__anext__()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise asyncio.TimeoutError()
                        chunk = await asyncio.wait_for(chunks.__anext__(), remaining)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                raise ReadTimeout(f"the total timeout ran out while reading the response from {url}", url=url) from None
            yield chunk
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]  # httpx's iterators are async generators


def _closed_unanswered(exc: httpx.TransportError) -> bool:
    """A reset, a broken pipe, or h11's "Server disconnected without sending a response"."""
    return not isinstance(exc, httpx.RemoteProtocolError) or "without sending a response" in str(exc)


class _Connections:
    """What a client and its ``with_options()`` copies share: the httpx client (made on first
    use), whether one of them closed it (closing either closes both, as documented), and the
    schema once one of them was set up (a copy made before ``setup()`` works after it)."""

    __slots__ = ("closed", "http", "readyz_path", "schema")

    def __init__(self) -> None:
        self.http: Optional[httpx.AsyncClient] = None
        self.closed = False
        self.schema: Optional[ServiceSchema] = None
        self.readyz_path = "/readyz"


class _ConnectTrace:
    """An httpx ``trace`` extension that notes whether a request opened a new connection."""

    def __init__(self) -> None:
        self.opened = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.startswith("connection.connect_"):  # connect_tcp, connect_unix_socket
            self.opened = True


class AsyncHTTPClient(ClientBase):
    """An asyncio client for one BentoML service, on httpx.

    Construction does no I/O.  ``async with AsyncHTTPClient(url) as client:`` (or
    ``await client.setup()``) waits for ``GET /readyz`` and reads ``/schema.json``, exactly
    as ``SyncHTTPClient``'s constructor does; before that, endpoint methods raise
    :class:`~bentoclient.exceptions.ClientNotSetUpError`.  Every option means what it
    means on ``SyncHTTPClient``.  One client belongs to the event loop it was first used on.
    """

    #: The httpx client class this client sends through.
    client_cls = httpx.AsyncClient

    def __init__(
        self,
        url: str,
        *,
        token: Optional[str] = None,
        timeout: TimeoutTypes = 30,
        server_ready_timeout: Optional[float] = None,
        download_dir: Union[str, os.PathLike[str], None] = None,
        verify: SSLOptions = True,
        headers: Optional[Mapping[str, str]] = None,
        max_connections: int = 10,
        retry: Optional[Retry] = None,
    ) -> None:
        super().__init__(
            url,
            token=token,
            timeout=timeout,
            server_ready_timeout=server_ready_timeout,
            download_dir=download_dir,
            headers=headers,
            max_connections=max_connections,
            retry=retry,
        )
        self._verify = verify
        self._conns = _Connections()
        self._setup_done = False

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> AsyncHTTPClient:
        try:
            await self.setup()
        except BaseException:
            await self.close()  # __aexit__ does not run: the connections setup() opened would leak
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def setup(self) -> None:
        """Wait for readiness and read the schema (once); ``async with`` calls this."""
        if self._adopt_setup():
            return
        if self._ready_wait > 0:
            await self.wait_until_server_ready(self._ready_wait)
        self._conns.schema = self._set_schema_from(await self._get("/schema.json", self._timeout))
        self._conns.readyz_path = self._readyz_path
        self._setup_done = True

    def _adopt_setup(self) -> bool:
        """Whether this client is set up, taking the schema a ``with_options()`` relative read."""
        schema = self._conns.schema
        if not self._setup_done and schema is not None:
            self._set_schema(schema)
            self._readyz_path = self._conns.readyz_path
            self._setup_done = True
        return self._setup_done

    async def close(self) -> None:
        """Close the connections and remove the temporary download folder (if any)."""
        self._closed = True
        conns = self._conns
        conns.closed = True  # for the with_options() copies too
        http, conns.http = conns.http, None
        if http is not None:
            await http.aclose()
        self._remove_downloads()

    aclose = close

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_conns"] = _Connections()  # connections belong to this process and event loop
        return state

    @property
    def _http(self) -> Optional[httpx.AsyncClient]:
        """The httpx client, once the first request made it (shared with ``with_options()`` copies)."""
        return self._conns.http

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and "_conns" in self.__dict__ and "_setup_done" in self.__dict__:
            self._adopt_setup()  # a with_options() copy made before setup(): the schema is shared
        return super().__getattr__(name)

    def _missing_attribute(self, name: str) -> Exception:
        if not self.__dict__.get("_setup_done", True) and not name.startswith("__"):
            return ClientNotSetUpError(
                f"{type(self).__name__} is not set up yet, so it does not know the endpoint {name!r}: use "
                "'async with AsyncHTTPClient(url) as client:' or 'await client.setup()' first"
            )
        return super()._missing_attribute(name)

    def _endpoint(self, name: str) -> Endpoint:
        if not self._adopt_setup():
            raise ClientNotSetUpError(
                f"{type(self).__name__} is not set up yet: use 'async with AsyncHTTPClient(url) as client:' "
                f"or 'await client.setup()' before calling {name!r}"
            )
        return super()._endpoint(name)

    # --- calls ---------------------------------------------------------------------------

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call endpoint ``name``: returns a coroutine (an async iterator for streams).

        Arguments are checked at once, so a bad one raises here, before any await.
        """
        endpoint = self._endpoint(name)
        request = self._call_request(endpoint, args, kwargs)
        if endpoint.is_stream:
            return stream_support(endpoint.name).async_stream(self, endpoint, request)
        return self._call(endpoint, request)

    async def _call(self, endpoint: Endpoint, request: Request) -> Any:
        return await self._result(endpoint, request)

    async def _result(self, endpoint: Endpoint, request: Request) -> Any:
        if not is_file_output(endpoint):
            data = await self._fetch(request, self._timeout)
            if data.status_code >= 400:
                raise error_from_response(data, endpoint.name)
            return decode_value(endpoint, data)
        response = await self._send(request, self._timeout)
        if response.status_code >= 400:
            raise error_from_response(await _aread(response, self._address.url), endpoint.name)
        return await self._save_file(endpoint, response)

    # --- tasks ---------------------------------------------------------------------------

    async def _checked(self, endpoint: Endpoint, request: Request) -> ResponseData:
        response = await self._fetch(request, self._timeout)
        if response.status_code >= 400:
            raise error_from_response(response, endpoint.name)
        return response

    def _task_submit(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        request = submit_request(self._call_request(endpoint, args, kwargs))  # arguments checked now
        return self._submit(endpoint, request)

    async def _submit(self, endpoint: Endpoint, request: Request) -> AsyncTask:
        return AsyncTask(self, endpoint, parse_task_id(endpoint, await self._checked(endpoint, request)))

    async def _task_status(self, endpoint: Endpoint, task_id: str) -> ResultStatus:
        return parse_status(await self._checked(endpoint, self._task_request("GET", endpoint, "status", task_id)))

    async def _task_result(self, endpoint: Endpoint, task_id: str) -> Any:
        return await self._result(endpoint, self._task_request("GET", endpoint, "get", task_id))

    async def _task_cancel(self, endpoint: Endpoint, task_id: str) -> None:
        await self._checked(endpoint, self._task_request("PUT", endpoint, "cancel", task_id))

    async def _task_retry(self, endpoint: Endpoint, task_id: str) -> AsyncTask:
        response = await self._checked(endpoint, self._task_request("POST", endpoint, "retry", task_id))
        return AsyncTask(self, endpoint, parse_task_id(endpoint, response))

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | None = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[Retry] = None,
    ) -> AsyncHTTPClient:
        """A copy of this client with another timeout, retry policy and/or extra headers.

        The copy shares connections, endpoints and the download folder with this client;
        closing either closes both.
        """
        return self._options_copy(timeout, headers, retry)

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: Union[bytes, str, None] = None,
        data: Union[bytes, str, Mapping[str, str], None] = None,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: TimeoutTypes | None = None,
    ) -> ClientResponse:
        """Send any request to the service and return the response, whatever its status."""
        req = self._raw_request(method, url, content=content, data=data, json_body=json, params=params, headers=headers)
        resp = await self._fetch(req, self._timeout if timeout is None else Timeout.of(timeout))
        return ClientResponse(resp.status_code, resp.headers, resp.content, resp.attempts)

    # --- readiness -----------------------------------------------------------------------

    async def is_ready(self, timeout: Optional[float] = None) -> bool:
        """One ``GET /readyz``: True for 200; False for any other answer or none at all."""
        per_try = self._timeout if not timeout else Timeout.of(timeout)
        try:
            return (await self._get(self._readyz_path, per_try, NO_RETRY)).status_code == 200
        except ClientClosedError:
            raise
        except BentoClientError:
            return False

    async def wait_until_server_ready(self, timeout: Optional[float] = None) -> None:
        """Poll ``GET /readyz`` with back-off until it answers 200, for up to ``timeout`` seconds."""
        wait = self._start_ready_wait(timeout)
        while (limits := wait.next_probe()) is not None:
            try:
                response = await self._get(self._readyz_path, limits, NO_RETRY)
            except (ClientClosedError, ConfigurationError, TLSError):
                raise  # waiting cannot fix these
            except BentoClientError as exc:
                wait.no_answer(exc)
            else:
                step = wait.answered(response)
                if step == wait.READY:
                    return
                if step == wait.CHECK_PREFIX and await self._prefix_found(limits):
                    continue
            await asyncio.sleep(wait.pause())
        raise wait.error()

    async def _prefix_found(self, limits: Timeout) -> bool:
        try:
            return self._use_prefix_from(await self._get("/schema.json", limits))
        except BentoClientError:
            return False

    # --- I/O -------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        conns = self._conns
        if self._closed or conns.closed:
            raise ClientClosedError(f"{type(self).__name__} for {self._address.url} is closed; create a new client")
        if conns.http is None:
            transport = None
            if self._address.scheme == "unix":
                transport = httpx.AsyncHTTPTransport(uds=self._address.socket_path)
            # verify=True would make httpx load the whole CA bundle (~50 ms) for a client that
            # never speaks TLS (redirects to https are refused): an empty context costs nothing
            # and, trusting no CA, could not verify anything if it were ever used.
            tls = (
                _ssl_context(self._verify)
                if self._address.scheme == "https"
                else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            )
            conns.http = self.client_cls(
                transport=transport,
                verify=tls,
                timeout=None,
                follow_redirects=False,  # the protocol layer decides (same host only)
                trust_env=False,
                limits=httpx.Limits(
                    max_connections=self._max_connections,
                    max_keepalive_connections=self._max_connections,
                    keepalive_expiry=KEEPALIVE_EXPIRY,
                ),
            )
        return conns.http

    async def _get(self, path: str, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        return await self._fetch(self._get_request(path), timeout, retry)

    async def _fetch(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        """Send and read the whole body; a body that breaks off counts as a failed attempt."""
        result = await self._exchange(request, timeout, retry, read=True)
        assert isinstance(result, ResponseData)
        return result

    async def _send(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> httpx.Response:
        """Send; the body is left to stream (file outputs, streams)."""
        result = await self._exchange(request, timeout, retry, read=False)
        assert isinstance(result, httpx.Response)
        return result

    async def _exchange(
        self, request: Request, timeout: Timeout, retry: Optional[Retry], *, read: bool
    ) -> Union[httpx.Response, ResponseData]:
        # The same RequestPlan loop as SyncHTTPClient._exchange, with httpx underneath.
        http = self._client()
        plan = RequestPlan(self._address, request, timeout, self._retry if retry is None else retry)
        while True:
            try:
                response = await self._send_once(http, plan.request, plan.attempt_timeout())
            except TransportError as err:
                await asyncio.sleep(plan.after_error(err))
                continue
            try:
                delay = plan.after_response(response.status_code, response.headers)
            except BaseException:
                await response.aclose()
                raise
            if delay is None:
                response.extensions = {
                    **response.extensions,
                    "bentoclient_attempts": plan.attempts,
                    "bentoclient_deadline": plan.deadline,
                }
                if not read:
                    return response
                try:
                    return await _aread(response, self._address.url)
                except TransportError as err:
                    await asyncio.sleep(plan.after_error(err))
                    continue
            try:
                await _aread(response, self._address.url)  # drain, so the connection can be reused
            except TransportError:
                pass  # a broken body of a response we drop anyway
            if delay:
                await asyncio.sleep(delay)

    async def _send_once(self, http: httpx.AsyncClient, req: Request, limits: Timeout) -> httpx.Response:
        scheme, host, port = self._address.logical_origin
        headers = list(req.headers)
        if req.body_length is not None and not isinstance(req.content, (bytes, bytearray)):
            headers.append(("Content-Length", str(req.body_length)))
        replayable = isinstance(req.content, (bytes, bytearray)) or bool(getattr(req.content, "replayable", False))
        timeout = httpx.Timeout(connect=limits.connect, read=limits.read, write=limits.write, pool=limits.pool)
        with mapped_errors(self._address.url + req.target):
            resent = False
            while True:
                connects = _ConnectTrace()
                content = req.content if isinstance(req.content, (bytes, bytearray)) else _aiter(req.content)
                built = http.build_request(
                    req.method,
                    f"{scheme}://{host}:{port}{req.target}",
                    headers=headers,
                    content=content,
                    timeout=timeout,
                    extensions={"trace": connects},
                )
                try:
                    return await http.send(built, stream=True)
                except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                    # A kept-alive connection the server closed just as the request went out
                    # (bentoml/BentoML#4971) is sent once more, on a fresh connection, as the
                    # sync transport does; not a new connection's failure, nor a malformed answer.
                    if resent or connects.opened or not _closed_unanswered(exc) or not replayable:
                        raise
                    resent = True

    async def _save_file(self, endpoint: Endpoint, response: httpx.Response) -> Any:
        path = None
        try:
            path, fh = self._new_output_file(_headers(response))
            body = aiter_body(response, self._address.url)
            try:
                with fh:
                    async for chunk in body:
                        fh.write(chunk)
            finally:
                await body.aclose()
        except BaseException as exc:
            if path is not None:
                os.unlink(path)
            if isinstance(exc, OSError):
                raise BentoClientError(
                    f"endpoint {endpoint.name!r}: cannot save the file output in {self._downloads_hint()}: {exc}"
                ) from None
            raise
        finally:
            await response.aclose()
        return file_result(endpoint, path)


class AsyncTask:
    """A submitted task of an ``AsyncHTTPClient``; its methods are coroutines."""

    def __init__(self, client: AsyncHTTPClient, endpoint: Endpoint, task_id: str) -> None:
        self.id = task_id
        self.endpoint = endpoint
        self._client = client

    def __repr__(self) -> str:
        return f"AsyncTask(id={self.id!r})"

    async def get_status(self) -> ResultStatus:
        return await self._client._task_status(self.endpoint, self.id)

    async def get(self) -> Any:
        """The result; raises the task's error if it failed, ``InvalidArgument`` if unfinished."""
        return await self._client._task_result(self.endpoint, self.id)

    async def cancel(self) -> None:
        await self._client._task_cancel(self.endpoint, self.id)

    async def retry(self) -> AsyncTask:
        """Run a finished task again; returns the new task."""
        return await self._client._task_retry(self.endpoint, self.id)

    async def wait(self, timeout: Optional[float] = None) -> ResultStatus:
        """Poll the status with back-off until the task finished; ``TimeoutException`` after ``timeout`` s."""
        plan = PollPlan(self.id, timeout)
        while (delay := plan.next_delay(await self.get_status())) is not None:
            await asyncio.sleep(delay)
        return plan.status

    async def result(self, timeout: Optional[float] = None) -> Any:
        """Wait for the task (up to ``timeout`` s), then return its result or raise its error."""
        await self.wait(timeout)
        return await self.get()
