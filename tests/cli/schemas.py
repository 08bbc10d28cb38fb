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


# --- random schemas ---------------------------------------------------------------------------

_NAMES = [
    "text",
    "class",
    "from",
    "self",
    "str",
    "list",
    "Any",
    "value",
    "_result",
    "max-length",
    "1st",
    "naïve",
    "with space",
    "a_rather_long_field_name_for_line_wrapping",
    "Item",
    "Result",
    "match",
    "type",
    "None",
    "cast",
    "x",
    'quo"te',
    "back\\slash",
]
_SCALARS: list[Any] = ["", "a", "na\u00efve \u2013 dash", 'q"uote', "it's", 0, -1, 2**40, 1.5, True, False, None]


def _random_type(rng: Any, depth: int) -> dict[str, Any]:
    kinds = ["string", "integer", "number", "boolean", "null", "file", "binary", "enum", "array"]
    if depth < 3:
        kinds += ["object", "map", "anyOf", "ref"]
    kind = rng.choice(kinds)
    if kind in ("string", "integer", "number", "boolean", "null", "file"):
        return {"type": kind}
    if kind == "binary":
        return {"type": "string", "format": "binary"}
    if kind == "enum":
        return {"enum": rng.sample(_SCALARS, rng.randint(1, 5))}
    if kind == "array":
        return {"type": "array", "items": _random_type(rng, depth + 1)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _random_type(rng, depth + 1)}
    if kind == "anyOf":
        return {"anyOf": [_random_type(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    if kind == "ref":
        return {"$ref": "#/$defs/Thing"}
    return _random_object(rng, depth + 1)


def _random_object(rng: Any, depth: int) -> dict[str, Any]:
    names = rng.sample(_NAMES, rng.randint(0, 5))
    props: dict[str, Any] = {}
    for name in names:
        sub = _random_type(rng, depth)
        if rng.random() < 0.4:
            sub["default"] = rng.choice([*_SCALARS, [], ["a"], {"k": 1}])
        props[name] = sub
    required = [n for n in names if rng.random() < 0.5]
    return {
        "type": "object",
        "title": rng.choice(["Item", "Result", "Thing", "Input", "with space"]),
        "properties": props,
        "required": required,
    }


def random_schema(seed: int) -> dict[str, Any]:
    """A made-up service schema with awkward names, types and defaults (the same for a seed)."""
    import random

    rng = random.Random(seed)
    routes = []
    for name in rng.sample(["call", "close", "predict", "stream", "_hidden", "with_options", "setup", "run"], 4):
        if rng.random() < 0.2:
            inp = {**_random_type(rng, 2), "root_input": True}
        else:
            inp = _random_object(rng, 1)
            inp["title"] = "Input"
        out = {**_random_type(rng, 1), "$defs": {"Thing": _random_object(rng, 3)}}
        if rng.random() < 0.25:
            out["is_stream"] = True
        routes.append({"name": name, "route": "/" + name, "is_task": rng.random() < 0.25, "input": inp, "output": out})
    return {"name": rng.choice(["svc", "My Service", "1st-service", "class"]), "routes": routes}
