"""Test doubles: a fake BentoML service that either client talks to with no server.  Public.

:class:`FakeService` answers like ``bentoml serve`` on the wire for what a client sees
(``/readyz``, ``/schema.json``, JSON and multipart bodies, ``400`` with a pydantic-style
body for bad input, file outputs with ``content-disposition``, streamed chunks, task
endpoints), through the transport seam (:mod:`bentoclient.transport`), so no socket is
opened.  It records every request it received, and errors, delays and streams can be
scripted::

    fake = FakeService.from_class(Summarizer)            # or FakeService(schema, handlers={...})
    fake.fail("summarize", status=503, times=2)           # the next two calls get a 503
    with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
        client.summarize(text="...")                      # retried, then answered by the handler
    assert fake.calls("summarize") == [{"text": "..."}] * 3    # as sent, three times

``AsyncHTTPClient`` (from :mod:`bentoclient.aio`, no third-party package needed) takes
``fake.async_transport()`` the same way.  See ``docs/testing.md``.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import functools
import inspect
import io
import itertools
import json
import mimetypes
import os
import sys
import threading
import time
import typing
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path, PurePath
from typing import Any, Callable, NamedTuple, Optional, Union
from urllib.parse import parse_qsl, urlsplit

from ._encode import to_jsonable
from ._models import Headers, Request, Timeout
from ._schema import Endpoint, ServiceSchema, parse_schema
from .exceptions import (
    ConfigurationError,
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    SchemaError,
    TransportError,
)
from .transport import AsyncTransport, SyncTransport

__all__ = [
    "ANY_ENDPOINT",
    "FakeService",
    "Handler",
    "RecordedRequest",
    "ServiceClass",
    "UploadedFile",
    "schema_from_class",
]

#: Pass as the endpoint of :meth:`FakeService.fail` / :meth:`~FakeService.delay` to match every endpoint.
ANY_ENDPOINT = "*"
DEFAULT_URL = "http://fake-bentoml.invalid"  # never resolved: the fake's transports open no socket

Handler = Callable[..., Any]
#: A service class: a plain class whose public methods are the endpoints, or a class decorated
#: with ``@bentoml.service`` (a ``bentoml.Service`` object, read through its ``inner`` class).
ServiceClass = Any


class UploadedFile(NamedTuple):
    """A file part the fake received (the handler itself gets a ``Path`` to a copy)."""

    filename: str
    content_type: str
    data: bytes


class RecordedRequest(NamedTuple):
    """One request as the fake service received it."""

    method: str
    path: str  #: without the query
    query: Mapping[str, str]
    headers: Headers
    body: bytes
    #: The endpoint's name when the path is one of its routes (``/submit`` etc. included).
    endpoint: Optional[str] = None
    #: The parsed arguments (JSON object or multipart form; file parts as :class:`UploadedFile`),
    #: ``{"value": ...}`` for a root-input endpoint, None when the body is not for an endpoint.
    arguments: Optional[Mapping[str, Any]] = None


# --- schemas from Python classes --------------------------------------------------------


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def _origin(tp: Any) -> Any:
    return typing.get_origin(tp)


def _library_class(tp: Any, module: str, name: str) -> bool:
    """``tp`` is ``module.name`` (numpy's ndarray, PIL's Image, pandas' DataFrame) or a subclass,
    found without importing the library: a type hint naming it means it is imported already."""
    lib = sys.modules.get(module)
    cls = getattr(lib, name, None) if lib is not None else None
    return isinstance(cls, type) and isinstance(tp, type) and issubclass(tp, cls)


def _is_ndarray(tp: Any) -> bool:
    # numpy.typing.NDArray[X] is ndarray[shape, dtype[X]]: its origin is ndarray
    return _library_class(tp, "numpy", "ndarray") or _library_class(_origin(tp), "numpy", "ndarray")


def _is_pil_image(tp: Any) -> bool:
    return _library_class(tp, "PIL.Image", "Image")


def _is_dataframe(tp: Any) -> bool:
    return _library_class(tp, "pandas", "DataFrame")


def _annotated(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``(T, metadata)`` for ``Annotated[T, *metadata]``; ``(tp, ())`` for anything else."""
    if _origin(tp) is typing.Annotated:
        return typing.get_args(tp)[0], tuple(getattr(tp, "__metadata__", ()))
    return tp, ()


def _with_metadata(schema: dict[str, Any], metadata: tuple[Any, ...]) -> dict[str, Any]:
    """BentoML's validators (``Shape``, ``DType``, ``ContentType``, ``DataframeSchema``),
    read by their attributes, added as ``bentoml serve`` adds them."""
    out = dict(schema)
    for meta in metadata:
        dimensions = getattr(meta, "dimensions", None)
        if out.get("type") == "tensor" and isinstance(dimensions, tuple):
            out["shape"] = list(dimensions)
            out["dim"] = int(functools.reduce(lambda a, b: a * b, dimensions, 1))
        dtype = getattr(meta, "dtype", None)
        if out.get("type") == "tensor" and isinstance(dtype, str):
            out["dtype"] = dtype
        content_type = getattr(meta, "content_type", None)
        if out.get("type") == "file" and isinstance(content_type, str):
            out["format"] = content_type.split("/", 1)[0]
            out["content_type"] = content_type
        orient = getattr(meta, "orient", None)
        if out.get("type") == "dataframe" and isinstance(orient, str):
            out["orient"] = orient
            columns = getattr(meta, "columns", None)
            if columns:
                out["columns"] = list(columns)
    return out


def _type_schema(tp: Any, where: str) -> dict[str, Any]:
    """The JSON schema BentoML (pydantic) writes for a parameter or return type."""
    base, metadata = _annotated(tp)
    if metadata:
        return _with_metadata(_type_schema(base, where), metadata)
    if tp is Any or tp is inspect.Parameter.empty or tp is object:
        return {}
    if _is_ndarray(tp):
        return {"type": "tensor", "format": "numpy-array"}
    if _is_pil_image(tp):
        return {"type": "file", "format": "image", "pil": True}
    if _is_dataframe(tp):
        return {"type": "dataframe", "orient": "records"}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is bytes:
        return {"type": "string", "format": "binary"}
    formats = {datetime.datetime: "date-time", datetime.date: "date", datetime.time: "time", uuid.UUID: "uuid"}
    if tp in formats:
        return {"type": "string", "format": formats[tp]}
    if isinstance(tp, type) and issubclass(tp, PurePath):
        return {"type": "file", "format": "binary"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp], "title": tp.__name__, "type": _json_type_of([m.value for m in tp])}
    if isinstance(tp, type) and hasattr(tp, "model_json_schema"):  # a pydantic model
        schema: dict[str, Any] = tp.model_json_schema()
        return schema
    origin, args = _origin(tp), typing.get_args(tp)
    if origin in (list, Sequence, set, frozenset, tuple):
        items = [a for a in args if a is not Ellipsis]
        out: dict[str, Any] = {"type": "array"}
        if len(items) >= 1:
            out["items"] = _type_schema(items[0], where)
        return out
    if tp in (list, tuple, set, frozenset):
        return {"type": "array", "items": {}}
    if origin in (dict, Mapping) or tp is dict:
        value = _type_schema(args[1], where) if len(args) == 2 else True
        return {"additionalProperties": value if value != {} else True, "type": "object"}
    if origin is typing.Literal:
        return {"enum": list(args), "type": _json_type_of(list(args))}
    if origin is Union or type(tp).__name__ == "UnionType":  # Optional[X], X | None
        return {"anyOf": [_type_schema(a, where) for a in args]}
    raise ConfigurationError(
        f"{where}: cannot describe the type {tp!r} as a BentoML schema (supported: str, int, float, bool, "
        "bytes, datetime, date, time, UUID, Path, list[...], dict[str, ...], Optional[...], Literal, Enum, "
        "pydantic models, numpy arrays, PIL images, pandas DataFrames, Annotated[...] with BentoML's validators); "
        "pass FakeService(schema_dict) with the service's /schema.json instead"
    )


def _json_type_of(values: list[Any]) -> str:
    kinds = {"string" if isinstance(v, str) else "integer" if isinstance(v, int) else "number" for v in values}
    return kinds.pop() if len(kinds) == 1 else "string"


def _stream_item(tp: Any) -> Any:
    """``X`` for ``Iterator[X]``, ``Generator[X, ...]``, ``AsyncIterator[X]`` ...; else None."""
    origin = _origin(tp)
    names = {"Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable", "AsyncIterable"}
    if origin is not None and getattr(origin, "__name__", "") in names:
        args = typing.get_args(tp)
        return args[0] if args else Any
    return None


def _is_context(tp: Any) -> bool:
    # bentoml.Context (bentoml._internal.context.ServiceContext): injected, never sent
    return getattr(tp, "__name__", "") in ("Context", "ServiceContext")


def _api_parts(cls: type, name: str) -> Optional[tuple[Callable[..., Any], str, bool]]:
    """(function, route, is_task) for a public method of ``cls`` (a BentoML API or a plain method)."""
    if name.startswith("_"):
        return None
    attr = inspect.getattr_static(cls, name)
    func = getattr(attr, "func", attr)  # bentoml.api wraps the function in an APIMethod
    if isinstance(func, (staticmethod, classmethod)) or not inspect.isfunction(func):
        return None
    route = getattr(attr, "route", None)
    return func, route if isinstance(route, str) and route else f"/{name}", bool(getattr(attr, "is_task", False))


def schema_from_class(cls: ServiceClass, *, tasks: Iterable[str] = ()) -> dict[str, Any]:
    """The ``/schema.json`` BentoML would serve for a service class whose public methods are its APIs.

    Parameter types become the input schema, the return type the output
    (``Iterator[X]``: a streaming endpoint of ``X``).  ``tasks`` names the methods that are
    task endpoints (``@bentoml.task``); a class decorated with BentoML's own decorators
    (``@bentoml.service``) is read as it is.
    """
    inner = getattr(cls, "inner", cls)  # a bentoml.Service wraps the user's class
    if not isinstance(inner, type):
        raise ConfigurationError(
            f"schema_from_class({cls!r}): give the service class (or a @bentoml.service class), not an instance"
        )
    task_names = set(tasks)
    routes = []
    for name in dict.fromkeys(n for klass in reversed(inner.__mro__) for n in vars(klass) if klass is not object):
        parts = _api_parts(inner, name)
        if parts is None:
            continue
        func, route, is_task = parts
        where = f"{inner.__name__}.{name}"
        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception as exc:  # a forward reference that does not resolve
            raise ConfigurationError(f"{where}: its type hints cannot be resolved ({exc})") from None
        props: dict[str, Any] = {}
        required: list[str] = []
        root: Optional[dict[str, Any]] = None
        for param in list(inspect.signature(func).parameters.values())[1:]:  # [0] is self
            tp = hints.get(param.name, Any)
            if _is_context(tp) or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            # BentoML describes an Optional[X] parameter as X (its default says it may be None).
            field = _type_schema(_without_none(tp), f"{where}({param.name})")
            if param.kind is param.POSITIONAL_ONLY:
                root = {**field, "root_input": True}
                continue
            field = {**field, "title": _title(param.name)}
            if param.default is param.empty:
                required.append(param.name)
            else:
                field["default"] = to_jsonable(param.default) if not _plain_json(param.default) else param.default
            props[param.name] = field
        if root is None:
            input_schema: dict[str, Any] = {"properties": props, "title": "Input", "type": "object"}
            if required:
                input_schema["required"] = required
        else:
            input_schema = root
        returned = hints.get("return", Any)
        declared, metadata = _annotated(returned)
        media_type = next((m.content_type for m in metadata if isinstance(getattr(m, "content_type", None), str)), None)
        item = _stream_item(declared)
        if item is not None:
            output = {**_type_schema(item, f"{where} -> {returned!r}"), "is_stream": True}
            output["media_type"] = media_type or "text/event-stream"
        else:
            output = _type_schema(returned, f"{where} -> {returned!r}")
            if media_type is not None:
                output["media_type"] = media_type
        entry: dict[str, Any] = {
            "name": name,
            "route": route,
            "batchable": False,
            "input": input_schema,
            "output": output,
            "is_task": is_task or name in task_names,
        }
        doc = inspect.getdoc(func)
        if doc:
            entry["description"] = doc
        routes.append(entry)
    unknown = task_names - {r["name"] for r in routes}
    if unknown:
        raise ConfigurationError(f"tasks={sorted(unknown)!r}: {inner.__name__} has no such public method")
    # "paths" as BentoML 1.4 writes it: the client reads a schema without it as an older line's.
    paths = {r["route"]: {"mounted": False} for r in routes}
    schema: dict[str, Any] = {"name": inner.__name__, "type": "service", "routes": routes, "paths": paths}
    doc = inspect.getdoc(inner)
    if doc and doc != inspect.getdoc(object):
        schema["description"] = doc
    return schema


def _without_none(tp: Any) -> Any:
    if _origin(tp) is Union or type(tp).__name__ == "UnionType":
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _plain_json(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


# --- validation (what pydantic would say, for the common types) ------------------------

_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_WRONG = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "null": ("none_required", "Input should be None"),
}


def _problems(value: Any, schema: Mapping[str, Any], loc: list[Any]) -> list[dict[str, Any]]:
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        found = [_problems(value, o, loc) for o in options if isinstance(o, Mapping)]
        return [] if not found or any(not f for f in found) else found[0]
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        expected = " or ".join(repr(v) for v in schema["enum"])
        return [{"type": "enum", "loc": loc, "msg": f"Input should be {expected}", "input": value}]
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _CHECKS:
        return []  # files, tensors, anything unusual: accepted as sent
    if kind == "string" and schema.get("format") == "binary" and isinstance(value, bytes):
        return []
    if not _CHECKS[kind](value):
        code, msg = _WRONG[kind]
        return [{"type": code, "loc": loc, "msg": msg, "input": value}]
    out: list[dict[str, Any]] = []
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            out += _problems(item, schema["items"], [*loc, i])
    if kind == "object":
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for name in schema.get("required", []):
                if name not in value:
                    out.append({"type": "missing", "loc": [*loc, name], "msg": "Field required", "input": value})
            for name, sub in props.items():
                if name in value and isinstance(sub, Mapping):
                    out += _problems(value[name], sub, [*loc, name])
        elif isinstance(schema.get("additionalProperties"), Mapping):
            for name, sub in value.items():
                out += _problems(sub, schema["additionalProperties"], [*loc, name])
    return out


def _validation_body(problems: list[dict[str, Any]]) -> bytes:
    n = len(problems)
    error = f"{n} validation error{'s' if n > 1 else ''} for Input"
    return json.dumps({"error": error, "detail": problems}, default=repr).encode()


# --- the service ------------------------------------------------------------------------


class _Reply:
    """A response: status, headers and the body as bytes or as chunks (sync or async)."""

    def __init__(
        self,
        status: int,
        body: Union[bytes, _Chunks] = b"",
        headers: Optional[Mapping[str, str]] = None,
        *,
        content_type: str = "application/json",
    ) -> None:
        self.status_code = status
        self.headers = Headers({"content-type": content_type, "server": "bentoclient.testing"})
        for key, value in (headers or {}).items():
            self.headers.add(key, value)
        if isinstance(body, bytes):
            self.headers.add("content-length", str(len(body)))
        self.body = body


def _json_reply(status: int, value: Any, headers: Optional[Mapping[str, str]] = None) -> _Reply:
    return _Reply(status, json.dumps(value).encode(), headers)


def _error_reply(status: int, message: str) -> _Reply:
    return _json_reply(status, {"error": message})


class _Rule:
    def __init__(self, target: str, times: Optional[int], **what: Any) -> None:
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ConfigurationError(f"times={times!r}: give a positive number of requests, or None for every one")
        self.target = target
        self.times = times
        self.what = what

    def take(self) -> None:
        if self.times is not None:
            self.times -= 1

    @property
    def used_up(self) -> bool:
        return self.times is not None and self.times <= 0


class _TaskState:
    def __init__(self, endpoint: Endpoint, call: Callable[[], Any], polls: int) -> None:
        self.endpoint = endpoint
        self.call = call
        self.polls_left = polls
        self.status = "in_progress"
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.created_at = time.strftime("%Y-%m-%dT%H:%M:%S")


class _Step:
    """What answering one request takes: a wait, then an error, a reply, or a handler call."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.error: Optional[TransportError] = None
        self.reply: Optional[_Reply] = None
        self.call: Optional[Callable[[], Any]] = None
        self.finish: Callable[[Any, Optional[BaseException]], _Reply] = lambda value, exc: _Reply(500)


class FakeService:
    """A BentoML service in memory, served to either client through its transports.

    ``schema`` is a ``/schema.json`` document (a dict) or a service class (see
    :func:`schema_from_class`); ``handlers`` maps endpoint names to functions called with the
    request's arguments (as BentoML calls the API methods: keywords, file fields as ``Path``,
    a root input positionally).  A handler may be a coroutine function, return an iterator
    (or async iterator) for a streaming endpoint, and raise: an exception with an
    ``error_code`` (as BentoML's exceptions have) answers with that status, others with 500.
    """

    def __init__(
        self,
        schema: Union[Mapping[str, Any], ServiceClass],
        handlers: Optional[Mapping[str, Handler]] = None,
        *,
        url: str = DEFAULT_URL,
    ) -> None:
        document = dict(schema) if isinstance(schema, Mapping) else schema_from_class(schema)
        try:
            parsed: ServiceSchema = parse_schema(document)
        except SchemaError as exc:
            raise ConfigurationError(f"FakeService: the schema is not a BentoML service schema: {exc}") from None
        self.schema: Mapping[str, Any] = document
        self.service = parsed
        self.url = url
        self.handlers: dict[str, Handler] = {}
        for name, handler in (handlers or {}).items():
            self.set_handler(name, handler)
        #: Every request received, in order (probes and schema reads included).
        self.requests: list[RecordedRequest] = []
        self._rules: list[_Rule] = []
        self._tasks: dict[str, _TaskState] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tmp: Optional[Any] = None
        self._counter = itertools.count(1)

    @classmethod
    def from_class(
        cls,
        service: ServiceClass,
        handlers: Optional[Mapping[str, Handler]] = None,
        *,
        instance: Any = None,
        tasks: Iterable[str] = (),
        url: str = DEFAULT_URL,
    ) -> FakeService:
        """A fake of a service class: its schema from the type hints, its methods as handlers.

        The methods are called on ``instance`` (default: ``service()``, the class made with no
        arguments); ``handlers`` replace some of them.  ``tasks`` names task endpoints of a
        class that is not decorated with BentoML's ``@bentoml.task``.
        """
        schema = schema_from_class(service, tasks=tasks)
        factory: Callable[[], Any] = service.inner if hasattr(service, "inner") else service
        obj = instance if instance is not None else factory()
        methods = {r["name"]: _bound_method(obj, r["name"]) for r in schema["routes"]}
        return cls(schema, {**methods, **(handlers or {})}, url=url)

    # --- configuration ---------------------------------------------------------------

    def _endpoint(self, name: str, what: str) -> Endpoint:
        found = self.service.endpoints.get(name)
        if found is None:
            import difflib

            close = difflib.get_close_matches(name, list(self.service.endpoints), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(self.service.endpoints) or "none"
            raise ConfigurationError(f"{what}: the service has no endpoint {name!r}{hint}; its endpoints: {known}")
        return found

    def _target(self, target: str, what: str) -> str:
        if target == ANY_ENDPOINT or target.startswith("/"):
            return target
        return self._endpoint(target, what).name

    def set_handler(self, endpoint: str, handler: Handler) -> None:
        """Answer calls of ``endpoint`` with ``handler`` from now on."""
        self._endpoint(endpoint, f"handlers[{endpoint!r}]")
        if not callable(handler):
            raise ConfigurationError(f"handlers[{endpoint!r}] is {handler!r}, not a function")
        self.handlers[endpoint] = handler

    def fail(
        self,
        endpoint: str,
        status: Optional[int] = None,
        *,
        error: Union[type[TransportError], TransportError, None] = None,
        body: Union[bytes, str, Mapping[str, Any], None] = None,
        headers: Optional[Mapping[str, str]] = None,
        times: Optional[int] = 1,
    ) -> None:
        """Make the next ``times`` requests to ``endpoint`` fail (None: every one from now on).

        Either with an HTTP ``status`` (``body`` default: ``{"error": "<reason>"}``, as
        BentoML sends; ``headers``, e.g. ``{"Retry-After": "1"}``), or with a transport
        ``error`` such as ``ConnectError`` or ``ReadTimeout`` (a class or an instance).
        ``endpoint`` is an endpoint name, a path such as ``"/readyz"``, or ``"*"``.
        """
        target = self._target(endpoint, f"fail({endpoint!r})")
        if (status is None) == (error is None):
            raise ConfigurationError(f"fail({endpoint!r}): give status= (an HTTP error) or error= (a transport error)")
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise ConfigurationError(f"fail({endpoint!r}): status={status!r} is not an HTTP status code (100-599)")
        if error is not None and not (
            isinstance(error, TransportError) or (isinstance(error, type) and issubclass(error, TransportError))
        ):
            raise ConfigurationError(
                f"fail({endpoint!r}): error={error!r} is not a bentoclient.exceptions.TransportError "
                "(e.g. ConnectError, ReadTimeout); for an HTTP error pass status="
            )
        if isinstance(body, Mapping):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self._add(_Rule(target, times, status=status, error=error, body=body, headers=dict(headers or {})))

    def delay(self, endpoint: str, seconds: float, *, times: Optional[int] = None) -> None:
        """Wait ``seconds`` before answering ``endpoint`` (every request, or the next ``times``).

        A delay longer than the request's read timeout ends in ``ReadTimeout`` after that
        timeout, as a slow server would.
        """
        target = self._target(endpoint, f"delay({endpoint!r})")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ConfigurationError(f"delay({endpoint!r}): seconds={seconds!r} must be a number >= 0")
        self._add(_Rule(target, times, delay=float(seconds)))

    def stream(
        self,
        endpoint: str,
        items: Iterable[Any],
        *,
        interval: float = 0.0,
        error: Union[type[TransportError], TransportError, None] = None,
        times: Optional[int] = 1,
    ) -> None:
        """Answer the next ``times`` calls of a streaming ``endpoint`` with ``items``, one chunk each.

        ``interval`` seconds pass before each chunk; ``error`` (e.g. ``ReadError``) is raised
        after the last one, as when the connection breaks mid-stream.
        """
        found = self._endpoint(endpoint, f"stream({endpoint!r})")
        if not found.is_stream:
            raise ConfigurationError(f"stream({endpoint!r}): the endpoint does not stream; use set_handler() or fail()")
        self._add(_Rule(found.name, times, items=list(items), interval=float(interval), stream_error=error))

    def pending(self, endpoint: str, *, polls: int = 1) -> None:
        """Tasks of ``endpoint`` submitted from now on report ``in_progress`` for ``polls`` status requests."""
        found = self._endpoint(endpoint, f"pending({endpoint!r})")
        if not found.is_task:
            raise ConfigurationError(f"pending({endpoint!r}): not a task endpoint")
        if not isinstance(polls, int) or isinstance(polls, bool) or polls < 0:
            raise ConfigurationError(f"pending({endpoint!r}): polls={polls!r} must be a whole number >= 0")
        self._pending[found.name] = polls

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def reset(self) -> None:
        """Forget the recorded requests, scripted failures, delays, streams and tasks."""
        with self._lock:
            self.requests.clear()
            self._rules.clear()
            self._tasks.clear()
            self._pending.clear()

    # --- what was received -------------------------------------------------------------

    def calls(self, endpoint: str) -> list[Mapping[str, Any]]:
        """The arguments of each request to ``endpoint`` (calls and task submits), in order."""
        name = self._endpoint(endpoint, f"calls({endpoint!r})").name
        route = self.service.endpoints[name].route
        return [
            r.arguments
            for r in self.requests
            if r.endpoint == name and r.arguments is not None and r.path in (route, route + "/submit")
        ]

    # --- transports ----------------------------------------------------------------------

    def transport(self) -> SyncTransport:
        """A ``SyncTransport`` for ``SyncHTTPClient(fake.url, transport=...)``."""
        return _SyncFakeTransport(self)

    def async_transport(self) -> AsyncTransport:
        """An ``AsyncTransport`` for ``AsyncHTTPClient(fake.url, transport=...)``."""
        return _AsyncFakeTransport(self)

    def close(self) -> None:
        """Remove the copies of uploaded files handed to handlers."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> FakeService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- answering -------------------------------------------------------------------

    def _save_upload(self, upload: UploadedFile) -> Path:
        with self._lock:
            if self._tmp is None:
                import tempfile

                self._tmp = tempfile.TemporaryDirectory(prefix="bentoclient-fake-")
            folder = Path(self._tmp.name) / str(next(self._counter))
        folder.mkdir()
        name = os.path.basename(upload.filename.replace("\\", "/")) or "upload"
        path = folder / name
        path.write_bytes(upload.data)
        return path

    @staticmethod
    def _applies(rule: _Rule, record: RecordedRequest) -> bool:
        if rule.used_up:
            return False
        if rule.target == record.path:
            return True
        return record.endpoint is not None and rule.target in (record.endpoint, ANY_ENDPOINT)

    def _claim(self, record: RecordedRequest) -> tuple[float, Optional[_Rule]]:
        """The scripted delay and failure for this request, used up at once (threads share a fake)."""
        delay, failure = 0.0, None
        with self._lock:
            for rule in self._rules:
                if not self._applies(rule, record):
                    continue
                if "delay" in rule.what:
                    rule.take()
                    delay += rule.what["delay"]
                elif "status" in rule.what and failure is None:
                    rule.take()
                    failure = rule
        return delay, failure

    def _claim_stream(self, record: RecordedRequest) -> Optional[_Rule]:
        with self._lock:
            for rule in self._rules:
                if "items" in rule.what and self._applies(rule, record):
                    rule.take()
                    return rule
        return None

    def _plan(self, request: Request, body: bytes) -> _Step:
        step = _Step()
        split = urlsplit(request.target)
        path, query = split.path, dict(parse_qsl(split.query))
        endpoint, action = self._route(path)
        record = RecordedRequest(
            request.method, path, query, Headers(request.headers), body, endpoint.name if endpoint else None
        )
        arguments: Optional[dict[str, Any]] = None
        problem: Optional[_Reply] = None
        if endpoint is not None and action in ("", "submit") and request.method == "POST":
            sent, problem = self._parse(endpoint, record)
            record = record._replace(arguments=sent)
            arguments = None if sent is None else self._with_defaults(endpoint, sent)
        with self._lock:
            self.requests.append(record)
        step.delay, failure = self._claim(record)
        if failure is not None:
            if failure.what["error"] is not None:
                step.error = _transport_error(failure.what["error"], path)
            else:
                status = failure.what["status"]
                body_out = failure.what["body"]
                if body_out is None:
                    body_out = json.dumps({"error": _reason(status)}).encode()
                step.reply = _Reply(status, body_out, failure.what["headers"])
            return step
        if endpoint is None:
            step.reply = self._plain(request.method, path)
            return step
        if request.method != ("GET" if action in ("status", "get") else "PUT" if action == "cancel" else "POST"):
            step.reply = _error_reply(405, "Method Not Allowed")
            return step
        if problem is not None:
            step.reply = problem
            return step
        if action in ("status", "get", "cancel", "retry"):
            step.reply = self._task_action(endpoint, action, query.get("task_id", ""))
            if action == "retry" and step.reply.status_code == 200:
                step.reply = None
                old = self._tasks[query["task_id"]]
                self._start_task(step, endpoint, old.call)
            return step
        scripted = self._claim_stream(record) if endpoint.is_stream and action == "" else None
        if scripted is not None:
            step.reply = self._stream_reply(endpoint, scripted.what)
            return step
        handler = self.handlers.get(endpoint.name)
        if handler is None:
            message = f"FakeService has no handler for endpoint {endpoint.name!r}"
            step.reply = _error_reply(500, f"{message}: pass handlers={{{endpoint.name!r}: ...}}")
            return step
        try:
            call = self._bind_call(endpoint, handler, arguments or {})
        except _Invalid as invalid:  # what BentoML's validation of the input answers
            step.reply = _validation_reply(invalid.problems)
            return step
        if action == "submit":
            self._start_task(step, endpoint, call)
            return step
        step.call = call
        step.finish = lambda value, exc: self._encode(endpoint, value, exc)
        return step

    def _route(self, path: str) -> tuple[Optional[Endpoint], str]:
        for endpoint in self.service.endpoints.values():
            if path == endpoint.route:
                return endpoint, ""
            if endpoint.is_task and path.startswith(endpoint.route + "/"):
                action = path[len(endpoint.route) + 1 :]
                if action in ("submit", "status", "get", "cancel", "retry"):
                    return endpoint, action
        return None, ""

    def _plain(self, method: str, path: str) -> _Reply:
        if path in ("/readyz", "/livez", "/healthz"):
            return _Reply(200, b".", content_type="text/plain; charset=utf-8")
        if path == "/schema.json" and method == "GET":
            return _json_reply(200, self.schema)
        return _json_reply(404, {"detail": "Not Found"})

    def _parse(self, endpoint: Endpoint, record: RecordedRequest) -> tuple[Optional[dict[str, Any]], Optional[_Reply]]:
        media = record.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body = record.body
        if endpoint.root_input:
            if media == "application/json" or (not media and body):
                try:
                    value: Any = json.loads(body)
                except ValueError:
                    return None, _validation_reply([{"type": "json_invalid", "loc": [], "msg": "Invalid JSON"}])
            elif endpoint.input.get("type") == "file":
                value = UploadedFile("upload", media or "application/octet-stream", body)
            else:
                value = body
            wrong = _problems(value, endpoint.input, []) if media == "application/json" else []
            return {"value": value}, _validation_reply(wrong) if wrong else None
        if media == "multipart/form-data":
            arguments = _parse_multipart(record.headers.get("content-type", ""), body)
            if arguments is None:
                return None, _error_reply(400, "the multipart body cannot be parsed")
        else:
            try:
                arguments = json.loads(body) if body.strip() else {}
            except ValueError:
                return None, _validation_reply([{"type": "json_invalid", "loc": [], "msg": "Invalid JSON"}])
            if not isinstance(arguments, dict):
                return None, _validation_reply([{"type": "model_type", "loc": [], "msg": "Input should be an object"}])
        problems: list[dict[str, Any]] = []
        for field in endpoint.fields:
            if field.name not in arguments:
                if field.required:
                    problems.append({"type": "missing", "loc": [field.name], "msg": "Field required", "input": {}})
            elif arguments[field.name] is None and "default" in field.schema and field.schema["default"] is None:
                pass  # an Optional[X] = None parameter: BentoML's schema says X, pydantic accepts None
            elif not field.is_file and not isinstance(arguments[field.name], UploadedFile):
                problems += _problems(arguments[field.name], field.schema, [field.name])
        return arguments, _validation_reply(problems) if problems else None

    @staticmethod
    def _with_defaults(endpoint: Endpoint, sent: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments a handler gets: what was sent, and the schema's defaults for the rest."""
        full = dict(sent)
        for field in endpoint.fields:
            if field.name not in full and "default" in field.schema:
                full[field.name] = field.schema["default"]
        return full

    def _bind_call(self, endpoint: Endpoint, handler: Handler, arguments: Mapping[str, Any]) -> Callable[[], Any]:
        """The handler called with the request's arguments as BentoML passes them: file fields
        as ``Path``, then each converted to the handler's annotation (pydantic models, numpy
        arrays, PIL images, pandas DataFrames, Enums, ``Path``); raises :class:`_Invalid`."""
        types, first = _parameter_types(handler)

        def value_for(field_schema: Mapping[str, Any], value: Any) -> Any:
            if isinstance(value, list):
                return [value_for(field_schema.get("items", {}), v) for v in value]
            if isinstance(value, UploadedFile):
                if field_schema.get("type") == "string":  # a bytes parameter
                    return value.data
                return self._save_upload(value)
            if field_schema.get("type") == "string" and field_schema.get("format") == "binary":
                return value.encode() if isinstance(value, str) else value
            return value

        if endpoint.root_input:
            root = _convert(first, value_for(endpoint.input, arguments.get("value")), [])
            return lambda: handler(root)
        kwargs = {}
        for name, value in arguments.items():
            field = endpoint.get_field(name)
            kwargs[name] = _convert(types.get(name), value_for(field.schema if field else {}, value), [name])
        return lambda: handler(**kwargs)

    def _start_task(self, step: _Step, endpoint: Endpoint, call: Callable[[], Any]) -> None:
        task_id = uuid.uuid4().hex
        state = _TaskState(endpoint, call, self._pending.get(endpoint.name, 0))
        with self._lock:
            self._tasks[task_id] = state

        def finish(value: Any, exc: Optional[BaseException]) -> _Reply:
            state.result, state.error = value, exc
            state.status = "failed" if exc is not None else "completed"
            return _json_reply(200, {"task_id": task_id, "status": "in_progress"})

        step.call = call
        step.finish = finish

    def _task_action(self, endpoint: Endpoint, action: str, task_id: str) -> _Reply:
        state = self._tasks.get(task_id)
        if state is None or state.endpoint is not endpoint:
            return _error_reply(404, f"Task {task_id!r} not found")
        if action == "status":
            status = state.status
            if state.polls_left > 0:
                state.polls_left -= 1
                status = "in_progress"
            return _json_reply(
                200, {"task_id": task_id, "status": status, "created_at": state.created_at, "executed_at": None}
            )
        finished = state.polls_left <= 0
        if action == "get":
            if not finished or state.status == "in_progress":
                return _error_reply(400, f"Task {task_id} is not finished yet")
            if state.status == "canceled":
                return _error_reply(400, f"Task {task_id} was canceled")
            return self._encode(endpoint, state.result, state.error)
        if action == "cancel":
            state.status = "canceled"
            state.polls_left = 0
            return _Reply(200, b"", content_type="application/json")
        return _Reply(200)  # retry: the caller starts a new task

    def _encode(self, endpoint: Endpoint, value: Any, exc: Optional[BaseException]) -> _Reply:
        if exc is not None:
            code = getattr(exc, "error_code", None)
            status = int(code) if isinstance(code, int) and 400 <= int(code) <= 599 else 500
            return _error_reply(status, str(exc) or type(exc).__name__)
        if endpoint.is_stream:
            return self._stream_reply(endpoint, {"items": value, "interval": 0.0, "stream_error": None})
        output = endpoint.output
        try:
            return _encode_value(output, value)
        except (TypeError, ValueError, OSError) as error:
            message = f"the handler of {endpoint.name!r} returned {value!r}, which cannot be sent"
            return _error_reply(500, f"{message}: {error}")

    def _stream_reply(self, endpoint: Endpoint, what: Mapping[str, Any]) -> _Reply:
        media = endpoint.output.get("media_type")
        content_type = media if isinstance(media, str) else "text/plain; charset=utf-8"
        stream = _Chunks(what["items"], what["interval"], what["stream_error"], endpoint.route)
        return _Reply(200, stream, {"transfer-encoding": "chunked"}, content_type=content_type)


# --- arguments as the handler's annotations want them ------------------------------------


class _Invalid(Exception):
    """An argument its annotation refuses (a pydantic model's validation, an Enum's values)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _parameter_types(handler: Handler) -> tuple[dict[str, Any], Any]:
    """The annotation of each parameter of ``handler`` by name, and of its first positional one
    (a root input's); ``({}, None)`` when it has none that resolve."""
    try:
        hints = typing.get_type_hints(handler, include_extras=True)
        params = list(inspect.signature(handler).parameters.values())
    except Exception:  # no signature, or annotations that do not resolve: arguments go as sent
        return {}, None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    first = next((hints.get(p.name) for p in params if p.kind in positional), None)
    return {p.name: hints[p.name] for p in params if p.name in hints}, first


def _sequence_items(origin: Any, args: tuple[Any, ...], count: int) -> Optional[list[Any]]:
    """The item type of each of ``count`` items of a ``list[X]``/``tuple[X, ...]``/... hint."""
    if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
        return list(args) if len(args) == count else None  # tuple[X, Y]: one type per position
    return [args[0] if args else Any] * count


def _convert(tp: Any, value: Any, loc: list[Any]) -> Any:
    """``value`` (JSON, or a ``Path`` for a file part) as BentoML passes it to a parameter
    annotated ``tp``.  The optional libraries are used only when the annotation names them
    (so they are imported already); anything else is passed as it came."""
    base, metadata = _annotated(tp)
    if metadata:
        value = _convert(base, value, loc)
        dtype = next((m.dtype for m in metadata if isinstance(getattr(m, "dtype", None), str)), None)
        return value.astype(dtype) if dtype is not None and _is_ndarray(base) else value
    if value is None or tp is None or tp is Any or tp is object:
        return value
    origin, args = _origin(tp), typing.get_args(tp)
    if origin is Union or type(tp).__name__ == "UnionType":
        options = [a for a in args if a is not type(None)]
        return _convert(options[0], value, loc) if len(options) == 1 else value
    if _is_ndarray(tp):
        return sys.modules["numpy"].asarray(value)
    if origin in (list, tuple, set, frozenset, Sequence, Iterable) and isinstance(value, list):
        items = _sequence_items(origin, args, len(value))
        if items is None:
            return value
        converted = [_convert(t, v, [*loc, n]) for n, (t, v) in enumerate(zip(items, value))]
        return tuple(converted) if origin is tuple else set(converted) if origin in (set, frozenset) else converted
    if origin in (dict, Mapping) and isinstance(value, dict) and len(args) == 2:
        return {k: _convert(args[1], v, [*loc, k]) for k, v in value.items()}
    if not isinstance(tp, type) or isinstance(value, tp):
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # pydantic passes 3 to a float parameter as 3.0
    if tp in (datetime.datetime, datetime.date, datetime.time, uuid.UUID) and isinstance(value, str):
        try:
            if tp is uuid.UUID:
                return uuid.UUID(value)
            parse: Callable[[str], Any] = getattr(tp, "fromisoformat")  # noqa: B009  # on datetime/date/time
            return parse(value.replace("Z", "+00:00"))
        except ValueError:
            kind = tp.__name__.lower()
            problem = {"type": f"{kind}_parsing", "loc": loc, "msg": f"Input is not a valid {kind}"}
            raise _Invalid([problem]) from None
    if hasattr(tp, "model_validate"):  # a pydantic model: validated as BentoML's input model does
        try:
            return tp.model_validate(value)
        except Exception as exc:
            listed = getattr(exc, "errors", None)  # pydantic's ValidationError.errors()
            errors = listed() if callable(listed) else []
            problems = [
                {"type": str(e.get("type", "value_error")), "loc": [*loc, *e.get("loc", ())], "msg": str(e.get("msg"))}
                for e in errors
                if isinstance(e, Mapping)
            ]
            raise _Invalid(problems or [{"type": "value_error", "loc": loc, "msg": str(exc)}]) from None
    if issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise _Invalid([{"type": "enum", "loc": loc, "msg": f"Input should be {allowed}"}]) from None
    if issubclass(tp, PurePath) and isinstance(value, (str, PurePath)):
        return tp(value)
    if _is_pil_image(tp) and isinstance(value, PurePath):
        with sys.modules["PIL.Image"].open(value) as image:
            image.load()  # read now: the image stays usable after its file is closed
            return image
    if _is_dataframe(tp) and isinstance(value, (list, dict)):
        return sys.modules["pandas"].DataFrame(value)
    return value


def _bound_method(obj: Any, name: str) -> Handler:
    attr = inspect.getattr_static(type(obj), name)
    func = getattr(attr, "func", attr)  # a bentoml APIMethod: call the function it wraps
    bound: Handler = func.__get__(obj, type(obj))
    return bound


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _validation_reply(problems: list[dict[str, Any]]) -> _Reply:
    return _Reply(400, _validation_body(problems))


def _transport_error(error: Union[type[TransportError], TransportError], path: str) -> TransportError:
    if isinstance(error, TransportError):
        return error
    not_sent = issubclass(error, (ConnectError, ConnectTimeout))
    return error(f"{error.__name__} scripted by FakeService for {path}", request_sent=not not_sent)


def _encode_value(output: Mapping[str, Any], value: Any) -> _Reply:
    kind = output.get("type")
    if kind == "file":
        if hasattr(value, "save") and hasattr(value, "mode"):  # a PIL image: in its format, as BentoML sends it
            image_format = str(getattr(value, "format", None) or "PNG").upper()
            buffer = io.BytesIO()
            value.save(buffer, format=image_format)
            return _Reply(200, buffer.getvalue(), content_type=f"image/{image_format.lower()}")
        if isinstance(value, (bytes, bytearray)):
            data, name = bytes(value), "output"
        else:
            path = Path(os.fspath(value))
            data, name = path.read_bytes(), path.name
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        disposition = f'attachment; filename="{name}"'
        return _Reply(200, data, {"content-disposition": disposition}, content_type=media)
    if isinstance(value, (bytes, bytearray)):
        return _Reply(200, bytes(value), content_type="application/octet-stream")
    if isinstance(value, str) and (kind == "string" or kind is None or not _json_like(value)):
        return _Reply(200, value.encode(), content_type="text/plain; charset=utf-8")
    # the schema too: a data frame goes in the orient it declares
    body = json.dumps(value, default=lambda v: to_jsonable(v, output), ensure_ascii=False, separators=(",", ":"))
    return _Reply(200, body.encode())


def _json_like(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=to_jsonable, ensure_ascii=False, separators=(",", ":")).encode()


def _chunk(item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    return _dumps(item)


def _parse_multipart(content_type: str, body: bytes) -> Optional[dict[str, Any]]:
    boundary = ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return None
    out: dict[str, Any] = {}
    segments = (b"\r\n" + body).split(b"\r\n--" + boundary.encode())
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            break
        head, sep, data = segment.partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = Headers()
        for line in head.decode("latin-1").split("\r\n"):
            if ":" in line:
                key, _, value = line.partition(":")
                headers.add(key.strip(), value.strip())
        params = _disposition_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if name is None:
            return None
        if "filename" in params:
            value_out: Any = UploadedFile(
                params["filename"], headers.get("content-type", "application/octet-stream"), data
            )
        else:
            try:
                value_out = json.loads(data)
            except ValueError:
                value_out = data.decode("utf-8", "replace")
        if name in out:
            previous = out[name]
            out[name] = [*(previous if isinstance(previous, list) else [previous]), value_out]
        else:
            out[name] = value_out
    return out


def _disposition_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in value.split(";")[1:]:
        key, _, raw = part.strip().partition("=")
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"'):
            raw = raw[1:-1].replace('\\"', '"')
        params[key.lower()] = raw
    return params


class _Chunks:
    """A streamed body: the items (a sync or an async iterable), paced, maybe ending in an error.

    A pause longer than the read timeout ends in ``ReadTimeout`` after that timeout; a handler
    that raises while streaming breaks the stream as a server's would (``ReadError``).
    """

    def __init__(self, items: Any, interval: float, error: Any, path: str) -> None:
        self.items = items
        self.interval = interval
        self.error = error
        self.path = path

    def _pause(self, read_timeout: Optional[float]) -> tuple[float, Optional[ReadTimeout]]:
        if read_timeout is not None and self.interval > read_timeout:
            return read_timeout, _read_timeout(self.interval, self.path)
        return self.interval, None

    def _broken(self, exc: Exception) -> TransportError:
        if isinstance(exc, TransportError):
            return exc
        return ReadError(f"the stream of {self.path} broke: its handler raised {exc!r}")

    def sync(self, read_timeout: Optional[float]) -> Iterator[bytes]:
        items = self.items
        if hasattr(items, "__aiter__"):
            items = _drain_async(items)
        iterator = iter(items)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except Exception as exc:
                raise self._broken(exc) from exc
            if self.interval:
                wait, timed_out = self._pause(read_timeout)
                time.sleep(wait)
                if timed_out is not None:
                    raise timed_out
            yield _chunk(item)
        if self.error is not None:
            raise _transport_error(self.error, self.path)

    async def asynchronous(self, read_timeout: Optional[float]) -> AsyncIterator[bytes]:
        items = self.items
        iterator: Any = items.__aiter__() if hasattr(items, "__aiter__") else iter(items)
        while True:
            try:
                item = await iterator.__anext__() if hasattr(iterator, "__anext__") else next(iterator)
            except (StopIteration, StopAsyncIteration):
                break
            except Exception as exc:
                raise self._broken(exc) from exc
            if self.interval:
                wait, timed_out = self._pause(read_timeout)
                await asyncio.sleep(wait)
                if timed_out is not None:
                    raise timed_out
            yield _chunk(item)
        if self.error is not None:
            raise _transport_error(self.error, self.path)


def _drain_async(items: Any) -> Iterator[Any]:
    """An async iterator read from sync code, on a private event loop."""
    loop = asyncio.new_event_loop()
    try:
        iterator = items.__aiter__()
        while True:
            try:
                yield loop.run_until_complete(iterator.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.close()


def _body_bytes(request: Request) -> bytes:
    content = request.content
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    return b"".join(content)


def _wait_limit(delay: float, timeout: Timeout, deadline: Optional[float]) -> tuple[float, bool]:
    """How long to wait for a delayed answer, and whether the wait ends in ``ReadTimeout``."""
    limit = timeout.read
    if deadline is not None:
        remaining = max(0.0, deadline - time.monotonic())
        limit = remaining if limit is None else min(limit, remaining)
    if limit is not None and delay > limit:
        return limit, True
    return delay, False


def _read_timeout(delay: float, path: str) -> ReadTimeout:
    return ReadTimeout(f"FakeService answers {path} after {delay:g} s, longer than the read timeout")


class _SyncFakeResponse:
    def __init__(self, reply: _Reply, read_timeout: Optional[float]) -> None:
        self.status_code = reply.status_code
        self.headers: Headers = reply.headers
        body = reply.body
        self._chunks: Iterator[bytes] = (
            iter([body])
            if isinstance(body, bytes)
            else body.sync(read_timeout)
            if isinstance(body, _Chunks)
            else iter([])
        )
        self._closed = False

    def iter_bytes(self) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                if chunk:
                    yield chunk
        finally:
            self.close()

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()


class _SyncFakeTransport:
    """Serves a :class:`FakeService` to ``SyncHTTPClient`` (a ``SyncTransport``)."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.closed = False

    def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> _SyncFakeResponse:
        if self.closed:
            from .exceptions import ClientClosedError

            raise ClientClosedError("the FakeService transport is closed")
        step = self.service._plan(request, _body_bytes(request))
        if step.delay:
            wait, times_out = _wait_limit(step.delay, timeout, deadline)
            time.sleep(wait)
            if times_out:
                raise _read_timeout(step.delay, request.target)
        if step.error is not None:
            raise step.error
        if step.reply is None:
            value: Any = None
            error: Optional[BaseException] = None
            try:
                value = step.call() if step.call is not None else None
                if inspect.isawaitable(value):
                    value = _run(value)
            except Exception as exc:
                error = exc
            step.reply = step.finish(value, error)
        return _SyncFakeResponse(step.reply, timeout.read)

    def close(self) -> None:
        self.closed = True


def _run(awaitable: Any) -> Any:
    async def wrapper() -> Any:
        return await awaitable

    return asyncio.run(wrapper())


class _AsyncFakeResponse:
    def __init__(self, reply: _Reply, read_timeout: Optional[float]) -> None:
        self._read_timeout = read_timeout
        self.status_code = reply.status_code
        self.headers: Headers = reply.headers
        self._body = reply.body
        self._iterator: Optional[AsyncIterator[bytes]] = None
        self._closed = False

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            if isinstance(self._body, bytes):
                if self._body:
                    yield self._body
            elif isinstance(self._body, _Chunks):
                self._iterator = self._body.asynchronous(self._read_timeout)
                async for chunk in self._iterator:
                    if chunk:
                        yield chunk
        finally:
            await self.aclose()

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._iterator, "aclose", None)
            if close is not None:
                await close()


class _AsyncFakeTransport:
    """Serves a :class:`FakeService` to ``AsyncHTTPClient`` (an ``AsyncTransport``)."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.closed = False

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> _AsyncFakeResponse:
        if self.closed:
            from .exceptions import ClientClosedError

            raise ClientClosedError("the FakeService transport is closed")
        step = self.service._plan(request, _body_bytes(request))
        if step.delay:
            wait, times_out = _wait_limit(step.delay, timeout, deadline)
            await asyncio.sleep(wait)
            if times_out:
                raise _read_timeout(step.delay, request.target)
        if step.error is not None:
            raise step.error
        if step.reply is None:
            value: Any = None
            error: Optional[BaseException] = None
            try:
                value = step.call() if step.call is not None else None
                if inspect.isawaitable(value):
                    value = await value
            except Exception as exc:
                error = exc
            step.reply = step.finish(value, error)
        return _AsyncFakeResponse(step.reply, timeout.read)

    async def aclose(self) -> None:
        self.closed = True
