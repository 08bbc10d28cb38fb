"""Waiting for a server that is not there must sleep between probes, not spin.

BentoML's own client polls ``/readyz`` with no pause (about 100 % of a core while it
waits); bentoclient backs off.  A CI-cheap guard: no server is needed, only a loopback port
where nothing listens.
"""

from __future__ import annotations

import socket
import time

import pytest

from bentoclient import SyncHTTPClient
from bentoclient.exceptions import ServerNotReady

WAIT = 2.0  # seconds of server_ready_timeout
MAX_CPU_SHARE = 0.10  # a busy loop uses ~1.0; polling with back-off uses well under 0.01


def _closed_port() -> int:
    """A loopback port that was free a moment ago (and so refuses connections)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_waiting_for_readiness_does_not_busy_wait() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    cpu0, wall0 = time.process_time(), time.monotonic()
    with pytest.raises(ServerNotReady):
        SyncHTTPClient(url, server_ready_timeout=WAIT)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    assert wall >= WAIT * 0.9, f"gave up after {wall:.2f} s of a {WAIT} s wait"
    assert cpu < MAX_CPU_SHARE * wall, f"used {cpu:.3f} s of CPU in {wall:.2f} s of waiting ({cpu / wall:.0%})"
