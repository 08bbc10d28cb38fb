"""bentoclient.testing: the fake service, served to both clients with no socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from bentoclient import NO_RETRY, Backoff, Retry, SyncHTTPClient, Timeout
from bentoclient import exceptions as exc
from bentoclient.aio import AsyncHTTPClient
from bentoclient.testing import FakeService, RecordedRequest, UploadedFile, schema_from_class
from bentoclient.transport import AsyncTransport, SyncTransport

FAST = Retry(total=3, backoff=Backoff(initial=0.001, factor=1.0, maximum=0.001, jitter=0.0))
DEMO_SCHEMA = json.loads((Path(__file__).parents[1] / "services" / "demo_schema.json").read_text())


class Summarizer:
    """Summarizes text."""

    def summarize(self, text: str, max_length: int = 50) -> str:
        """The first max_length characters."""
        return text[:max_length]

    def classify(self, input_series: list[list[float]]) -> list[int]:
        return [int(sum(row) / len(row) > 5) for row in input_series]

    def tokens(self, prompt: str, n: int = 3) -> Iterator[str]:
        for i in range(n):
            yield f"{prompt} {i}\n"

    def long_job(self, prompt: str) -> str:
        return prompt.upper()

    def inspect_file(self, upload: Path, note: Optional[str] = None) -> dict[str, Any]:
        return {"name": upload.name, "data": upload.read_text(), "note": note}

    def report(self, name: str) -> Path:
        path = self.folder / f"{name}.csv"
        path.write_text("a,b\n1,2\n")
        return path

    def __init__(self, folder: Optional[Path] = None) -> None:
        self.folder = folder or Path(".")

    def _private(self) -> None:  # not an endpoint
        pass


def fake_of(tmp_path: Path) -> FakeService:
    return FakeService.from_class(Summarizer, instance=Summarizer(tmp_path), tasks=["long_job"])


def sync_client(fake: FakeService, **options: Any) -> SyncHTTPClient:
    return SyncHTTPClient(fake.url, transport=fake.transport(), **options)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- schemas from classes ---------------------------------------------------------------


def test_schema_from_class_types_like_bentoml() -> None:
    class Types:
        def f(
            self,
            s: str,
            i: int,
            x: float,
            b: bool,
            raw: bytes,
            path: Path,
            items: list[int],
            table: dict[str, float],
            maybe: Optional[str] = None,
        ) -> dict[str, Any]:
            return {}

        def h(self) -> Optional[str]:
            return None

        def g(self, value: str, /) -> Iterator[bytes]:
            yield b""

    schema = schema_from_class(Types)
    f, h, g = schema["routes"]
    assert h["output"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    props = f["input"]["properties"]
    assert props["s"] == {"type": "string", "title": "S"}
    assert props["i"]["type"] == "integer"
    assert props["x"]["type"] == "number"
    assert props["b"]["type"] == "boolean"
    assert props["raw"] == {"type": "string", "format": "binary", "title": "Raw"}
    assert props["path"] == {"type": "file", "format": "binary", "title": "Path"}
    assert props["items"] == {"type": "array", "items": {"type": "integer"}, "title": "Items"}
    assert props["table"] == {"additionalProperties": {"type": "number"}, "type": "object", "title": "Table"}
    assert props["maybe"] == {"type": "string", "title": "Maybe", "default": None}  # as BentoML writes it
    assert f["input"]["required"] == ["s", "i", "x", "b", "raw", "path", "items", "table"]
    assert f["output"] == {"additionalProperties": True, "type": "object"}
    assert g["input"] == {"type": "string", "root_input": True}
    assert g["output"] == {"type": "string", "format": "binary", "is_stream": True, "media_type": "text/event-stream"}


def test_schema_from_class_refuses_unknown_types_and_tasks_clearly() -> None:
    class Odd:
        def f(self, x: complex) -> None: ...

    with pytest.raises(exc.ConfigurationError, match=r"Odd.f\(x\): cannot describe the type .*schema"):
        schema_from_class(Odd)
    with pytest.raises(exc.ConfigurationError, match="no such public method"):
        schema_from_class(Summarizer, tasks=["nope"])


def test_bad_configuration_names_the_fix() -> None:
    with pytest.raises(exc.ConfigurationError, match="did you mean 'summarize'"):
        FakeService.from_class(Summarizer, handlers={"sumarize": lambda text: text})
    fake = FakeService.from_class(Summarizer)
    with pytest.raises(exc.ConfigurationError, match="give status="):
        fake.fail("summarize")
    with pytest.raises(exc.ConfigurationError, match=r"not a bentoclient\.exceptions\.TransportError"):
        fake.fail("summarize", error=ValueError)  # type: ignore[arg-type]  # the wrong type, on purpose
    with pytest.raises(exc.ConfigurationError, match="does not stream"):
        fake.stream("summarize", ["a"])
    with pytest.raises(exc.ConfigurationError, match="not a BentoML service schema"):
        FakeService({"routes": "nope"})
    with pytest.raises(exc.ConfigurationError, match="polls=-1 must be a whole number"):
        FakeService.from_class(Summarizer, tasks=["long_job"]).pending("long_job", polls=-1)
    with pytest.raises(exc.ConfigurationError, match="times=0: give a positive number"):
        fake.fail("summarize", status=500, times=0)
    with pytest.raises(exc.ConfigurationError, match="not an instance"):
        schema_from_class(Summarizer())


def test_reset_forgets_requests_and_scripts() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.fail("summarize", status=500, times=None)
    with sync_client(fake, retry=NO_RETRY) as client:
        with pytest.raises(exc.InternalServerError):
            client.summarize(text="x")
        fake.reset()
        assert fake.requests == []
        assert client.summarize(text="y") == "y"
    assert fake.calls("summarize") == [{"text": "y"}]


# --- both clients -----------------------------------------------------------------------


def test_the_transports_implement_the_seam() -> None:
    fake = FakeService(DEMO_SCHEMA)
    assert isinstance(fake.transport(), SyncTransport)
    assert isinstance(fake.async_transport(), AsyncTransport)


def test_sync_client_calls_handlers_and_the_fake_records(tmp_path: Path) -> None:
    fake = fake_of(tmp_path)
    with sync_client(fake, headers={"X-Team": "a"}) as client:
        assert client.summarize(text="hello world", max_length=5) == "hello"
        assert client.classify([[1, 2, 3], [7, 8, 9]]) == [0, 1]
    assert [(r.method, r.path) for r in fake.requests[:3]] == [
        ("GET", "/readyz"),
        ("GET", "/schema.json"),
        ("POST", "/summarize"),
    ]
    call = fake.requests[2]
    assert isinstance(call, RecordedRequest)
    assert call.endpoint == "summarize"
    assert call.arguments == {"text": "hello world", "max_length": 5}
    assert call.headers["x-team"] == "a"
    assert call.headers["content-type"] == "application/json"
    assert json.loads(call.body) == {"text": "hello world", "max_length": 5}
    assert fake.calls("classify") == [{"input_series": [[1, 2, 3], [7, 8, 9]]}]


def test_async_client_with_the_async_transport(tmp_path: Path) -> None:
    fake = fake_of(tmp_path)

    async def main() -> tuple[Any, Any]:
        async with AsyncHTTPClient(fake.url, transport=fake.async_transport()) as client:
            summary = await client.summarize(text="async text", max_length=5)
            task = await client.long_job.submit(prompt="abc")
            return summary, await task.get()

    assert run(main()) == ("async", "ABC")
    assert fake.calls("long_job") == [{"prompt": "abc"}]


def test_schema_dict_and_handlers() -> None:
    fake = FakeService(DEMO_SCHEMA, handlers={"summarize": lambda text, max_length: text.upper()[:max_length]})
    with sync_client(fake) as client:
        assert client.summarize(text="abc") == "ABC"  # the schema's default max_length reaches the handler
        with pytest.raises(exc.InternalServerError, match="no handler for endpoint 'classify'"):
            client.classify([[1.0]])
    assert fake.calls("summarize") == [{"text": "abc"}]  # recorded as sent


def test_bad_input_is_a_400_with_a_pydantic_like_body() -> None:
    fake = FakeService.from_class(Summarizer)
    with sync_client(fake) as client, pytest.raises(exc.InvalidArgument) as info:
        client.call("summarize", text=3, max_length="long")
    assert str(info.value).startswith("HTTP 400 from endpoint 'summarize': 2 validation errors for Input")
    detail = json.loads(info.value.body)["detail"]
    assert [(d["loc"], d["type"]) for d in detail] == [(["text"], "string_type"), (["max_length"], "int_type")]
    # A missing field is the client's own check; sent anyway through request(), the server's 400:
    with sync_client(fake) as client:
        response = client.request("POST", "/summarize", json={})
    assert response.status_code == 400
    assert response.json()["detail"][0] == {"type": "missing", "loc": ["text"], "msg": "Field required", "input": {}}


def test_handler_errors_answer_with_their_error_code() -> None:
    class Refused(Exception):
        error_code = 422

    def refuse(text: str, max_length: int) -> str:
        raise Refused("text is too short")

    fake = FakeService.from_class(Summarizer, handlers={"summarize": refuse})
    with sync_client(fake) as client, pytest.raises(exc.UnprocessableEntity, match="text is too short"):
        client.summarize(text="x")


def test_unknown_paths_and_methods() -> None:
    fake = FakeService.from_class(Summarizer)
    with sync_client(fake) as client:
        assert client.request("GET", "/nope").status_code == 404
        assert client.request("GET", "/summarize").status_code == 405
        assert client.request("GET", "/readyz").status_code == 200


# --- scripted failures, delays ----------------------------------------------------------


def test_retries_against_scripted_503s() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.fail("summarize", status=503, times=2, headers={"Retry-After": "0"})
    with sync_client(fake, retry=FAST) as client:
        assert client.summarize(text="ok") == "ok"
    assert len(fake.calls("summarize")) == 3
    fake.fail("summarize", status=503, times=5)
    with sync_client(fake, retry=FAST) as client, pytest.raises(exc.ServiceUnavailable) as info:
        client.summarize(text="ok")
    assert info.value.attempts == 4


def test_async_retries_against_scripted_503s() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.fail("*", status=503, times=1)

    async def main() -> Any:
        async with AsyncHTTPClient(fake.url, transport=fake.async_transport(), retry=FAST) as client:
            return await client.summarize(text="ok")

    assert run(main()) == "ok"
    assert len(fake.calls("summarize")) == 2


def test_scripted_transport_errors() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.fail("summarize", error=exc.ConnectError, times=1)
    with sync_client(fake, retry=FAST) as client:
        assert client.summarize(text="ok") == "ok"  # a connect error is retried, even for POST
    fake.fail("summarize", error=exc.ReadError, times=1)
    with sync_client(fake, retry=NO_RETRY) as client, pytest.raises(exc.ReadError, match="scripted by FakeService"):
        client.summarize(text="ok")


def test_the_readiness_probe_can_fail_too() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.fail("/readyz", status=503, times=2)
    with SyncHTTPClient(fake.url, transport=fake.transport(), server_ready_timeout=5) as client:
        assert client.summarize(text="ready") == "ready"
    assert [r.path for r in fake.requests[:3]] == ["/readyz"] * 3


def test_a_delay_past_the_read_timeout_is_a_read_timeout() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.delay("summarize", 5.0, times=1)
    with sync_client(fake, timeout=Timeout(read=0.05), retry=NO_RETRY) as client:
        with pytest.raises(exc.ReadTimeout):
            client.summarize(text="slow")
        fake.delay("summarize", 0.01, times=1)
        assert client.summarize(text="fine") == "fine"


def test_async_delay_past_the_read_timeout() -> None:
    fake = FakeService.from_class(Summarizer)
    fake.delay("summarize", 5.0)

    async def main() -> None:
        async with AsyncHTTPClient(fake.url, transport=fake.async_transport(), timeout=0.05, retry=NO_RETRY) as c:
            with pytest.raises(exc.ReadTimeout):
                await c.summarize(text="slow")

    run(main())


# --- files and tasks --------------------------------------------------------------------


def test_file_inputs_and_outputs(tmp_path: Path) -> None:
    upload = tmp_path / "in.txt"
    upload.write_text("file body")
    fake = fake_of(tmp_path)
    with sync_client(fake, download_dir=tmp_path / "out") as client:
        info = client.inspect_file(upload=upload, note="n")
        report = client.report(name="r")
    assert info == {"name": "in.txt", "data": "file body", "note": "n"}
    sent = fake.calls("inspect_file")[0]
    assert sent["note"] == "n"
    assert sent["upload"] == UploadedFile("in.txt", "text/plain", b"file body")
    assert fake.requests[-2].headers["content-type"].startswith("multipart/form-data; boundary=")
    assert Path(report).name == "r.csv"
    assert Path(report).read_text() == "a,b\n1,2\n"
    fake.close()


def test_tasks_pending_then_completed_and_failed(tmp_path: Path) -> None:
    fake = fake_of(tmp_path)
    fake.pending("long_job", polls=2)
    with sync_client(fake) as client:
        task = client.long_job.submit(prompt="later")
        assert task.get_status().value == "in_progress"
        with pytest.raises(exc.InvalidArgument, match="not finished"):
            task.get()
        assert task.get_status().value == "in_progress"
        assert task.get_status().value == "completed"
        assert task.get() == "LATER"
    statuses = [r.path for r in fake.requests if r.endpoint == "long_job"]
    assert statuses[0] == "/long_job/submit"
    assert statuses.count("/long_job/status") == 3

    def broken(prompt: str) -> str:
        raise RuntimeError("model exploded")

    fake.set_handler("long_job", broken)
    with sync_client(fake) as client:
        task = client.long_job.submit(prompt="x")
        assert task.wait(timeout=5).value == "failed"
        with pytest.raises(exc.InternalServerError, match="model exploded"):
            task.get()


def test_scripts_are_used_up_exactly_once_across_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake = FakeService.from_class(Summarizer)
    fake.fail("summarize", status=500, times=5)
    with sync_client(fake, retry=NO_RETRY, max_connections=8) as client:

        def one(i: int) -> bool:
            try:
                client.summarize(text=str(i))
            except exc.InternalServerError:
                return False
            return True

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(40)))
    assert results.count(False) == 5
    assert len(fake.calls("summarize")) == 40
