"""What both clients share before any I/O: options, the endpoint table, request building.

Nothing here touches the network.  The one driver (``_async/client.py`` and the sync code
generated from it) subclasses :class:`ClientBase` for ``AsyncHTTPClient`` and ``SyncHTTPClient``.
"""

from __future__ import annotations

import os

# Not typing.TYPE_CHECKING: the client classes import without typing (see _lazy).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import inspect
    from collections.abc import Mapping
    from typing import Any, BinaryIO, Optional, TypeVar, Union

    from . import _body, _decode, _encode, _files, _models, _multipart, _protocol, _proxy, _retry, _schema, _tasks, _url
    from . import exceptions as _errors
    from ._models import Headers, Request, ResponseData, TimeoutTypes
    from ._proxy import ProxyConfig
    from ._retry import Retry
    from ._schema import Endpoint, ServiceSchema
    from ._url import ServiceAddress

    Self = TypeVar("Self", bound="ClientBase")
else:
    from ._lazy import (
        _body,
        _decode,
        _encode,
        _files,
        _models,
        _multipart,
        _protocol,
        _proxy,
        _retry,
        _schema,
        _tasks,
        _url,
    )
    from ._lazy import exceptions as _errors

__all__ = ["ClientBase", "EndpointMethod"]


class ClientBase:
    """Options, schema and endpoint methods common to both clients (see their docs)."""

    def __init__(
        self,
        url: str,
        *,
        token: Optional[str] = None,
        timeout: TimeoutTypes = 30,
        server_ready_timeout: Optional[float] = None,
        download_dir: Union[str, os.PathLike[str], None] = None,
        headers: Optional[Mapping[str, str]] = None,
        max_connections: int = 10,
        retry: Optional[Retry] = None,
        proxy: Optional[str] = None,
        trust_env: bool = True,
        custom_transport: bool = False,
    ) -> None:
        self._address: ServiceAddress = _url.parse_service_url(url)
        self.url: str = url
        self.timeout = timeout
        self._timeout = _models.Timeout.of(timeout)
        self.server_ready_timeout = server_ready_timeout
        self._ready_wait = _protocol.ready_wait_seconds(timeout, server_ready_timeout)
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise _errors.ConfigurationError(f"max_connections must be a positive integer, got {max_connections!r}")
        self._max_connections = max_connections
        if retry is not None and not isinstance(retry, _retry.Retry):
            raise _errors.ConfigurationError(f"retry must be a bentoclient.Retry, got {type(retry).__name__}")
        self._retry = _retry.Retry() if retry is None else retry
        if not isinstance(trust_env, bool):
            raise _errors.ConfigurationError(f"trust_env must be True or False, got {trust_env!r}")
        self.trust_env = trust_env
        #: The proxy the default transport sends through (from proxy= or the environment).
        self._proxy: Optional[ProxyConfig] = None
        if custom_transport:
            if proxy is not None:
                raise _errors.ConfigurationError(
                    "proxy= is used by the default transport only, and transport= was given too; configure the "
                    "proxy in your transport, or leave out transport="
                )
        else:
            self._proxy = _proxy.select_proxy(self._address, proxy, trust_env, os.environ)
        self._token = _protocol.resolve_token(token)
        # Bodies are used as sent (file outputs, streams): ask for no content coding, on both clients.
        base = [("User-Agent", _protocol.USER_AGENT), ("Accept-Encoding", "identity")]
        if self._token:
            base.append(("Authorization", f"Bearer {self._token}"))
        base += [(key, _models.check_header_value(key, value)) for key, value in (headers or {}).items()]
        self._headers: tuple[tuple[str, str], ...] = tuple(base)
        self._files = _files.DownloadFolder(os.fspath(download_dir) if download_dir is not None else None)
        self._closed = False
        self._readyz_path = "/readyz"
        self.service_name = ""
        self.endpoints: dict[str, Endpoint] = {}
        self._methods: dict[str, str] = {}  # attribute name -> endpoint name
        self._bound: dict[str, EndpointMethod] = {}

    def __repr__(self) -> str:
        auth = ", token=***" if self._token else ""
        proxy = f", proxy={self._proxy.display!r}" if self._proxy is not None else ""
        return f"<{type(self).__name__} {self._address.url!r} service={self.service_name!r}{auth}{proxy}>"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_files"] = _files.DownloadFolder(self._files.chosen)  # a temp folder stays with the original
        state["_bound"] = {}
        return state

    @property
    def _temp_dir(self) -> Optional[str]:
        """The temporary download folder, once a file output created it."""
        return self._files.temp

    # --- endpoint table ------------------------------------------------------------------

    def _set_schema_from(self, response: ResponseData) -> ServiceSchema:
        if response.status_code in (401, 403):  # the token, not the URL: say how to give it
            err = _decode.error_from_response(response)
            err.target = f"GET {self._address.url}/schema.json"
            raise err
        if response.status_code != 200:
            raise _errors.SchemaError(
                f"GET {self._address.url}/schema.json answered {response.status_code}; "
                "check that the URL points at a BentoML 1.2+ service",
                error_code=response.status_code,
            )
        import json

        try:
            schema = _schema.parse_schema(json.loads(response.content))
        except (ValueError, RecursionError) as exc:
            raise _errors.SchemaError(f"{self._address.url}/schema.json is not valid JSON: {exc}") from None
        self._set_schema(schema)
        return schema

    def _set_schema(self, schema: ServiceSchema) -> None:
        self.service_name = schema.name
        self.endpoints = dict(schema.endpoints)
        taken = set(dir(type(self))) | set(self.__dict__)
        self._methods = {
            (name if name not in taken and not name.startswith("_") else f"api_{name}"): name for name in self.endpoints
        }
        self._bound = {}

    def __getattr__(self, name: str) -> Any:  # endpoint methods: shapes known only at run time
        methods: Optional[dict[str, str]] = self.__dict__.get("_methods")
        if not methods or name not in methods:
            raise self._missing_attribute(name)
        endpoint_name = methods[name]
        bound = self._bound.get(endpoint_name)
        if bound is None:
            endpoint = self.endpoints[endpoint_name]
            kind = TaskEndpointMethod if endpoint.is_task else EndpointMethod
            bound = self._bound[endpoint_name] = kind(self, endpoint)
        return bound

    def _missing_attribute(self, name: str) -> Exception:
        known = ", ".join(self.__dict__.get("_methods") or ()) or "none"
        return AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} (endpoints: {known})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_methods", ())))

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    # --- building requests -----------------------------------------------------------------

    def _endpoint(self, name: str) -> Endpoint:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            known = ", ".join(self.endpoints) or "none"
            raise _errors.EndpointNotFound(
                f"service {self.service_name!r} has no endpoint {name!r}; its endpoints are: {known}",
                endpoint=name,
            )
        return endpoint

    def _call_request(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Request:
        """The POST for one call; raises ArgumentError before anything is sent."""
        body = _body.encode_body(endpoint, _encode.bind_arguments(endpoint, args, kwargs))
        return _models.Request(
            "POST",
            self._address.target(endpoint.route),
            (*self._headers, ("Content-Type", body.content_type)),
            body.content,
            body.length,
            endpoint.name,
        )

    def _raw_request(
        self,
        method: str,
        url: str,
        *,
        content: Union[bytes, str, None],
        data: Union[bytes, str, Mapping[str, Any], None],
        json_body: Any,
        params: Optional[Mapping[str, Any]],
        headers: Optional[Mapping[str, str]],
        files: Optional[Mapping[str, Any]] = None,
    ) -> Request:
        import json
        from collections.abc import Mapping
        from urllib.parse import urlencode

        target = _url.remove_dot_segments(self._target_for(url))
        if any(not "\x21" <= ch <= "\x7e" for ch in target):
            raise _errors.ConfigurationError(
                f"request(): the path {target!r} has spaces, control or non-ASCII characters; "
                "percent-encode it first (urllib.parse.quote)"
            )
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params, doseq=True)
        hdrs = list(self._headers)
        length: Optional[int] = None
        body: Any
        if files:
            if json_body is not None or content is not None or (data is not None and not isinstance(data, Mapping)):
                raise _errors.ConfigurationError(
                    "request(): files= goes with data= as a dict of form fields only, not with json= or content="
                )
            form = _multipart.build_form(files, data or {})
            body, length = form, form.length
            hdrs.append(("Content-Type", form.content_type))
        elif json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
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
            hdrs += [(k, _models.check_header_value(k, v)) for k, v in headers.items()]
        return _models.Request(method.upper(), target, tuple(hdrs), body, length, url)

    def _get_request(self, path: str) -> Request:
        return _models.Request("GET", self._address.target(path), self._headers)

    def _task_request(self, method: str, endpoint: Endpoint, action: str, task_id: str) -> Request:
        target = self._address.target(_tasks.task_target(endpoint, action, task_id))
        return _models.Request(method, target, self._headers, b"", 0, endpoint.name)

    # Task operations; each client implements them with its own I/O.
    def _task_submit(self, endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def _task_status(self, endpoint: Endpoint, task_id: str) -> Any:
        raise NotImplementedError

    def _task_result(self, endpoint: Endpoint, task_id: str) -> Any:
        raise NotImplementedError

    def _task_cancel(self, endpoint: Endpoint, task_id: str) -> Any:
        raise NotImplementedError

    def _task_retry(self, endpoint: Endpoint, task_id: str) -> Any:
        raise NotImplementedError

    def _target_for(self, url: str) -> str:
        if "://" in url:
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            given = _url.parse_service_url(url)
            if given.logical_origin != self._address.logical_origin:
                raise _errors.ConfigurationError(
                    f"request(): {url!r} is not on this client's service ({self._address.origin}); "
                    "pass a path such as '/metrics'"
                )
            return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self._address.target(url if url.startswith("/") else "/" + url)

    def _options_copy(
        self: Self,
        timeout: TimeoutTypes | None,
        headers: Optional[Mapping[str, str]],
        retry: Optional[Retry],
    ) -> Self:
        # Shares connections, endpoints and the download folder (not copy.copy: pickling
        # state would give the copy connections and a folder of its own that nothing closes).
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._bound = {}
        if timeout is not None:
            clone.timeout = timeout
            clone._timeout = _models.Timeout.of(timeout)
        if retry is not None:
            if not isinstance(retry, _retry.Retry):
                raise _errors.ConfigurationError(f"retry must be a bentoclient.Retry, got {type(retry).__name__}")
            clone._retry = retry
        if headers:
            extra = tuple((k, _models.check_header_value(k, v)) for k, v in headers.items())
            names = {k.lower() for k, _ in extra}
            clone._headers = tuple(h for h in self._headers if h[0].lower() not in names) + extra
        return clone

    # --- readiness ------------------------------------------------------------------------

    def _ready_seconds(self, timeout: Optional[float]) -> float:
        return _protocol.ready_wait_seconds(self.timeout, timeout)

    def _use_prefix_from(self, response: ResponseData) -> bool:
        """For a ``path_prefix`` service, ``/readyz`` lives under the prefix of its routes."""
        if response.status_code != 200:
            return False
        import json

        try:
            prefix = _protocol.derive_path_prefix(_schema.parse_schema(json.loads(response.content)))
        except (_errors.BentoClientError, ValueError, RecursionError):
            return False
        if prefix:
            self._readyz_path = prefix + "/readyz"
        return bool(prefix)

    # --- file outputs ----------------------------------------------------------------------

    def _downloads(self) -> str:
        return self._files.path()

    def _downloads_hint(self) -> str:
        return self._files.chosen or "a temporary folder"

    def _new_output_file(self, headers: Headers) -> tuple[str, BinaryIO]:
        return _files.create_unique(self._downloads(), _decode.output_filename(headers))


class EndpointMethod:
    # What ``client.<endpoint>`` returns: calls the endpoint; ``__doc__`` and
    # ``__signature__`` (built only when asked for) come from the schema.

    def __init__(self, client: ClientBase, endpoint: Endpoint) -> None:
        self._client = client
        self.endpoint = endpoint
        self.__name__ = self.__qualname__ = endpoint.name
        self.__doc__ = endpoint.doc()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._client.call(self.endpoint.name, *args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return endpoint_signature(self.endpoint)

    def __repr__(self) -> str:
        return f"<endpoint method {self.endpoint.signature_text()} of {self._client!r}>"

    def __getattr__(self, name: str) -> Any:
        if name in TASK_FUNCTIONS:
            raise _errors.NotATaskEndpoint(
                f"endpoint {self.endpoint.name!r} is not a task endpoint, so it has no {name}(); "
                + _tasks.not_a_task_hint(self.endpoint),
                endpoint=self.endpoint.name,
            )
        raise AttributeError(f"endpoint method {self.endpoint.name!r} has no attribute {name!r}")


TASK_FUNCTIONS = frozenset(("submit", "get_status", "get", "cancel", "retry"))


class TaskEndpointMethod(EndpointMethod):
    # A ``@bentoml.task`` endpoint: callable directly, plus BentoML's task functions.
    # On the async client each of these returns a coroutine.

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Start the task in the background; returns a ``Task`` (``AsyncTask``) handle."""
        return self._client._task_submit(self.endpoint, args, kwargs)

    def get_status(self, task_id: str) -> Any:
        return self._client._task_status(self.endpoint, _tasks.check_task_id(self.endpoint, task_id))

    def get(self, task_id: str) -> Any:
        return self._client._task_result(self.endpoint, _tasks.check_task_id(self.endpoint, task_id))

    def cancel(self, task_id: str) -> Any:
        return self._client._task_cancel(self.endpoint, _tasks.check_task_id(self.endpoint, task_id))

    def retry(self, task_id: str) -> Any:
        return self._client._task_retry(self.endpoint, _tasks.check_task_id(self.endpoint, task_id))


def endpoint_signature(endpoint: Endpoint) -> inspect.Signature:
    import inspect  # only when someone reads a method's signature

    if endpoint.root_input:
        return inspect.Signature([inspect.Parameter("value", inspect.Parameter.POSITIONAL_ONLY)])
    params = []
    for f in endpoint.fields:
        default = inspect.Parameter.empty if f.required else f.schema.get("default")
        params.append(inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    try:
        return inspect.Signature(params)
    except ValueError:  # an optional field before a required one: keywords only
        return inspect.Signature([p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])
