"""Session fixtures that start real ``bentoml serve`` processes, lazily.

Each fixture yields the base URL ``http://127.0.0.1:<port>`` of a server that is
started the first time a test asks for it and stopped at the end of the session.
The ``bentoml`` executable comes from ``$BENTOCLIENT_BENTOML`` (set by nox); without
it the fixtures raise instead of skipping, so integration tests never pass vacuously.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import pytest

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
SERVICES = TESTS / "services"
EXAMPLES = ROOT / "examples"

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from bentoserve import HOST, bentoml_executable, has_ipv6_loopback, serve  # noqa: E402
from serverlines import LINE, before  # noqa: E402

#: The ``path_prefix`` of the service behind ``prefixed_url``.
PREFIX = "/v1"


# BentoML 1.2 has no bentoml.task: demo_lines.py serves the example's task as a plain endpoint.
DEMO = ("demo_lines:Demo", SERVICES) if LINE == "1.2" else ("service:Demo", EXAMPLES)
# path_prefix exists from BentoML 1.4 on; older lines ignore it and serve at the root.
PREFIXED_READY = "/readyz" if before("1.4") else PREFIX + "/readyz"

# Each service fixture: (target, folder, readiness path, host).
SERVICE_FIXTURES: dict[str, tuple[str, Path, str, str]] = {
    "demo_url": (*DEMO, "/readyz", HOST),
    "wire_url": ("wire:Wire", SERVICES, "/readyz", HOST),
    "prefixed_url": ("prefixed:Prefixed", SERVICES, PREFIXED_READY, HOST),
    "media_url": ("media:Media", SERVICES, "/readyz", HOST),
    "ipv6_url": (*DEMO, "/readyz", "::1"),
    "runs_url": ("runs:Runs", SERVICES, "/readyz", HOST),
    "busy_url": ("runs:Busy", SERVICES, "/readyz", HOST),
    "guarded_url": ("runs:Guarded", SERVICES, "/readyz", HOST),
}
IPV6 = has_ipv6_loopback()
_NEEDED = pytest.StashKey[set[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Note which servers the selected tests use, so they can all start at once.
    needed = {name for item in items for name in getattr(item, "fixturenames", ()) if name in SERVICE_FIXTURES}
    config.stash[_NEEDED] = needed


class Servers:
    """The running servers of a test session, by fixture name."""

    def __init__(self, stack: contextlib.ExitStack[Optional[bool]]) -> None:
        self._stack = stack
        self._bentoml = bentoml_executable()
        self.urls: dict[str, str] = {}

    def start(self, name: str) -> str:
        target, folder, ready, host = SERVICE_FIXTURES[name]
        url: str = self._stack.enter_context(
            serve(target, cwd=folder, bentoml=self._bentoml, ready_path=ready, host=host)
        )
        self.urls[name] = url
        return url

    def url(self, name: str) -> str:
        # A fixture asked for dynamically (getfixturevalue) was not seen at collection.
        return self.urls[name] if name in self.urls else self.start(name)


@pytest.fixture(scope="session")
def servers(request: pytest.FixtureRequest) -> Iterator[Servers]:
    """Every server the session's tests need, started in parallel.

    BentoML spends most of its ~5 s start importing itself twice; starting the servers side
    by side instead of one after the other saves that time for every extra server.
    """
    everything: set[str] = set(SERVICE_FIXTURES)
    found: set[str] = request.config.stash.get(_NEEDED, everything)
    needed = sorted(name for name in found if IPV6 or SERVICE_FIXTURES[name][3] == HOST)
    with contextlib.ExitStack() as stack:
        running = Servers(stack)
        with ThreadPoolExecutor(max_workers=max(1, len(needed))) as pool:
            futures = [pool.submit(running.start, name) for name in needed]
        for future in futures:
            future.result()  # re-raise a start failure (the stack stops the others)
        yield running


@pytest.fixture(scope="session")
def demo_url(servers: Servers) -> str:
    """Base URL of ``examples/service.py:Demo``."""
    return servers.url("demo_url")


@pytest.fixture(scope="session")
def wire_url(servers: Servers) -> str:
    """Base URL of ``tests/services/wire.py:Wire``."""
    return servers.url("wire_url")


@pytest.fixture(scope="session")
def prefixed_url(servers: Servers) -> str:
    """Root URL (without ``/v1``) of ``tests/services/prefixed.py:Prefixed``."""
    return servers.url("prefixed_url")


@pytest.fixture(scope="session")
def media_url(servers: Servers) -> str:
    """Base URL of ``tests/services/media.py:Media`` (files, images, tensors, data frames)."""
    return servers.url("media_url")


@pytest.fixture(scope="session")
def ipv6_url(servers: Servers) -> str:
    """Base URL of ``examples/service.py:Demo`` on the IPv6 loopback, ``http://[::1]:PORT``."""
    if not IPV6:
        pytest.skip("this machine cannot listen on the IPv6 loopback ::1")
    return servers.url("ipv6_url")


@pytest.fixture(scope="session")
def runs_url(servers: Servers) -> str:
    """Base URL of ``tests/services/runs.py:Runs`` (counts its runs, raises 503/500 on demand)."""
    return servers.url("runs_url")


@pytest.fixture(scope="session")
def busy_url(servers: Servers) -> str:
    """Base URL of ``tests/services/runs.py:Busy`` (``max_concurrency=1``: overload is a 429)."""
    return servers.url("busy_url")


@pytest.fixture(scope="session")
def guarded_url(servers: Servers) -> str:
    """Base URL of ``tests/services/runs.py:Guarded`` (401 without a token, 403 with a wrong one)."""
    return servers.url("guarded_url")


@pytest.fixture(scope="module")
def batching_urls() -> Iterator[dict[str, str]]:
    """``tests/services/batching.py``'s two services (``Batching``, ``Limited``), side by side."""
    with contextlib.ExitStack() as stack:
        bentoml = bentoml_executable()

        def start(target: str) -> str:
            url: str = stack.enter_context(serve(target, cwd=SERVICES, bentoml=bentoml))
            return url

        with ThreadPoolExecutor(max_workers=2) as pool:
            batching, limited = pool.submit(start, "batching:Batching"), pool.submit(start, "batching:Limited")
            yield {"batching": batching.result(), "limited": limited.result()}
