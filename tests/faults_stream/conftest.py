"""Fixtures for the sync stream fault tests: a fault server with streaming endpoints, clients
that are always closed and checked, and a leak check after every test (ResourceWarning,
descriptors, threads, temporary folders, pooled connections).
"""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import FAST_RETRY, QUICK, assert_nothing_leaked, assert_pool_clean, snapshot  # noqa: E402
from faultserver import FaultServer  # noqa: E402

from bentoclient import SyncHTTPClient  # noqa: E402

from .streaming import serve_streams  # noqa: E402

ClientFactory = Callable[..., SyncHTTPClient]


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A temp dir of this test's own (other processes on the machine make ``bentoclient-*`` too)."""
    tmp_path_factory.getbasetemp()  # fixed before tempfile.tempdir changes
    folder = tempfile.mkdtemp(prefix="faults-stream-")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield folder
    monkeypatch.undo()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:
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
    server = serve_streams(FaultServer())
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"fault server behaviours failed: {server.errors}"


@pytest.fixture
def make_client(server: FaultServer) -> Iterator[ClientFactory]:
    """Build clients for ``server`` (quick timeouts, fast retries); all closed and checked after."""
    clients: list[SyncHTTPClient] = []

    def make(url: Optional[str] = None, **options: Any) -> SyncHTTPClient:
        options.setdefault("timeout", QUICK)
        options.setdefault("retry", FAST_RETRY)
        client = SyncHTTPClient(url or server.url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for client in clients:
        assert_pool_clean(client)
