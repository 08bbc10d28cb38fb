"""The request body of a call: a JSON object, a root value, or a multipart form (pure).

The one place that chooses between :mod:`._encode` (JSON) and :mod:`._multipart` (files), so
that neither of those two imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._encode import (
    JSON_TYPE,
    EncodedBody,
    _dumps,
    encode_json_fields,
    encode_root,
    is_binary_content,
)
from ._multipart import encode_file_root, encode_multipart
from ._schema import Endpoint

__all__ = ["encode_body"]


def encode_body(endpoint: Endpoint, bound: Mapping[str, Any]) -> EncodedBody:
    """The request body for a bound call (JSON object, root value or multipart form)."""
    if not endpoint.needs_inspection:  # the common case: a plain JSON object
        try:
            data = _dumps(bound)
        except (TypeError, ValueError, RecursionError):
            data = encode_json_fields(endpoint, bound)  # names the argument that failed
        return EncodedBody(JSON_TYPE, data, len(data))
    if endpoint.root_input:
        root = endpoint.input
        binary_root = root.get("type") == "string" and root.get("format") == "binary"
        if root.get("type") == "file" or (binary_root and is_binary_content(bound[""])):
            return encode_file_root(endpoint, bound[""])
        return encode_root(endpoint, bound[""])
    if endpoint.multipart:
        return encode_multipart(endpoint, bound)
    data = encode_json_fields(endpoint, bound)
    return EncodedBody(JSON_TYPE, data, len(data))
