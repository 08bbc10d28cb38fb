# Generated from bentoclient/_async/client.py by tools/unasync.py: do not edit; run 'nox -s unasync'.
"""The sync twin of ``bentoclient/_async/client.py``, generated from it (whose docstring explains it)."""

from __future__ import annotations

import os
from time import monotonic, time

from .._backends import (
    SyncTransportClass,
    adapt_sync_transport,
    sync_call_hook,
    sync_sleep,
    default_sync_transport,
)
from .._base import ClientBase

# Not typing.TYPE_CHECKING: the import users write loads the class and what defining it needs;
# the protocol layer, the transport and the error tree load on first use (see _lazy).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Callable, Literal, Optional, TypeVar, Union

    from .. import _backoff, _decode, _files, _models, _observe, _protocol, _ready, _response, _retry, _tasks
    from .. import exceptions as _errors
    from .._backends import SyncTransportOption
    from .._models import Headers, Request, ResponseData, Timeout, TimeoutTypes
    from .._observe import Observation
    from .._protocol import RequestPlan
    from .._response import ClientResponse
    from .._retry import Retry
    from .._schema import Endpoint, ServiceSchema
    from .._tasks import ResultStatus
    from .._transport import SSLOptions
    from ..exceptions import TransportError
    from ..streaming import SyncItemStream
    from ..transport import SyncResponse, SyncTransport
    from .bulk import MapIterator

    #: ``self``'s own class: entering a generated subclass's context keeps its typed endpoints
    #: (``typing.Self`` is 3.11+; a bound TypeVar works from 3.9 on).
    _Client = TypeVar("_Client", bound="SyncHTTPClient")
else:
    from .._lazy import _backoff, _decode, _files, _models, _observe, _protocol, _ready, _response, _retry, _tasks
    from .._lazy import exceptions as _errors

__all__ = ["SyncHTTPClient", "Task"]

# How to set a client up, for the messages of a client that is not set up yet.
_SET_UP = "'with {0}(url) as client:' or 'client.setup()'"


def _headers(response: SyncResponse) -> Headers:
    headers = response.headers
    return headers if isinstance(headers, _models.Headers) else _models.Headers(headers)


def _read_data(response: SyncResponse, attempts: int = 1) -> ResponseData:
    """Read the whole body (the transport releases the connection)."""
    try:
        content = response.read()
    finally:
        response.close()
    return _models.ResponseData(response.status_code, _headers(response), content, attempts)


def _pause_after(plan: RequestPlan, error: TransportError, seen: Optional[Observation]) -> None:
    """Wait before the next attempt after a transport error (or re-raise it when final)."""
    pause = plan.after_error(error, monotonic())
    if seen is not None:
        seen.retrying(plan.request, type(error).__name__, pause, plan.attempts)
    sync_sleep(pause)


class _Shared:
    """What a client and its ``with_options()`` copies share: the transport, whether the
    original client closed it, and the schema once one of them was set up."""

    __slots__ = ("closed", "loop", "readyz_path", "schema", "transport")

    def __init__(self, transport: Optional[SyncTransport]) -> None:
        self.transport = transport
        self.loop: Any = None  # the event loop it first sent on (stays None on the sync client)
        self.closed = False
        self.schema: Optional[ServiceSchema] = None
        self.readyz_path = "/readyz"


class SyncHTTPClient(ClientBase):
    """A client for one BentoML service; safe to share between threads.

    Like BentoML's, its constructor waits for ``GET /readyz`` (up to ``server_ready_timeout``
    seconds; ``None`` means ``timeout``, ``0`` or less skips it) and reads
    ``GET /schema.json``, then it has one method per endpoint.

    Beyond BentoML's signature: ``download_dir`` (where file outputs are saved and kept; by
    default a temporary folder removed with the client object, as BentoML's), ``verify`` (TLS:
    ``True``, ``False``, a CA bundle path or an ``ssl.SSLContext``), ``headers`` (sent on every
    request), ``max_connections`` (the connection pool bound), ``retry`` (a
    :class:`~bentoclient.Retry` policy), ``transport`` (any object implementing the transport
    seam in :mod:`bentoclient.transport`, for test doubles, custom networking or
    instrumentation) and ``event_hooks`` (``{"request": [fn], "response": [fn]}``: called with
    each attempt's request, and with the request and the response head).

    Proxies as in httpx: ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` are
    honoured unless ``trust_env=False``; ``proxy="http://user:password@host:port"`` names one
    explicitly (``NO_PROXY`` does not apply to it).  Only ``http://`` proxies; ``https://``
    services are tunnelled with ``CONNECT``.  With ``transport=``, neither is used.
    """

    #: The class of the transport this client makes when given no ``transport=``
    #: (BentoML's ``client_cls`` is its httpx client class; no httpx client is behind this
    #: one).  Information only: to change how it connects, pass ``transport=``.
    client_cls = SyncTransportClass()
    #: Whether the sync constructor waits for readiness and reads the schema (the command
    #: line's ``ready`` turns it off: it reads ``/readyz`` only).
    _setup_on_init = True

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
        transport: Optional[SyncTransportOption] = None,
        event_hooks: Optional[Mapping[str, Sequence[Callable[..., Any]]]] = None,
        proxy: Optional[str] = None,
        trust_env: bool = True,
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
            proxy=proxy,
            trust_env=trust_env,
            custom_transport=transport is not None,
        )
        self._verify = verify
        self._event_hooks = _observe.check_event_hooks(event_hooks, allow_coroutines=False)
        self._transport_given = transport is not None
        if transport is None:
            chosen = default_sync_transport(
                self._address, max_connections=max_connections, verify=verify, proxy=self._proxy
            )
        else:
            chosen = adapt_sync_transport(self._address, transport)
        self._shared = _Shared(chosen)
        self._owner = True  # False for with_options() copies: they never close the connections
        self._setup_done = False
        if self._setup_on_init:  # like BentoML's SyncHTTPClient, it connects at once
            self._setup_or_close()

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self: _Client) -> _Client:
        self._setup_or_close()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _setup_or_close(self) -> None:
        try:
            self.setup()
        except BaseException:
            self.close()  # nothing would close what the wait and the schema request opened
            raise

    def setup(self) -> None:
        """Wait for readiness and read the schema (once); the constructor calls it."""
        if self._adopt_setup():
            return
        if self._ready_wait > 0:
            self.wait_until_server_ready(self._ready_wait)
        self._shared.schema = self._set_schema_from(self._get("/schema.json", self._timeout))
        self._shared.readyz_path = self._readyz_path
        self._setup_done = True

    def _adopt_setup(self) -> bool:
        """Whether this client is set up, taking the schema a ``with_options()`` relative read."""
        schema = self._shared.schema
        if not self._setup_done and schema is not None:
            self._set_schema(schema)
            self._readyz_path = self._shared.readyz_path
            self._setup_done = True
        return self._setup_done

    def close(self) -> None:
        """Close the connections and remove the temporary download folder with its files.

        File outputs saved in ``download_dir=`` stay; move or copy a file out of the temporary
        folder to keep it past ``close()``.  On a copy, ``close()`` ends only the copy: the
        client it came from keeps its connections and files until it is closed.
        """
        self._closed = True
        if not self._owner:
            return
        self._files.remove_temp()
        shared = self._shared
        shared.closed = True
        if shared.transport is not None:
            shared.transport.close()

    @property
    def _transport(self) -> Optional[SyncTransport]:
        return self._shared.transport

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        # Connections belong to one process (and event loop): a default transport is made
        # anew on first use; a transport the caller gave is pickled with the client.
        state["_shared"] = _Shared(self._shared.transport if self._transport_given else None)
        state["_shared"].schema = self._shared.schema
        state["_shared"].readyz_path = self._shared.readyz_path
        state["_owner"] = True
        state["_closed"] = False
        return state

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and "_shared" in self.__dict__ and "_setup_done" in self.__dict__:
            self._adopt_setup()  # a with_options() copy made before setup(): the schema is shared
        return super().__getattr__(name)

    def _missing_attribute(self, name: str) -> Exception:
        if not self.__dict__.get("_setup_done", True) and not name.startswith("__"):
            return _errors.ClientNotSetUpError(
                f"{type(self).__name__} is not set up yet, so it does not know the endpoint {name!r}: use "
                f"{_SET_UP.format(type(self).__name__)} first"
            )
        return super()._missing_attribute(name)

    def _endpoint(self, name: str) -> Endpoint:
        if not self._adopt_setup():
            raise _errors.ClientNotSetUpError(
                f"{type(self).__name__} is not set up yet: use {_SET_UP.format(type(self).__name__)} "
                f"before calling {name!r}"
            )
        return super()._endpoint(name)

    # --- calls ---------------------------------------------------------------------------

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call endpoint ``name`` with arguments mapped by its schema.

        Arguments are checked at once, before anything is sent.  Returns the result, or, for
        a streaming endpoint, a stream to iterate.
        """
        endpoint = self._endpoint(name)
        request = self._call_request(endpoint, args, kwargs)
        if endpoint.is_stream:
            return self._stream(endpoint, request)
        return self._result(endpoint, request)

    def _stream(self, endpoint: Endpoint, request: Request) -> SyncItemStream:
        from functools import partial

        from ..streaming import load_stream_plugin

        plugin = load_stream_plugin(endpoint.name)
        return plugin.sync_stream(partial(self._open_stream, endpoint, request), endpoint)

    def _open_stream(self, endpoint: Endpoint, request: Request) -> SyncResponse:
        response, attempts = self._send(request, self._timeout)
        if response.status_code >= 400:
            raise _decode.error_from_response(_read_data(response, attempts), endpoint.name)
        return response

    def _result(self, endpoint: Endpoint, request: Request) -> Any:
        if not _decode.is_file_output(endpoint):
            return _decode.decode_value(endpoint, self._checked(endpoint, request))
        response, attempts = self._send(request, self._timeout)
        if response.status_code >= 400:
            raise _decode.error_from_response(_read_data(response, attempts), endpoint.name)
        return self._save_file(endpoint, response)

    def _checked(self, endpoint: Endpoint, request: Request) -> ResponseData:
        response = self._fetch(request, self._timeout)
        if response.status_code >= 400:
            raise _decode.error_from_response(response, endpoint.name)
        return response

    def map(
        self,
        endpoint: Any,
        inputs: Iterable[Any],
        /,
        *,
        concurrency: Union[int, Literal["auto"]] = 8,
        ordered: bool = True,
        return_exceptions: bool = False,
        batch_size: Optional[int] = None,
        retry: Optional[Retry] = None,
        timeout: TimeoutTypes | None = None,
        progress: Optional[Callable[[int, Optional[int]], object]] = None,
        progress_bar: bool = False,
        total: Optional[int] = None,
    ) -> MapIterator[Any]:
        """Call ``endpoint`` (its name, or ``client.<endpoint>``) once per input, ``concurrency`` at a time.

        Each input is a dict of the endpoint's keyword arguments, or, for an endpoint that
        takes one root value, that value.  Iterate the returned object for the results, in
        input order (``ordered=False``: ``(index, result)`` pairs as calls finish).
        ``return_exceptions=True`` yields a :class:`~bentoclient.MapError` for a failed input
        instead of raising the first error.  ``retry`` / ``timeout`` override the client's for
        these calls; ``progress`` is called with ``(done, total)``; ``progress_bar=True`` draws
        a tqdm bar.  On a batchable endpoint each input is one item of a batch and
        ``batch_size`` items go in one request; ``concurrency="auto"`` adapts the calls in
        flight to the service.  See ``docs/bulk.md``.
        """
        name = getattr(getattr(endpoint, "endpoint", None), "name", endpoint)  # client.<endpoint> too
        client = self if retry is None and timeout is None else self.with_options(retry=retry, timeout=timeout)
        from .bulk import MapIterator

        return MapIterator(
            client,
            self._endpoint(name),
            inputs,
            concurrency=concurrency,
            ordered=ordered,
            batch_size=batch_size,
            return_exceptions=return_exceptions,
            progress=progress,
            progress_bar=progress_bar,
            total=total,
        )

    # --- tasks ---------------------------------------------------------------------------

    def _task_submit(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        request = _tasks.submit_request(self._call_request(endpoint, args, kwargs))  # arguments checked now
        return self._submit(endpoint, request)

    def _submit(self, endpoint: Endpoint, request: Request) -> Task:
        return Task(self, endpoint, _tasks.parse_task_id(endpoint, self._checked(endpoint, request)))

    def _task_status(self, endpoint: Endpoint, task_id: str) -> ResultStatus:
        return _tasks.parse_status(
            self._checked(endpoint, self._task_request("GET", endpoint, "status", task_id))
        )

    def _task_result(self, endpoint: Endpoint, task_id: str) -> Any:
        return self._result(endpoint, self._task_request("GET", endpoint, "get", task_id))

    def _task_cancel(self, endpoint: Endpoint, task_id: str) -> None:
        self._checked(endpoint, self._task_request("PUT", endpoint, "cancel", task_id))

    def _task_retry(self, endpoint: Endpoint, task_id: str) -> Task:
        response = self._checked(endpoint, self._task_request("POST", endpoint, "retry", task_id))
        return Task(self, endpoint, _tasks.parse_task_id(endpoint, response))

    # --- other requests ------------------------------------------------------------------

    def with_options(
        self: _Client,
        *,
        timeout: TimeoutTypes | None = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[Retry] = None,
    ) -> _Client:
        """A copy of this client with another timeout, retry policy and/or extra headers.

        The copy shares this client's connections, endpoints and download folder.  Closing
        the copy (or leaving its ``with`` block) ends only the copy; closing this client
        ends both.  Use it per call: ``client.with_options(timeout=5).summarize(...)``.
        """
        clone = self._options_copy(timeout, headers, retry)
        clone._owner = False
        clone._closed = False
        return clone

    def request(
        self,
        method: str,
        url: str,
        *,
        content: Union[bytes, str, None] = None,
        data: Union[bytes, str, Mapping[str, Any], None] = None,
        files: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: TimeoutTypes | None = None,
    ) -> ClientResponse:
        """Send any request to the service and return the response, whatever its status.

        ``url`` is a path under the service URL (``"/metrics"``).  The body is ``content``
        (bytes/str), ``data`` (bytes/str, or a dict sent form-encoded), ``files`` (a dict of
        files, sent as ``multipart/form-data`` with ``data``'s fields) or ``json``.
        """
        req = self._raw_request(
            method, url, content=content, data=data, json_body=json, params=params, headers=headers, files=files
        )
        started = monotonic()
        resp = self._fetch(req, self._timeout if timeout is None else _models.Timeout.of(timeout))
        return _response.ClientResponse(
            resp.status_code,
            resp.headers,
            resp.content,
            resp.attempts,
            url=self._address.origin + req.target,
            elapsed=monotonic() - started,
        )

    # --- readiness -----------------------------------------------------------------------

    def is_ready(self, timeout: Optional[float] = None) -> bool:
        """One ``GET /readyz``: True for 200; False for any other answer or none at all.

        Raises only :class:`~bentoclient.exceptions.ClientClosedError`, after :meth:`close`.
        """
        per_try = self._timeout if not timeout else _models.Timeout.of(timeout)
        try:
            return (self._get(self._readyz_path, per_try, _retry.NO_RETRY)).status_code == 200
        except _errors.ClientClosedError:
            raise
        except _errors.BentoClientError:
            return False

    def wait_until_server_ready(self, timeout: Optional[float] = None) -> None:
        """Poll ``GET /readyz`` with back-off until it answers 200, for up to ``timeout`` seconds.

        Raises :class:`~bentoclient.exceptions.ServerNotReady` (a ``ServiceUnavailable``)
        naming the URL and the last answer when time runs out, or at once when the URL is not
        a BentoML service's root (``/readyz`` answers 404).
        """
        seconds = self._ready_seconds(timeout)
        wait = _ready.ReadyWait(
            seconds, self._timeout, url=self._address.url, now=monotonic(), rng=_backoff.shared_random()
        )
        while (limits := wait.next_probe(monotonic())) is not None:
            try:
                response = self._get(self._readyz_path, limits, _retry.NO_RETRY)
            except _errors.BentoClientError as exc:
                wait.no_answer(exc)
            else:
                step = wait.answered(response.status_code, response.text)
                if step == wait.READY:
                    return
                if step == wait.CHECK_PREFIX:
                    if self._prefix_found(limits):
                        continue
                    raise wait.not_a_service(self._readyz_path)
            sync_sleep(wait.pause(monotonic()))
        raise wait.error(self._readyz_path)

    def _prefix_found(self, limits: Timeout) -> bool:
        try:
            return self._use_prefix_from(self._get("/schema.json", limits))
        except _errors.BentoClientError:
            return False

    # --- I/O -------------------------------------------------------------------------------

    def _live_transport(self) -> SyncTransport:
        shared = self._shared
        if self._closed or shared.closed:
            raise _errors.ClientClosedError(
                f"{type(self).__name__} for {self._address.url} is closed; create a new client"
            )
        if shared.transport is None:  # unpickled: connections are made anew in this process
            shared.transport = default_sync_transport(
                self._address, max_connections=self._max_connections, verify=self._verify, proxy=self._proxy
            )
        return shared.transport

    def _get(self, path: str, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        return self._fetch(self._get_request(path), timeout, retry)

    def _fetch(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        """Send and read the whole body; a body that breaks off counts as a failed attempt."""
        result = self._exchange(request, timeout, retry, read=True)
        assert isinstance(result, _models.ResponseData)
        return result

    def _send(
        self, request: Request, timeout: Timeout, retry: Optional[Retry] = None
    ) -> tuple[SyncResponse, int]:
        """Send; the body is left to stream (file outputs, streams).  Also returns the attempts made."""
        result = self._exchange(request, timeout, retry, read=False)
        assert not isinstance(result, _models.ResponseData)
        return result

    def _exchange(
        self, request: Request, timeout: Timeout, retry: Optional[Retry], *, read: bool
    ) -> Union[tuple[SyncResponse, int], ResponseData]:
        transport = self._live_transport()
        seen, request = _observe.observe(self._address, request)  # None unless a logger or a tracer listens
        if seen is None:
            return self._attempts(transport, request, timeout, retry, read, None)
        try:
            result = self._attempts(transport, request, timeout, retry, read, seen)
        except BaseException as exc:
            seen.finished(None, exc)
            raise
        seen.finished(result.status_code if isinstance(result, _models.ResponseData) else result[0].status_code, None)
        return result

    def _attempts(
        self,
        transport: SyncTransport,
        request: Request,
        timeout: Timeout,
        retry: Optional[Retry],
        read: bool,
        seen: Optional[Observation],
    ) -> Union[tuple[SyncResponse, int], ResponseData]:
        # The one attempt loop: RequestPlan decides, the transport sends.
        policy = self._retry if retry is None else retry
        plan = _protocol.RequestPlan(
            self._address, request, timeout, policy, now=monotonic(), rng=_backoff.shared_random()
        )
        hooks = self._event_hooks
        while True:
            if seen is not None:
                seen.sending(plan.request, plan.attempts)
            if hooks:
                self._call_hooks("request", plan.request)
            started = monotonic()
            try:
                response = transport.send(plan.request, plan.attempt_timeout(started), plan.deadline)
            except _errors.TransportError as err:
                _pause_after(plan, err, seen)
                continue
            try:
                if seen is not None:
                    seen.answered(plan.request, response.status_code, plan.attempts, monotonic() - started)
                if hooks:
                    self._call_hooks("response", plan.request, response)
                retries = plan.retries
                delay = plan.after_response(response.status_code, response.headers, monotonic(), wall=time())
            except BaseException:
                response.close()
                raise
            if delay is None:
                if not read:
                    return response, plan.attempts
                try:
                    return _read_data(response, plan.attempts)
                except _errors.TransportError as err:
                    _pause_after(plan, err, seen)
                    continue
            try:
                _read_data(response)  # drain it, so the connection can be reused
            except _errors.TransportError:
                pass  # a broken body of a response we drop anyway: its connection is discarded
            if seen is not None and plan.retries > retries:  # a retry (not a redirect)
                seen.retrying(plan.request, f"HTTP {response.status_code}", delay, plan.attempts)
            if delay:
                sync_sleep(delay)

    def _call_hooks(self, kind: str, *args: Any) -> None:
        for hook in self._event_hooks.get(kind, ()):
            sync_call_hook(hook, *args)

    def _save_file(self, endpoint: Endpoint, response: SyncResponse) -> Any:
        path = None
        try:
            path, fh = self._new_output_file(_headers(response))
            with fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
        except BaseException as exc:
            response.close()
            if path is not None:
                os.unlink(path)
            if isinstance(exc, OSError):
                raise _errors.BentoClientError(
                    f"endpoint {endpoint.name!r}: cannot save the file output in {self._downloads_hint()}: {exc}"
                ) from exc
            raise
        response.close()
        return _files.file_result(endpoint, path)


class Task:
    """A submitted task (BentoML's ``Task``, plus ``wait``/``result``)."""

    def __init__(self, client: SyncHTTPClient, endpoint: Endpoint, task_id: str) -> None:
        self.id = task_id
        self.endpoint = endpoint
        self._client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"

    def get_status(self) -> ResultStatus:
        return self._client._task_status(self.endpoint, self.id)

    def get(self) -> Any:
        """The result; raises the task's error if it failed, ``InvalidArgument`` if unfinished."""
        return self._client._task_result(self.endpoint, self.id)

    def cancel(self) -> None:
        self._client._task_cancel(self.endpoint, self.id)

    def retry(self) -> Task:
        """Run a finished task again; returns the new task."""
        return self._client._task_retry(self.endpoint, self.id)

    def wait(self, timeout: Optional[float] = None) -> ResultStatus:
        """Poll the status with back-off until the task finished; ``TimeoutException`` after ``timeout`` s."""
        plan = _tasks.PollPlan(self.id, timeout, now=monotonic(), rng=_backoff.shared_random())
        while (delay := plan.next_delay(self.get_status(), monotonic())) is not None:
            sync_sleep(delay)
        return plan.status

    def result(self, timeout: Optional[float] = None) -> Any:
        """Wait for the task (up to ``timeout`` s), then return its result or raise its error."""
        self.wait(timeout)
        return self.get()
