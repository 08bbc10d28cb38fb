"""bentoclient-async: the asyncio client for BentoML services, on httpx.

from bentoclient import AsyncHTTPClient      # or: from bentoclient_async import AsyncHTTPClient

async with AsyncHTTPClient("http://localhost:3000") as client:
    await client.classify(input_series=[[1, 2, 3, 4]])
"""

from bentoclient import __version__

from ._client import AsyncHTTPClient, AsyncTask

__all__ = ["AsyncHTTPClient", "AsyncTask", "__version__"]
