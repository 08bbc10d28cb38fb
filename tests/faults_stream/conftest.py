"""Fixtures for the sync stream fault tests (generated from tests/faults_async_stream): a fault
server with streaming endpoints, the ``clients`` harness of tests/faults/support.py (clients
always closed and their pool checked), and a leak check after every test (ResourceWarning,
descriptors, threads, temporary folders).
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import (  # noqa: E402
    assert_nothing_leaked,
    private_tempdir,  # noqa: F401  # a fixture, used by this folder's tests
    running,
    snapshot,
    sync_clients,
)
from faults.support import SyncClients  # noqa: E402
from faultserver import FaultServer  # noqa: E402

from .streaming import serve_streams  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its server stopped): nothing of the test is left open,
    and nothing was left for the garbage collector to close (a ``ResourceWarning``)."""
    before = snapshot()
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    if unclosed:
        pytest.fail(f"ResourceWarning (closed only by the garbage collector): {unclosed}")
    assert_nothing_leaked(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``streaming.STREAM_SCHEMA``."""
    yield from running(serve_streams(FaultServer()))


@pytest.fixture
def clients(server: FaultServer) -> Iterator[SyncClients]:
    """Build SyncHTTPClients for ``server``; ``clients.run(main)`` runs a test's body, then closes
    and checks them (tests/faults/support.py)."""
    yield from sync_clients(server.url)
