"""The standard-library connection pool behind a SyncHTTPClient, for tests that count connections."""

from __future__ import annotations

from bentoclient import SyncHTTPClient
from bentoclient.transport import HTTPTransport


def pool_of(client: SyncHTTPClient) -> HTTPTransport:
    transport = client._transport
    assert isinstance(transport, HTTPTransport), f"{client!r} does not send through the default pool"
    return transport
