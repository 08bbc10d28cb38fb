"""The async client for code that brings its own transport: ``AsyncHTTPClient``, ``AsyncTask``.  Public.

``from bentoclient import AsyncHTTPClient`` is the import to write: the same class, checked
at import for ``pip install "bentoclient[async]"``, whose httpx transport (``HTTPXTransport``)
the client sends through by default (``transport=bentoclient_async.AsyncioTransport(url)``
opts in to its faster asyncio-streams one).  This module skips that import-time check, for
code that always passes ``AsyncHTTPClient(url, transport=...)`` (see
:mod:`bentoclient.transport`) and then needs no third-party package at all.  A client made
here without ``transport=`` and without the extra raises the same
:class:`~bentoclient.exceptions.MissingDependencyError`, with the same message.
"""

from ._async.client import AsyncHTTPClient, AsyncTask

__all__ = ["AsyncHTTPClient", "AsyncTask"]
