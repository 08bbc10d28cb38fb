"""``SyncHTTPClient``: the standard-library client.  Thin: lifecycle, arguments, I/O loop."""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import urlencode, urlsplit

from ._decode import decode_value, error_from_response, is_file_output, output_filename, wants_pil
from ._encode import bind_arguments, encode_body
from ._models import Request, ResponseData, Timeout, TimeoutTypes, check_header_value
from ._protocol import (
    MAX_REDIRECTS,
    READY_BACKOFF,
    REDIRECT_STATUSES,
    USER_AGENT,
    derive_path_prefix,
    ready_wait_seconds,
    redirect_request,
    resolve_token,
)
from ._retry import NO_RETRY, Retry
from ._schema import Endpoint, ServiceSchema, parse_schema
from ._transport import HTTPTransport, Response, SSLOptions
from ._url import ServiceAddress, parse_service_url
from .exceptions import (
    BentoClientError,
    ClientClosedError,
    ConfigurationError,
    EndpointNotFound,
    MissingDependencyError,
    RemoteProtocolError,
    SchemaError,
    ServerNotReady,
    TimeoutException,
    TransportError,
)

__all__ = ["ClientResponse", "SyncHTTPClient"]

if TYPE_CHECKING:
    import inspect
    from pathlib import Path


class ClientResponse(ResponseData):
    """What :meth:`SyncHTTPClient.request` returns: ``status_code``, ``headers``,
    ``content``, ``text`` and ``json()``.  It never raises for an HTTP error status."""

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise error_from_response(self)

    def __repr__(self) -> str:
        return f"<ClientResponse [{self.status_code}]>"


def _read(resp: Response) -> ResponseData:
    try:
        content = resp.read()
    finally:
        resp.close()
    return ResponseData(resp.status_code, resp.headers, content, resp.attempts)


class SyncHTTPClient:
    """A client for one BentoML service, on the standard library alone.

    Construction does network I/O, as BentoML's client does: it waits for
    ``GET /readyz`` (up to ``server_ready_timeout`` seconds; ``None`` means ``timeout``,
    ``0`` or less skips the wait), then reads ``GET /schema.json`` and makes one method
    per endpoint.  Use it as a context manager, or call :meth:`close`.

    Beyond BentoML's signature: ``download_dir`` (where file outputs are saved; by default
    a temporary folder removed by :meth:`close`), ``verify`` (TLS: ``True``, ``False``, a
    CA bundle path or an ``ssl.SSLContext``), ``headers`` (sent on every request) and
    ``max_connections`` (the connection pool bound).
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
        self._address: ServiceAddress = parse_service_url(url)
        self.url: str = url
        self.timeout = timeout
        self._timeout = Timeout.of(timeout)
        self.server_ready_timeout = server_ready_timeout
        ready_wait = ready_wait_seconds(timeout, server_ready_timeout)
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ConfigurationError(f"max_connections must be a positive integer, got {max_connections!r}")
        self._retry = Retry() if retry is None else retry
        if not isinstance(self._retry, Retry):
            raise ConfigurationError(f"retry must be a bentoclient.Retry, got {type(retry).__name__}")
        self._token = resolve_token(token)
        base = [("User-Agent", USER_AGENT)]
        if self._token:
            base.append(("Authorization", f"Bearer {self._token}"))
        for key, value in (headers or {}).items():
            base.append((key, check_header_value(key, value)))
        self._headers: tuple[tuple[str, str], ...] = tuple(base)
        self._download_dir = os.fspath(download_dir) if download_dir is not None else None
        self._temp_dir: Optional[str] = None
        self._closed = False
        self._transport = self.client_cls(self._address, max_connections=max_connections, verify=verify)
        self._readyz_path = "/readyz"
        self.service_name = ""
        self.endpoints: dict[str, Endpoint] = {}
        self._methods: dict[str, str] = {}  # attribute name -> endpoint name
        self._bound: dict[str, EndpointMethod] = {}
        try:
            if ready_wait > 0:
                self.wait_until_server_ready(ready_wait)
            self._load_schema()
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
        if self._temp_dir is not None:
            import shutil

            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __repr__(self) -> str:
        auth = ", token=***" if self._token else ""
        return f"<{type(self).__name__} {self._address.url!r} service={self.service_name!r}{auth}>"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_temp_dir"] = None  # the folder belongs to the original client
        state["_bound"] = {}
        return state

    # --- endpoint methods ----------------------------------------------------------------

    def _load_schema(self) -> None:
        response = self._get("/schema.json", self._timeout)
        if response.status_code != 200:
            raise SchemaError(
                f"GET {self._address.origin}/schema.json answered {response.status_code}; "
                "check that the URL points at a BentoML 1.2+ service",
                error_code=response.status_code,
            )
        try:
            schema = parse_schema(json.loads(response.content))
        except (ValueError, RecursionError) as exc:
            raise SchemaError(f"{self._address.origin}/schema.json is not valid JSON: {exc}") from None
        self._set_schema(schema)

    def _set_schema(self, schema: ServiceSchema) -> None:
        self.service_name = schema.name
        self.endpoints = dict(schema.endpoints)
        taken = set(dir(type(self))) | set(self.__dict__)
        methods = {}
        for name in self.endpoints:
            attr = name if name not in taken and not name.startswith("_") else f"api_{name}"
            methods[attr] = name
        self._methods = methods
        self._bound = {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        methods = self.__dict__.get("_methods")
        if methods is None or name not in methods:
            known = ", ".join(methods) if methods else "none"
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} (endpoints: {known})")
        return self._endpoint_method(methods[name])

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_methods", ())))

    def _endpoint_method(self, endpoint_name: str) -> Callable[..., Any]:
        cached = self._bound.get(endpoint_name)
        if cached is None:
            cached = self._bound[endpoint_name] = EndpointMethod(self, self.endpoints[endpoint_name])
        return cached

    # --- calls ---------------------------------------------------------------------------

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call endpoint ``name`` with arguments mapped by its schema and return the result."""
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            known = ", ".join(self.endpoints) or "none"
            raise EndpointNotFound(
                f"service {self.service_name!r} has no endpoint {name!r}; its endpoints are: {known}",
                endpoint=name,
            )
        bound = bind_arguments(endpoint, args, kwargs)
        body = encode_body(endpoint, bound)
        if endpoint.is_stream:
            raise MissingDependencyError(
                f"endpoint {endpoint.name!r} streams its output; streaming needs the stream package: "
                'pip install "bentoclient[stream]"',
                package="bentoclient-stream",
            )
        request = Request(
            "POST",
            self._address.target(endpoint.route),
            (*self._headers, ("Content-Type", body.content_type)),
            body.content,
            body.length,
            endpoint.name,
        )
        response = self._send(request, self._timeout)
        if response.status_code >= 400:
            raise error_from_response(_read(response), endpoint.name)
        if is_file_output(endpoint):
            return self._save_file(endpoint, response)
        return decode_value(endpoint, _read(response))

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
        clone = copy.copy(self)
        if timeout is not None:
            clone.timeout = timeout
            clone._timeout = Timeout.of(timeout)
        if retry is not None:
            clone._retry = retry
        if headers:
            extra = tuple((k, check_header_value(k, v)) for k, v in headers.items())
            names = {k.lower() for k, _ in extra}
            clone._headers = tuple(h for h in self._headers if h[0].lower() not in names) + extra
        return clone

    # --- raw requests --------------------------------------------------------------------

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
        target = self._target_for(url)
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params, doseq=True)
        hdrs = list(self._headers)
        body: bytes = b""
        if json is not None:
            import json as _json

            body = _json.dumps(json, separators=(",", ":")).encode()
            hdrs.append(("Content-Type", "application/json"))
        elif isinstance(data, Mapping):
            body = urlencode(data, doseq=True).encode()
            hdrs.append(("Content-Type", "application/x-www-form-urlencoded"))
        else:
            raw = content if content is not None else data
            body = raw.encode() if isinstance(raw, str) else (raw or b"")
        if headers:
            names = {k.lower() for k in headers}
            hdrs = [h for h in hdrs if h[0].lower() not in names]
            hdrs += [(k, check_header_value(k, v)) for k, v in headers.items()]
        req = Request(method.upper(), target, tuple(hdrs), body, None, url)
        resp = _read(self._send(req, self._timeout if timeout is None else Timeout.of(timeout)))
        return ClientResponse(resp.status_code, resp.headers, resp.content, resp.attempts)

    def _target_for(self, url: str) -> str:
        if "://" in url:
            parts = urlsplit(url)
            given = parse_service_url(url)
            if (given.scheme, given.host, given.port) != (self._address.scheme, self._address.host, self._address.port):
                raise ConfigurationError(
                    f"request(): {url!r} is not on this client's service ({self._address.origin}); "
                    "pass a path such as '/metrics'"
                )
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self._address.target(url if url.startswith("/") else "/" + url)

    # --- readiness -----------------------------------------------------------------------

    def is_ready(self, timeout: Optional[float] = None) -> bool:
        """One ``GET /readyz``: True for 200; False for any other answer or none at all."""
        per_try = self._timeout if not timeout else Timeout.of(timeout)
        try:
            return self._get(self._readyz_path, per_try, NO_RETRY).status_code == 200
        except BentoClientError as exc:
            if isinstance(exc, ClientClosedError):
                raise
            import logging

            logging.getLogger("bentoclient").debug("readiness probe of %s failed: %s", self._address.url, exc)
            return False

    def wait_until_server_ready(self, timeout: Optional[float] = None) -> None:
        """Poll ``GET /readyz`` with back-off until it answers 200, for up to ``timeout`` seconds.

        Raises :class:`~bentoclient.exceptions.ServerNotReady` (a ``ServiceUnavailable`` and a
        ``TimeoutException``) naming the URL and the last answer when time runs out.
        """
        wait = ready_wait_seconds(self.timeout, timeout)
        deadline = time.monotonic() + wait
        last = "no answer"
        last_status: Optional[int] = None
        prefix_checked = False
        for delay in READY_BACKOFF.delays():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            per_try = Timeout(
                connect=min(remaining, self._timeout.connect or remaining),
                read=min(remaining, self._timeout.read or remaining),
                write=min(remaining, self._timeout.write or remaining),
                pool=min(remaining, self._timeout.pool or remaining),
            )
            try:
                response = self._get(self._readyz_path, per_try, NO_RETRY)
            except ClientClosedError:
                raise
            except BentoClientError as exc:
                last, last_status = str(exc), None
            else:
                if response.status_code == 200:
                    return
                last_status = response.status_code
                last = f"HTTP {response.status_code} {response.text.strip()[:200]}"
                if response.status_code == 404 and not prefix_checked:
                    prefix_checked = True
                    if self._find_readyz_under_prefix():
                        continue
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
        raise ServerNotReady(
            f"{self._address.url}{self._readyz_path} did not answer 200 within {wait:g} seconds "
            f"(last: {last}); check that the service is running at this URL, or wait longer with "
            "server_ready_timeout=",
            url=self._address.url,
            status_code=last_status,
        )

    def _find_readyz_under_prefix(self) -> bool:
        """For a ``path_prefix`` service, ``/readyz`` lives under the prefix of its routes."""
        try:
            response = self._get("/schema.json", self._timeout)
            prefix = derive_path_prefix(parse_schema(json.loads(response.content)))
        except (BentoClientError, ValueError, RecursionError):
            return False
        if prefix and response.status_code == 200:
            self._readyz_path = prefix + "/readyz"
            return True
        return False

    # --- I/O helpers ---------------------------------------------------------------------

    def _get(self, path: str, timeout: Timeout, retry: Optional[Retry] = None) -> ResponseData:
        request = Request("GET", self._address.target(path), self._headers)
        return _read(self._send(request, timeout, retry))

    def _send(self, request: Request, timeout: Timeout, retry: Optional[Retry] = None) -> Response:
        """Send with the retry policy and the total deadline; follow same-host redirects."""
        if self._closed:
            raise ClientClosedError(f"{type(self).__name__} for {self._address.url} is closed; create a new client")
        policy = self._retry if retry is None else retry
        deadline = None if timeout.total is None else time.monotonic() + timeout.total
        retries = 0
        while True:
            per_try = timeout if deadline is None else timeout.clipped(self._remaining(deadline, timeout, retries))
            try:
                response = self._send_following_redirects(request, per_try)
            except TransportError as err:
                delay = policy.delay_after_error(retries, err, request.method)
                if delay is None or not _can_resend(request, err) or not _fits(delay, deadline):
                    err.attempts = retries + 1
                    raise
            else:
                if response.status_code < 400:
                    response.attempts = retries + 1
                    return response
                delay = policy.delay_after_status(retries, response.status_code, response.headers)
                if delay is None or not _fits(delay, deadline):
                    response.attempts = retries + 1
                    return response
                _read(response)  # drain, so the connection goes back to the pool
            time.sleep(delay)
            retries += 1

    def _remaining(self, deadline: float, timeout: Timeout, retries: int) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutException(
                f"the total timeout of {timeout.total} s for {self._address.url} ran out after {retries} attempt(s)",
                url=self._address.url,
            )
        return remaining

    def _send_following_redirects(self, request: Request, timeout: Timeout) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            response = self._transport.send(request, timeout)
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            _read(response)
            request = redirect_request(self._address, request, response.status_code, location)
        raise RemoteProtocolError(
            f"more than {MAX_REDIRECTS} redirects from {self._address.url}", url=self._address.url
        )

    # --- file outputs --------------------------------------------------------------------

    def _downloads(self) -> str:
        if self._download_dir is not None:
            os.makedirs(self._download_dir, exist_ok=True)
            return self._download_dir
        if self._temp_dir is None:
            import tempfile

            self._temp_dir = tempfile.mkdtemp(prefix="bentoclient-")
        return self._temp_dir

    def _save_file(self, endpoint: Endpoint, response: Response) -> Any:
        from pathlib import Path

        folder = self._downloads()
        path, fh = _create_unique(Path(folder), output_filename(response.headers))
        try:
            with fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
        except BaseException:
            response.close()
            path.unlink(missing_ok=True)
            raise
        if wants_pil(endpoint):
            try:
                from PIL import Image
            except ImportError:  # Pillow is optional: the saved image file then
                return path
            with Image.open(path) as image:
                image.load()
                return image
        return path


class EndpointMethod:
    # What ``client.<endpoint>`` returns: calls the endpoint; ``__doc__`` and
    # ``__signature__`` (built only when asked for) come from the schema.

    def __init__(self, client: SyncHTTPClient, endpoint: Endpoint) -> None:
        self._client = client
        self.endpoint = endpoint
        self.__name__ = self.__qualname__ = endpoint.name
        self.__doc__ = endpoint.doc()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._client.call(self.endpoint.name, *args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return _signature(self.endpoint)

    def __repr__(self) -> str:
        return f"<endpoint method {self.endpoint.signature_text()} of {self._client!r}>"


def _fits(delay: float, deadline: Optional[float]) -> bool:
    return deadline is None or time.monotonic() + delay < deadline


def _can_resend(request: Request, error: TransportError) -> bool:
    # A body that streams from a caller's non-seekable file cannot be produced twice.
    if not error.request_sent or isinstance(request.content, (bytes, bytearray)):
        return True
    return bool(getattr(request.content, "replayable", False))


def _create_unique(folder: Path, name: str) -> tuple[Path, Any]:
    """Create ``folder/name`` exclusively, adding ``-1``, ``-2``… so no result overwrites another."""
    stem, dot, ext = name.partition(".")
    for n in range(10_000):
        candidate = folder / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            continue
        return candidate, os.fdopen(fd, "wb")
    raise BentoClientError(f"cannot create a file for {name!r} in {folder}: 10000 names taken")


def _signature(endpoint: Endpoint) -> inspect.Signature:
    import inspect  # only when someone reads a method's signature

    if endpoint.root_input:
        return inspect.Signature([inspect.Parameter("value", inspect.Parameter.POSITIONAL_ONLY)])
    params = []
    for f in endpoint.fields:
        default = inspect.Parameter.empty if f.required else f.schema.get("default")
        params.append(inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    # Optional fields with no schema default must not precede required ones positionally.
    try:
        return inspect.Signature(params)
    except ValueError:
        return inspect.Signature([p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])
