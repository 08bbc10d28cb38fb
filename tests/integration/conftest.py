"""Session fixtures that start real ``bentoml serve`` processes, lazily.

Each fixture yields the base URL ``http://127.0.0.1:<port>`` of a server that is
started the first time a test asks for it and stopped at the end of the session.
The ``bentoml`` executable comes from ``$BENTOCLIENT_BENTOML`` (set by nox); without
it the fixtures raise instead of skipping, so integration tests never pass vacuously.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
SERVICES = TESTS / "services"
EXAMPLES = ROOT / "examples"

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from bentoserve import bentoml_executable, serve  # noqa: E402

#: The ``path_prefix`` of the service behind ``prefixed_url``.
PREFIX = "/v1"


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """Base URL of ``examples/service.py:Demo``."""
    with serve("service:Demo", cwd=EXAMPLES, bentoml=bentoml_executable()) as url:
        yield url


@pytest.fixture(scope="session")
def wire_url() -> Iterator[str]:
    """Base URL of ``tests/services/wire.py:Wire``."""
    with serve("wire:Wire", cwd=SERVICES, bentoml=bentoml_executable()) as url:
        yield url


@pytest.fixture(scope="session")
def prefixed_url() -> Iterator[str]:
    """Root URL (without ``/v1``) of ``tests/services/prefixed.py:Prefixed``."""
    with serve(
        "prefixed:Prefixed",
        cwd=SERVICES,
        bentoml=bentoml_executable(),
        ready_path=PREFIX + "/readyz",
    ) as url:
        yield url


@pytest.fixture(scope="session")
def media_url() -> Iterator[str]:
    """Base URL of ``tests/services/media.py:Media`` (files, images, tensors, data frames)."""
    with serve("media:Media", cwd=SERVICES, bentoml=bentoml_executable()) as url:
        yield url
