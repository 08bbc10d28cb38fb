"""Task functions the Dask workers import by name (this folder is on their ``sys.path``)."""

from __future__ import annotations

import os
from typing import Any

import bulk_dask
from pools import pool_of

from bentoclient import SyncHTTPClient


def identity(client: SyncHTTPClient) -> tuple[int, int]:
    """(process id, id of the client object): which client copy a task got, in which process."""
    return os.getpid(), id(client)


def cached_clients() -> dict[str, Any]:
    """What ``bulk_dask.worker_client`` made in this worker process, and its connections."""
    return {
        "pid": os.getpid(),
        "clients": {url: id(client) for url, client in bulk_dask._clients.items()},
        "idle": [pool_of(client).idle_connections for client in bulk_dask._clients.values()],
    }


def close_cached_clients() -> int:
    """Close this worker's clients (the end of a job); returns how many."""
    clients = list(bulk_dask._clients.values())
    bulk_dask._clients.clear()
    for client in clients:
        client.close()
    return len(clients)
