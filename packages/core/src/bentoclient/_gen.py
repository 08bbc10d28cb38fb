"""``bentoclient gen``: the source of a typed client module for one service (pure: schema in, text out).

:func:`generate` turns a decoded ``/schema.json`` into a Python module with a
``SyncHTTPClient`` subclass that has one typed method per endpoint, and an
``AsyncHTTPClient`` subclass created on first use (so the module imports without
bentoclient-async).  The output is formatted as ``ruff format`` would format it and type
checks under ``mypy --strict``; ``docs/typed-clients.md`` describes the mapping.
"""

from __future__ import annotations

import json
import keyword
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Optional

from . import SyncHTTPClient, __version__
from .exceptions import SchemaError

__all__ = ["default_class_name", "generate", "python_name"]

LINE_LENGTH = 120
INDENT = "    "
#: Longer argument and result types get a named alias, so signatures and bodies stay on short lines.
MAX_INLINE_TYPE = 48

#: Client methods an endpoint must not hide, beyond the sync client's own attributes: ``aclose``
#: (the async client's alone) and ``setup`` (both clients have it; named so it stays reserved).
_ALSO_RESERVED = {"setup", "aclose"}

#: Names the generated module defines or imports itself; schema titles that would clash get a suffix.
_MODULE_NAMES = {
    "IO",
    "TYPE_CHECKING",
    "Any",
    "ClassVar",
    "ModelLike",
    "overload",
    "AsyncHTTPClient",
    "AsyncIterator",
    "AsyncTask",
    "AsyncMapIterator",
    "Callable",
    "Iterable",
    "MapError",
    "MapIterator",
    "Retry",
    "Timeout",
    "Awaitable",
    "FileInput",
    "Iterator",
    "ItemStream",
    "AsyncItemStream",
    "Literal",
    "Mapping",
    "Optional",
    "Protocol",
    "ResultStatus",
    "Sequence",
    "SyncHTTPClient",
    "Task",
    "TypeVar",
    "TypedDict",
    "Union",
    "annotations",
    "os",
    "pathlib",
}
#: Builtins the generated code uses as types, and its local variables: no parameter may take these names.
_BUILTIN_TYPES = {"str", "int", "float", "bool", "bytes", "list", "dict", "object", "type", "None"}
_LOCALS = {"_args", "_result", "_task", "_value"}


# --- names ------------------------------------------------------------------------------


def python_name(name: str, taken: Iterable[str] = ()) -> str:
    """A safe Python identifier for a schema name (an endpoint's field, a dict key).

    Characters that cannot be in an identifier become ``_`` (``max-length`` -> ``max_length``),
    a leading digit gets a ``_`` in front (``1st`` -> ``_1st``), and a keyword or a name in
    ``taken`` gets ``_`` appended until it is free (``class`` -> ``class_``).
    """
    ident = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if ident[0].isdigit():
        ident = "_" + ident
    used = set(taken)
    while keyword.iskeyword(ident) or keyword.issoftkeyword(ident) or ident in used:
        ident += "_"
    return ident


def _camel(text: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", text)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out:
        return "X"
    return "X" + out if out[0].isdigit() else out


def default_class_name(service_name: str) -> str:
    """``<Service>Client``: the sync class name when ``--class-name`` is not given."""
    return _camel(service_name or "Service") + "Client"


def _async_class_name(sync_name: str) -> str:
    if sync_name.endswith("Client") and len(sync_name) > len("Client"):
        return sync_name[: -len("Client")] + "AsyncClient"
    return "Async" + sync_name


# --- Python literals, as ruff format writes them ----------------------------------------------


def _escape(ch: str, quote: str) -> str:
    if ch == quote or ch == "\\":
        return "\\" + ch
    if " " <= ch <= "~":
        return ch
    known = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in known:
        return known[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def py_str(text: str) -> str:
    """A string literal in ruff's preferred quotes, ASCII only (no ambiguous characters)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(ch, quote) for ch in text) + quote


def py_literal(value: Any) -> Optional[str]:
    """A JSON scalar (or a list of them, as a tuple) as Python source; None if it has no literal."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if text not in ("nan", "inf", "-inf") else None
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        items = [py_literal(v) for v in value]
        if any(i is None or isinstance(v, (list, dict)) for i, v in zip(items, value)):
            return None
        if len(items) == 1:
            return f"({items[0]},)"
        return "(" + ", ".join(i for i in items if i is not None) + ")"
    return None


def _doc_text(text: str) -> str:
    # Safe inside a triple-quoted docstring, ASCII only (ruff flags ambiguous unicode).
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text.rstrip('"')


def _docstring(lines: Sequence[str], indent: str) -> list[str]:
    """A docstring block: the first line, then wrapped paragraphs."""
    width = LINE_LENGTH - len(indent)
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            out.append("")
            continue
        wrapped = textwrap.wrap(_doc_text(line), width=width - (3 if i == 0 else 0), break_long_words=False) or [""]
        out.extend(wrapped)
    while out and not out[-1]:
        out.pop()
    if not out:
        return []
    if len(out) == 1 and len(indent) + 6 + len(out[0]) <= LINE_LENGTH:
        return [f'{indent}"""{out[0]}"""']
    body = [f'{indent}"""{out[0]}', *((indent + line) if line else "" for line in out[1:]), f'{indent}"""']
    return body


def _bracketed(head: str, items: Sequence[str], tail: str, indent: str, *, force: bool = False) -> list[str]:
    """``head(a, b)tail`` on one line when it fits, else one item per line with a trailing comma.

    A lone item in a subscript gets no trailing comma: ``Optional[X,]`` would be ``Optional[(X,)]``.
    """
    one = f"{indent}{head}{', '.join(items)}{tail}"
    if not force and len(one) <= LINE_LENGTH:
        return [one]
    inner = indent + INDENT
    comma = "" if len(items) == 1 and head.endswith("[") else ","
    return [f"{indent}{head}", *(f"{inner}{item}{comma}" for item in items), f"{indent}{tail.lstrip()}"]


# --- JSON schema -> Python types --------------------------------------------------------------


class _Param(NamedTuple):
    key: str  # the field name on the wire
    name: str  # the Python parameter name
    annotation: str
    default: Optional[str]  # Python source of the default, None when required
    omit_if_none: bool  # the server's default is not a literal: None means "leave it out"
    doc: str


class _Types:
    """The named types a module needs (TypedDicts, Literal aliases), in definition order."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.taken = set(reserved) | _MODULE_NAMES
        self.blocks: list[list[str]] = []
        self._by_key: dict[str, str] = {}
        self.imports: set[str] = set()

    def _name(self, wanted: str) -> str:
        name = _camel(wanted)
        if name in self.taken or keyword.iskeyword(name):
            n = 2
            while f"{name}{n}" in self.taken:
                n += 1
            name = f"{name}{n}"
        self.taken.add(name)
        return name

    def _cached(self, kind: str, hint: str, schema: Any) -> tuple[str, bool]:
        key = kind + hint + json.dumps(schema, sort_keys=True, default=str)
        if key in self._by_key:
            return self._by_key[key], True
        name = self._name(hint)
        self._by_key[key] = name
        return name, False

    def literal(self, values: Sequence[Any], hint: str) -> str:
        name, seen = self._cached("literal", hint, list(values))
        if not seen:
            self.imports.add("Literal")
            items = [py_literal(v) or "None" for v in values]
            self.blocks.append(_bracketed(f"{name} = Literal[", items, "]", ""))
        return name

    def short(self, annotation: str, hint: str) -> str:
        """``annotation``, or a module-level alias for it when it is too long to keep lines short."""
        if len(annotation) <= MAX_INLINE_TYPE:
            return annotation
        name, seen = self._cached("alias", hint, annotation)
        if not seen:
            head, args = _subscript_parts(annotation)
            self.blocks.append(_bracketed(f"{name} = {head}[", args, "]", "") if args else [f"{name} = {annotation}"])
        return name

    def typed_dict(self, schema: Mapping[str, Any], hint: str, ctx: _Ctx, direction: str) -> str:
        props = schema["properties"]
        required = schema.get("required", [])
        required = required if isinstance(required, list) else []
        shape = {"properties": props, "required": sorted(str(r) for r in required)}
        name, seen = self._cached(f"typeddict-{direction}", hint, shape)
        if direction == "in":  # an argument: the dict, or a pydantic model of the caller's own
            self.imports.add("ModelLike")
        if seen:
            return f"Union[{name}, ModelLike]" if direction == "in" else name
        fields: list[tuple[str, str, bool]] = []
        for key, sub in props.items():
            ann = ctx.type_of(sub, f"{name}_{key}", direction)
            fields.append((str(key), ann, key in required))
        self.imports.add("TypedDict")
        self.blocks.append(_typed_dict_source(name, fields))
        return f"Union[{name}, ModelLike]" if direction == "in" else name


def _subscript_parts(annotation: str) -> tuple[str, list[str]]:
    """``Union[a, b[c, d]]`` -> ``("Union", ["a", "b[c, d]"])``; no subscript -> ``(annotation, [])``."""
    head, bracket, rest = annotation.partition("[")
    if not bracket or not rest.endswith("]"):
        return annotation, []
    args: list[str] = []
    depth = 0
    current = ""
    for ch in rest[:-1]:
        if ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        current += ch
    args.append(current.strip())
    return head, args


def _typed_dict_source(name: str, fields: list[tuple[str, str, bool]]) -> list[str]:
    plain = all(k.isidentifier() and not keyword.iskeyword(k) for k, _, _ in fields)
    req = [f for f in fields if f[2]]
    opt = [f for f in fields if not f[2]]
    if not plain:
        total = "" if not opt else ", total=False"
        items = [f"{py_str(k)}: {ann}" for k, ann, _ in fields]
        one = f"{name} = TypedDict({py_str(name)}, {{{', '.join(items)}}}{total})"
        if len(one) <= LINE_LENGTH:
            return [one]
        keys = _bracketed("{", items, "},", INDENT)
        return [
            f"{name} = TypedDict(",
            f"{INDENT}{py_str(name)},",
            *keys,
            *([f"{INDENT}total=False,"] if opt else []),
            ")",
        ]
    if not fields:
        return [f"class {name}(TypedDict):", f"{INDENT}pass"]
    if req and opt:
        base = f"_{name}Required"
        return [
            *_class_head(base, ["TypedDict"]),
            *_field_lines(req),
            "",
            "",
            *_class_head(name, [base, "total=False"]),
            *_field_lines(opt),
        ]
    return [*_class_head(name, ["TypedDict"] if req else ["TypedDict", "total=False"]), *_field_lines(fields)]


def _class_head(name: str, bases: list[str]) -> list[str]:
    return _bracketed(f"class {name}(", bases, "):", "")


def _field_lines(fields: list[tuple[str, str, bool]]) -> list[str]:
    lines = []
    for key, ann, _ in fields:
        line = f"{INDENT}{key}: {ann}"
        # ruff wraps a long annotation in parentheses
        lines += [line] if len(line) <= LINE_LENGTH else [f"{INDENT}{key}: (", f"{INDENT * 2}{ann}", f"{INDENT})"]
    return lines


_ENUM_SCALARS = (str, int, bool, type(None))


class _Ctx:
    """Type mapping for one route schema (``$ref``s resolve against its ``$defs``)."""

    def __init__(self, types: _Types, root: Mapping[str, Any]) -> None:
        self.types = types
        defs = root.get("$defs", root.get("definitions", {}))
        self.defs: Mapping[str, Any] = defs if isinstance(defs, Mapping) else {}
        self._resolving: set[str] = set()

    def type_of(self, schema: Any, hint: str, direction: str) -> str:
        """The annotation for ``schema``; ``direction`` is ``"in"`` (an argument) or ``"out"`` (a result)."""
        if not isinstance(schema, Mapping):
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = ref.rsplit("/", 1)[-1]
            sub = self.defs.get(target)
            if sub is None or target in self._resolving:
                return "Any"  # unknown or recursive: not expressible without forward references
            self._resolving.add(target)
            try:
                return self.type_of(sub, target, direction)
            finally:
                self._resolving.discard(target)
        if "const" in schema and isinstance(schema["const"], _ENUM_SCALARS):
            self.types.imports.add("Literal")
            return f"Literal[{py_literal(schema['const'])}]"
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, _ENUM_SCALARS) for v in enum):
            if all(v is None for v in enum):
                return "None"
            return self.types.literal(list(dict.fromkeys(enum)), hint)
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self._union([self.type_of(o, hint, direction) for o in options])
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            return self.type_of(all_of[0], hint, direction)
        title = schema.get("title")
        if isinstance(title, str) and title and title not in ("Input", "Output"):
            hint = title[: -len("IODescriptor")] if title.endswith("IODescriptor") else title
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([self.type_of({**schema, "type": k}, hint, direction) for k in kind])
        return self._simple(schema, kind, hint, direction)

    def _simple(self, schema: Mapping[str, Any], kind: Any, hint: str, direction: str) -> str:
        if kind == "file":
            if schema.get("pil"):
                return "Any"  # a PIL image (or, without Pillow, a path): Pillow is optional
            if direction == "in":
                self.types.imports.add("FileInput")
                return "FileInput"
            self.types.imports.add("pathlib")
            return "pathlib.Path"
        if kind == "string":
            if schema.get("format") == "binary":
                if direction == "in":
                    self.types.imports.add("FileInput")
                    return "FileInput"
                return "bytes"
            return "str"
        simple = {"integer": "int", "number": "float", "boolean": "bool", "null": "None"}
        if kind in simple:
            return simple[kind]
        if kind == "array":
            items = self.type_of(schema.get("items"), hint + "Item", direction)
            if direction == "in":
                self.types.imports.add("Sequence")
                return f"Sequence[{items}]"
            return f"list[{items}]"
        if kind == "object":
            props = schema.get("properties")
            if isinstance(props, Mapping) and props and all(isinstance(k, str) for k in props):
                return self.types.typed_dict(schema, hint, self, direction)
            extra = schema.get("additionalProperties")
            value = self.type_of(extra, hint + "Value", direction) if isinstance(extra, Mapping) else "Any"
            if direction == "in":
                self.types.imports.add("Mapping")
                return f"Mapping[str, {value}]"
            return f"dict[str, {value}]"
        return "Any"  # tensors, data frames, {} (anything)

    def _union(self, members: list[str]) -> str:
        unique = list(dict.fromkeys(members))
        if "Any" in unique:
            return "Any"
        nullable = "None" in unique
        rest = [m for m in unique if m != "None"]
        if not rest:
            return "None"
        inner = rest[0] if len(rest) == 1 else f"Union[{', '.join(rest)}]"
        if len(rest) > 1:
            self.types.imports.add("Union")
        if nullable:
            self.types.imports.add("Optional")
            return f"Optional[{inner}]"
        return inner


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _fits_default(schema: Mapping[str, Any], value: Any) -> bool:
    """Whether the server's default is a value of the field's own type (so it can be the Python default)."""
    enum = schema.get("enum")
    if isinstance(enum, list):
        return value in enum
    kind = schema.get("type")
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str) and schema.get("format") != "binary",
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list) and all(_fits_default(_mapping(schema.get("items")), i) for i in v),
    }
    check = checks.get(kind) if isinstance(kind, str) else None
    return bool(check and check(value))


# --- the module --------------------------------------------------------------------------------


class _Endpoint(NamedTuple):
    name: str  # as the service names it
    method: str  # the Python method name
    route: str
    params: list[_Param]
    root: bool
    result: str  # the annotation of one result (one item, for streams)
    is_stream: bool
    is_task: bool
    doc: list[str]


def _params(endpoint: str, schema: Mapping[str, Any], ctx: _Ctx, reserved: set[str]) -> tuple[list[_Param], bool]:
    if schema.get("root_input"):
        hint = _camel(endpoint) + "Input"
        ann = ctx.types.short(ctx.type_of(schema, hint, "in"), hint)
        return [_Param("", "value", ann, None, False, "")], True
    props = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(props, Mapping) or not isinstance(required, list):
        raise SchemaError(f"schema.json: endpoint {endpoint!r} has malformed 'properties' or 'required'")
    params: list[_Param] = []
    names: set[str] = set(reserved)
    for key, sub in props.items():
        if not isinstance(key, str) or not isinstance(sub, Mapping):
            raise SchemaError(f"schema.json: endpoint {endpoint!r} field {key!r} has a malformed schema")
        name = python_name(key, names)
        names.add(name)
        hint = _camel(endpoint) + _camel(key)
        ann = ctx.types.short(ctx.type_of(sub, hint, "in"), hint)
        doc = _field_doc(sub)
        if key in required:
            params.append(_Param(key, name, ann, None, False, doc))
            continue
        default = sub.get("default")
        literal = py_literal(default) if "default" in sub and _fits_default(sub, default) else None
        if ann == "None":  # a field that only takes null: its default can only be None
            params.append(_Param(key, name, ann, "None", False, doc))
        elif literal is not None:
            params.append(_Param(key, name, ann, literal, False, doc))
        elif "default" in sub and default is None:
            params.append(_Param(key, name, _optional(ann, ctx), "None", False, doc))
        else:
            shown = json.dumps(default) if "default" in sub else "decided by the server"
            note = f"{doc} (default: {shown}; None leaves it to the server)".strip()
            params.append(_Param(key, name, _optional(ann, ctx), "None", True, note))
    return params, False


def _optional(ann: str, ctx: _Ctx) -> str:
    if ann in ("Any", "None") or ann.startswith("Optional["):
        return ann
    ctx.types.imports.add("Optional")
    return f"Optional[{ann}]"


def _field_doc(schema: Mapping[str, Any]) -> str:
    text = schema.get("description")
    return " ".join(text.split()) if isinstance(text, str) else ""


def _label(schema: Any) -> str:
    """A short JSON-schema type label for docstrings."""
    if not isinstance(schema, Mapping):
        return "any"
    kind = schema.get("type")
    if kind == "array":
        return f"array[{_label(schema.get('items'))}]"
    if isinstance(kind, str):
        fmt = schema.get("format")
        return f"{kind}<{fmt}>" if kind == "string" and isinstance(fmt, str) else kind
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return " | ".join(_label(o) for o in options)
    return "any"


def _signature_doc(name: str, schema: Mapping[str, Any], output: Mapping[str, Any]) -> str:
    if schema.get("root_input"):
        args = f"value: {_label(schema)}, /"
    else:
        props = schema.get("properties", {})
        required = schema.get("required", [])
        parts = []
        for key, sub in props.items():
            text = f"{key}: {_label(sub)}"
            if key not in required:
                text += f" = {json.dumps(sub['default'])}" if "default" in sub else " = <server default>"
            parts.append(text)
        args = ", ".join(parts)
    return f"{name}({args}) -> {_label(output)}"


def _endpoint(route: Any, index: int, types: _Types, reserved_methods: set[str], used: set[str]) -> _Endpoint:
    if not isinstance(route, Mapping):
        raise SchemaError(f"schema.json: routes[{index}] is not an object")
    name = route.get("name")
    path = route.get("route")
    if not isinstance(name, str) or not name or not isinstance(path, str):
        raise SchemaError(f"schema.json: routes[{index}] has no valid 'name' and 'route'")
    inp = route.get("input", {})
    out = route.get("output", {})
    if not isinstance(inp, Mapping) or not isinstance(out, Mapping):
        raise SchemaError(f"schema.json: endpoint {name!r} has a non-object input or output schema")
    method = python_name(name, used)
    if method in reserved_methods or method.startswith("_"):
        method = python_name("api_" + name.lstrip("_"), used)
    used.add(method)
    # The result type first: the method body names it, so no parameter may hide its names.
    result = types.short(_Ctx(types, out).type_of(out, _camel(name) + "Result", "out"), _camel(name) + "Result")
    local_reserved = _BUILTIN_TYPES | _LOCALS | types.taken | {"self"}
    params, root = _params(name, inp, _Ctx(types, inp), local_reserved)
    is_stream = bool(out.get("is_stream"))
    is_task = bool(route.get("is_task"))
    kind = "streaming endpoint" if is_stream else "task endpoint" if is_task else "endpoint"
    doc = [f"{_signature_doc(name, inp, out)}", "", f"Calls the {kind} POST {path}."]
    description = route.get("description", route.get("doc"))
    if isinstance(description, str) and description.strip():
        doc += ["", " ".join(description.split())]
    notes = [f"{p.name}{'' if p.name == p.key or not p.key else f' ({p.key!r})'}: {p.doc}" for p in params if p.doc]
    if notes:
        doc += ["", "Arguments: " + "; ".join(notes) + "."]
    return _Endpoint(name, method, path, params, root, result, is_stream, is_task, doc)


def _signature(ep: _Endpoint, indent: str, head: str, returns: str) -> list[str]:
    params = ["self"]
    if ep.root:
        params += [f"{ep.params[0].name}: {ep.params[0].annotation}", "/"]
    else:
        seen_default = keyword_only = False
        for p in ep.params:
            seen_default = seen_default or p.default is not None
            keyword_only = keyword_only or (seen_default and p.default is None)
        if keyword_only:
            params.append("*")
        for p in ep.params:
            params.append(f"{p.name}: {p.annotation}" + (f" = {p.default}" if p.default is not None else ""))
    return _bracketed(f"{head}(", params, f") -> {returns}:", indent)


def _call_lines(
    ep: _Endpoint, indent: str, call: str, target: str, annotation: str, *, with_name: bool = True
) -> list[str]:
    """``target: annotation = <call>("name", a=a, ...)``; an argument whose None means "the
    server's default" is left out when it is None.  ``with_name=False`` drops the name."""
    lines: list[str] = []
    omitted = [p for p in ep.params if p.omit_if_none]
    first = [py_str(ep.name)] if with_name else []
    if ep.root:
        args = [*first, ep.params[0].name]
    elif omitted or any(p.key != p.name for p in ep.params):
        given = [f"{py_str(p.key)}: {p.name}" for p in ep.params if not p.omit_if_none]
        lines += _bracketed("_args: dict[str, Any] = {", given, "}", indent)
        for p in omitted:
            lines.append(f"{indent}if {p.name} is not None:")
            store = f"{indent}{INDENT}_args[{py_str(p.key)}] = "
            if len(store) + len(p.name) <= LINE_LENGTH:
                lines.append(store + p.name)
            else:  # as ruff wraps a long right-hand side
                lines += [store + "(", f"{indent}{INDENT * 2}{p.name}", f"{indent}{INDENT})"]
        args = [*first, "**_args"]
    else:
        args = [*first, *(f"{p.name}={p.name}" for p in ep.params)]
    lines += _bracketed(f"{target}: {annotation} = {call}(", args, ")", indent)
    return lines


def _method(ep: _Endpoint, *, is_async: bool, stream_type: str, indent: str) -> list[str]:
    head = f"async def {ep.method}" if is_async and not ep.is_stream else f"def {ep.method}"
    body = indent + INDENT
    returns = f"{stream_type}[{ep.result}]" if ep.is_stream else ep.result
    lines = _signature(ep, indent, head, returns)
    lines += _docstring(ep.doc, body)
    call = "await self.call" if is_async and not ep.is_stream else "self.call"
    lines += _call_lines(ep, body, call, "_result", returns)
    lines.append(f"{body}return _result")
    return lines


def _task_type(ep: _Endpoint, name: str, *, is_async: bool) -> list[str]:
    """``Task`` (``AsyncTask``) with this endpoint's result typed: a name for type checkers.

    At run time the sync one is ``bentoclient.Task`` itself; the async one exists only for
    type checkers (the async client is imported on first use).
    """
    base = "AsyncTask" if is_async else "Task"
    a = "async " if is_async else ""
    i1, i2 = INDENT, INDENT * 2
    lines = ["if TYPE_CHECKING:", "", f"{i1}class {name}({base}):"]
    lines += _docstring([f"A task of {ep.name!r}: a bentoclient.{base} whose result is typed."], i2)
    lines += ["", *_bracketed(f"{a}def get(", ["self"], f") -> {ep.result}: ...", i2), ""]
    lines += _bracketed(f"{a}def result(", ["self", "timeout: Optional[float] = None"], f") -> {ep.result}: ...", i2)
    lines += ["", *_bracketed(f"{a}def retry(", ["self"], f") -> {name}: ...", i2)]
    if not is_async:
        lines += ["", "else:", f"{i1}{name} = Task"]
    return lines


def _task_class(ep: _Endpoint, name: str, client: str, *, is_async: bool, shown: str, task: str) -> list[str]:
    """A typed view of a task endpoint: call it, ``submit()`` it, look tasks up by id."""
    a = "async " if is_async else ""
    aw = "await " if is_async else ""
    i1, i2 = INDENT, INDENT * 2
    lines = [f"class {name}:"]
    lines += _docstring(
        [
            f"The task endpoint {ep.name!r} of {shown}: call it to run it and wait, or submit() it.",
            "",
            "Task ids come from submit(); get_status/get/cancel/retry take one, as in BentoML.",
        ],
        i1,
    )
    lines += [
        "",
        f"{i1}_endpoint = {py_str(ep.name)}",
        "",
        f"{i1}def __init__(self, client: {client}) -> None:",
        f"{i2}self._client = client",
        "",
        f"{i1}def _method(self) -> Any:",
        f"{i2}return self._client._bentoclient_task_method(self._endpoint)",
        "",
    ]
    call_ep = ep._replace(method="__call__")
    if ep.is_stream:  # calling a streaming task endpoint streams, as call() does
        stream = f"{'AsyncItemStream' if is_async else 'ItemStream'}[{ep.result}]"
        lines += _signature(call_ep, i1, "def __call__", stream)
        lines += _docstring(ep.doc, i2)
        lines += _call_lines(ep, i2, "self._client.call", "_result", stream)
    else:
        lines += _signature(call_ep, i1, f"{a}def __call__", ep.result)
        lines += _docstring(ep.doc, i2)
        lines += _call_lines(ep, i2, f"{aw}self._client.call", "_result", ep.result)
    lines += [f"{i2}return _result", ""]
    submit_ep = ep._replace(method="submit")
    lines += _signature(submit_ep, i1, f"{a}def submit", task)
    lines += _docstring([f"Start {ep.name!r} in the background and return its task (same arguments as a call)."], i2)
    method = "self._method()"
    lines += _call_lines(ep, i2, f"{aw}{method}.submit", "_task", task, with_name=False)
    lines += [f"{i2}return _task", ""]
    for action, returns, doc in (
        ("get_status", "ResultStatus", "The status of the task with this id."),
        ("get", ep.result, "The result of the finished task with this id (raises its error if it failed)."),
        ("cancel", "None", "Cancel the task with this id."),
        ("retry", task, "Run the finished task with this id again; returns the new task."),
    ):
        lines += _bracketed(f"{a}def {action}(", ["self", "task_id: str"], f") -> {returns}:", i1)
        lines += _docstring([doc], i2)
        if returns == "None":
            lines += [f"{i2}{aw}{method}.{action}(task_id)", ""]
        else:
            lines += _bracketed(f"_value: {returns} = {aw}{method}.{action}(", ["task_id"], ")", i2)
            lines += [f"{i2}return _value", ""]
    while lines[-1] == "":
        lines.pop()
    return lines


_MODEL_LIKE = '''
class ModelLike(Protocol):
    """An object argument also takes a pydantic model (e.g. your own copy of the service's model).

    Anything with pydantic's ``model_dump(mode="json")`` fits; the server checks its fields.
    """

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...
'''

_STREAM_PROTOCOLS = '''
_T_co = TypeVar("_T_co", covariant=True)


class ItemStream(Protocol[_T_co]):
    """What a streaming endpoint returns on the sync client (needs bentoclient-stream).

    Iterate it, preferably inside ``with`` so the connection is released early.
    """

    def __iter__(self) -> Iterator[_T_co]: ...

    def __next__(self) -> _T_co: ...

    def __enter__(self) -> ItemStream[_T_co]: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...
'''

_ASYNC_STREAM_PROTOCOL = '''

class AsyncItemStream(Protocol[_T_co]):
    """What a streaming endpoint returns on the async client: ``async with`` / ``async for`` it."""

    def __aiter__(self) -> AsyncIterator[_T_co]: ...

    def __anext__(self) -> Awaitable[_T_co]: ...

    async def __aenter__(self) -> AsyncItemStream[_T_co]: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def aclose(self) -> None: ...
'''


def _call_overloads(endpoints: list[_Endpoint], *, is_async: bool, stream_type: str) -> list[str]:
    """``call("<endpoint>", ...)`` typed by the endpoint's result (any other name: ``Any``).

    An endpoint without a result (``None``) is left to the ``Any`` overload: the generated
    methods assign the call's value, which mypy refuses for a function typed to return None.
    """
    endpoints = [ep for ep in endpoints if ep.is_stream or ep.result != "None"]
    if not endpoints:
        return []
    rest = ["/", "*args: Any", "**kwargs: Any"]
    lines: list[str] = []
    for ep in endpoints:
        if ep.is_stream:
            returns = f"{stream_type}[{ep.result}]"
        else:
            returns = f"Awaitable[{ep.result}]" if is_async else ep.result
        lines += ["", f"{INDENT}@overload"]
        lines += _bracketed(
            "def call(", ["self", f"name: Literal[{py_str(ep.name)}]", *rest], f") -> {returns}: ...", INDENT
        )
    lines += ["", f"{INDENT}@overload"]
    lines += _bracketed("def call(", ["self", "name: str", *rest], ") -> Any: ...", INDENT)
    lines += [""]
    lines += _bracketed("def call(", ["self", "name: str", *rest], ") -> Any:", INDENT)
    lines += [
        f'{INDENT * 2}"""Call endpoint ``name`` (typed for this service\'s endpoints, as their methods are)."""',
        f"{INDENT * 2}return super().call(name, *args, **kwargs)",
    ]
    return lines


def _map_options(ordered: str, return_exceptions: str) -> list[str]:
    """``map()``'s keyword arguments, ``ordered`` and ``return_exceptions`` as given."""
    return [
        "*",
        'concurrency: Union[int, Literal["auto"]] = ...',
        f"ordered: {ordered}",
        f"return_exceptions: {return_exceptions}",
        "batch_size: Optional[int] = ...",
        "retry: Optional[Retry] = ...",
        "timeout: Union[float, Timeout, None] = ...",
        "progress: Optional[Callable[[int, Optional[int]], object]] = ...",
        "progress_bar: bool = ...",
        "total: Optional[int] = ...",
    ]


#: ``map()``'s overloads per endpoint: ``ordered``, ``return_exceptions``, and the item type
#: made from the result type ``{0}`` (``{1}``: the result or a ``MapError``).
_MAP_FORMS = (
    ("Literal[True] = ...", "Literal[False] = ...", "{0}"),
    ("Literal[True] = ...", "Literal[True]", "{1}"),
    ("Literal[False]", "Literal[False] = ...", "tuple[int, {0}]"),
    ("Literal[False]", "Literal[True]", "tuple[int, {1}]"),
)


def _map_overloads(endpoints: list[_Endpoint], names: Optional[str], *, is_async: bool) -> list[str]:
    """``map("<endpoint>", inputs, ...)`` typed by the endpoint's result.

    Items are results in input order, ``(index, result)`` pairs with ``ordered=False``, and
    also a ``MapError`` with ``return_exceptions=True``; either flag given as a plain ``bool``
    (not a literal) gives ``Any`` items.  ``names`` is the ``Literal`` alias of the endpoints
    map() can call (not the streaming ones): any other name is a type error.
    """
    endpoints = [ep for ep in endpoints if not ep.is_stream]
    if not endpoints or names is None:
        return []
    iterator = "AsyncMapIterator" if is_async else "MapIterator"
    head = ["self", "endpoint: {0}", "inputs: Iterable[Any]", "/"]
    lines: list[str] = []
    for ep in endpoints:
        name = f"Literal[{py_str(ep.name)}]"
        for ordered, return_exceptions, item in _MAP_FORMS:
            params = [p.format(name) for p in head] + _map_options(ordered, return_exceptions)
            failed = "Optional[MapError]" if ep.result == "None" else f"Union[{ep.result}, MapError]"
            returns = f"{iterator}[{item.format(ep.result, failed)}]"
            lines += ["", f"{INDENT}@overload", *_bracketed("def map(", params, f") -> {returns}: ...", INDENT)]
    params = [p.format(names) for p in head] + _map_options("bool = ...", "bool = ...")
    lines += ["", f"{INDENT}@overload", *_bracketed("def map(", params, f") -> {iterator}[Any]: ...", INDENT)]
    lines += [""]
    params = [p.format("Any") for p in head[:-1]] + ["/", "**options: Any"]
    lines += _bracketed("def map(", params, f") -> {iterator}[Any]:", INDENT)
    lines += [
        f'{INDENT * 2}"""Call ``endpoint`` once per input, a few at a time; items typed by the endpoint\'s result."""',
        f"{INDENT * 2}return super().map(endpoint, inputs, **options)",
    ]
    return lines


def _client_class(
    name: str,
    base: str,
    endpoints: list[_Endpoint],
    task_classes: Mapping[str, str],
    *,
    is_async: bool,
    doc: list[str],
    copy_type: str,
    map_names: Optional[str],
) -> list[str]:
    lines = [f"class {name}({base}):"]
    lines += _docstring(doc, INDENT)
    stream_type = "AsyncItemStream" if is_async else "ItemStream"
    if copy_type != name:  # the async methods' class: the copy is the client class made from it
        lines += [
            "",
            f"{INDENT}def with_options(self, **options: Any) -> {copy_type}:",
            f'{INDENT * 2}"""A copy with other options (timeout=, headers=, retry=), typed as this class."""',
            f"{INDENT * 2}return cast({py_str(copy_type)}, super().with_options(**options))",
        ]
    lines += [
        "",
        f"{INDENT}if TYPE_CHECKING:",
        f"{INDENT * 2}# The endpoints are the methods below: to a type checker any other name is a mistake.",
        f"{INDENT * 2}__getattr__: ClassVar[None]  # type: ignore[assignment, misc]  # hides the untyped lookup",
    ]
    lines += _call_overloads(endpoints, is_async=is_async, stream_type=stream_type)
    lines += _map_overloads(endpoints, map_names, is_async=is_async)
    if task_classes:
        lines += [
            "",
            f"{INDENT}def _bentoclient_task_method(self, name: str) -> Any:",
            f"{INDENT * 2}# The schema-made method of a task endpoint (``api_<name>`` beside the typed one).",
            f'{INDENT * 2}return super().__getattr__("api_" + name)',
        ]
    for ep in endpoints:
        lines.append("")
        if ep.is_task:
            helper = task_classes[ep.name]
            lines += [
                f"{INDENT}@property",
                f"{INDENT}def {ep.method}(self) -> {helper}:",
            ]
            lines += _docstring(
                [*ep.doc[:1], "", f"Call it, or use .submit() to run it in the background ({helper})."], INDENT * 2
            )
            lines.append(f"{INDENT * 2}return {helper}(self)")
        else:
            lines += _method(ep, is_async=is_async, stream_type=stream_type, indent=INDENT)
    return lines


def generate(
    schema: Any,
    *,
    source: str,
    class_name: Optional[str] = None,
    include_async: bool = True,
) -> str:
    """The source of a typed client module for the service that ``schema`` (a decoded
    ``/schema.json``) describes.  ``source`` (a URL or file name) is written in the header.

    Raises :class:`~bentoclient.exceptions.SchemaError` for a document that is not a BentoML
    service schema.
    """
    if not isinstance(schema, Mapping):
        raise SchemaError("schema.json: the document is not a JSON object")
    routes = schema.get("routes")
    if not isinstance(routes, list):
        raise SchemaError("schema.json: there is no 'routes' list; is this a BentoML service's /schema.json?")
    service = schema.get("name") if isinstance(schema.get("name"), str) else ""
    sync_name = class_name or default_class_name(str(service))
    if not sync_name.isidentifier() or keyword.iskeyword(sync_name):
        raise SchemaError(f"the class name {sync_name!r} is not a Python identifier")
    async_name = _async_class_name(sync_name)
    reserved_methods = set(dir(SyncHTTPClient)) | _ALSO_RESERVED | {"_bentoclient_task_method", "with_options"}
    types = _Types({sync_name, async_name, f"_{async_name}Methods", "_AsyncBase", "_T_co"})
    used: set[str] = set()
    endpoints = [_endpoint(route, i, types, reserved_methods, used) for i, route in enumerate(routes)]
    task_classes: dict[str, str] = {}
    async_task_classes: dict[str, str] = {}
    task_types: dict[str, str] = {}
    async_task_types: dict[str, str] = {}
    for ep in endpoints:
        if ep.is_task:
            task_classes[ep.name] = types._name(_camel(ep.name) + "Endpoint")
            async_task_classes[ep.name] = types._name("Async" + _camel(ep.name) + "Endpoint")
            task_types[ep.name] = types._name(_camel(ep.name) + "Task")
            async_task_types[ep.name] = types._name("Async" + _camel(ep.name) + "Task")
    # The names map() takes (it refuses streaming endpoints): a Literal, so a typo is a type error.
    map_able = [ep.name for ep in endpoints if not ep.is_stream]
    map_names = types.literal(map_able, "EndpointName") if map_able else None

    has_stream = any(ep.is_stream for ep in endpoints)
    body: list[str] = []
    if "FileInput" in types.imports:  # first: a functional TypedDict may use it at import time
        body += [
            "",
            "",
            "#: What a file argument accepts: a path, the bytes, or an open binary file (or an http(s) URL string).",
            'FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]',
        ]
    if "ModelLike" in types.imports:  # before the TypedDicts: a functional one may use it at import time
        body += ["", "", *_MODEL_LIKE.strip("\n").split("\n")]
    for block in types.blocks:
        body += ["", "", *block]
    if has_stream:
        body += ["", *_STREAM_PROTOCOLS.rstrip("\n").split("\n")]
        if include_async:
            body += _ASYNC_STREAM_PROTOCOL.rstrip("\n").split("\n")

    sync_doc = [
        f"Typed client for the BentoML service {service!r}: a SyncHTTPClient with one method per endpoint.",
        "",
        "Construct and use it as a SyncHTTPClient (same options); the schema is still read at construction.",
    ]
    for ep in endpoints:
        if ep.is_task:
            task = task_types[ep.name]
            body += ["", "", *_task_type(ep, task, is_async=False)]
            body += [
                "",
                "",
                *_task_class(ep, task_classes[ep.name], sync_name, is_async=False, shown=sync_name, task=task),
            ]
    body += [
        "",
        "",
        *_client_class(
            sync_name,
            "SyncHTTPClient",
            endpoints,
            task_classes,
            is_async=False,
            doc=sync_doc,
            copy_type=sync_name,
            map_names=map_names,
        ),
    ]

    if include_async:
        methods = f"_{async_name}Methods"
        for ep in endpoints:
            if ep.is_task:
                body += [
                    "",
                    "",
                    *_task_type(ep, async_task_types[ep.name], is_async=True),
                    "",
                    "",
                    *_task_class(
                        ep,
                        async_task_classes[ep.name],
                        methods,
                        is_async=True,
                        shown=async_name,
                        task=async_task_types[ep.name],
                    ),
                ]
        async_doc = [
            f"The typed methods of {async_name} (an AsyncHTTPClient subclass made on first use).",
        ]
        body += [
            "",
            "",
            "if TYPE_CHECKING:",
            f"{INDENT}from bentoclient.aio import AsyncHTTPClient as _AsyncBase",
            "else:",
            f"{INDENT}_AsyncBase = object",
            "",
            "",
            *_client_class(
                methods,
                "_AsyncBase",
                endpoints,
                async_task_classes,
                is_async=True,
                doc=async_doc,
                copy_type=async_name,
                map_names=map_names,
            ),
            "",
            "",
            "if TYPE_CHECKING:",
            "",
            f"{INDENT}class {async_name}({methods}):",
            *_docstring(
                [
                    f"Typed async client for {service!r}: an AsyncHTTPClient with one method per endpoint.",
                    "",
                    "Made on first use (the async client loads only then); it sends through bentoclient-async's "
                    "transport unless given transport=.",
                ],
                INDENT * 2,
            ),
            "",
            "else:",
            "",
            f"{INDENT}def __getattr__(name: str) -> Any:",
            f"{INDENT * 2}# {async_name} subclasses AsyncHTTPClient, imported only when it is first used.",
            f"{INDENT * 2}if name != {py_str(async_name)}:",
            f'{INDENT * 3}raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")',
            f"{INDENT * 2}from bentoclient.aio import AsyncHTTPClient",
            "",
            f"{INDENT * 2}namespace = {{",
            f'{INDENT * 3}"__module__": __name__,',
            f'{INDENT * 3}"__qualname__": name,',
            f'{INDENT * 3}"__doc__": "Typed async client for {_doc_text(str(service))}.",',
            f"{INDENT * 2}}}",
            f"{INDENT * 2}cls = type(name, ({methods}, AsyncHTTPClient), namespace)",
            f"{INDENT * 2}globals()[name] = cls",
            f"{INDENT * 2}return cls",
        ]

    # Import exactly the names the code uses (ruff flags unused imports).
    used = _names_used(body)
    header_imports: list[str] = []
    if "FileInput" in used:
        header_imports.append("import os")  # in the "os.PathLike[str]" annotation
    if "pathlib" in used:
        header_imports.append("import pathlib")
    abc_names = used & {"AsyncIterator", "Awaitable", "Callable", "Iterable", "Iterator", "Mapping", "Sequence"}
    if abc_names:
        header_imports += _import_from("collections.abc", abc_names)
    typing_names = used & {
        "IO",
        "TYPE_CHECKING",
        "Any",
        "ClassVar",
        "overload",
        "Literal",
        "Optional",
        "Protocol",
        "TypedDict",
        "TypeVar",
        "Union",
        "cast",
    }
    if typing_names:
        header_imports += _import_from("typing", typing_names)
    bentoclient_imports = _import_from(
        "bentoclient", used & {"MapError", "ResultStatus", "Retry", "SyncHTTPClient", "Task", "Timeout"}
    )
    # For type checkers only: the async client is imported on first use, the iterators' modules never.
    checking = [
        f"{INDENT}from {module} import {name}"
        for module, name in (
            ("bentoclient._async.bulk", "AsyncMapIterator"),
            ("bentoclient._sync.bulk", "MapIterator"),
            ("bentoclient.aio", "AsyncTask"),
        )
        if name in used
    ]
    if checking:
        checking = ["", "if TYPE_CHECKING:", *checking]
    where = f"the schema file {source}" if "://" not in source else source
    header = _docstring(
        [
            f"Typed client for the BentoML service {service!r}.",
            "",
            f"Generated by bentoclient {__version__} (`bentoclient gen`) from {where}. "
            "Regenerate it when the service changes instead of editing it.",
        ],
        "",
    )
    while body and not body[0]:
        body.pop(0)
    # isort's blank lines after the imports: two before a class or function, else one.
    gap = ["", ""] if body and body[0].startswith(("class ", "def ", "@")) else [""]
    lines = [
        *header,
        "",
        "from __future__ import annotations",
        "",
        *header_imports,
        "",
        *bentoclient_imports,
        *checking,
        *(gap if body else []),
        *body,
    ]
    return "\n".join(lines) + "\n"


def _names_used(body: list[str]) -> set[str]:
    """The global names the generated code refers to (annotations included, docstrings not)."""
    import ast

    tree = ast.parse("\n".join(body))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _sorted_names(names: Iterable[str]) -> list[str]:
    # isort's order-by-type, as ruff applies it: CONSTANTS, then Classes, then functions.
    def rank(n: str) -> tuple[int, str, str]:
        kind = 0 if n.isupper() and len(n) > 1 else 1 if n[:1].isupper() else 2
        return kind, n.lower(), n

    return sorted(names, key=rank)


def _import_from(module: str, names: Iterable[str]) -> list[str]:
    items = _sorted_names(names)
    line = f"from {module} import {', '.join(items)}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"from {module} import (", *(f"{INDENT}{n}," for n in items), ")"]
