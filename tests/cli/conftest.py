"""Fixtures for the command-line tests: real ``bentoml serve`` processes and a CLI runner.

The servers (``examples/service.py:Demo`` and ``tests/services/wire.py:Wire``) start
together, on free loopback ports, the first time a test asks for one, and stop after the
last test of this folder (package scope), so they do not run beside the integration
tests' own servers.  ``$BENTOCLIENT_BENTOML`` names the ``bentoml`` executable (nox sets it);
without it the fixtures raise instead of skipping.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from bentoserve import bentoml_executable, serve  # noqa: E402

from .support import EXAMPLES, SERVICES, CliRunner  # noqa: E402


class Urls(NamedTuple):
    demo: str
    wire: str


@pytest.fixture(scope="package")
def cli_servers() -> Iterator[Urls]:
    """``Demo`` and ``Wire``, started side by side (BentoML takes ~5 s to start)."""
    bentoml = bentoml_executable()
    with contextlib.ExitStack() as stack:
        targets = [("service:Demo", EXAMPLES), ("wire:Wire", SERVICES)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(stack.enter_context, serve(t, cwd=cwd, bentoml=bentoml)) for t, cwd in targets]
        demo, wire = (f.result() for f in futures)
        yield Urls(demo, wire)


@pytest.fixture(scope="package")
def demo_url(cli_servers: Urls) -> str:
    return cli_servers.demo


@pytest.fixture(scope="package")
def wire_url(cli_servers: Urls) -> str:
    return cli_servers.wire


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI in this process (no token from the environment)."""
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)
    return CliRunner(capsys)


@pytest.fixture(scope="package")
def guarded_url() -> Iterator[str]:
    """``tests/services/runs.py:Guarded``: 401 without a token, 403 with a wrong one, ``/readyz`` open."""
    with serve("runs:Guarded", cwd=SERVICES, bentoml=bentoml_executable()) as url:
        yield url
