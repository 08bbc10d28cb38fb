"""bentoclient.testing: the fake service, served to both clients with no socket."""

from __future__ import annotations

import asyncio
import datetime
import enum
import json
import uuid
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


# --- arguments converted to the handler's annotations, as BentoML does -------------------------


class Point:
    """A pydantic-like model, duck-typed as bentoclient.testing reads one (pydantic itself is
    not needed here; tests/integration/test_fake_parity.py uses the real thing)."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return {
            "properties": {"x": {"title": "X", "type": "integer"}, "y": {"title": "Y", "type": "integer"}},
            "required": ["x", "y"],
            "title": "Point",
            "type": "object",
        }

    @classmethod
    def model_validate(cls, value: Any) -> Point:
        if not isinstance(value, dict) or set(value) != {"x", "y"}:
            raise PointError([{"type": "missing", "loc": ("y",), "msg": "Field required"}])
        return cls(int(value["x"]), int(value["y"]))


class PointError(ValueError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("1 validation error for Point")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Typed:
    def norm(self, p: Point, scale: Optional[int] = None) -> int:
        assert isinstance(p, Point), f"the handler got {type(p).__name__}, as BentoML never would"
        return (abs(p.x) + abs(p.y)) * (scale or 1)

    def path_of(self, points: list[Point], colour: Colour, upload: Path) -> dict[str, Any]:
        assert all(isinstance(p, Point) for p in points)
        assert isinstance(colour, Colour)
        assert isinstance(upload, Path)
        return {"xs": [p.x for p in points], "colour": colour.name, "name": upload.name, "data": upload.read_text()}


class Scalars:
    def when(self, at: datetime.datetime, ident: uuid.UUID, ratio: float) -> dict[str, Any]:
        assert isinstance(at, datetime.datetime)
        assert isinstance(ident, uuid.UUID)
        assert isinstance(ratio, float)
        return {"hour": at.hour, "utc": at.utcoffset() == datetime.timedelta(0), "version": ident.version}


def test_datetimes_uuids_and_floats_are_their_types_as_pydantic_makes_them() -> None:
    fake = FakeService.from_class(Scalars)
    ident = uuid.uuid4()
    with sync_client(fake) as client:
        assert client.when(at="2026-01-02T03:04:05Z", ident=str(ident), ratio=2) == {
            "hour": 3,
            "utc": True,
            "version": 4,
        }
        with pytest.raises(exc.InvalidArgument, match="at: Input is not a valid datetime"):
            client.request(
                "POST", "/when", json={"at": "yesterday", "ident": str(ident), "ratio": 1}
            ).raise_for_status()


def test_pydantic_models_enums_and_paths_reach_the_handler_as_their_types(tmp_path: Path) -> None:
    upload = tmp_path / "in.txt"
    upload.write_text("uploaded")
    fake = FakeService.from_class(Typed)
    with sync_client(fake) as client:
        assert client.norm(p={"x": 3, "y": -4}) == 7
        assert client.norm(p={"x": 1, "y": 1}, scale=3) == 6
        got = client.path_of(points=[{"x": 1, "y": 2}, {"x": 5, "y": 6}], colour="blue", upload=upload)
        assert got == {"xs": [1, 5], "colour": "BLUE", "name": "in.txt", "data": "uploaded"}
        # What the model (or the Enum) refuses is a 400 naming the field, as from BentoML.
        with pytest.raises(exc.InvalidArgument) as bad_model:
            client.request("POST", "/norm", json={"p": {"x": 1}}).raise_for_status()
        with pytest.raises(exc.InvalidArgument, match="colour: Input should be 'red' or 'blue'"):
            client.request("POST", "/path_of", json={"points": [], "colour": "green"}).raise_for_status()
    assert json.loads(bad_model.value.body)["detail"][0]["loc"] == ["p", "y"]
    assert fake.calls("norm")[0] == {"p": {"x": 3, "y": -4}}  # recorded as sent
    fake.close()


def test_numpy_pil_and_pandas_arguments_are_their_types(tmp_path: Path) -> None:
    for library in ("numpy", "PIL", "pandas"):
        pytest.importorskip(library, reason=f"converting to {library}'s types needs {library} installed")
    import pandas as pd
    from PIL import Image

    from ._media_fake import Media

    routes = {r["name"]: r for r in schema_from_class(Media)["routes"]}
    arr_schema = routes["double"]["input"]["properties"]["arr"]
    assert {k: arr_schema[k] for k in ("type", "format", "shape", "dim", "dtype")} == {
        "type": "tensor",
        "format": "numpy-array",
        "shape": [2, 2],
        "dim": 4,
        "dtype": "float32",
    }
    assert routes["flip"]["output"] == {"type": "file", "format": "image", "pil": True}
    assert routes["total"]["output"] == {"type": "dataframe", "orient": "columns"}
    fake = FakeService.from_class(Media)
    source = Image.new("RGB", (2, 1))
    source.putdata([(255, 0, 0), (0, 0, 255)])
    with sync_client(fake, download_dir=tmp_path) as client:
        doubled = client.double(arr=[[1, 2], [3, 4]])
        flipped = client.flip(image=source)
        frame = client.total(df=pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    assert doubled.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert [flipped.getpixel((0, 0)), flipped.getpixel((1, 0))] == [(0, 0, 255), (255, 0, 0)]
    assert frame.to_dict(orient="records") == [{"a": 1, "b": 3, "total": 4}, {"a": 2, "b": 4, "total": 6}]
    fake.close()
