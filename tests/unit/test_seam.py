"""The public seam stays narrow, and every path to ``AsyncHTTPClient`` behaves the same.

``bentoclient.transport`` is a stability promise: its ``__all__`` is pinned here, so a new
name is a deliberate change (edit this list, ``docs/transport.md`` and the changelog).  What
only bentoclient's own packages share lives in ``bentoclient._plugin``.  The async client is
reached as ``bentoclient.AsyncHTTPClient``, ``bentoclient.aio.AsyncHTTPClient`` and
``bentoclient_async.AsyncHTTPClient``: one class, one message when its package is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bentoclient
import bentoclient._plugin as plugin
import bentoclient.aio
import bentoclient.transport as seam
from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient._backends import async_package_missing
from bentoclient._messages import install_command
from bentoclient._url import parse_service_url

from .test_memory_transport import URL, AsyncMemoryTransport, FakeService

pytestmark = pytest.mark.timeout(60)

HAS_ASYNC = importlib.util.find_spec("bentoclient_async") is not None

#: What a transport writer needs, and nothing else.
PUBLIC_SEAM = [
    "AsyncResponse",
    "AsyncTransport",
    "BodyIncomplete",
    "HTTPTransport",
    "HeadError",
    "Headers",
    "Request",
    "ResponseHead",
    "ResponseParser",
    "SyncResponse",
    "SyncTransport",
    "Timeout",
    "check_request",
    "request_framing",
]


def test_the_public_seam_is_exactly_the_transport_writers_set() -> None:
    assert sorted(seam.__all__) == sorted(PUBLIC_SEAM)
    assert len(set(seam.__all__)) == len(seam.__all__)
    for name in seam.__all__:
        assert getattr(seam, name) is not None, name


def test_the_seam_names_are_the_ones_the_package_uses() -> None:
    # Same objects as the top-level names and the internals: one Headers, one Timeout.
    assert seam.Headers is bentoclient.Headers
    assert seam.Timeout is bentoclient.Timeout
    assert SyncHTTPClient.client_cls is seam.HTTPTransport


def test_the_plugin_module_holds_only_names_the_seam_does_not_promise() -> None:
    assert set(plugin.__all__).isdisjoint(seam.__all__)
    for name in plugin.__all__:
        assert hasattr(plugin, name), name
    assert plugin.__doc__ is not None
    assert "no stability promise" in " ".join(plugin.__doc__.split())


def test_the_old_internal_names_are_gone_from_the_seam() -> None:
    gone = ["HeadFields", "parse_status_line", "body_length", "READ_CHUNK", "KEEPALIVE_EXPIRY", "ProxyConfig"]
    gone += ["HTTPXAsyncTransport", "AsyncTransportOption", "SyncTransportOption", "Response", "ServiceAddress"]
    for name in gone:
        assert not hasattr(seam, name), name


def test_http_transport_takes_the_service_url() -> None:
    transport = seam.HTTPTransport("http://127.0.0.1:3000/base", max_connections=2)
    try:
        assert transport.address == parse_service_url("http://127.0.0.1:3000/base")
        assert transport.max_connections == 2
    finally:
        transport.close()
    with pytest.raises(exc.InvalidURL):
        seam.HTTPTransport("ftp://127.0.0.1:3000")


@pytest.mark.skipif(not HAS_ASYNC, reason="needs the async package")
def test_the_async_transports_take_the_service_url_too() -> None:
    from bentoclient_async import AsyncioTransport, HTTPXTransport

    address = parse_service_url("http://127.0.0.1:3000/base")
    for cls in (HTTPXTransport, AsyncioTransport):
        transport = cls("http://127.0.0.1:3000/base", max_connections=2)
        assert transport.address == address, cls
        asyncio.run(transport.aclose())
        with pytest.raises(exc.InvalidURL):
            cls("ftp://127.0.0.1:3000")


# --- AsyncHTTPClient: one class, one failure rule -----------------------------------------------


@pytest.mark.skipif(not HAS_ASYNC, reason="needs the async package (the core-only case is tested below)")
def test_every_import_path_gives_the_same_async_client() -> None:
    import bentoclient_async

    assert bentoclient.AsyncHTTPClient is bentoclient.aio.AsyncHTTPClient is bentoclient_async.AsyncHTTPClient
    assert bentoclient.AsyncTask is bentoclient.aio.AsyncTask is bentoclient_async.AsyncTask
    # client_cls names the class of the transport a client makes when given none.
    assert bentoclient.AsyncHTTPClient.client_cls is bentoclient_async.HTTPXTransport
    client = bentoclient.AsyncHTTPClient("http://127.0.0.1:3000")
    assert type(client._shared.transport) is client.client_cls
    asyncio.run(client.aclose())


def test_sync_client_cls_is_the_class_of_its_default_transport() -> None:
    class NoSetup(SyncHTTPClient):
        _setup_on_init = False  # no server here: build the client only

    client = NoSetup("http://127.0.0.1:3000")
    try:
        assert SyncHTTPClient.client_cls is seam.HTTPTransport
        assert type(client._shared.transport) is client.client_cls
    finally:
        client.close()


@pytest.fixture
def without_async_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import bentoclient_async`` fails, as where only core is installed."""
    monkeypatch.setitem(sys.modules, "bentoclient_async", None)


def _message(action: Any) -> str:
    with pytest.raises(exc.MissingDependencyError) as info:
        action()
    assert isinstance(info.value, ImportError)
    assert info.value.package == "bentoclient-async"
    return str(info.value)


@pytest.mark.usefixtures("without_async_package")
def test_the_missing_async_package_is_one_message_wherever_it_is_met() -> None:
    expected = str(async_package_missing())
    assert install_command("async") in expected
    assert "from bentoclient.aio import AsyncHTTPClient" in expected  # the way without the package
    messages = {
        "from bentoclient import AsyncHTTPClient": _message(lambda: bentoclient.AsyncHTTPClient),
        "from bentoclient import AsyncTask": _message(lambda: bentoclient.AsyncTask),
        "AsyncHTTPClient.client_cls": _message(lambda: bentoclient.aio.AsyncHTTPClient.client_cls),
        "aio.AsyncHTTPClient(url)": _message(lambda: bentoclient.aio.AsyncHTTPClient(URL)),
    }
    assert messages == dict.fromkeys(messages, expected)


@pytest.mark.usefixtures("without_async_package")
def test_bringing_a_transport_needs_no_async_package() -> None:
    async def main() -> Any:
        service = FakeService()
        async with bentoclient.aio.AsyncHTTPClient(URL, transport=AsyncMemoryTransport(service)) as client:
            return await client.double(x=21)

    assert asyncio.run(main()) == 42


def test_a_vendored_copy_names_its_own_bring_your_own_import(tmp_path: Path) -> None:
    # Copied as myapp._vendor.bentoclient, the advice must name the copy, not an installed bentoclient.
    shutil.copytree(Path(bentoclient.__file__).parent, tmp_path / "myapp" / "_vendor" / "bentoclient")
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "_vendor" / "__init__.py").write_text("")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules['bentoclient_async'] = None\n"
        "from myapp._vendor.bentoclient.exceptions import MissingDependencyError\n"
        "try:\n    from myapp._vendor.bentoclient import AsyncHTTPClient\n"
        "except MissingDependencyError as exc:\n    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "from myapp._vendor.bentoclient.aio import AsyncHTTPClient" in result.stdout
