"""``client.map()`` on both clients through an in-memory transport (no socket).

The transport answers like a small service (``double(x)``, a root-input ``upper``, a stream
``tokens``), takes a moment per call, fails the inputs it is told to, and counts the calls in
flight and the responses not released yet, so the tests see the concurrency bound, the lazy
reading of the inputs and that stopping early gives everything back.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Optional

import pytest

from bentoclient import NO_RETRY, Backoff, MapError, Retry, SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.aio import AsyncHTTPClient
from bentoclient.transport import Headers, Request, Timeout

URL = "http://svc.invalid:3000"  # never resolved: nothing here opens a socket
SCHEMA = {
    "name": "Bulk",
    "type": "service",
    "routes": [
        {
            "name": "double",
            "route": "/double",
            "input": {"properties": {"x": {"type": "integer"}}, "required": ["x"], "type": "object"},
            "output": {"type": "integer"},
        },
        {
            "name": "upper",
            "route": "/upper",
            "input": {"type": "string", "root_input": True},
            "output": {"type": "string"},
        },
        {
            "name": "triple",
            "route": "/triple",
            "batchable": True,
            "input": {
                "properties": {"xs": {"type": "array", "items": {"type": "integer"}}},
                "required": ["xs"],
                "type": "object",
            },
            "output": {"type": "array", "items": {"type": "integer"}},
        },
        {
            "name": "tokens",
            "route": "/tokens",
            "input": {"type": "object", "properties": {"p": {"type": "string"}}},
            "output": {"type": "string", "is_stream": True, "media_type": "text/plain"},
        },
    ],
}
FAST = Retry(total=3, backoff=Backoff(initial=0.001, factor=1.0, maximum=0.001, jitter=0.0))


class Service:
    """The answers, and the counts both transports keep (thread-safe: the sync map uses threads)."""

    def __init__(
        self,
        delay: float = 0.002,
        fail: frozenset[int] = frozenset(),
        busy_once: bool = False,
        max_concurrency: int = 0,
        down: bool = False,
    ) -> None:
        self.delay = delay
        self.max_concurrency = (
            max_concurrency  # more calls at once are turned away with a 429 (BentoML's traffic limit)
        )
        self.down = down  # /triple answers 503 to everything
        self.batches: list[list[int]] = []  # what /triple received
        self.rejected = 0
        self.served_at_once = 0  # calls in flight and not turned away
        self.most_served_at_once = 0
        self.fail = fail  # x values answered with 500
        self.busy_once = busy_once  # the first /double call is answered 503
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.unreleased = 0  # responses handed out and not closed yet
        self.calls = 0

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def turn_away(self, request: Request) -> bool:
        """BentoML's pre-dispatch overload rejection: a call beyond ``max_concurrency`` runs nothing."""
        with self.lock:
            if self.max_concurrency and request.target == "/double" and self.served_at_once >= self.max_concurrency:
                self.rejected += 1
                return True
            self.served_at_once += 1
            self.most_served_at_once = max(self.most_served_at_once, self.served_at_once)
            return False

    def served(self) -> None:
        with self.lock:
            self.served_at_once -= 1

    def answer(self, request: Request) -> tuple[int, bytes]:
        body = request.content if isinstance(request.content, bytes) else b"".join(request.content)
        if request.target == "/readyz":
            return 200, b"ok"
        if request.target == "/schema.json":
            return 200, json.dumps(SCHEMA).encode()
        with self.lock:
            self.calls += 1
            first = self.calls == 1
            self.unreleased += 1
        if request.target == "/upper":
            return 200, body.upper()  # a string goes both ways as text
        if request.target == "/triple":
            xs = json.loads(body)["xs"]
            with self.lock:
                self.batches.append(xs)
            if self.down:
                return 503, b'{"error": "the model is not loaded"}'
            wrong = [i for i, x in enumerate(xs) if not isinstance(x, int)]
            if wrong:  # as pydantic says it, through BentoML
                detail = [
                    {"loc": ["xs", i], "msg": "Input should be a valid integer", "type": "int_type"} for i in wrong
                ]
                return 400, json.dumps(
                    {"error": f"{len(wrong)} validation errors for Input", "detail": detail}
                ).encode()
            if self.fail.intersection(xs):
                return 500, b'{"error": "a bad item in the batch"}'
            return 200, json.dumps([x * 3 for x in xs]).encode()
        x = json.loads(body)["x"]
        if self.busy_once and first:
            return 503, b'{"error": "busy"}'
        if x in self.fail:
            return 500, json.dumps({"error": f"x={x} failed"}).encode()
        return 200, json.dumps(x * 2).encode()

    def released(self, status_target: str) -> None:
        if status_target not in ("/readyz", "/schema.json", "rejected"):
            with self.lock:
                self.unreleased -= 1


class SyncAnswer:
    def __init__(self, service: Service, target: str, status: int, body: bytes) -> None:
        self.service, self.target, self.status_code, self.body = service, target, status, body
        self.headers = Headers({"content-type": "application/json"})
        self.closed = False

    def iter_bytes(self) -> Iterator[bytes]:
        yield self.body

    def read(self) -> bytes:
        return self.body

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.service.released(self.target)


class SyncMemory:
    def __init__(self, service: Service) -> None:
        self.service = service

    def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> SyncAnswer:
        self.service.enter()
        try:
            if self.service.turn_away(request):
                return SyncAnswer(self.service, "rejected", 429, b'{"error":"Too many requests"}')
            try:
                if request.target not in ("/readyz", "/schema.json"):
                    time.sleep(self.service.delay)
                return SyncAnswer(self.service, request.target, *self.service.answer(request))
            finally:
                self.service.served()
        finally:
            self.service.leave()

    def close(self) -> None:
        pass


class AsyncAnswer(SyncAnswer):
    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        yield self.body

    async def aread(self) -> bytes:
        return self.body

    async def aclose(self) -> None:
        self.close()


class AsyncMemory:
    def __init__(self, service: Service) -> None:
        self.service = service

    async def send(self, request: Request, timeout: Timeout, deadline: Optional[float] = None) -> AsyncAnswer:
        self.service.enter()
        try:
            if self.service.turn_away(request):
                return AsyncAnswer(self.service, "rejected", 429, b'{"error":"Too many requests"}')
            try:
                if request.target not in ("/readyz", "/schema.json"):
                    await asyncio.sleep(self.service.delay)
                return AsyncAnswer(self.service, request.target, *self.service.answer(request))
            finally:
                self.service.served()
        finally:
            self.service.leave()

    async def aclose(self) -> None:
        pass


class Counted:
    """An input generator that counts what was taken from it."""

    def __init__(self, n: Optional[int]) -> None:
        self.n = n
        self.taken = 0

    def __iter__(self) -> Iterator[dict[str, int]]:
        i = 0
        while self.n is None or i < self.n:
            self.taken += 1
            yield {"x": i}
            i += 1


def sync_client(service: Service, **options: Any) -> SyncHTTPClient:
    return SyncHTTPClient(URL, transport=SyncMemory(service), **options)


def run_async(main: Any) -> Any:
    return asyncio.run(main())


def map_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bentoclient-map")]


@pytest.fixture(autouse=True)
def _no_worker_thread_left() -> Iterator[None]:
    yield
    assert map_threads() == []


# --- results ------------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4, 16])
def test_sync_results_in_input_order_with_at_most_concurrency_calls(concurrency: int) -> None:
    service = Service()
    with sync_client(service, max_connections=16) as client:
        results = client.map("double", ({"x": i} for i in range(200)), concurrency=concurrency)
        assert list(results) == [2 * i for i in range(200)]
        assert (results.started, results.done, results.failed, results.yielded) == (200, 200, 0, 200)
    assert 1 <= service.most_in_flight <= concurrency
    if concurrency > 1:
        assert service.most_in_flight > 1  # the calls really overlap
    assert service.unreleased == 0


@pytest.mark.parametrize("concurrency", [1, 4, 16])
def test_async_results_in_input_order_with_at_most_concurrency_calls(concurrency: int) -> None:
    service = Service()

    async def main() -> int:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            results = client.map(client.double, [{"x": i} for i in range(200)], concurrency=concurrency)
            assert [r async for r in results] == [2 * i for i in range(200)]
            assert (results.done, results.yielded, results.total) == (200, 200, 200)
            most = service.most_in_flight
            assert await client.map("double", [{"x": 5}, {"x": 6}]) == [10, 12]  # awaited: the list
            return most

    most = run_async(main)
    assert 1 <= most <= concurrency
    if concurrency > 1:
        assert most > 1
    assert service.unreleased == 0


class ThreadRecordingService(Service):
    """Notes the thread each call runs in."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def answer(self, request: Request) -> tuple[int, bytes]:
        self.threads.add(threading.current_thread().name)
        return super().answer(request)


def test_sync_concurrency_one_calls_one_at_a_time_in_a_worker_thread() -> None:
    # In a worker, so that a Ctrl-C lands in the iterating thread, never in the middle of a call.
    service = ThreadRecordingService()
    with sync_client(service) as client:
        service.threads.clear()  # readiness and schema ran in this thread, at construction
        for i, result in enumerate(client.map("double", ({"x": i} for i in range(20)), concurrency=1)):
            assert result == 2 * i
            assert len(map_threads()) <= 1
    assert threading.current_thread().name not in service.threads
    assert len(service.threads) == 1
    assert next(iter(service.threads)).startswith("bentoclient-map")


def test_unordered_yields_index_result_pairs_for_every_input() -> None:
    service = Service()
    with sync_client(service) as client:
        pairs = list(client.map("double", ({"x": i} for i in range(100)), concurrency=8, ordered=False))
    assert sorted(pairs) == [(i, 2 * i) for i in range(100)]

    async def main() -> list[Any]:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            return list(await client.map("double", [{"x": i} for i in range(100)], concurrency=8, ordered=False))

    assert sorted(run_async(main)) == [(i, 2 * i) for i in range(100)]


def test_a_root_input_endpoint_takes_each_value_as_is() -> None:
    service = Service()
    with sync_client(service) as client:
        assert list(client.map("upper", ["a", "b", "c"])) == ["A", "B", "C"]

    async def main() -> list[Any]:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            return list(await client.map("upper", iter(["x", "y"])))

    assert run_async(main) == ["X", "Y"]


# --- errors ---------------------------------------------------------------------------------------


def test_return_exceptions_gives_a_map_error_in_place_and_goes_on() -> None:
    service = Service(fail=frozenset({3, 17}))
    with sync_client(service, retry=NO_RETRY) as client:
        results = client.map("double", [{"x": i} for i in range(30)], concurrency=4, return_exceptions=True)
        out = list(results)
        assert results.failed == 2
        assert results.done == 30
    assert [i for i, r in enumerate(out) if isinstance(r, MapError)] == [3, 17]
    failed = out[17]
    assert isinstance(failed, MapError)
    assert (failed.index, failed.input) == (17, {"x": 17})
    assert isinstance(failed.exception, exc.InternalServerError)
    assert "x=17 failed" in str(failed.exception)
    assert out[18] == 36

    async def main() -> list[Any]:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service), retry=NO_RETRY) as client:
            return await client.map("double", [{"x": i} for i in range(30)], ordered=False, return_exceptions=True)

    pairs = dict(run_async(main))
    assert sorted(i for i, r in pairs.items() if isinstance(r, MapError)) == [3, 17]
    assert service.unreleased == 0


def test_by_default_the_first_failure_raises_and_stops_taking_inputs() -> None:
    service = Service(fail=frozenset({10}))
    inputs = Counted(None)  # endless: only stopping can end this map
    with sync_client(service, retry=NO_RETRY) as client:
        seen: list[int] = []

        def consume() -> None:
            seen.extend(client.map("double", inputs, concurrency=4))

        with pytest.raises(exc.InternalServerError, match="x=10 failed") as info:
            consume()
        assert seen == [2 * i for i in range(len(seen))]
        assert len(seen) <= 10
        assert inputs.taken <= 10 + 4 * 4 + 1  # the window, not the endless input
        # An input taken but still queued for a worker when the map stopped is dropped unsent.
        assert inputs.taken - 4 <= service.calls <= inputs.taken
        assert service.in_flight == 0  # in-flight calls finished, released
        assert service.unreleased == 0
    if hasattr(info.value, "__notes__"):
        assert "map() over endpoint 'double': input 10 failed" in info.value.__notes__

    inputs = Counted(None)

    async def main() -> None:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service), retry=NO_RETRY) as client:
            with pytest.raises(exc.InternalServerError, match="x=10 failed"):
                await client.map("double", inputs, concurrency=4)
            assert service.in_flight == 0  # in-flight calls cancelled
            assert service.unreleased == 0

    run_async(main)
    assert inputs.taken <= 10 + 4 * 4 + 1


def test_a_non_dict_input_is_an_argument_error_naming_the_index() -> None:
    service = Service()
    with sync_client(service) as client:
        with pytest.raises(exc.ArgumentError, match=r"endpoint 'double': input 2 is an int.*\{'x': \.\.\.\}"):
            list(client.map("double", [{"x": 0}, {"x": 1}, 2]))
        out = list(client.map("double", [{"x": 0}, 5, {"y": 1}], return_exceptions=True))
        assert out[0] == 0
        assert isinstance(out[1], MapError)
        assert isinstance(out[1].exception, exc.ArgumentError)
        assert isinstance(out[2], MapError)
        assert "has no argument 'y'" in str(out[2].exception)


def test_bad_calls_fail_when_map_is_called() -> None:
    service = Service()
    with sync_client(service) as client:
        with pytest.raises(exc.EndpointNotFound, match="no endpoint 'dubble'"):
            client.map("dubble", [])
        with pytest.raises(exc.ArgumentError, match="'tokens' streams its output"):
            client.map("tokens", [])
        with pytest.raises(exc.ConfigurationError, match="concurrency must be a positive integer"):
            client.map("double", [], concurrency=0)
        with pytest.raises(exc.ArgumentError, match="inputs must be an iterable"):
            client.map("double", 42)  # type: ignore[arg-type]  # not iterable on purpose

    async def main() -> None:
        client = AsyncHTTPClient(URL, transport=AsyncMemory(service))
        with pytest.raises(exc.ClientNotSetUpError):
            client.map("double", [])
        await client.close()

    run_async(main)


def test_retry_per_map_overrides_the_clients_policy() -> None:
    with sync_client(Service(busy_once=True), retry=NO_RETRY) as client:
        assert list(client.map("double", [{"x": 1}, {"x": 2}], concurrency=1, retry=FAST)) == [2, 4]
    with sync_client(Service(busy_once=True), retry=NO_RETRY) as client:
        out = list(client.map("double", [{"x": 1}, {"x": 2}], concurrency=1, return_exceptions=True))
        assert isinstance(out[0], MapError)
        assert isinstance(out[0].exception, exc.ServiceUnavailable)


# --- stopping early, lazy input, progress ------------------------------------------------------------


def test_sync_break_stops_at_once_and_releases_everything() -> None:
    service = Service()
    inputs = Counted(None)
    with sync_client(service) as client:
        for result in client.map("double", inputs, concurrency=8):
            if result == 20:
                break
        # The iterator is gone: its generator closed, the threads finished their calls.
        assert map_threads() == []
        assert service.in_flight == 0
        assert service.unreleased == 0
        assert inputs.taken <= 11 + 4 * 8

        with client.map("double", Counted(None), concurrency=8) as results:
            assert next(results) == 0
        assert map_threads() == []
        assert service.unreleased == 0
        with pytest.raises(StopIteration):
            next(results)


def test_async_close_and_cancel_release_everything() -> None:
    service = Service(delay=0.01)

    async def main() -> None:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            async with client.map("double", Counted(None), concurrency=8) as results:
                async for result in results:
                    if result == 20:
                        break
            assert service.in_flight == 0
            assert service.unreleased == 0

            got: list[int] = []

            async def consume() -> None:
                async for r in client.map("double", Counted(None), concurrency=8):
                    got.append(r)

            task = asyncio.ensure_future(consume())
            while len(got) < 30:
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0)  # the generator's finally ran in the task already
            assert service.in_flight == 0
            assert service.unreleased == 0
            assert got == [2 * i for i in range(len(got))]

    run_async(main)


def test_inputs_are_read_lazily_within_the_window() -> None:
    service = Service()
    inputs = Counted(10_000)
    with sync_client(service) as client:
        results = client.map("double", inputs, concurrency=4)
        assert inputs.taken == 0  # nothing before the first next()
        assert results.total is None  # a generator: length unknown
        for i, result in enumerate(results):
            assert result == 2 * i
            assert inputs.taken <= i + 1 + 4 * 4  # at most the window ahead of the consumer
            if i == 100:
                break


def test_progress_is_reported_as_results_arrive() -> None:
    service = Service()
    seen: list[tuple[int, Optional[int]]] = []
    with sync_client(service) as client:
        out = list(client.map("double", [{"x": i} for i in range(50)], progress=lambda d, t: seen.append((d, t))))
        assert out == [2 * i for i in range(50)]
    assert seen[-1] == (50, 50)
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # increasing
    seen.clear()

    async def main() -> None:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            await client.map(
                "double", ({"x": i} for i in range(20)), total=20, progress=lambda d, t: seen.append((d, t))
            )

    run_async(main)
    assert seen[-1] == (20, 20)


def test_progress_bar_without_tqdm_is_a_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with sync_client(Service()) as client, pytest.raises(exc.MissingDependencyError, match="pip install tqdm"):
        client.map("double", [{"x": 1}], progress_bar=True)


def test_progress_bar_draws_with_tqdm_when_it_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    bars: list[Any] = []

    class FakeBar:
        def __init__(self, total: Optional[int], desc: str, unit: str) -> None:
            self.total, self.desc, self.unit, self.n, self.closed = total, desc, unit, 0, False
            bars.append(self)

        def update(self, n: int) -> None:
            self.n += n

        def close(self) -> None:
            self.closed = True

    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeBar  # type: ignore[attr-defined]  # a stand-in module made here
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    with sync_client(Service()) as client:
        results = client.map("double", [{"x": i} for i in range(30)], progress_bar=True)
        assert bars == []  # drawn from the first result on, not when map() is called
        assert list(results) == [2 * i for i in range(30)]
    assert len(bars) == 1
    assert (bars[0].total, bars[0].desc, bars[0].unit, bars[0].n, bars[0].closed) == (30, "double", "item", 30, True)


# --- batchable endpoints and concurrency="auto" ----------------------------------------------------


def test_batches_on_both_clients_in_order_with_progress_counting_inputs() -> None:
    sync_service, async_service = Service(), Service()
    seen: list[int] = []
    with sync_client(sync_service) as client:
        results = client.map("triple", range(100), batch_size=16, concurrency=3, progress=lambda d, t: seen.append(d))
        assert list(results) == [x * 3 for x in range(100)]
        assert (results.started, results.done, results.yielded, results.requests) == (100, 100, 100, 0)
        pairs = list(client.map("triple", range(40), batch_size=16, ordered=False))
    assert sorted(pairs) == [(x, x * 3) for x in range(40)]
    assert sorted(len(b) for b in sync_service.batches[:7]) == [4] + [16] * 6
    assert sorted(x for b in sync_service.batches[:7] for x in b) == list(range(100))
    assert seen[-1] == 100
    assert sync_service.most_in_flight <= 3

    async def main() -> list[Any]:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(async_service)) as client:
            return await client.map("triple", range(100), batch_size=30, concurrency=2)

    assert run_async(main) == [x * 3 for x in range(100)]
    assert sorted(len(b) for b in async_service.batches) == [10, 30, 30, 30]


def test_a_bad_input_is_found_by_splitting_and_a_down_service_fails_whole_batches() -> None:
    with sync_client(Service(fail=frozenset({37}))) as client:
        out = list(client.map("triple", range(64), batch_size=32, return_exceptions=True))
    assert [r.index for r in out if isinstance(r, MapError)] == [37]
    assert out[37].batch is None
    assert isinstance(out[37].exception, exc.InternalServerError)
    assert out[36] == 108
    with sync_client(Service(down=True), retry=NO_RETRY) as client:
        out = list(client.map("triple", range(10), batch_size=4, return_exceptions=True))
        with pytest.raises(exc.ServiceUnavailable) as info:
            list(client.map("triple", range(10), batch_size=4))
    assert [r.batch for r in out] == [range(4)] * 4 + [range(4, 8)] * 4 + [range(8, 10)] * 2
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert "(one batch) failed" in notes[-1]

    async def main() -> list[Any]:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(Service())) as client:
            return await client.map("triple", [1, 2, "three", 4, 5], batch_size=5, return_exceptions=True)

    out = run_async(main)
    assert [r.index for r in out if isinstance(r, MapError)] == [2]
    assert isinstance(out[2].exception, exc.InvalidArgument)
    assert [out[i] for i in (0, 1, 3, 4)] == [3, 6, 12, 15]


def test_break_in_a_batched_map_releases_everything() -> None:
    service = Service()
    with sync_client(service) as client:
        for n, value in enumerate(client.map("triple", iter(range(10**6)), batch_size=8, concurrency=4)):
            assert value == n * 3
            if n == 50:
                break
        assert map_threads() == []
    assert service.unreleased == 0
    assert len(service.batches) < 40  # the window bounds what was read ahead


@pytest.mark.parametrize("client_kind", ["sync", "async"])
def test_auto_concurrency_rides_a_server_limit_and_surfaces_no_429(client_kind: str) -> None:
    service = Service(delay=0.003, max_concurrency=3)
    inputs = [{"x": x} for x in range(150)]
    if client_kind == "sync":
        with sync_client(service, retry=NO_RETRY, max_connections=16) as client:
            results = client.map("double", inputs, concurrency="auto", return_exceptions=True)
            out = list(results)
    else:

        async def main() -> tuple[list[Any], Any]:
            async with AsyncHTTPClient(URL, transport=AsyncMemory(service), retry=NO_RETRY, max_connections=16) as c:
                results = c.map("double", inputs, concurrency="auto", return_exceptions=True)
                return await results, results

        out, results = run_async(main)
    assert out == [x * 2 for x in range(150)]  # no MapError: each 429 was sent again
    assert service.rejected > 0  # the limit went past the server's 3 ...
    assert results.limit is not None
    assert results.limit.overloads == service.rejected
    assert service.most_served_at_once <= 3
    assert results.limit.value <= 8  # ... and came back near it


def test_async_batched_map_cancelled_releases_everything_and_keeps_the_order() -> None:
    service = Service(delay=0.01)

    async def main() -> None:
        async with AsyncHTTPClient(URL, transport=AsyncMemory(service)) as client:
            got: list[int] = []

            async def consume() -> None:
                async for r in client.map("triple", iter(range(10**6)), batch_size=8, concurrency=4):
                    got.append(r)

            task = asyncio.ensure_future(consume())
            while len(got) < 50:
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0)
            assert service.in_flight == 0
            assert service.unreleased == 0
            assert got == [3 * i for i in range(len(got))]

    run_async(main)


def test_inputs_the_refusal_names_are_sent_alone_without_halving() -> None:
    service = Service()
    inputs: list[Any] = list(range(64))
    inputs[5], inputs[40] = "five", "forty"
    with sync_client(service) as client:
        out = list(client.map("triple", inputs, batch_size=64, concurrency=1, return_exceptions=True))
    assert [r.index for r in out if isinstance(r, MapError)] == [5, 40]
    assert all(isinstance(out[i].exception, exc.InvalidArgument) and out[i].batch is None for i in (5, 40))
    assert out[41] == 123
    # the batch, then 0..4, 5 alone, 6..39, 40 alone, 41..63: no halving rounds
    assert [len(b) for b in service.batches] == [64, 5, 1, 34, 1, 23]
