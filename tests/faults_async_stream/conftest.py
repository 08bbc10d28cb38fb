"""Fixtures for the async stream fault tests: the streaming fault server of tests/faults_stream,
AsyncHTTPClients closed in their own event loop (tests/faults_async), and the same leak check.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import snapshot  # noqa: E402
from faults_async.support import AsyncClients, assert_no_leaks  # noqa: E402
from faults_stream.streaming import serve_streams  # noqa: E402
from faultserver import FaultServer  # noqa: E402


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A temp dir of this test's own (other processes on the machine make ``bentoclient-*`` too)."""
    tmp_path_factory.getbasetemp()  # fixed before tempfile.tempdir changes
    folder = tempfile.mkdtemp(prefix="faults-async-stream-")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield folder
    monkeypatch.undo()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:
    """After every test (and after its server stopped): nothing of the test is left open."""
    before = snapshot()
    yield
    assert_no_leaks(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``faults_stream.streaming``."""
    server = serve_streams(FaultServer())
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"fault server behaviours failed: {server.errors}"


@pytest.fixture
def clients(server: FaultServer) -> Iterator[AsyncClients]:
    """Build AsyncHTTPClients for ``server``; ``clients.run(main)`` runs a test's coroutine."""
    clients = AsyncClients(server.url)
    yield clients
    for client in clients.made:
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"
