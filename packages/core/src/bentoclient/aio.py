"""The async client: ``AsyncHTTPClient`` and ``AsyncTask``.  Public.

``from bentoclient import AsyncHTTPClient`` is the usual import (it needs
``pip install "bentoclient[async]"``, whose httpx transport, ``HTTPXTransport``, the client
sends through by default; ``transport=bentoclient_async.AsyncioTransport(url)`` opts in to
its faster h11-on-asyncio one).  This module gives the same class to code that brings its own transport
(``AsyncHTTPClient(url, transport=...)``, see :mod:`bentoclient.transport`), which then
needs no third-party package at all.
"""

from ._async.client import AsyncHTTPClient, AsyncTask

__all__ = ["AsyncHTTPClient", "AsyncTask"]
