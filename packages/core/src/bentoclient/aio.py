"""The async client: ``AsyncHTTPClient`` and ``AsyncTask``.  Public.

``from bentoclient import AsyncHTTPClient`` is the usual import (it needs
``pip install "bentoclient[async]"``, whose httpx transport the client sends through by
default).  This module gives the same class to code that brings its own transport
(``AsyncHTTPClient(url, transport=...)``, see :mod:`bentoclient.transport`), which then
needs no third-party package at all.
"""

from ._async.client import AsyncHTTPClient, AsyncTask

__all__ = ["AsyncHTTPClient", "AsyncTask"]
