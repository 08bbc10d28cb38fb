"""Made-up service schemas with the awkward cases for the generator (no server serves them)."""

from __future__ import annotations

from typing import Any

#: A schema with the awkward cases: keywords, names that are not identifiers, clashes, ...
ODD_SCHEMA: dict[str, Any] = {
    "name": "odd-service",
    "type": "service",
    "routes": [
        {
            # a field named like the result type; a file inside a dict whose keys are no identifiers
            "name": "shadow",
            "route": "/shadow",
            "input": {
                "type": "object",
                "properties": {
                    "Res": {"type": "string"},
                    "odd keys": {
                        "type": "object",
                        "title": "Odd",
                        "properties": {"a file": {"type": "file"}},
                        "required": ["a file"],
                    },
                },
                "required": ["Res", "odd keys"],
            },
            "output": {"type": "object", "title": "Res", "properties": {"x": {"type": "integer"}}},
        },
        {
            "name": "close",
            "route": "/close",
            "input": {"properties": {}, "type": "object"},
            "output": {"type": "string"},
        },
        {
            "name": "weird",
            "route": "/weird",
            "input": {
                "type": "object",
                "properties": {
                    "class": {"type": "integer", "default": 1},
                    "max-length": {"type": "integer"},
                    "1st": {"type": "string", "default": "a"},
                    "self": {"type": "boolean", "default": False},
                    "str": {"type": "string", "default": "x"},
                    "mode": {"enum": ["fast", "slow"], "type": "string", "default": "fast"},
                    "opts": {"type": "object", "default": {"a": 1}},
                    "tags": {"type": "array", "items": {"type": "string"}, "default": ["t"]},
                    "maybe": {"type": "integer", "default": None},
                },
                "required": ["max-length"],
            },
            "output": {
                "type": "object",
                "title": "WeirdOut",
                "properties": {"ok-key": {"type": "boolean"}, "from": {"type": "string"}},
                "required": ["ok-key"],
            },
        },
        {
            "name": "nested",
            "route": "/nested",
            "input": {
                "type": "object",
                "properties": {
                    "point": {
                        "type": "object",
                        "title": "Point",
                        "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                        "required": ["x", "y"],
                    },
                    "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
                    "upload": {"type": "file", "format": "binary"},
                },
                "required": ["point", "labels", "either", "upload"],
            },
            "output": {
                "$defs": {"P": {"type": "object", "title": "P", "properties": {"x": {"type": "number"}}}},
                "type": "array",
                "items": {"$ref": "#/$defs/P"},
            },
        },
    ],
}


#: Long names and many values, so the output needs line breaks in every construct.
LONG_SCHEMA: dict[str, Any] = {
    "name": "Long",
    "routes": [
        {
            "name": "a_rather_long_endpoint_name_for_wrapping",
            "route": "/a_rather_long_endpoint_name_for_wrapping",
            "is_task": True,
            "input": {
                "type": "object",
                "properties": {
                    **{f"parameter_number_{i}": {"type": "integer", "default": i} for i in range(8)},
                    "choice": {"type": "string", "enum": [f"a-fairly-long-choice-{i}" for i in range(8)]},
                    "odd keys": {
                        "type": "object",
                        "title": "Odd Keys",
                        "properties": {f"key with spaces {i}": {"type": "string"} for i in range(8)},
                    },
                },
                "required": ["choice"],
            },
            "output": {"type": "array", "items": {"type": "string"}},
        },
        {
            "name": "stream_files",
            "route": "/stream_files",
            "input": {"type": "object", "properties": {"files": {"type": "array", "items": {"type": "file"}}}},
            "output": {"type": "string", "format": "binary", "is_stream": True},
        },
    ],
}
