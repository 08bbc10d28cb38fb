"""AsyncHTTPClient against a real ``bentoml serve`` (the Demo and Wire services), and its parity
with SyncHTTPClient.

``tests/integration/test_sync_client.py`` is generated from this module (tools/unasync.py):
the same tests through SyncHTTPClient.  What only the async client has (no I/O before
``setup()``, tasks on one event loop, pickling around ``setup()``, the surface parity) is
marked async-only; what only the sync one has (threads sharing a client, its transport class,
pickling a set-up client) is in ``tests/integration/test_sync_only_client.py``.
"""

from __future__ import annotations

import asyncio  # async-only
import http.server
import inspect
import json
import pickle
import socket
import threading
import time
from http import HTTPStatus
from typing import Any, Callable

import pytest
from serverlines import LINE, NO_PATH_PREFIX, ROOT_INPUTS, limitation

import bentoclient  # async-only
from bentoclient import Timeout
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient


def run(main: Callable[[], Any]) -> Any:
    """Run a test's body and give back its result."""
    return asyncio.run(main())  # async-only
    # sync-only: return main()


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wire_client(url: str, **options: Any) -> AsyncHTTPClient:
    """A client of the Wire service that sends a token."""
    return AsyncHTTPClient(url, token="secret-token", **options)


async def set_up(url: str, **options: Any) -> None:
    """Set a client up (readiness wait and schema) and close it."""
    async with AsyncHTTPClient(url, **options):
        pass


# --- the seed's examples, on the example service ---------------------------------------


def test_seed_examples(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            assert await client.call("classify", input_series=[[1, 2, 3, 4]]) == [0]
            assert await client.classify(input_series=[[1, 2, 3, 4]]) == [0]
            assert await client.classify([[1, 2, 3, 4]]) == [0]
            summary = await client.summarize(text="First sentence. Second.")
            assert summary == "First sentence."
            assert await client.is_ready() is True
            assert await client.is_ready(timeout=5) is True

    run(main)


def test_timeout_and_ready_timeout_options(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url, timeout=5, server_ready_timeout=10) as quick:
            assert quick.timeout == 5
            assert quick.server_ready_timeout == 10
            assert await quick.classify([[1, 2, 3, 4]]) == [0]

    run(main)


def test_timeout_zero_means_no_limit(demo_url: str) -> None:
    # Accepted as by BentoML's constructor; there it fails every request, here it means no limit.
    async def main() -> None:
        async with AsyncHTTPClient(demo_url, timeout=0) as client:
            assert client.timeout == 0
            assert await client.classify([[1, 2, 3, 4]]) == [0]
            assert await client.with_options(timeout=0).summarize(text="One. Two.") == "One."
            assert (await client.request("GET", "/readyz", timeout=0)).status_code == 200
            assert await client.is_ready(timeout=0) is True  # 0: the client's own limits, as in BentoML
            with pytest.raises(exc.ServerNotReady):
                await client.wait_until_server_ready(timeout=0)  # no time to wait: not ready, as in BentoML

    run(main)


def test_context_manager_closes(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            assert await client.classify([[1, 2, 3, 4]]) == [0]
        with pytest.raises(exc.ClientClosedError, match="closed"):
            await client.classify([[1, 2, 3, 4]])

    run(main)


# --- endpoint discovery --------------------------------------------------------------------


def test_methods_from_schema(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            names = set(dir(wire))
            assert {"echo_model", "text", "raw_bytes", "root_text", "api_close", "api_call"} <= names
            assert "close" in wire.endpoints
            sig = inspect.signature(wire.text)
            assert list(sig.parameters) == ["text", "repeat"]
            assert sig.parameters["repeat"].default == 1
            doc = wire.text.__doc__ or ""
            assert "text(text: string, repeat: integer = 1)" in doc
            assert "POST /text" in doc

    run(main)


def test_name_clash_gets_api_prefix(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.api_close() == "closed"
            assert await wire.api_call(name="x") == "x"
            assert await wire.call("call") == "call"
            assert wire.close.__func__ is AsyncHTTPClient.close  # type: ignore[attr-defined]  # a bound method has it

    run(main)


def test_unknown_attribute_and_endpoint(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(AttributeError, match="nope"):
                wire.nope  # noqa: B018
            with pytest.raises(exc.EndpointNotFound) as info:
                wire.call("nope")  # raised at once, before anything is sent
            assert isinstance(info.value, exc.NotFound)
            assert info.value.error_code == HTTPStatus.NOT_FOUND
            assert "echo_model" in str(info.value)

    run(main)


# --- bodies and values ---------------------------------------------------------------------


def test_json_model_round_trip(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            result = await wire.echo_model(item={"name": "apple", "quantity": 3, "tags": ["a"]}, factor=1.5)
            assert result == {"name": "apple", "total": 4.5, "tags": ["a"]}

    run(main)


def test_outputs_by_type(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.text("ab", repeat=2) == "abab"
            assert await wire.text("héllo ✓") == "héllo ✓"
            assert await wire.raw_bytes(n=5) == bytes([0, 1, 2, 3, 4])
            assert await wire.no_args() == {"status": "ok"}

    run(main)


def test_optional_str_output_is_text_not_a_crash(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.maybe_text(text="plain words") == "plain words"

    run(main)


@limitation(ROOT_INPUTS)
def test_root_inputs(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.root_text("as is") == "as is"
            assert (await wire.root_bytes(b"\x00\xffdata"))["hex"] == b"\x00\xffdata".hex()
            assert await wire.root_list([3, 1, 2]) == [3, 1, 2]
            assert await wire.root_model({"name": "pear", "quantity": 2}) == {"name": "pear", "total": 2.0, "tags": []}

    run(main)


def test_status_201_is_success(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.created(value="v") == {"value": "v"}

    run(main)


def test_token_and_user_agent_on_the_wire(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            seen = await wire.headers()
            assert seen["authorization"] == "Bearer secret-token"
            assert seen["user-agent"].startswith("bentoclient/")

    run(main)


def test_token_from_env_and_empty_token_disables(wire_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "from-env")

    async def main() -> None:
        async with AsyncHTTPClient(wire_url, server_ready_timeout=0) as client:
            assert (await client.headers())["authorization"] == "Bearer from-env"
            assert "from-env" not in repr(client)
        async with AsyncHTTPClient(wire_url, token="", server_ready_timeout=0) as client:
            assert "authorization" not in await client.headers()

    run(main)


def test_with_options_headers_per_call(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            seen = await wire.with_options(headers={"X-Request-Tag": "abc"}).headers()
            assert seen["x-request-tag"] == "abc"
            assert "x-request-tag" not in await wire.headers()

    run(main)


def test_with_options_copy_shares_connections_and_downloads(wire_url: str) -> None:
    async def main() -> None:
        client = AsyncHTTPClient(wire_url, server_ready_timeout=0)
        await client.setup()
        clone = client.with_options(timeout=5)
        path = await clone.make_file(content="x")  # the clone makes the temporary download folder
        assert clone._transport is client._transport
        assert path.exists()
        await clone.close()
        assert path.exists()  # the copy does not own the folder
        await client.close()
        assert not path.exists()  # the client's close() removes it, with what the copy saved there

    run(main)


# --- bad input: typed errors before anything is sent --------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((), {}, ["missing", "'text'", "text(text: string"]),
        (("a",), {"text": "b"}, ["both by position and by keyword", "'text'"]),
        ((), {"txt": "a"}, ["no argument 'txt'", "did you mean 'text'"]),
        (("a", 1, 2), {}, ["at most 2 positional"]),
    ],
)
def test_argument_errors_name_endpoint_and_argument(
    wire_url: str, args: tuple[object, ...], kwargs: dict[str, object], words: list[str]
) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.ArgumentError) as info:
                wire.text(*args, **kwargs)  # raised at once, before anything is sent
            message = str(info.value)
            assert "endpoint 'text'" in message
            for word in words:
                assert word in message
            assert isinstance(info.value, TypeError)

    run(main)


@limitation(ROOT_INPUTS)
def test_root_input_rejects_keywords(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.ArgumentError, match="one positional value"):
                wire.root_text(text="x")
            assert await wire.root_text("x") == "x"

    run(main)


def test_unencodable_value_is_named(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.ArgumentError, match="argument 'item'"):
                await wire.echo_model(item={"name": object()})
            assert (await wire.echo_model(item={"name": "a", "quantity": 1, "tags": []}))["total"] == 1

    run(main)


# --- server errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cls", "status"),
    [
        ("InvalidArgument", exc.InvalidArgument, 400),
        ("NotFound", exc.NotFound, 404),
        ("UnprocessableEntity", exc.UnprocessableEntity, 422),
        ("ServiceUnavailable", exc.ServiceUnavailable, 503),
        ("ValueError", exc.InternalServerError, 500),
    ],
)
def test_server_errors_map_to_classes(wire_url: str, kind: str, cls: type[Exception], status: int) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(cls) as info:
                await wire.fail(kind=kind, message="boom")
            err = info.value
            assert isinstance(err, exc.BentoMLException)
            assert isinstance(err, exc.HTTPStatusError)
            assert err.status_code == status
            assert err.error_code == status
            assert err.endpoint == "fail"
            assert err.message == err.body.decode()
            assert err.error  # parsed from either body form
            if status < 500:
                assert err.error == "boom"

    run(main)


def test_validation_error_detail(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.InvalidArgument) as info:
                await wire.text(text=123)
            assert info.value.detail
            assert "text" in str(info.value)

    run(main)


def test_validation_error_str_keeps_the_servers_type_codes(wire_url: str) -> None:
    # Code written for BentoML's client (str(e) == the raw body) looks for pydantic's codes.
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.InvalidArgument) as info:
                await wire.text(text=123, repeat="many")
            text = str(info.value)
            assert text.startswith(
                "HTTP 400 from endpoint 'text': 2 validation error"
            )  # BentoML: 'error', not 'errors'
            assert "text: Input should be a valid string [type=string_type]" in text
            assert (
                "repeat: Input should be a valid integer, unable to parse string as an integer [type=int_parsing]"
                in text
            )
            assert {d["type"] for d in info.value.detail} == {"string_type", "int_parsing"}

    run(main)


def test_nonstandard_status_does_not_crash(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.HTTPStatusError) as info:
                await wire.fail(kind="BentoMLException", status=507, message="full")
            assert info.value.status_code == 507

    run(main)


# --- request(): the escape hatch -----------------------------------------------------------


def test_request_never_raises_for_status(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert (await wire.request("GET", "/readyz")).status_code == 200
            missing = await wire.request("GET", "/no/such/path")
            assert missing.status_code == 404
            with pytest.raises(exc.NotFound):
                missing.raise_for_status()
            pickled = await wire.request(
                "POST",
                "/text",
                data=pickle.dumps({"text": "x"}),
                headers={"Content-Type": "application/vnd.bentoml+pickle"},
            )
            assert pickled.status_code == (200 if LINE == "1.3" else 415)  # 1.3 reads pickled bodies
            posted = await wire.request("POST", "/text", json={"text": "hi"})
            assert posted.status_code == 200
            assert posted.text == "hi"
            assert posted.headers["content-type"].startswith("text/plain")
            assert (await wire.request("POST", "/no_args", content=b"{}")).json() == {"status": "ok"}

    run(main)


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
            with pytest.raises(exc.NotFound):
                missing.raise_for_status()

    run(main)


def test_schema_is_what_the_server_says(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            raw = json.loads((await wire.request("GET", "/schema.json")).content)
            assert [r["name"] for r in raw["routes"]] == list(wire.endpoints)
            assert wire.service_name == raw["name"] == "Wire"

    run(main)


# --- readiness -----------------------------------------------------------------------------


class _TinyService(http.server.BaseHTTPRequestHandler):
    """A stand-in service that can be stopped, to see what the client does once it is gone."""

    def do_GET(self) -> None:
        body = b'{"name": "Tiny", "routes": []}' if self.path == "/schema.json" else b"\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_is_ready_is_false_once_the_server_is_gone() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TinyService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    async def main() -> None:
        async with AsyncHTTPClient(f"http://127.0.0.1:{server.server_address[1]}") as client:
            assert await client.is_ready() is True
            server.shutdown()
            server.server_close()
            thread.join(5)
            assert await client.is_ready(timeout=1) is False

    try:
        run(main)
    finally:
        server.server_close()


def test_server_ready_timeout_raises_typed_error_naming_url() -> None:
    url = f"http://127.0.0.1:{_dead_port()}"

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ServerNotReady) as info:
            await set_up(url, server_ready_timeout=1.0)
        assert time.monotonic() - started < 5
        assert url in str(info.value)
        assert isinstance(info.value, exc.ServiceUnavailable)
        assert not isinstance(info.value, exc.TransportError)  # the wait failed, not one connection

    run(main)


def test_no_ready_wait_means_connect_error_from_schema_fetch() -> None:
    async def main() -> None:
        with pytest.raises(exc.ConnectError, match="cannot connect"):
            await set_up(f"http://127.0.0.1:{_dead_port()}", server_ready_timeout=0)

    run(main)


@limitation(NO_PATH_PREFIX)
def test_path_prefix_service_becomes_ready(prefixed_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(prefixed_url, server_ready_timeout=30) as client:
            assert await client.is_ready() is True
            assert all(ep.route.startswith("/v1/") for ep in client.endpoints.values())

    run(main)


def test_a_url_with_an_endpoint_path_fails_at_once(demo_url: str) -> None:
    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(exc.ServerNotReady, match="not the root of a BentoML service"):
            await set_up(demo_url + "/classify", server_ready_timeout=30)
        assert time.monotonic() - started < 5  # not the whole 30 s

    run(main)


# --- timeouts ------------------------------------------------------------------------------


def test_read_timeout_is_typed(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url, timeout=Timeout(connect=5, read=0.5)) as client:
            with pytest.raises(exc.ReadTimeout):
                await client.slow(seconds=2)
            # Still usable afterwards (the server finishes the slow call first: Wire runs one at a time).
            assert await client.with_options(timeout=10).slow(seconds=0) == 0

    run(main)


def test_per_call_timeout(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            with pytest.raises(exc.ReadTimeout):
                await wire.with_options(timeout=0.3).slow(seconds=1.5)
            assert await wire.slow(seconds=0.1) == pytest.approx(0.1)

    run(main)


# --- connections ---------------------------------------------------------------------------


def test_idle_connection_older_than_server_keepalive_is_not_reused(wire_url: str) -> None:
    async def main() -> None:
        async with wire_client(wire_url) as wire:
            assert await wire.text("before") == "before"
            await asyncio.sleep(5.5)  # async-only
            # sync-only: time.sleep(5.5)  # uvicorn closes idle keep-alive connections after 5 s
            assert await wire.text("after") == "after"

    run(main)


def test_a_with_options_copy_in_a_with_block_leaves_its_client_open(demo_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(demo_url) as client:
            async with client.with_options(timeout=5) as quick:
                assert await quick.summarize(text="A. B.") == "A."
            assert await client.summarize(text="C. D.") == "C."  # the client it came from goes on
            with pytest.raises(exc.ClientClosedError):
                await quick.summarize(text="closed")

    run(main)


# async-only: begin
# --- what only the async client has ----------------------------------------------------------


def test_top_level_import_gives_the_async_client() -> None:
    assert bentoclient.AsyncHTTPClient is AsyncHTTPClient


def test_constructor_does_no_io_and_calls_need_setup() -> None:
    client = AsyncHTTPClient(f"http://127.0.0.1:{_dead_port()}")  # nothing listens: no error yet
    with pytest.raises(exc.ClientNotSetUpError, match="async with"):
        client.classify  # noqa: B018
    with pytest.raises(exc.ClientNotSetUpError, match="async with"):
        client.call("classify", [[1]])
    assert isinstance(exc.ClientNotSetUpError("x"), RuntimeError)


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


def _public(cls: type) -> dict[str, Any]:
    return {name: member for name, member in inspect.getmembers(cls) if not name.startswith("_")}


def test_sync_and_async_expose_the_same_surface() -> None:
    from bentoclient import SyncHTTPClient

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


# async-only: end
