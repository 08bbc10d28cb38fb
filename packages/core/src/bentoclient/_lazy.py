"""The package's modules that the clients load on first use, not at import.

``from bentoclient import SyncHTTPClient`` loads the client classes and what defining them
needs (``_base``, ``_backends``, this module); the protocol layer, the transport, files,
tasks, observability and the error tree load when a client first uses them.  A module that
uses one names it twice, once for type checkers and once for run time::

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from .. import _decode
    else:
        from .._lazy import _decode

and then calls ``_decode.decode_value(...)``.  The first attribute read imports the module
(a plain relative import: no I/O beyond reading the package's own files, which works
vendored under any package name) and keeps the attribute, so every later read costs what
reading a module's attribute costs.
"""

import sys

__all__ = ["LazyModule"]

#: "bentoclient", or the package a vendored copy was put under.
_PACKAGE = __name__.rpartition(".")[0]


class LazyModule:
    """Stands for the module ``name`` of this package until its first attribute is read."""

    def __init__(self, name: str) -> None:
        self.__name__ = f"{_PACKAGE}.{name}"

    def __getattr__(self, attr: str) -> object:  # only for attributes not read before
        name = self.__name__
        # Through the import system even when the module is in sys.modules already: another
        # thread may still be running its body, and only the import system waits for that
        # (sys.modules alone would hand out a half-initialised module).
        __import__(name)
        module = sys.modules[name]
        value: object = getattr(module, attr)
        setattr(self, attr, value)  # the next read is a plain instance attribute
        return value

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}, loaded on first use>"


_backoff = LazyModule("_backoff")
_body = LazyModule("_body")
_decode = LazyModule("_decode")
_encode = LazyModule("_encode")
_files = LazyModule("_files")
_models = LazyModule("_models")
_multipart = LazyModule("_multipart")
_observe = LazyModule("_observe")
_protocol = LazyModule("_protocol")
_proxy = LazyModule("_proxy")
_ready = LazyModule("_ready")
_response = LazyModule("_response")
_retry = LazyModule("_retry")
_schema = LazyModule("_schema")
_tasks = LazyModule("_tasks")
_url = LazyModule("_url")
exceptions = LazyModule("exceptions")
