"""Fixtures for the async stream fault tests: the streaming fault server of tests/faults_stream,
and the clients harness and leak check of tests/faults_async (imported by name: pytest finds
fixtures here, and each resolves ``server`` to this folder's).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import private_tempdir, running  # noqa: E402, F401
from faults_async.conftest import clients, no_leaks  # noqa: E402, F401
from faults_stream.streaming import serve_streams  # noqa: E402
from faultserver import FaultServer  # noqa: E402


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``faults_stream.streaming``."""
    yield from running(serve_streams(FaultServer()))
