"""bentoclient: a small, typed client for BentoML services.

``SyncHTTPClient`` needs nothing but the standard library.  ``AsyncHTTPClient`` comes with
``pip install "bentoclient[async]"``; without it, importing the name raises
:class:`~bentoclient.exceptions.MissingDependencyError` (an ``ImportError``) saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import exceptions
from ._backoff import Backoff
from ._base import ClientResponse
from ._bulk import MapError
from ._models import Headers, Timeout
from ._retry import NO_RETRY, Retry
from ._schema import Endpoint, Field, ServiceSchema
from ._sync.client import SyncHTTPClient, Task
from ._tasks import ResultStatus
from ._version import __version__
from .exceptions import BentoClientError, BentoMLException

if TYPE_CHECKING:  # precise for type checkers; imported lazily at run time (below)
    from .aio import AsyncHTTPClient, AsyncTask

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


def __getattr__(name: str) -> Any:
    # The async client lives in its own distribution; load it only when asked for.
    if name in ("AsyncHTTPClient", "AsyncTask"):
        try:
            import bentoclient_async  # noqa: F401  # the transport AsyncHTTPClient sends through by default
        except ImportError as exc:
            raise exceptions.MissingDependencyError(
                f'{name} needs the async package: pip install "bentoclient[async]" '
                "(or bring your own transport: from bentoclient.aio import AsyncHTTPClient)",
                package="bentoclient-async",
            ) from exc
        from . import aio

        return getattr(aio, name)
    raise AttributeError(f"module 'bentoclient' has no attribute {name!r}")
