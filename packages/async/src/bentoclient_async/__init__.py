"""bentoclient-async: the default transport of bentoclient's ``AsyncHTTPClient``, on httpx.

from bentoclient import AsyncHTTPClient      # or: from bentoclient_async import AsyncHTTPClient

async with AsyncHTTPClient("http://localhost:3000") as client:
    await client.classify(input_series=[[1, 2, 3, 4]])

The client itself (its calls, retries, readiness, tasks, files and streams) is core's
:mod:`bentoclient.aio`; this package adds :class:`HTTPXTransport`, the transport it sends
through by default, and uses only bentoclient's public API.
"""

from bentoclient import __version__
from bentoclient.aio import AsyncHTTPClient, AsyncTask

from ._transport import HTTPXResponse, HTTPXTransport

__all__ = ["AsyncHTTPClient", "AsyncTask", "HTTPXResponse", "HTTPXTransport", "__version__"]
