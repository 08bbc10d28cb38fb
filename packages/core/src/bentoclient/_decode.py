"""Responses -> values or typed errors (pure)."""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import unquote

from ._models import ResponseData
from ._schema import Endpoint
from .exceptions import HTTPStatusError, MissingDependencyWarning, ResponseDecodeError, status_error_class

__all__ = [
    "decode_value",
    "error_from_response",
    "is_file_output",
    "output_filename",
    "plain_value_warning",
    "wants_pil",
]


def error_from_response(response: ResponseData, endpoint: str = "") -> HTTPStatusError:
    """The typed exception for an error response (status >= 400), keeping body and headers."""
    cls = status_error_class(response.status_code)
    return cls(
        response.text,
        status_code=response.status_code,
        headers=response.headers,
        body=response.content,
        endpoint=endpoint,
        attempts=response.attempts,
    )


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_file_output(endpoint: Endpoint) -> bool:
    return endpoint.output.get("type") == "file"


def wants_pil(endpoint: Endpoint) -> bool:
    return bool(endpoint.output.get("pil"))


def _allows_string(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") == "string":
        return True
    options = schema.get("anyOf") or schema.get("oneOf") or []
    return any(isinstance(o, Mapping) and o.get("type") == "string" for o in options)


_JSON_TYPES: dict[type, tuple[str, ...]] = {
    type(None): ("null",),
    bool: ("boolean",),
    int: ("integer", "number"),
    float: ("number",),
    str: ("string",),
    list: ("array",),
    dict: ("object",),
}


def _declared_types(schema: Mapping[str, Any]) -> Optional[set[str]]:
    """The JSON types a schema allows, or None when it does not say (or allows anything)."""
    options = schema.get("anyOf") or schema.get("oneOf")
    branches = options if isinstance(options, list) else [schema]
    types: set[str] = set()
    for branch in branches:
        kind = branch.get("type") if isinstance(branch, Mapping) else None
        if isinstance(kind, str):
            types.add(kind)
        elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
            types.update(kind)
        else:
            return None
    return types


def _fits_schema(value: Any, schema: Mapping[str, Any]) -> bool:
    allowed = _declared_types(schema)
    return allowed is None or any(t in allowed for t in _JSON_TYPES.get(type(value), ()))


def plain_value_warning(endpoint: Endpoint, kind: str, rich: str, package: str, plain: str) -> None:
    """Say that ``endpoint``'s result is ``plain`` rather than ``rich`` because ``package`` is missing.

    The rule for outputs whose usual type comes from an optional library: that type when the
    library is installed; otherwise the plain value and a :class:`MissingDependencyWarning`
    naming what to install, never a silent change of type.
    """
    warnings.warn(
        MissingDependencyWarning(
            f"endpoint {endpoint.name!r} returns a {kind}, which bentoclient gives as a {rich}; {package} is "
            f"not installed, so this result is {plain}. Install it (pip install {package}) to get a {rich}, "
            f"or ignore bentoclient.exceptions.MissingDependencyWarning to take {plain} on purpose",
            package=package,
        ),
        stacklevel=3,
    )


def _decode_tensor(endpoint: Endpoint, value: Any, schema: Mapping[str, Any]) -> Any:
    try:
        import numpy
    except ImportError:  # numpy is optional: nested lists then, said out loud
        plain_value_warning(endpoint, "tensor", "numpy.ndarray", "numpy", "nested lists")
        return value
    dtype = schema.get("dtype")
    try:
        return numpy.asarray(value, dtype=dtype if isinstance(dtype, str) else None)
    except (TypeError, ValueError):  # a dtype numpy does not know (e.g. a torch one)
        pass
    try:
        return numpy.asarray(value)
    except (TypeError, ValueError):  # ragged: no array fits, keep the lists
        return value


def _decode_dataframe(endpoint: Endpoint, value: Any, schema: Mapping[str, Any]) -> Any:
    try:
        import pandas
    except ImportError:  # pandas is optional: records / columns as sent, said out loud
        plain_value_warning(endpoint, "data frame", "pandas.DataFrame", "pandas", "the JSON records or columns")
        return value
    columns = schema.get("columns")
    return pandas.DataFrame(value, columns=columns if isinstance(columns, list) else None)


def decode_value(endpoint: Endpoint, response: ResponseData) -> Any:
    """Decode a successful, non-file, non-stream response by the endpoint's output schema.

    Fixes BentoML's decoding quirks: a plain-text body labelled JSON (``Optional[str]``
    outputs) comes back as the text, and JSON-quoted strings of ``date-time``/``uuid``
    outputs are unquoted.
    """
    schema = endpoint.output
    body = response.content
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "binary":
            return body
        text = response.text
        if schema.get("format") and text.startswith('"') and text.endswith('"'):
            try:
                decoded = json.loads(text)
            except ValueError:
                return text
            return decoded if isinstance(decoded, str) else text
        return text
    if not body:
        # BentoML sends an empty body for "" from an ``Optional[str]`` output (None is "null").
        return "" if _allows_string(schema) else None
    media = _media_type(response.headers)
    if media.startswith("text/") and _allows_string(schema):
        return response.text
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        if _allows_string(schema) or not schema:
            return response.text
        raise ResponseDecodeError(
            f"endpoint {endpoint.name!r}: the server sent a body that is not valid JSON "
            f"(content type {media or 'unknown'!r}, {len(body)} bytes) for a {kind or 'JSON'} output",
            endpoint=endpoint.name,
            body=body,
        ) from None
    if _allows_string(schema) and not _fits_schema(value, schema):
        # A str result the server sent raw (``Optional[str]`` returning "42" or "[1]"),
        # not the JSON value it happens to look like.
        return response.text
    if kind == "tensor":
        return _decode_tensor(endpoint, value, schema)
    if kind == "dataframe":
        return _decode_dataframe(endpoint, value, schema)
    return value


# --- file outputs ------------------------------------------------------------------------

_DISPOSITION_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_UNSAFE = re.compile(r"[^\w.\- ()+,=@]")


def _disposition_filename(value: str) -> Optional[str]:
    params: dict[str, str] = {}
    for match in _DISPOSITION_PARAM.finditer(value):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key] = raw
    extended = params.get("filename*")
    if extended and extended.count("'") >= 2:
        charset, _language, encoded = extended.split("'", 2)  # RFC 5987: charset'language'value
        try:
            return unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return params.get("filename")


#: Longest name kept, in UTF-8 bytes: file systems allow 255, and ``-<n>`` may be added.
MAX_NAME_BYTES = 200
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)


def _clip_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def sanitize_filename(name: str) -> str:
    """A plain file name from an untrusted one: no directories, no control or odd characters.

    The result is at most :data:`MAX_NAME_BYTES` bytes of UTF-8 (the extension kept), never
    ``.``/``..`` or a hidden name, and never a Windows device name such as ``CON`` or ``nul.txt``.
    """
    import unicodedata  # only for file outputs

    name = unicodedata.normalize("NFC", name).replace("\\", "/")
    name = name.rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, ext = os.path.splitext(name)
        ext = _clip_utf8(ext, 20)
        name = (_clip_utf8(stem, MAX_NAME_BYTES - len(ext.encode("utf-8"))) + ext).strip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        name = "_" + name
    return name


def output_filename(headers: Mapping[str, str]) -> str:
    """The name to save a file output under: the server's name made safe, else ``output<ext>``."""
    disposition = headers.get("content-disposition", "")
    name = sanitize_filename(_disposition_filename(disposition) or "") if disposition else ""
    if name:
        return name
    import mimetypes

    ext = mimetypes.guess_extension(_media_type(headers)) or ""
    return "output" + ext
