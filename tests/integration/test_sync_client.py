"""SyncHTTPClient against a real ``bentoml serve`` (the Demo and Wire services)."""

from __future__ import annotations

import http.server
import inspect
import json
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from pools import pool_of
from serverlines import LINE, NO_PATH_PREFIX, ROOT_INPUTS, limitation

import bentoclient
from bentoclient import SyncHTTPClient, Timeout
from bentoclient import exceptions as exc


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def wire(wire_url: str) -> Iterator[SyncHTTPClient]:
    with SyncHTTPClient(wire_url, token="secret-token") as client:
        yield client


# --- the seed's examples, on the example service ---------------------------------------


def test_seed_examples(demo_url: str) -> None:
    with SyncHTTPClient(demo_url) as client:
        assert client.call("classify", input_series=[[1, 2, 3, 4]]) == [0]
        assert client.classify(input_series=[[1, 2, 3, 4]]) == [0]
        assert client.classify([[1, 2, 3, 4]]) == [0]
        summary = client.summarize(text="BentoML serves models. It is fast.")
        assert isinstance(summary, str)
        assert summary
        assert client.is_ready() is True
        assert client.is_ready(timeout=5) is True


def test_timeout_and_ready_timeout_options(demo_url: str) -> None:
    quick = SyncHTTPClient(demo_url, timeout=5, server_ready_timeout=10)
    try:
        assert quick.timeout == 5
        assert quick.server_ready_timeout == 10
        assert quick.classify([[1, 2, 3, 4]]) == [0]
    finally:
        quick.close()


def test_timeout_zero_means_no_limit(demo_url: str) -> None:
    # Accepted as by BentoML's constructor; there it fails every request, here it means no limit.
    with SyncHTTPClient(demo_url, timeout=0) as client:
        assert client.timeout == 0
        assert client.classify([[1, 2, 3, 4]]) == [0]
        assert client.with_options(timeout=0).summarize(text="One. Two.") == "One."
        assert client.request("GET", "/readyz", timeout=0).status_code == 200
        assert client.is_ready(timeout=0) is True  # 0: the client's own limits, as in BentoML
        with pytest.raises(exc.ServerNotReady):
            client.wait_until_server_ready(timeout=0)  # no time to wait: not ready, as in BentoML


def test_context_manager_closes(demo_url: str) -> None:
    with SyncHTTPClient(demo_url) as client:
        assert client.classify([[1, 2, 3, 4]]) == [0]
    with pytest.raises(exc.ClientClosedError, match="closed"):
        client.classify([[1, 2, 3, 4]])


def test_client_cls_is_the_transport() -> None:
    assert SyncHTTPClient.client_cls is bentoclient._transport.HTTPTransport


# --- endpoint discovery --------------------------------------------------------------------


def test_methods_from_schema(wire: SyncHTTPClient) -> None:
    names = set(dir(wire))
    assert {"echo_model", "text", "raw_bytes", "root_text", "api_close", "api_call"} <= names
    assert "close" in wire.endpoints
    sig = inspect.signature(wire.text)
    assert list(sig.parameters) == ["text", "repeat"]
    assert sig.parameters["repeat"].default == 1
    doc = wire.text.__doc__ or ""
    assert "text(text: string, repeat: integer = 1)" in doc
    assert "POST /text" in doc


def test_name_clash_gets_api_prefix(wire: SyncHTTPClient) -> None:
    assert wire.api_close() == "closed"
    assert wire.api_call(name="x") == "x"
    assert wire.call("call") == "call"
    assert wire.close.__func__ is SyncHTTPClient.close  # type: ignore[attr-defined]  # a bound method has __func__


def test_unknown_attribute_and_endpoint(wire: SyncHTTPClient) -> None:
    with pytest.raises(AttributeError, match="nope"):
        wire.nope  # noqa: B018
    with pytest.raises(exc.EndpointNotFound) as info:
        wire.call("nope")
    assert isinstance(info.value, exc.NotFound)
    assert info.value.error_code == HTTPStatus.NOT_FOUND
    assert "echo_model" in str(info.value)


# --- bodies and values ---------------------------------------------------------------------


def test_json_model_round_trip(wire: SyncHTTPClient) -> None:
    result = wire.echo_model(item={"name": "apple", "quantity": 3, "tags": ["a"]}, factor=1.5)
    assert result == {"name": "apple", "total": 4.5, "tags": ["a"]}


def test_outputs_by_type(wire: SyncHTTPClient) -> None:
    assert wire.text("ab", repeat=2) == "abab"
    assert wire.text("héllo ✓") == "héllo ✓"
    assert wire.raw_bytes(n=5) == bytes([0, 1, 2, 3, 4])
    assert wire.no_args() == {"status": "ok"}


def test_optional_str_output_is_text_not_a_crash(wire: SyncHTTPClient) -> None:
    assert wire.maybe_text(text="plain words") == "plain words"


@limitation(ROOT_INPUTS)
def test_root_inputs(wire: SyncHTTPClient) -> None:
    assert wire.root_text("as is") == "as is"
    assert wire.root_bytes(b"\x00\xffdata")["hex"] == b"\x00\xffdata".hex()
    assert wire.root_list([3, 1, 2]) == [3, 1, 2]
    assert wire.root_model({"name": "pear", "quantity": 2}) == {"name": "pear", "total": 2.0, "tags": []}


def test_status_201_is_success(wire: SyncHTTPClient) -> None:
    assert wire.created(value="v") == {"value": "v"}


def test_token_and_user_agent_on_the_wire(wire: SyncHTTPClient) -> None:
    seen = wire.headers()
    assert seen["authorization"] == "Bearer secret-token"
    assert seen["user-agent"].startswith("bentoclient/")


def test_token_from_env_and_empty_token_disables(wire_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "from-env")
    with SyncHTTPClient(wire_url, server_ready_timeout=0) as client:
        assert client.headers()["authorization"] == "Bearer from-env"
        assert "from-env" not in repr(client)
    with SyncHTTPClient(wire_url, token="", server_ready_timeout=0) as client:
        assert "authorization" not in client.headers()


def test_with_options_headers_per_call(wire: SyncHTTPClient) -> None:
    seen = wire.with_options(headers={"X-Request-Tag": "abc"}).headers()
    assert seen["x-request-tag"] == "abc"
    assert "x-request-tag" not in wire.headers()


def test_with_options_copy_shares_connections_and_downloads(wire_url: str) -> None:
    client = SyncHTTPClient(wire_url, server_ready_timeout=0)
    clone = client.with_options(timeout=5)
    path = clone.make_file(content="x")  # the clone makes the temporary download folder
    assert pool_of(clone) is pool_of(client)
    assert path.exists()
    clone.close()
    assert path.exists()  # the copy does not own the folder
    client.close()
    assert not path.exists()  # the client's close() removes it, with what the copy saved there


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
    wire: SyncHTTPClient, args: tuple[object, ...], kwargs: dict[str, object], words: list[str]
) -> None:
    with pytest.raises(exc.ArgumentError) as info:
        wire.text(*args, **kwargs)
    message = str(info.value)
    assert "endpoint 'text'" in message
    for word in words:
        assert word in message
    assert isinstance(info.value, TypeError)


@limitation(ROOT_INPUTS)
def test_root_input_rejects_keywords(wire: SyncHTTPClient) -> None:
    with pytest.raises(exc.ArgumentError, match="one positional value"):
        wire.root_text(text="x")


def test_unencodable_value_is_named(wire: SyncHTTPClient) -> None:
    with pytest.raises(exc.ArgumentError, match="argument 'item'"):
        wire.echo_model(item={"name": object()})


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
def test_server_errors_map_to_classes(wire: SyncHTTPClient, kind: str, cls: type[Exception], status: int) -> None:
    with pytest.raises(cls) as info:
        wire.fail(kind=kind, message="boom")
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


def test_validation_error_detail(wire: SyncHTTPClient) -> None:
    with pytest.raises(exc.InvalidArgument) as info:
        wire.text(text=123)
    assert info.value.detail
    assert "text" in str(info.value)


def test_validation_error_str_keeps_the_servers_type_codes(wire: SyncHTTPClient) -> None:
    # Code written for BentoML's client (str(e) == the raw body) looks for pydantic's codes.
    with pytest.raises(exc.InvalidArgument) as info:
        wire.text(text=123, repeat="many")
    text = str(info.value)
    assert text.startswith("HTTP 400 from endpoint 'text': 2 validation error")  # BentoML: 'error', not 'errors'
    assert "text: Input should be a valid string [type=string_type]" in text
    assert "repeat: Input should be a valid integer, unable to parse string as an integer [type=int_parsing]" in text
    assert {d["type"] for d in info.value.detail} == {"string_type", "int_parsing"}


def test_nonstandard_status_does_not_crash(wire: SyncHTTPClient) -> None:
    with pytest.raises(exc.HTTPStatusError) as info:
        wire.fail(kind="BentoMLException", status=507, message="full")
    assert info.value.status_code == 507


# --- request(): the escape hatch -----------------------------------------------------------


def test_request_never_raises_for_status(wire: SyncHTTPClient) -> None:
    assert wire.request("GET", "/readyz").status_code == 200
    missing = wire.request("GET", "/no/such/path")
    assert missing.status_code == 404
    with pytest.raises(exc.NotFound):
        missing.raise_for_status()
    pickled = wire.request(
        "POST", "/text", data=pickle.dumps({"text": "x"}), headers={"Content-Type": "application/vnd.bentoml+pickle"}
    )
    assert pickled.status_code == (200 if LINE == "1.3" else 415)  # 1.3 reads pickled bodies
    posted = wire.request("POST", "/text", json={"text": "hi"})
    assert posted.status_code == 200
    assert posted.text == "hi"
    assert posted.headers["content-type"].startswith("text/plain")
    assert wire.request("POST", "/no_args", content=b"{}").json() == {"status": "ok"}


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
    client = SyncHTTPClient(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert client.is_ready() is True
        server.shutdown()
        server.server_close()
        thread.join(5)
        assert client.is_ready(timeout=1) is False
    finally:
        client.close()


def test_server_ready_timeout_raises_typed_error_naming_url() -> None:
    url = f"http://127.0.0.1:{_dead_port()}"
    started = time.monotonic()
    with pytest.raises(exc.ServerNotReady) as info:
        SyncHTTPClient(url, server_ready_timeout=1.0)
    assert time.monotonic() - started < 5
    assert url in str(info.value)
    assert isinstance(info.value, exc.ServiceUnavailable)
    assert not isinstance(info.value, exc.TransportError)  # the wait failed, not one connection


def test_no_ready_wait_means_connect_error_from_schema_fetch() -> None:
    with pytest.raises(exc.ConnectError, match="cannot connect"):
        SyncHTTPClient(f"http://127.0.0.1:{_dead_port()}", server_ready_timeout=0)


@limitation(NO_PATH_PREFIX)
def test_path_prefix_service_becomes_ready(prefixed_url: str) -> None:
    with SyncHTTPClient(prefixed_url, server_ready_timeout=30) as client:
        assert client.is_ready() is True
        assert all(ep.route.startswith("/v1/") for ep in client.endpoints.values())


# --- timeouts ------------------------------------------------------------------------------


def test_read_timeout_is_typed(wire_url: str) -> None:
    with SyncHTTPClient(wire_url, timeout=Timeout(connect=5, read=0.5)) as client:
        with pytest.raises(exc.ReadTimeout):
            client.slow(seconds=2)
        # Still usable afterwards (the server finishes the slow call first: Wire runs one at a time).
        assert client.with_options(timeout=10).slow(seconds=0) == 0


def test_per_call_timeout(wire: SyncHTTPClient) -> None:
    with pytest.raises(exc.ReadTimeout):
        wire.with_options(timeout=0.3).slow(seconds=1.5)
    assert wire.slow(seconds=0.1) == pytest.approx(0.1)


# --- connections ---------------------------------------------------------------------------


def test_threads_share_one_client(wire_url: str) -> None:
    errors: list[BaseException] = []
    with SyncHTTPClient(wire_url, max_connections=4) as client:

        def work(worker: int) -> None:
            try:
                for i in range(25):
                    text = f"{worker}-{i}"
                    assert client.text(text) == text
            except BaseException as e:  # collected and re-checked in the main thread
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert pool_of(client).idle_connections <= 4


def test_idle_connection_older_than_server_keepalive_is_not_reused(wire: SyncHTTPClient) -> None:
    assert wire.text("before") == "before"
    time.sleep(5.5)  # uvicorn closes idle keep-alive connections after 5 s
    assert wire.text("after") == "after"


def test_client_pickles_and_works(wire_url: str) -> None:
    with SyncHTTPClient(wire_url, token="tok") as client:
        client.text("warm")
        copy = pickle.loads(pickle.dumps(client))
        try:
            assert copy.text("again") == "again"
            assert copy.headers()["authorization"] == "Bearer tok"
        finally:
            copy.close()


def test_schema_is_what_the_server_says(wire: SyncHTTPClient, wire_url: str) -> None:
    raw = json.loads(wire.request("GET", "/schema.json").content)
    assert [r["name"] for r in raw["routes"]] == list(wire.endpoints)
    assert wire.service_name == raw["name"] == "Wire"


def test_request_response_has_what_bentoml_code_reaches_for(demo_url: str) -> None:
    with SyncHTTPClient(demo_url) as client:
        response = client.request("POST", "/summarize", json={"text": "One. Two."})
        assert (response.is_success, response.is_error, response.reason_phrase) == (True, False, "OK")
        assert response.url == demo_url + "/summarize"
        assert response.elapsed.total_seconds() > 0
        assert b"".join(response.iter_bytes(2)) == response.content
        assert response.raise_for_status() is response
        missing = client.request("GET", "/nowhere")
        assert (missing.is_error, missing.reason_phrase) == (True, "Not Found")
        with pytest.raises(exc.NotFound):
            missing.raise_for_status()


def test_a_url_with_an_endpoint_path_fails_at_once(demo_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(exc.ServerNotReady, match="not the root of a BentoML service"):
        SyncHTTPClient(demo_url + "/classify", server_ready_timeout=30)
    assert time.monotonic() - started < 5  # not the whole 30 s


def test_a_with_options_copy_in_a_with_block_leaves_its_client_open(demo_url: str) -> None:
    with SyncHTTPClient(demo_url) as client:
        with client.with_options(timeout=5) as quick:
            assert quick.summarize(text="A. B.") == "A."
        assert client.summarize(text="C. D.") == "C."  # the client it came from goes on
        with pytest.raises(exc.ClientClosedError):
            quick.summarize(text="closed")
