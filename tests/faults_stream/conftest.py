"""Fixtures for the sync stream fault tests (generated from tests/faults_async_stream): a fault
server with streaming endpoints, the ``clients`` harness of tests/faults (clients always closed
and their pool checked; it resolves ``server`` to this folder's), and a leak check after every
test (ResourceWarning, descriptors, threads, temporary folders).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faults.conftest import (  # noqa: E402, F401  # fixtures, imported by name
    assert_nothing_leaked,
    assert_nothing_unclosed,
    clients,
    private_tempdir,
    running,
    snapshot,
)
from faultserver import FaultServer  # noqa: E402

from .streaming import serve_streams  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:  # noqa: F811  # the imported fixture, by name
    """After every test (and after its server stopped): nothing of the test is left open,
    and nothing was left for the garbage collector to close (a ``ResourceWarning``)."""
    before = snapshot()
    yield
    assert_nothing_unclosed()
    assert_nothing_leaked(before)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1 with the streaming endpoints of ``streaming.STREAM_SCHEMA``."""
    yield from running(serve_streams(FaultServer()))
