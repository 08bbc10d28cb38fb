"""bentoclient: a small, typed client for BentoML services.

``SyncHTTPClient`` needs nothing but the standard library.  ``AsyncHTTPClient`` comes with
``pip install "bentoclient[async]"``; without it, importing the name raises
:class:`~bentoclient.exceptions.MissingDependencyError` (an ``ImportError``) saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import exceptions
from ._backoff import Backoff
from ._client import ClientResponse, SyncHTTPClient
from ._models import Headers, Timeout
from ._retry import NO_RETRY, Retry
from ._schema import Endpoint, Field, ServiceSchema
from ._tasks import ResultStatus, Task
from ._version import __version__
from .exceptions import BentoClientError, BentoMLException

if TYPE_CHECKING:  # precise for type checkers; imported lazily at run time (below)
    from bentoclient_async import AsyncHTTPClient

__all__ = [
    "AsyncHTTPClient",
    "Backoff",
    "BentoClientError",
    "BentoMLException",
    "ClientResponse",
    "Endpoint",
    "Field",
    "Headers",
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
    if name == "AsyncHTTPClient":
        try:
            from bentoclient_async import AsyncHTTPClient
        except ImportError as exc:
            raise exceptions.MissingDependencyError(
                'AsyncHTTPClient needs the async package: pip install "bentoclient[async]"',
                package="bentoclient-async",
            ) from exc
        return AsyncHTTPClient
    raise AttributeError(f"module 'bentoclient' has no attribute {name!r}")
