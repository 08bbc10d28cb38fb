"""A griffe extension for the API reference (``mkdocs.yml``): Sphinx roles in docstrings become
cross-references, and a role naming nothing fails the build.

The docstrings use reST roles (``:class:`~bentoclient.Retry```, ``:meth:`close```), which
``help()`` shows as they are.  For the site, each role is resolved against the loaded packages:

- a public name (no ``_``-prefixed part) becomes an autorefs link, ``[Retry][bentoclient.Retry]``,
  which ``mkdocs build --strict`` fails on when the name has no page;
- a name inside a private module (``bentoclient._bulk.MapPlan``) exists but has no page: it is
  shown as code;
- a name outside bentoclient (``http.HTTPStatus``) is imported to check that it exists, and
  shown as code;
- anything else is a stale reference: a warning, which fails the strict build.

A paragraph ending in reST's ``::`` ends in ``:`` (the indented block after it is code in
Markdown too).

Unqualified names are looked up from the documented object outwards (its members, its class,
its module, the package), as Sphinx does.
"""

from __future__ import annotations

import importlib
import logging
import re
from functools import partial
from typing import Any, Optional

import griffe

LOG = logging.getLogger("mkdocs.plugins.docs_roles")  # a warning here fails `mkdocs build --strict`
ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|data|obj):`(~?)([\w.]+)(\(\))?`")
LITERAL_BLOCK = re.compile(r"(\S)::\n")  # reST's paragraph ending that starts a code block
PACKAGES = ("bentoclient", "bentoclient_async", "bentoclient_stream")


class Roles(griffe.Extension):
    """Rewrite the roles of every docstring once the whole package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is not None:
                text = ROLE.sub(partial(_reference, obj), obj.docstring.value)
                obj.docstring.value = LITERAL_BLOCK.sub(r"\1:\n", text)  # "like this::" reads "like this:"


def _walk(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, griffe.Object):
            found += _walk(member)
    return found


def _reference(obj: griffe.Object, match: re.Match[str]) -> str:
    short, target = bool(match.group(1)), match.group(2)
    path = _resolve(obj, target)
    shown = (target.rsplit(".", 1)[-1] if short else target.lstrip(".")) + (match.group(3) or "")
    if path is None:
        LOG.warning("%s: the docstring refers to %r, which does not exist", obj.path, target)
        return f"`{shown}`"
    if path.split(".")[0] not in PACKAGES or any(part.startswith("_") for part in path.split(".")[1:]):
        return f"`{shown}`"  # real, but outside the reference (the standard library, a private module)
    return f"[`{shown}`][{path}]"


def _resolve(obj: griffe.Object, target: str) -> Optional[str]:
    if target.startswith("."):  # relative to the module: :mod:`._multipart`
        module = obj.module
        return _lookup(module.package, f"{module.path.rpartition('.')[0]}{target}")
    scope: Optional[griffe.Object] = obj
    while scope is not None:  # the object itself, then outwards
        found = _lookup(obj.package, f"{scope.path}.{target}")
        if found is not None:
            return found
        scope = scope.parent
    found = _lookup(obj.package, target)
    if found is not None:
        return found
    return target if _importable(target) else None


def _lookup(package: griffe.Module, path: str) -> Optional[str]:
    if path.split(".")[0] != package.path:
        return path if path.split(".")[0] in PACKAGES and _exists_elsewhere(path) else None
    try:
        package[path.split(".", 1)[1]] if "." in path else package
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return path


def _exists_elsewhere(path: str) -> bool:
    """A name in another of the three packages: checked by importing it."""
    return _importable(path)


def _importable(path: str) -> bool:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                value = getattr(value, name)
        except AttributeError:
            return False
        return True
    return False
