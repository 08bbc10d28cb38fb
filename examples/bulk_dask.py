"""Bulk inference across many processes or machines with Dask: the worker-side functions.

The rule for any framework that runs your function in other processes (Dask, Ray, Spark,
multiprocessing): **one client per worker process, reused by every task there**, never one
per row.  Two ways, both used by ``tests/scale/test_dask.py`` and shown in ``docs/bulk.md``:

1. Send the client itself.  A ``SyncHTTPClient`` pickles (URL, options and the service's
   endpoints; no socket), and the copy opens its own connections on first use in the
   process that unpickled it.  With Dask, ``dask_client.scatter(client, broadcast=True)``
   unpickles it once per worker, and every task given that future gets the same copy::

       remote = dask_client.scatter(bento, broadcast=True)
       futures = [dask_client.submit(summarize_batch, remote, batch) for batch in batches]

2. Send the URL and make the client in the worker, once (:func:`worker_client`)::

       ddf.map_partitions(summarize_partition, url, meta=...)

Each task then sends its rows with ``client.map(...)``, a few calls at a time, so that the
calls of one task overlap too.  This module needs only ``bentoclient``; the frameworks
import it by name in their workers, so it must be importable there (installed, or on
``PYTHONPATH``).
"""

from __future__ import annotations

import threading
from typing import Any

from bentoclient import SyncHTTPClient

_clients: dict[str, SyncHTTPClient] = {}
_lock = threading.Lock()

#: Calls in flight per task; a worker running T tasks at once makes up to T * this many.
CALLS_PER_TASK = 4


def worker_client(url: str) -> SyncHTTPClient:
    """This process's client for ``url``: made on first use, then reused by every task here."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = SyncHTTPClient(url, max_connections=2 * CALLS_PER_TASK)
        return client


def summarize_batch(client: SyncHTTPClient, texts: list[str]) -> list[Any]:
    """One task: summarize a batch of texts with the client it was given (unpickled once here)."""
    results = client.map("summarize", ({"text": text} for text in texts), concurrency=CALLS_PER_TASK)
    return list(results)


def summarize_partition(frame: Any, url: str) -> Any:
    """One dataframe partition (a ``pandas.DataFrame`` with a ``text`` column) -> ``summary`` added.

    Use with ``ddf.map_partitions(summarize_partition, url, meta=...)``.
    """
    client = worker_client(url)
    summaries = client.map("summarize", ({"text": text} for text in frame["text"]), concurrency=CALLS_PER_TASK)
    return frame.assign(summary=list(summaries))
