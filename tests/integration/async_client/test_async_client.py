"""AsyncHTTPClient against a real ``bentoml serve``, and its parity with SyncHTTPClient."""

from __future__ import annotations

import asyncio
import inspect
import pickle
import socket
import time
from collections.abc import Awaitable
from typing import Any, Callable, TypeVar

import pytest
from serverlines import ROOT_INPUTS, limitation

import bentoclient
from bentoclient import SyncHTTPClient, Timeout
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_top_level_import_gives_the_async_client() -> None:
    assert bentoclient.AsyncHTTPClient is AsyncHTTPClient


def test_seed_examples(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            assert await client.call("classify", input_series=[[1, 2, 3, 4]]) == [0]
            assert await client.classify(input_series=[[1, 2, 3, 4]]) == [0]
            assert await client.is_ready() is True
            summary = await client.summarize(text="First sentence. Second.")
            assert summary == "First sentence."

    run(main)


def test_timeout_zero_means_no_limit(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url, timeout=0) as client:
            assert await client.classify([[1, 2, 3, 4]]) == [0]
            assert await client.with_options(timeout=0).summarize(text="One. Two.") == "One."
            assert (await client.request("GET", "/readyz", timeout=0)).status_code == 200
            with pytest.raises(exc.ServerNotReady):
                await client.wait_until_server_ready(timeout=0)

    run(main)


def test_constructor_does_no_io_and_calls_need_setup() -> None:
    client = AsyncHTTPClient(f"http://127.0.0.1:{_dead_port()}")  # nothing listens: no error yet
    with pytest.raises(exc.ClientNotSetUpError, match="async with"):
        client.classify  # noqa: B018
    with pytest.raises(exc.ClientNotSetUpError, match="async with"):
        client.call("classify", [[1]])
    assert isinstance(exc.ClientNotSetUpError("x"), RuntimeError)


@limitation(ROOT_INPUTS)
def test_wire_values_and_errors(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url, token="tok") as client:
            assert await client.text("ab", repeat=2) == "abab"
            assert await client.raw_bytes(n=3) == b"\x00\x01\x02"
            assert await client.maybe_text(text="plain") == "plain"
            assert await client.root_text("root") == "root"
            assert await client.api_close() == "closed"
            seen = await client.headers()
            assert seen["authorization"] == "Bearer tok"
            with pytest.raises(exc.ArgumentError, match="did you mean 'text'"):
                client.text(txt="x")  # raised at once, before any await
            with pytest.raises(exc.InvalidArgument) as info:
                await client.fail(kind="InvalidArgument", message="nope")
            assert info.value.error == "nope"
            assert info.value.status_code == 400
            with pytest.raises(exc.EndpointNotFound):
                client.call("missing")
            response = await client.request("GET", "/no/such/path")
            assert response.status_code == 404

    run(main)


def test_read_timeout_and_per_call_options(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url, timeout=Timeout(connect=5, read=0.3)) as client:
            with pytest.raises(exc.ReadTimeout):
                await client.slow(seconds=1.5)
            assert await client.with_options(timeout=10).slow(seconds=0) == 0
            seen = await client.with_options(headers={"X-Tag": "t"}).headers()
            assert seen["x-tag"] == "t"

    run(main)


def test_concurrent_calls_share_one_client(demo_url: str) -> None:
    async def main() -> list[Any]:
        async with AsyncHTTPClient(demo_url, max_connections=8) as client:
            rows = [[[float(i), float(i)]] for i in range(40)]
            return list(await asyncio.gather(*(client.classify(row) for row in rows)))

    results = run(main)
    assert results == [[1 if i > 5 else 0] for i in range(40)]


def test_down_server() -> None:
    async def main() -> None:
        url = f"http://127.0.0.1:{_dead_port()}"
        client = AsyncHTTPClient(url, server_ready_timeout=0.5)
        with pytest.raises(exc.ServerNotReady) as info:
            await client.setup()
        assert url in str(info.value)
        assert await client.is_ready() is False
        await client.close()
        with pytest.raises(exc.ClientClosedError):
            await client.is_ready()

    run(main)


def test_pickles_before_and_after_setup(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url, token="t") as client:
            await client.classify([[1.0]])
            copy = pickle.loads(pickle.dumps(client))
        async with copy:
            assert await copy.classify([[9.0]]) == [1]

    run(main)


# --- parity: the same public surface, sync and async ----------------------------------------


def _public(cls: type) -> dict[str, Any]:
    return {name: member for name, member in inspect.getmembers(cls) if not name.startswith("_")}


def test_sync_and_async_expose_the_same_surface() -> None:
    sync, asyn = _public(SyncHTTPClient), _public(AsyncHTTPClient)
    # One driver makes both: the async client adds only aclose() (asyncio naming).
    assert set(asyn) - {"aclose"} == set(sync)
    for name, member in sync.items():
        other = asyn[name]
        if not callable(member) or isinstance(member, type):
            continue
        sync_sig = inspect.signature(member)
        async_sig = inspect.signature(other)
        assert list(sync_sig.parameters) == list(async_sig.parameters), name
        for pname, param in sync_sig.parameters.items():
            assert param.kind == async_sig.parameters[pname].kind, (name, pname)
            assert param.default == async_sig.parameters[pname].default, (name, pname)
    for name in ("is_ready", "wait_until_server_ready", "request", "close", "setup"):
        assert inspect.iscoroutinefunction(getattr(AsyncHTTPClient, name)), name
    for name in ("call", "with_options"):
        assert not inspect.iscoroutinefunction(getattr(AsyncHTTPClient, name)), name
    assert list(inspect.signature(SyncHTTPClient.__init__).parameters) == list(
        inspect.signature(AsyncHTTPClient.__init__).parameters
    )


def test_with_options_copy_made_before_setup_works_after_it(demo_url: str) -> None:
    async def main() -> None:
        client = AsyncHTTPClient(demo_url)
        quick = client.with_options(timeout=10)  # no I/O yet: nothing is known about the service
        async with client:
            assert await quick.classify([[9.0]]) == [1]  # the copy shares what setup() read
            assert await quick.call("classify", [[1.0]]) == [0]

    run(main)


def test_plain_with_on_the_async_client_says_to_use_async_with(demo_url: str) -> None:
    client = AsyncHTTPClient(demo_url)
    with pytest.raises(TypeError, match="use 'async with AsyncHTTPClient"), client:  # the mistake under test
        pass  # pragma: no cover
    asyncio.run(client.close())


def test_request_response_has_what_bentoml_code_reaches_for(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            response = await client.request("POST", "/summarize", json={"text": "One. Two."})
            assert (response.is_success, response.is_error, response.reason_phrase) == (True, False, "OK")
            assert response.url == demo_url + "/summarize"
            assert response.elapsed.total_seconds() > 0
            assert b"".join(response.iter_bytes(2)) == response.content
            assert response.raise_for_status() is response
            missing = await client.request("GET", "/nowhere")
            assert (missing.is_error, missing.reason_phrase) == (True, "Not Found")

    asyncio.run(main())


def test_a_url_with_an_endpoint_path_fails_at_once(demo_url: str) -> None:
    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ServerNotReady, match="not the root of a BentoML service"):
            async with AsyncHTTPClient(demo_url + "/classify", server_ready_timeout=30):
                pass  # pragma: no cover
        assert time.monotonic() - started < 5  # not the whole 30 s

    asyncio.run(main())
