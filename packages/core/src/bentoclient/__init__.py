"""bentoclient: a small, typed client for BentoML services.

``SyncHTTPClient`` needs nothing but the standard library.  ``AsyncHTTPClient`` comes with
``pip install "bentoclient[async]"``; without it, importing the name raises
:class:`~bentoclient.exceptions.MissingDependencyError` (an ``ImportError``) saying so (code
that always brings its own transport imports it from :mod:`bentoclient.aio` instead).

The names below load on first use (PEP 562), so ``import bentoclient`` (and the command
line's ``--help``) costs next to nothing; ``from bentoclient import SyncHTTPClient`` loads
the client and what it needs.
"""

from ._version import __version__

# Not typing.TYPE_CHECKING: importing typing here would cost ~10 modules at run time.  Type
# checkers treat any name TYPE_CHECKING as true, so they see the precise imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import exceptions
    from ._backoff import Backoff
    from ._bulk import MapError
    from ._models import Headers, Timeout
    from ._response import ClientResponse
    from ._retry import NO_RETRY, Retry
    from ._schema import Endpoint, Field, ServiceSchema
    from ._sync.client import SyncHTTPClient, Task
    from ._tasks import ResultStatus
    from .aio import AsyncHTTPClient, AsyncTask
    from .exceptions import BentoClientError, BentoMLException

__all__ = [
    "AsyncHTTPClient",
    "AsyncTask",
    "Backoff",
    "BentoClientError",
    "BentoMLException",
    "ClientResponse",
    "Endpoint",
    "Field",
    "Headers",
    "MapError",
    "NO_RETRY",
    "Retry",
    "ResultStatus",
    "ServiceSchema",
    "Task",
    "SyncHTTPClient",
    "Timeout",
    "__version__",
    "exceptions",
]

# name -> the module (relative to this package) that defines it
_LAZY = {
    "Backoff": "_backoff",
    "BentoClientError": "exceptions",
    "BentoMLException": "exceptions",
    "ClientResponse": "_response",
    "Endpoint": "_schema",
    "Field": "_schema",
    "Headers": "_models",
    "MapError": "_bulk",
    "NO_RETRY": "_retry",
    "Retry": "_retry",
    "ResultStatus": "_tasks",
    "ServiceSchema": "_schema",
    "SyncHTTPClient": "_sync.client",
    "Task": "_sync.client",
    "Timeout": "_models",
}


def __getattr__(name: str) -> object:
    # __import__ with level=1 is a relative import (works vendored under any package name)
    # without loading importlib, which the interpreter does not import at start-up.
    if name == "exceptions":
        value: object = __import__("exceptions", globals(), None, ["BentoClientError"], 1)
        globals()[name] = value
        return value
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(__import__(module_name, globals(), None, [name], 1), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    # The async client's default transport is in its own distribution: check for it here, so
    # the usual import fails at once (with the message every path to the client gives).
    if name in ("AsyncHTTPClient", "AsyncTask"):
        from ._backends import async_package

        async_package(check_core=False)
        from . import aio

        return getattr(aio, name)
    raise AttributeError(f"module 'bentoclient' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
