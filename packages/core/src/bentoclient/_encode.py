"""Call arguments -> request body (pure): argument binding, JSON and root-input bodies."""

from __future__ import annotations

import datetime
import enum
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Optional, Union

from ._schema import Endpoint, Field, is_binary_schema
from .exceptions import ArgumentError

__all__ = ["EncodedBody", "binary_field_text", "bind_arguments", "encode_json_fields", "encode_root", "to_jsonable"]

JSON_TYPE = "application/json"


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


#: A root-input endpoint called with no argument: sent as an empty body.
NO_VALUE: Any = _Missing()


class EncodedBody(NamedTuple):
    """A request body: content type, content (bytes or re-iterable chunks) and length."""

    content_type: str
    content: Union[bytes, Iterable[bytes]]
    length: Optional[int]


def _close_match(name: str, choices: Iterable[str]) -> str:
    import difflib  # only on this error path

    match = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def bind_arguments(endpoint: Endpoint, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Map positional and keyword arguments onto the endpoint's fields, in schema order.

    Raises :class:`ArgumentError` (a ``TypeError``) before anything is sent for too many
    positionals, duplicates, unknown keywords and missing required fields.  Defaults are
    not filled in: the server applies them.  For a root input the result is
    ``{"": value}`` (``NO_VALUE`` when called without one).
    """
    name = endpoint.name
    if endpoint.root_input:
        if kwargs or len(args) > 1:
            given = ", ".join([*(repr(a)[:20] for a in args[1:]), *kwargs])
            raise ArgumentError(
                f"endpoint {name!r} takes its input as one positional value and no keyword "
                f"arguments (got extra: {given}); call it as {endpoint.signature_text()}",
                endpoint=name,
                argument=next(iter(kwargs), None),
            )
        return {"": args[0] if args else NO_VALUE}

    fields = endpoint.fields
    if len(args) > len(fields):
        names = ", ".join(f.name for f in fields) or "none"
        raise ArgumentError(
            f"endpoint {name!r} takes at most {len(fields)} positional argument(s) ({names}) "
            f"but {len(args)} were given; remove the extra values or pass them by keyword",
            endpoint=name,
        )
    bound: dict[str, Any] = {}
    for f, value in zip(fields, args):
        bound[f.name] = value
    for key, value in kwargs.items():
        if key in bound:
            raise ArgumentError(
                f"endpoint {name!r}: argument {key!r} was given both by position and by keyword; pass it once",
                endpoint=name,
                argument=key,
            )
        if endpoint.get_field(key) is None:
            known = ", ".join(f.name for f in fields) or "none"
            raise ArgumentError(
                f"endpoint {name!r} has no argument {key!r}{_close_match(key, (f.name for f in fields))}. "
                f"Its arguments are: {known}",
                endpoint=name,
                argument=key,
            )
        bound[key] = value
    missing = [f.name for f in fields if f.required and f.name not in bound]
    if missing:
        raise ArgumentError(
            f"endpoint {name!r} is missing required argument(s) {', '.join(map(repr, missing))}; "
            f"call it as {endpoint.signature_text()}",
            endpoint=name,
            argument=missing[0],
        )
    return bound


def _is_dataclass_instance(value: Any) -> bool:
    return hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type)


# --- JSON ---------------------------------------------------------------------------------


def _dataframe_orient(schema: Mapping[str, Any]) -> str:
    return "list" if schema.get("orient") == "columns" else "records"


def to_jsonable(value: Any, schema: Optional[Mapping[str, Any]] = None) -> Any:
    """Convert what ``json`` cannot serialise by itself into JSON values.

    Duck-typed, so numpy, pandas and pydantic are never imported: ``.tolist()`` for
    arrays and tensors, ``.to_dict(orient=...)`` for data frames, ``.model_dump(mode="json")``
    (or ``.dict()``) for pydantic models.  Raises ``TypeError`` for anything else unknown.
    """
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # pandas.DataFrame
        return value.to_dict(orient=_dataframe_orient(schema or {}))
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch / tf tensors
        if hasattr(value, "detach"):
            value = value.detach().cpu()
        return value.tolist()
    if hasattr(value, "model_dump"):  # pydantic v2
        return value.model_dump(mode="json")
    if hasattr(value, "dict") and hasattr(value, "__fields__"):  # pydantic v1
        return json.loads(value.json())
    if _is_dataclass_instance(value):
        import dataclasses

        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if type(value).__module__ in ("uuid", "decimal", "_pydecimal") and type(value).__name__ in ("UUID", "Decimal"):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "__fspath__"):
        return str(value.__fspath__())
    raise TypeError(f"values of type {type(value).__name__} cannot be sent as JSON")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=to_jsonable, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def _json_error(endpoint: Endpoint, argument: Optional[str], exc: Exception) -> ArgumentError:
    where = f"argument {argument!r}" if argument else "its input"
    if isinstance(exc, ValueError) and "JSON compliant" in str(exc):
        reason = (
            "contains NaN or Infinity, which JSON cannot carry and the server rejects; "
            "replace them with finite numbers or None"
        )
    elif isinstance(exc, RecursionError) or "Circular" in str(exc):
        reason = "refers to itself (a circular structure) and cannot be sent as JSON"
    else:
        reason = (
            f"cannot be sent as JSON ({exc}); pass lists, dicts, numbers, strings, "
            "or arrays/models that convert to them"
        )
    return ArgumentError(f"endpoint {endpoint.name!r}, {where}: {reason}", endpoint=endpoint.name, argument=argument)


def _prepare_fields(endpoint: Endpoint, bound: Mapping[str, Any]) -> dict[str, Any]:
    # Data frames (orient) and bytes fields (UTF-8 text) depend on the schema.
    out = dict(bound)
    for key, value in bound.items():
        f: Optional[Field] = endpoint.get_field(key)
        if f is not None and f.schema.get("type") == "dataframe" and hasattr(value, "to_dict"):
            out[key] = to_jsonable(value, f.schema)
        elif f is not None and is_binary_field(f):
            out[key] = binary_field_text(endpoint, key, value)
    return out


def encode_json_fields(endpoint: Endpoint, bound: Mapping[str, Any]) -> bytes:
    """The JSON object body for a non-root call; names the argument that cannot be encoded."""
    payload = _prepare_fields(endpoint, bound)
    try:
        return _dumps(payload)
    except (TypeError, ValueError, RecursionError) as exc:
        culprit: Optional[str] = None
        for key, value in payload.items():
            try:
                _dumps(value)
            except (TypeError, ValueError, RecursionError):
                culprit = key
                break
        raise _json_error(endpoint, culprit, exc) from None


def encode_root(endpoint: Endpoint, value: Any) -> EncodedBody:
    """The body for a root (positional-only) input, as in BentoML's §3.3 table."""
    if value is NO_VALUE:
        return EncodedBody(JSON_TYPE, b"", 0)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return EncodedBody("text/plain", data, len(data))
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return EncodedBody("text/plain", data, len(data))
    schema = endpoint.input
    if schema.get("type") == "object" and isinstance(schema.get("properties"), Mapping):
        if hasattr(value, "model_dump") or _is_dataclass_instance(value):
            value = to_jsonable(value)
        if not isinstance(value, Mapping):
            raise ArgumentError(
                f"endpoint {endpoint.name!r} takes an object as its input; pass a dict (or a model "
                f"instance) with the fields {', '.join(schema['properties'])}, got {type(value).__name__}",
                endpoint=endpoint.name,
            )
    try:
        data = _dumps(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _json_error(endpoint, None, exc) from None
    return EncodedBody(JSON_TYPE, data, len(data))


def is_binary_field(f: Field) -> bool:
    """A ``bytes`` parameter (``{"type": "string", "format": "binary"}``, or ``Optional[bytes]``:
    an ``anyOf`` with that branch)."""
    return is_binary_schema(f.schema)


def is_binary_content(value: Any) -> bool:
    """Bytes, a path or a readable stream: a value that stands for binary content."""
    return isinstance(value, (bytes, bytearray, memoryview, os.PathLike)) or (
        not isinstance(value, str) and hasattr(value, "read")
    )


def _read_content(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, os.PathLike):
        with open(value, "rb") as fh:
            return fh.read()
    data = value.read()
    if isinstance(data, str):
        raise TypeError("the stream gives text, not bytes: open it in binary mode ('rb')")
    return bytes(data)


def binary_field_text(endpoint: Endpoint, name: str, value: Any) -> Any:
    """What a ``bytes`` argument is sent as: the JSON string of its UTF-8 text.

    Every BentoML line (1.2, 1.3, 1.4) reads a ``bytes`` field from JSON, or from a plain form
    field holding JSON, as a string that it encodes to UTF-8, so valid UTF-8 arrives byte for
    byte.  Nothing else does: 1.2 and 1.3 answer a file part for it with a 500, 1.4 parses a
    file part's content as JSON first (``b"123"`` becomes a number, non-UTF-8 content a 500),
    and a raw form field that is not UTF-8 is read as Latin-1 and arrives re-encoded.  So bytes
    that are not UTF-8 are refused here, before sending, saying how to send binary data.
    A path or a binary stream given for a ``bytes`` argument stands for its content.
    """
    if not is_binary_content(value):
        return value  # a str (sent as its UTF-8 bytes) or a wrong type the server will name
    try:
        data = _read_content(value)
    except (OSError, TypeError) as exc:
        raise ArgumentError(
            f"endpoint {endpoint.name!r}, argument {name!r}: cannot read the content to send ({exc}); "
            "pass bytes, an existing file path or a stream opened in binary mode",
            endpoint=endpoint.name,
            argument=name,
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArgumentError(
            f"endpoint {endpoint.name!r}, argument {name!r}: these {len(data)} bytes are not UTF-8 text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start}), and a BentoML server reads a `bytes` "
            "parameter as UTF-8 text (from JSON or a form field), so they cannot arrive unchanged. "
            "To send binary data, declare the parameter as a file on the server (pathlib.Path; "
            "bentoclient sends it as a file part, byte for byte), or send base64 text in a `str` parameter",
            endpoint=endpoint.name,
            argument=name,
        ) from None
