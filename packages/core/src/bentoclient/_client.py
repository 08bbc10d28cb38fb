"""``SyncHTTPClient``: the standard-library client.  Thin: lifecycle and the blocking send loop."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, Optional, Union

from ._base import ClientBase, ClientResponse, file_result, stream_support
from ._decode import decode_value, error_from_response, is_file_output
from ._models import Request, ResponseData, Timeout, TimeoutTypes
from ._protocol import RequestPlan
from ._retry import NO_RETRY, Retry
from ._schema import Endpoint
from ._tasks import ResultStatus, Task, parse_status, parse_task_id, submit_request
from ._transport import HTTPTransport, Response, SSLOptions
from .exceptions import (
    BentoClientError,
    ClientClosedError,
    ConfigurationError,
    TLSError,
    TransportError,
)

__all__ = ["ClientResponse", "SyncHTTPClient"]


def _read(resp: Response) -> ResponseData:
    try:
        content = resp.read()
    finally:
        resp.close()
    return ResponseData(resp.status_code, resp.headers, content, resp.attempts)


class SyncHTTPClient(ClientBase):
    """A client for one BentoML service, on the standard library alone.

    Construction does network I/O, as BentoML's client does: it waits for
    ``GET /readyz`` (up to ``server_ready_timeout`` seconds; ``None`` means ``timeout``,
    ``0`` or less skips the wait), then reads ``GET /schema.json`` and makes one method
    per endpoint.  Use it as a context manager, or call :meth:`close`.

    Beyond BentoML's signature: ``download_dir`` (where file outputs are saved; by default
    a temporary folder removed by :meth:`close`), ``verify`` (TLS: ``True``, ``False``, a
    CA bundle path or an ``ssl.SSLContext``), ``headers`` (sent on every request),
    ``max_connections`` (the connection pool bound) and ``retry`` (a :class:`Retry` policy).
    """

    #: The connection pool class this client sends through.
    client_cls = HTTPTransport

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
        self._transport = self.client_cls(self._address, max_connections=max_connections, verify=verify)
        try:
            if self._ready_wait > 0:
                self.wait_until_server_ready(self._ready_wait)
            self._set_schema_from(self._get("/schema.json", self._timeout))
        except BaseException:
            self.close()
            raise

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> SyncHTTPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections and remove the temporary download folder (if any)."""
        self._closed = True
        self._transport.close()
        self._remove_downloads()

    # --- calls ---------------------------------------------------------------------------

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call endpoint ``name`` with arguments mapped by its schema and return the result."""
        endpoint = self._endpoint(name)
        request = self._call_request(endpoint, args, kwargs)
        if endpoint.is_stream:
            return stream_support(endpoint.name).sync_stream(self, endpoint, request)
        return self._result(endpoint, request)

    def _result(self, endpoint: Endpoint, request: Request) -> Any:
        if not is_file_output(endpoint):
            data = self._fetch(request, self._timeout)
            if data.status_code >= 400:
                raise error_from_response(data, endpoint.name)
            return decode_value(endpoint, data)
        response = self._send(request, self._timeout)
        if response.status_code >= 400:
            raise error_from_response(_read(response), endpoint.name)
        return self._save_file(endpoint, response)

    # --- tasks ---------------------------------------------------------------------------

    def _checked(self, endpoint: Endpoint, request: Request) -> ResponseData:
        response = self._fetch(request, self._timeout)
        if response.status_code >= 400:
            raise error_from_response(response, endpoint.name)
        return response

    def _task_submit(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Task:
        request = submit_request(self._call_request(endpoint, args, kwargs))
        return Task(self, endpoint, parse_task_id(endpoint, self._checked(endpoint, request)))

    def _task_status(self, endpoint: Endpoint, task_id: str) -> ResultStatus:
        return parse_status(self._checked(endpoint, self._task_request("GET", endpoint, "status", task_id)))

    def _task_result(self, endpoint: Endpoint, task_id: str) -> Any:
        return self._result(endpoint, self._task_request("GET", endpoint, "get", task_id))

    def _task_cancel(self, endpoint: Endpoint, task_id: str) -> None:
        self._checked(endpoint, self._task_request("PUT", endpoint, "cancel", task_id))

    def _task_retry(self, endpoint: Endpoint, task_id: str) -> Task:
        response = self._checked(endpoint, self._task_request("POST", endpoint, "retry", task_id))
        return Task(self, endpoint, parse_task_id(endpoint, response))

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | None = None,
        headers: Optional[Mapping[str, str]] = None,
        retry: Optional[Retry] = None,
    ) -> SyncHTTPClient:
        """A copy of this client with another timeout, retry policy and/or extra headers.

        The copy shares connections, endpoints and the download folder with this client;
        closing either closes both.  Use it per call: ``client.with_options(timeout=5).summarize(...)``.
        """
        return self._options_copy(timeout, headers, retry)

    def request(
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
        """Send any request to the service and return the response, whatever its status.

        ``url`` is a path under the service URL (``"/metrics"``).  The body is ``content``
        (bytes/str), ``data`` (bytes/str, or a dict sent form-encoded) or ``json``.
        """
        req = self._raw_request(method, url, content=content, data=data, json_body=json, params=params, headers=headers)
        resp = self._fetch(req, self._timeout if timeout is None else Timeout.of(timeout))
        return ClientResponse(resp.status_code, resp.headers, resp.content, resp.attempts)

    # --- readiness -----------------------------------------------------------------------

    def is_ready(self, timeout: Optional[float] = None) -> bool:
        """One ``GET /readyz``: True for 200; False for any other answer or none at all."""
        per_try = self._timeout if not timeout else Timeout.of(timeout)
        try:
            return self._get(self._readyz_path, per_try, NO_RETRY).status_code == 200
        except ClientClosedError:
            raise
        except BentoClientError:
            return False

    def wait_until_server_ready(self, timeout: Optional[float] = None) -> None:
        """Poll ``GET /readyz`` with back-off until it answers 200, for up to ``timeout`` seconds.

        Raises :class:`~bentoclient.exceptions.ServerNotReady` (a ``ServiceUnavailable`` and a
        ``TimeoutException``) naming the URL and the last answer when time runs out.
        """
        wait = self._start_ready_wait(timeout)
        while (limits := wait.next_probe()) is not None:
            try:
                response = self._get(self._readyz_path, limits, NO_RETRY)
            except (ClientClosedError, ConfigurationError, TLSError):
                raise  # waiting cannot fix these
            except BentoClientError as exc:
                wait.no_answer(exc)
            else:
                step = wait.answered(response)
                if step == wait.READY:
                    return
                if step == wait.CHECK_PREFIX and self._prefix_found(limits):
                    continue
            time.sleep(wait.pause())
        raise wait.error()

    def _prefix_found(self, limits: Timeout) -> bool:
        try:
            return self._use_prefix_from(self._get("/schema.json", limits))
        except BentoClientError:
            return False

    # --- I/O -------------------------------------------------------------------------------

    def _get(self, path: str, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        return self._fetch(self._get_request(path), timeout, retry)

    def _fetch(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        """Send and read the whole body; a body that breaks off counts as a failed attempt."""
        result = self._exchange(request, timeout, retry, read=True)
        assert isinstance(result, ResponseData)
        return result

    def _send(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> Response:
        """Send; the body is left to stream (file outputs, streams)."""
        result = self._exchange(request, timeout, retry, read=False)
        assert isinstance(result, Response)
        return result

    def _exchange(
        self, request: Request, timeout: Timeout, retry: Optional[Retry], *, read: bool
    ) -> Union[Response, ResponseData]:
        # The retry policy, the total deadline and same-host redirects, driven by RequestPlan.
        if self._closed:
            raise ClientClosedError(f"{type(self).__name__} for {self._address.url} is closed; create a new client")
        plan = RequestPlan(self._address, request, timeout, self._retry if retry is None else retry)
        while True:
            try:
                response = self._transport.send(plan.request, plan.attempt_timeout(), deadline=plan.deadline)
            except TransportError as err:
                time.sleep(plan.after_error(err))
                continue
            try:
                delay = plan.after_response(response.status_code, response.headers)
            except BaseException:
                response.close()
                raise
            if delay is None:
                response.attempts = plan.attempts
                if not read:
                    return response
                try:
                    return _read(response)
                except TransportError as err:
                    time.sleep(plan.after_error(err))
                    continue
            try:
                _read(response)  # drain it, so the connection can go back to the pool
            except TransportError:
                pass  # a broken body of a response we drop anyway: its connection is discarded
            if delay:
                time.sleep(delay)

    def _save_file(self, endpoint: Endpoint, response: Response) -> Any:
        path = None
        try:
            path, fh = self._new_output_file(response.headers)
            with fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
        except BaseException as exc:
            response.close()
            if path is not None:
                os.unlink(path)
            if isinstance(exc, OSError):
                raise BentoClientError(
                    f"endpoint {endpoint.name!r}: cannot save the file output in {self._downloads_hint()}: {exc}"
                ) from None
            raise
        return file_result(endpoint, path)
