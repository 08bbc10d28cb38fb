"""What differs between BentoML server lines (1.2, 1.3, 1.4), against a real server of each.

These tests run on every line (``nox -s server_lines`` for 1.2 and 1.3, the other sessions
for 1.4).  Where the client reads an older line's schema dialect or works around its server,
the test passes on every line; what a line cannot do is a strict expected failure there
(``limitation``), so it is reported the day it starts passing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bentoserve import fetch
from serverlines import LINE, NO_TASKS, ROOT_INPUTS, before, limitation

from bentoclient import ResultStatus, SyncHTTPClient
from bentoclient import exceptions as exc

HAVE_PIL = importlib.util.find_spec("PIL") is not None


@pytest.fixture(scope="module")
def wire(wire_url: str) -> Iterator[SyncHTTPClient]:
    with SyncHTTPClient(wire_url, server_ready_timeout=0) as client:
        yield client


@pytest.fixture(scope="module")
def media(media_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncHTTPClient]:
    folder = tmp_path_factory.mktemp("downloads")
    with SyncHTTPClient(media_url, server_ready_timeout=0, download_dir=folder) as client:
        yield client


def test_the_client_tells_the_line_from_the_schema(wire: SyncHTTPClient, media: SyncHTTPClient) -> None:
    expected = LINE if before("1.4") else None
    for client in (wire, media):
        assert {e.server_line for e in client.endpoints.values()} == {expected}


# --- bytes arguments ---------------------------------------------------------------------------

#: UTF-8 bytes that a naive encoding would change: NUL, controls, non-ASCII, JSON look-alikes.
UTF8_CASES = [b"abc", "\u00e9\u20ac\U0001f600".encode(), b"\x00\x01\n\r\t\x7f", b"123", b'"quoted"', b"null", b""]


def _blob(data: bytes) -> dict[str, object]:
    return {"length": len(data), "hex": data.hex(), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("data", UTF8_CASES, ids=repr)
def test_bytes_arrive_byte_for_byte_in_a_json_body(wire: SyncHTTPClient, data: bytes) -> None:
    assert wire.bytes_param(data, label="x") == {"label": "x", **_blob(data)}


@pytest.mark.parametrize("data", UTF8_CASES, ids=repr)
def test_bytes_arrive_byte_for_byte_beside_a_file(wire: SyncHTTPClient, data: bytes, tmp_path: Path) -> None:
    # A multipart body: 1.2 and 1.3 answer a file part for a bytes field with a 500.
    upload = tmp_path / "u.txt"
    upload.write_bytes(b"u")
    assert wire.bytes_with_file(upload=upload, data=data) == _blob(data)


def test_bytes_that_are_not_utf8_are_refused_before_sending(wire: SyncHTTPClient, tmp_path: Path) -> None:
    upload = tmp_path / "u.txt"
    upload.write_bytes(b"u")
    png = b"\x89PNG\r\n\x1a\n"
    with pytest.raises(exc.ArgumentError, match=r"'bytes_param', argument 'data'.*0x89 at offset 0.*pathlib\.Path"):
        wire.bytes_param(png)
    with pytest.raises(exc.ArgumentError, match=r"'bytes_with_file', argument 'data'.*not UTF-8"):
        wire.bytes_with_file(upload=upload, data=png)
    # What the server does with them (every line): never the same bytes back.
    raw = json.dumps({"data": png.decode("latin-1")}).encode()
    reply = fetch(wire.url + "/bytes_param", raw, headers={"Content-Type": "application/json"})
    assert reply.status != 200 or json.loads(reply.body)["hex"] != png.hex()


# --- outputs: images, Any, text files ------------------------------------------------------------


def test_an_image_output_is_a_pil_image(media: SyncHTTPClient) -> None:
    # 1.2 writes {"type": "file", "format": "image"} without "pil": true.
    assert media.endpoints["make_image"].output.get("pil") is True
    image = media.make_image(width=4, height=3, color=[0, 255, 0])
    if HAVE_PIL:
        from PIL import Image

        assert isinstance(image, Image.Image)
        assert image.size == (4, 3)
        assert image.convert("RGB").getpixel((0, 0)) == (0, 255, 0)


def test_an_any_output_takes_plain_text(wire: SyncHTTPClient) -> None:
    # 1.2 writes {"title": "AnyIODescriptor"} for Any; 1.3 and 1.4 write {}.
    assert wire.endpoints["anything"].output == {}
    assert wire.anything(text="plain words") == "plain words"
    assert wire.anything(text="[1, 2]") == [1, 2]  # JSON text is JSON, as with BentoML's client


def test_a_text_file_output_is_a_text_file(media: SyncHTTPClient) -> None:
    # 1.3 writes {"format": "binary", "media_type": "text/plain"}; 1.2 and 1.4 "format": "text".
    output = media.endpoints["make_text_file"].output
    assert (output["type"], output["format"], output.get("content_type")) == ("file", "text", "text/plain")
    path = media.make_text_file(content="h\u00e9llo\n")
    assert isinstance(path, Path)
    assert path.read_text(encoding="utf-8") == "h\u00e9llo\n"


# --- tasks -------------------------------------------------------------------------------------


def test_task_functions_exist_from_13_and_say_so_on_12(wire: SyncHTTPClient) -> None:
    if LINE == "1.2":  # no is_task in 1.2 schemas: a typed error before sending, naming the version
        assert wire.endpoints["echo_task"].is_task is False
        for action in ("submit", "get_status", "cancel"):
            with pytest.raises(exc.NotATaskEndpoint, match=r"BentoML 1\.2, which has no task endpoints.*BentoML 1\.3"):
                getattr(wire.echo_task, action)
    else:
        assert wire.endpoints["echo_task"].is_task is True
        assert wire.echo_task.submit(text="t").result(timeout=30) == {"text": "t"}
    assert wire.echo_task(text="direct") == {"text": "direct"}  # callable as an endpoint everywhere


@limitation(NO_TASKS)
def test_task_states_of_every_line_are_read(wire: SyncHTTPClient) -> None:
    # 1.3 says success / failure; 1.4 completed / failed.
    done = wire.echo_task.submit(text="s")
    assert done.wait(timeout=30) is ResultStatus.COMPLETED
    assert wire.echo_task.get_status(done.id) is ResultStatus.COMPLETED
    raw = fetch(f"{wire.url}/echo_task/status?task_id={done.id}")
    assert json.loads(raw.body)["status"] == ("success" if LINE == "1.3" else "completed")
    bad = wire.echo_task.submit(text="x", delay="not a number")
    assert bad.wait(timeout=30) is ResultStatus.FAILED
    raw = fetch(f"{wire.url}/echo_task/status?task_id={bad.id}")
    assert json.loads(raw.body)["status"] == ("failure" if LINE == "1.3" else "failed")


@limitation(NO_TASKS)
def test_cancel_fails_with_a_typed_error(wire: SyncHTTPClient) -> None:
    task = wire.echo_task.submit(text="c", delay=2)
    if LINE == "1.3":
        # 1.3's PUT <task>/cancel never answers: a read timeout (a short one here).
        with wire.with_options(timeout=0.5) as short, pytest.raises(exc.ReadTimeout):
            short.echo_task.cancel(task.id)
    else:
        with pytest.raises(exc.InvalidArgument, match="not supported"):  # 1.4: a 400
            task.cancel()
    task.wait(timeout=30)


# --- root inputs ------------------------------------------------------------------------------


@limitation(ROOT_INPUTS)
def test_root_inputs(wire: SyncHTTPClient) -> None:
    assert wire.root_text("hi") == "hi"


def test_what_the_schema_says_of_a_root_input(wire: SyncHTTPClient) -> None:
    endpoint = wire.endpoints["root_text"]
    if before("1.4"):
        # An ordinary field (so the client cannot tell, nor refuse before sending); the server
        # then fails the call.
        assert endpoint.root_input is False
        assert [f.name for f in endpoint.fields] == ["text"]
        with pytest.raises(exc.InternalServerError):
            wire.root_text("hi")
    else:
        assert endpoint.root_input is True
