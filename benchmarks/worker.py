"""One measurement in a fresh process: ``python worker.py SCENARIO IMPL PARAMS_JSON``.

The runner (``run.py``) starts this file with the interpreter of the implementation
being measured: bentoclient and raw ``http.client`` run in the bench environment, BentoML's
client and raw httpx in the server's (the only one with BentoML installed).  The worker
measures its own CPU time, wall time and peak memory, and prints one line
``BENCH-RESULT {json}`` for the runner to read.

Each scenario has a registry of implementations (``SCENARIOS``).  A ``None`` entry is
reported as "n/a (not implemented yet)"; measuring a new client is one function plus its
registry entry.  Standard library only at the top: the third-party imports happen inside
the functions, in the interpreter that has them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import http.client
import inspect
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Iterator
from typing import Any, Callable, Optional, Union, cast
from urllib.parse import urlsplit

__all__ = ["IMPORT_STATEMENTS", "MARK", "REQUIRES", "RUNTIME", "SCENARIOS", "import_probe"]

MARK = "BENCH-RESULT "
Params = dict[str, Any]
Result = dict[str, Any]
Runner = Union[Callable[[Params], Result], Callable[[Params], Awaitable[Result]]]

#: Which interpreter runs an implementation: the bench environment's or BentoML's.
RUNTIME = {
    "bentoclient": "bench",
    "bentoclient-fast": "bench",
    "bentoclient-aio": "bench",
    "bentoclient-loop": "bench",
    "bentoclient-unbatched": "bench",
    "bentoclient-fixed": "bench",
    "http.client": "bench",
    "asyncio": "bench",
    "httpx2": "bench",
    "bentoml": "server",
    "httpx": "server",
}

ECHO_BODY = b'{"text":"hi","n":1}'
ECHO_VALUE = {"text": "hi", "n": 1}
JSON_HEADERS = {"Content-Type": "application/json"}
CHUNK = 64 * 1024  # what bentoclient reads and sends at a time; the raw loops use the same


# --- measuring --------------------------------------------------------------------------


def _status_kib(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _maxrss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


class PeakRSS:
    """Peak resident memory above a baseline taken by :meth:`start` (after imports and setup).

    On Linux the kernel's high-water mark is reset at the start (``/proc/self/clear_refs``),
    so the peak is that of the measured part alone.
    """

    def __init__(self) -> None:
        self.base_kib = 0
        self.exact = False

    def start(self) -> None:
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            self.exact = True
        except OSError:
            self.exact = False
        current = _status_kib("VmRSS")
        # Without a reset the old peak stays: growth is then counted above it (an underestimate).
        self.base_kib = current if (self.exact and current is not None) else _maxrss_kib()

    def growth_mib(self) -> float:
        peak = _status_kib("VmHWM") or _maxrss_kib()
        return max(0, peak - self.base_kib) / 1024


@contextlib.contextmanager
def profiled(params: Params) -> Iterator[None]:
    """Profile the block with cProfile when the runner asks (``params["profile"]`` = output path).

    The profiler's clock is the process CPU time, so time spent waiting for the server does
    not count: the profile shows where the client's CPU goes.
    """
    path = params.get("profile")
    if not path:
        yield
        return
    import cProfile

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _check(got: Any, expected: Any, what: str) -> None:
    if got != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {got!r}")


# --- 2. construct + first call -----------------------------------------------------------


def _timed(params: Params, build_and_call: Callable[[], Any]) -> Result:
    cpu0, t0 = time.process_time(), time.perf_counter()
    with profiled(params):
        value = build_and_call()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _check(value, ECHO_VALUE, "first call")
    return {"wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3}


def construct_bentoclient(p: Params) -> Result:
    from bentoclient import SyncHTTPClient

    clients: list[Any] = []

    def run() -> Any:
        clients.append(SyncHTTPClient(p["url"]))
        return clients[0].echo(text="hi", n=1)

    try:
        return _timed(p, run)
    finally:
        for c in clients:
            c.close()


def construct_bentoml(p: Params) -> Result:
    from bentoml import SyncHTTPClient

    clients: list[Any] = []

    def run() -> Any:
        clients.append(SyncHTTPClient(p["url"]))
        return clients[0].echo(text="hi", n=1)

    try:
        return _timed(p, run)
    finally:
        for c in clients:
            c.close()


def construct_http_client(p: Params) -> Result:
    host, port = _host_port(p["url"])
    conns: list[http.client.HTTPConnection] = []

    def run() -> Any:
        conn = http.client.HTTPConnection(host, port)
        conns.append(conn)
        conn.request("POST", "/echo", ECHO_BODY, JSON_HEADERS)
        return json.loads(conn.getresponse().read())

    try:
        return _timed(p, run)
    finally:
        for c in conns:
            c.close()


def construct_httpx(p: Params) -> Result:
    import httpx

    clients: list[httpx.Client] = []

    def run() -> Any:
        client = httpx.Client(base_url=p["url"])
        clients.append(client)
        return json.loads(client.post("/echo", content=ECHO_BODY, headers=JSON_HEADERS).content)

    try:
        return _timed(p, run)
    finally:
        for c in clients:
            c.close()


# --- 3. sequential small JSON calls ------------------------------------------------------


def _sync_loop(params: Params, call: Callable[[], Any]) -> Result:
    for _ in range(params["warmup"]):
        _check(call(), ECHO_VALUE, "warm-up call")
    n = params["n"]
    latencies = [0.0] * n
    clock = time.perf_counter
    gc.collect()
    with profiled(params):
        cpu0, t0 = time.process_time(), clock()
        for i in range(n):
            start = clock()
            call()
            latencies[i] = clock() - start
        wall, cpu = clock() - t0, time.process_time() - cpu0
    return {
        "cpu_us": cpu / n * 1e6,
        "p50_us": _percentile(latencies, 0.50) * 1e6,
        "p99_us": _percentile(latencies, 0.99) * 1e6,
        "calls_per_s": n / wall,
    }


def sync_bentoclient(p: Params) -> Result:
    from bentoclient import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:
        echo = client.echo
        return _sync_loop(p, lambda: echo(text="hi", n=1))


def sync_bentoml(p: Params) -> Result:
    from bentoml import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:
        echo = client.echo
        return _sync_loop(p, lambda: echo(text="hi", n=1))


def sync_http_client(p: Params) -> Result:
    conn = http.client.HTTPConnection(*_host_port(p["url"]))

    def call() -> Any:
        conn.request("POST", "/echo", ECHO_BODY, JSON_HEADERS)
        return json.loads(conn.getresponse().read())

    try:
        return _sync_loop(p, call)
    finally:
        conn.close()


def sync_httpx(p: Params) -> Result:
    import httpx

    with httpx.Client(base_url=p["url"]) as client:
        return _sync_loop(p, lambda: json.loads(client.post("/echo", content=ECHO_BODY, headers=JSON_HEADERS).content))


# --- 4. concurrent async calls -----------------------------------------------------------


async def _async_loop(params: Params, call: Callable[[], Awaitable[Any]]) -> Result:
    concurrency = params["concurrency"]

    async def run(total: int, latencies: list[float]) -> None:
        left = total

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                start = time.perf_counter()
                value = await call()
                latencies.append(time.perf_counter() - start)
                if len(latencies) == 1:
                    _check(value, ECHO_VALUE, "first async call")

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await run(params["warmup"], [])
    n = params["n"]
    latencies: list[float] = []
    gc.collect()
    with profiled(params):
        cpu0, t0 = time.process_time(), time.perf_counter()
        await run(n, latencies)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "cpu_us": cpu / n * 1e6,
        "p50_us": _percentile(latencies, 0.50) * 1e6,
        "p99_us": _percentile(latencies, 0.99) * 1e6,
        "calls_per_s": n / wall,
    }


async def async_bentoclient(p: Params) -> Result:
    """bentoclient's client as constructed by default (httpx's pool: httpx2 on 3.11+)."""
    from bentoclient import Timeout
    from bentoclient_async import AsyncHTTPClient

    timeout = Timeout(30, 30, 30, None)  # hundreds of waiters for 32 connections: no pool timeout
    async with AsyncHTTPClient(p["url"], max_connections=p["max_connections"], timeout=timeout) as client:
        echo = client.echo
        return await _async_loop(p, lambda: echo(text="hi", n=1))


async def async_bentoclient_fast(p: Params) -> Result:
    """bentoclient's client on the opt-in fast transport (core's HTTP/1.1 parser on asyncio streams)."""
    from bentoclient import Timeout
    from bentoclient_async import AsyncHTTPClient, AsyncioTransport

    transport = AsyncioTransport(p["url"], max_connections=p["max_connections"])
    async with AsyncHTTPClient(p["url"], transport=transport, timeout=Timeout(30, 30, 30, None)) as client:
        echo = client.echo
        return await _async_loop(p, lambda: echo(text="hi", n=1))


async def async_httpx2(p: Params) -> Result:
    import httpx2

    limits = httpx2.Limits(max_connections=p["max_connections"], max_keepalive_connections=p["max_connections"])
    async with httpx2.AsyncClient(base_url=p["url"], limits=limits, timeout=httpx2.Timeout(30.0, pool=None)) as client:

        async def call() -> Any:
            response = await client.post("/echo", content=ECHO_BODY, headers=JSON_HEADERS)
            return json.loads(response.content)

        return await _async_loop(p, call)


async def async_bentoml(p: Params) -> Result:
    from bentoml import AsyncHTTPClient

    async with AsyncHTTPClient(p["url"]) as client:
        echo = client.echo
        return await _async_loop(p, lambda: echo(text="hi", n=1))


async def async_httpx(p: Params) -> Result:
    import httpx

    limits = httpx.Limits(max_connections=p["max_connections"], max_keepalive_connections=p["max_connections"])
    timeout = httpx.Timeout(30.0, pool=None)  # hundreds of waiters for 32 connections: no pool timeout
    async with httpx.AsyncClient(base_url=p["url"], limits=limits, timeout=timeout) as client:

        async def call() -> Any:
            response = await client.post("/echo", content=ECHO_BODY, headers=JSON_HEADERS)
            return json.loads(response.content)

        return await _async_loop(p, call)


async def async_asyncio(p: Params) -> Result:
    """The floor without httpx: asyncio streams, one kept-alive connection per call in flight."""
    host, port = _host_port(p["url"])
    head = f"POST /echo HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
    request = head.encode() + b"Content-Length: %d\r\n\r\n%s" % (len(ECHO_BODY), ECHO_BODY)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened: list[asyncio.StreamWriter] = []

    async def call() -> Any:
        if idle:
            reader, writer = idle.pop()
        else:
            reader, writer = await asyncio.open_connection(host, port)
            opened.append(writer)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        idle.append((reader, writer))
        return json.loads(body)

    try:
        return await _async_loop(p, call)
    finally:
        for writer in opened:
            writer.close()


# --- 8. bulk calls: client.map() ---------------------------------------------------------


def _echo_inputs(n: int) -> Iterator[dict[str, Any]]:
    return (ECHO_VALUE for _ in range(n))


def _map_result(n: int, wall: float, cpu: float) -> Result:
    return {"calls_per_s": n / wall, "cpu_us": cpu / n * 1e6}


def map_bentoclient(p: Params) -> Result:
    """``SyncHTTPClient.map`` at ``concurrency`` threads over one pool of as many connections."""
    from bentoclient import SyncHTTPClient

    n, concurrency = p["n"], p["concurrency"]
    with SyncHTTPClient(p["url"], max_connections=concurrency) as client:
        for value in client.map("echo", _echo_inputs(p["warmup"]), concurrency=concurrency):
            _check(value, ECHO_VALUE, "warm-up map")
        gc.collect()
        with profiled(p):
            cpu0, t0 = time.process_time(), time.perf_counter()
            done = sum(1 for _ in client.map("echo", _echo_inputs(n), concurrency=concurrency))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _check(done, n, "results")
    return _map_result(n, wall, cpu)


async def map_bentoclient_aio(p: Params) -> Result:
    """``AsyncHTTPClient.map`` at ``concurrency`` tasks (default asyncio transport)."""
    from bentoclient_async import AsyncHTTPClient

    n, concurrency = p["n"], p["concurrency"]
    async with AsyncHTTPClient(p["url"], max_connections=concurrency) as client:
        for value in await client.map("echo", _echo_inputs(p["warmup"]), concurrency=concurrency):
            _check(value, ECHO_VALUE, "warm-up map")
        gc.collect()
        with profiled(p):
            cpu0, t0 = time.process_time(), time.perf_counter()
            done = 0
            async for _ in client.map("echo", _echo_inputs(n), concurrency=concurrency):
                done += 1
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _check(done, n, "results")
    return _map_result(n, wall, cpu)


def map_bentoclient_loop(p: Params) -> Result:
    """The naive way: one call after the other (``for x in inputs: client.echo(**x)``)."""
    from bentoclient import SyncHTTPClient

    n = p["n"]
    with SyncHTTPClient(p["url"]) as client:
        for item in _echo_inputs(p["warmup"]):
            _check(client.echo(**item), ECHO_VALUE, "warm-up call")
        gc.collect()
        with profiled(p):
            cpu0, t0 = time.process_time(), time.perf_counter()
            for item in _echo_inputs(n):
                client.echo(**item)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return _map_result(n, wall, cpu)


async def map_ceiling(p: Params) -> Result:
    """The server's ceiling: raw asyncio streams at ``ceiling_concurrency`` calls in flight."""
    raw = {**p, "concurrency": p["ceiling_concurrency"], "warmup": max(p["warmup"], 2 * p["ceiling_concurrency"])}
    result = await async_asyncio(raw)
    return {"calls_per_s": result["calls_per_s"], "cpu_us": result["cpu_us"]}


class _MemoryAnswer:
    """An in-memory response: the echo endpoint's JSON body, all at once."""

    status_code = 200

    def __init__(self, headers: Any, body: bytes) -> None:
        self.headers = headers
        self._body = body

    def iter_bytes(self) -> Iterator[bytes]:
        yield self._body

    def read(self) -> bytes:
        return self._body

    def close(self) -> None:
        pass

    async def aiter_bytes(self) -> Any:
        yield self._body

    async def aread(self) -> bytes:
        return self._body

    async def aclose(self) -> None:
        pass


class _MemoryTransport:
    """Both transport seams (``bentoclient.transport``) answering from memory: no socket, no server."""

    def __init__(self, schema: bytes) -> None:
        from bentoclient.transport import Headers

        self._headers = Headers({"content-type": "application/json"})
        self._schema = schema

    def _answer(self, request: Any) -> _MemoryAnswer:
        if request.target == "/schema.json":
            return _MemoryAnswer(self._headers, self._schema)
        body = request.content if isinstance(request.content, bytes) else b"".join(request.content)
        return _MemoryAnswer(self._headers, body)  # /readyz and /echo: the body back

    def send(self, request: Any, timeout: Any, deadline: Optional[float] = None) -> _MemoryAnswer:
        return self._answer(request)

    def close(self) -> None:
        pass


class _AsyncMemoryTransport:
    """The async seam over the same answers."""

    def __init__(self, schema: bytes) -> None:
        self._sync = _MemoryTransport(schema)

    async def send(self, request: Any, timeout: Any, deadline: Optional[float] = None) -> _MemoryAnswer:
        return self._sync._answer(request)

    async def aclose(self) -> None:
        pass


_ECHO_SCHEMA = json.dumps(
    {
        "name": "Bench",
        "type": "service",
        "routes": [
            {
                "name": "echo",
                "route": "/echo",
                "input": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "n": {"type": "integer"}},
                    "required": ["text", "n"],
                },
                "output": {"type": "object"},
            }
        ],
    }
).encode()


def _counted_inputs(n: int, seen: list[int]) -> Iterator[dict[str, Any]]:
    for i in range(n):
        seen[0] = i
        yield {"text": "hi", "n": i}


def mapmem_bentoclient(p: Params) -> Result:
    """Peak memory of ``SyncHTTPClient.map`` over a lazy input of ``n`` items, in memory."""
    from bentoclient import SyncHTTPClient

    n, concurrency = p["n"], p["concurrency"]
    seen = [0]
    with SyncHTTPClient("http://memory.invalid", transport=_MemoryTransport(_ECHO_SCHEMA)) as client:
        list(client.map("echo", _counted_inputs(1000, seen), concurrency=concurrency))  # warm-up
        peak = PeakRSS()
        peak.start()
        cpu0, t0 = time.process_time(), time.perf_counter()
        done = 0
        for i, value in enumerate(client.map("echo", _counted_inputs(n, seen), concurrency=concurrency)):
            if value["n"] != i:
                raise AssertionError(f"result {i} is {value!r}")
            done += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _check(done, n, "results")
    return {"rss_mib": peak.growth_mib(), "items_per_s": n / wall, "cpu_us": cpu / n * 1e6}


async def mapmem_bentoclient_aio(p: Params) -> Result:
    """Peak memory of ``AsyncHTTPClient.map`` over a lazy input of ``n`` items, in memory."""
    from bentoclient.aio import AsyncHTTPClient

    n, concurrency = p["n"], p["concurrency"]
    seen = [0]
    transport = _AsyncMemoryTransport(_ECHO_SCHEMA)
    async with AsyncHTTPClient("http://memory.invalid", transport=transport) as client:
        await client.map("echo", _counted_inputs(1000, seen), concurrency=concurrency)  # warm-up
        peak = PeakRSS()
        peak.start()
        cpu0, t0 = time.process_time(), time.perf_counter()
        done = 0
        async for value in client.map("echo", _counted_inputs(n, seen), concurrency=concurrency):
            if value["n"] != done:
                raise AssertionError(f"result {done} is {value!r}")
            done += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _check(done, n, "results")
    return {"rss_mib": peak.growth_mib(), "items_per_s": n / wall, "cpu_us": cpu / n * 1e6}


# --- 5. file upload and download ---------------------------------------------------------


def _transfer_loop(params: Params, warm: Callable[[], None], once: Callable[[], None]) -> Result:
    """Time ``once`` ``reps`` times after a small warm-up transfer; peak RSS growth over all of them."""
    warm()
    rss = PeakRSS()
    times = []
    rss.start()
    cpu0 = time.process_time()
    with profiled(params):
        for _ in range(params["reps"]):
            t0 = time.perf_counter()
            once()
            times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    return {
        "time_ms": _median(times) * 1e3,
        "cpu_ms": cpu / len(times) * 1e3,
        "rss_mib": rss.growth_mib(),
        "rss_exact": rss.exact,
    }


def _check_upload(reply: Any, params: Params, small: bool) -> None:
    size = params["warm_size"] if small else params["size"]
    sha = params["warm_sha256"] if small else params["sha256"]
    _check(reply.get("size"), size, "uploaded size")
    if sha:
        _check(reply.get("sha256"), sha, "uploaded SHA-256")


def upload_bentoclient(p: Params) -> Result:
    from pathlib import Path

    from bentoclient import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:
        return _transfer_loop(
            p,
            lambda: _check_upload(client.upload(file=Path(p["warm_path"])), p, True),
            lambda: _check_upload(client.upload(file=Path(p["path"])), p, False),
        )


def upload_bentoml(p: Params) -> Result:
    from pathlib import Path

    from bentoml import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:
        return _transfer_loop(
            p,
            lambda: _check_upload(client.upload(file=Path(p["warm_path"])), p, True),
            lambda: _check_upload(client.upload(file=Path(p["path"])), p, False),
        )


def upload_http_client(p: Params) -> Result:
    conn = http.client.HTTPConnection(*_host_port(p["url"]))
    boundary = "benchboundary7f3a9c"

    def upload(path: str) -> Any:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{os.path.basename(path)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = os.path.getsize(path)
        conn.putrequest("POST", "/upload")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.endheaders()
        conn.send(head)
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                conn.send(chunk)
        conn.send(tail)
        return json.loads(conn.getresponse().read())

    try:
        return _transfer_loop(
            p,
            lambda: _check_upload(upload(p["warm_path"]), p, True),
            lambda: _check_upload(upload(p["path"]), p, False),
        )
    finally:
        conn.close()


def upload_httpx(p: Params) -> Result:
    import httpx

    def upload(client: httpx.Client, path: str) -> Any:
        with open(path, "rb") as fh:
            files = {"file": (os.path.basename(path), fh, "application/octet-stream")}
            return client.post("/upload", files=files).json()

    with httpx.Client(base_url=p["url"], timeout=600) as client:
        return _transfer_loop(
            p,
            lambda: _check_upload(upload(client, p["warm_path"]), p, True),
            lambda: _check_upload(upload(client, p["path"]), p, False),
        )


def _check_file(path: Any, size: int) -> None:
    got = os.path.getsize(path)
    os.unlink(path)
    _check(got, size, "downloaded size")


def _download_via_client(p: Params, client: Any) -> Result:
    return _transfer_loop(
        p,
        lambda: _check_file(client.download(size=p["warm_size"]), p["warm_size"]),
        lambda: _check_file(client.download(size=p["size"]), p["size"]),
    )


def download_bentoclient(p: Params) -> Result:
    from bentoclient import SyncHTTPClient

    with SyncHTTPClient(p["url"], timeout=600, download_dir=p["work_dir"]) as client:
        return _download_via_client(p, client)


def download_bentoml(p: Params) -> Result:
    from bentoml import SyncHTTPClient

    with SyncHTTPClient(p["url"], timeout=600) as client:
        return _download_via_client(p, client)


def download_http_client(p: Params) -> Result:
    conn = http.client.HTTPConnection(*_host_port(p["url"]))
    target = os.path.join(p["work_dir"], "raw-http-client.bin")

    def download(size: int) -> None:
        conn.request("POST", "/download", json.dumps({"size": size}).encode(), JSON_HEADERS)
        response = conn.getresponse()
        with open(target, "wb") as fh:
            while True:
                chunk = response.read(CHUNK)  # not read1(): before 3.13 it leaves a finished body open
                if not chunk:
                    break
                fh.write(chunk)
        _check_file(target, size)

    try:
        return _transfer_loop(p, lambda: download(p["warm_size"]), lambda: download(p["size"]))
    finally:
        conn.close()


def download_httpx(p: Params) -> Result:
    import httpx

    target = os.path.join(p["work_dir"], "raw-httpx.bin")

    def download(client: httpx.Client, size: int) -> None:
        with client.stream("POST", "/download", json={"size": size}) as response, open(target, "wb") as fh:
            for chunk in response.iter_bytes():
                fh.write(chunk)
        _check_file(target, size)

    with httpx.Client(base_url=p["url"], timeout=600) as client:
        return _transfer_loop(p, lambda: download(client, p["warm_size"]), lambda: download(client, p["size"]))


# --- 6. streaming ------------------------------------------------------------------------


def _stream_loop(params: Params, stream: Callable[[int], Iterator[str]]) -> Result:
    """Time to first item over ``ttfi_reps`` short streams; items/s and CPU per item over ``reps`` long ones."""
    n, width = params["n"], params["item_width"]
    _check(sum(map(len, stream(10))), 10 * width, "warm-up stream length")
    gc.collect()
    ttfi = []
    with profiled(params):
        for _ in range(params["ttfi_reps"]):
            t0 = time.perf_counter()
            items = stream(3)
            first = next(items)
            ttfi.append(time.perf_counter() - t0)
            _check(len(first) + sum(map(len, items)), 3 * width, "short stream length")
        rates = []
        cpu0 = time.process_time()
        for _ in range(params["reps"]):
            t0 = time.perf_counter()
            chars = sum(map(len, stream(n)))
            rates.append(n / (time.perf_counter() - t0))
            _check(chars, n * width, "streamed characters")
        cpu = time.process_time() - cpu0
    return {
        "ttfi_ms": _median(ttfi) * 1e3,
        "items_per_s": _median(rates),
        "cpu_us_per_item": cpu / (n * len(rates)) * 1e6,
    }


def stream_bentoclient(p: Params) -> Result:
    from bentoclient import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:

        def stream(n: int) -> Iterator[str]:
            with client.stream(n=n) as items:
                yield from items

        return _stream_loop(p, stream)


def stream_bentoml(p: Params) -> Result:
    from bentoml import SyncHTTPClient

    with SyncHTTPClient(p["url"]) as client:
        return _stream_loop(p, lambda n: iter(client.stream(n=n)))


def stream_http_client(p: Params) -> Result:
    conn = http.client.HTTPConnection(*_host_port(p["url"]))

    def stream(n: int) -> Iterator[str]:
        conn.request("POST", "/stream", json.dumps({"n": n}).encode(), JSON_HEADERS)
        response = conn.getresponse()
        while True:
            chunk = response.read1(CHUNK)
            if not chunk:
                return
            yield chunk.decode()

    try:
        return _stream_loop(p, stream)
    finally:
        conn.close()


def stream_httpx(p: Params) -> Result:
    import httpx

    with httpx.Client(base_url=p["url"]) as client:

        def stream(n: int) -> Iterator[str]:
            with client.stream("POST", "/stream", json={"n": n}) as response:
                yield from response.iter_text()

        return _stream_loop(p, stream)


async def _astream_loop(params: Params, stream: Callable[[int], Any]) -> Result:
    """The async twin of :func:`_stream_loop`: ``stream(n)`` is an async iterator of text."""
    n, width = params["n"], params["item_width"]

    async def chars(items: Any) -> int:
        total = 0
        async for item in items:
            total += len(item)
        return total

    _check(await chars(stream(10)), 10 * width, "warm-up stream length")
    gc.collect()
    ttfi = []
    with profiled(params):
        for _ in range(params["ttfi_reps"]):
            t0 = time.perf_counter()
            items = stream(3)
            first = await items.__anext__()
            ttfi.append(time.perf_counter() - t0)
            _check(len(first) + await chars(items), 3 * width, "short stream length")
        rates = []
        cpu0 = time.process_time()
        for _ in range(params["reps"]):
            t0 = time.perf_counter()
            got = await chars(stream(n))
            rates.append(n / (time.perf_counter() - t0))
            _check(got, n * width, "streamed characters")
        cpu = time.process_time() - cpu0
    return {
        "ttfi_ms": _median(ttfi) * 1e3,
        "items_per_s": _median(rates),
        "cpu_us_per_item": cpu / (n * len(rates)) * 1e6,
    }


async def astream_bentoclient_aio(p: Params) -> Result:
    """``AsyncHTTPClient`` streaming (its default transport)."""
    from bentoclient_async import AsyncHTTPClient

    async with AsyncHTTPClient(p["url"]) as client:

        async def stream(n: int) -> Any:
            async with client.stream(n=n) as items:
                async for item in items:
                    yield item

        return await _astream_loop(p, stream)


async def astream_bentoclient_fast(p: Params) -> Result:
    """``AsyncHTTPClient`` streaming on the opt-in ``AsyncioTransport``."""
    from bentoclient_async import AsyncHTTPClient, AsyncioTransport

    async with AsyncHTTPClient(p["url"], transport=AsyncioTransport(p["url"])) as client:

        async def stream(n: int) -> Any:
            async with client.stream(n=n) as items:
                async for item in items:
                    yield item

        return await _astream_loop(p, stream)


async def astream_httpx2(p: Params) -> Result:
    """What httpx itself costs: a raw httpx2 stream, its body as received, each piece decoded."""
    import httpx2

    async with httpx2.AsyncClient(base_url=p["url"]) as client:

        async def stream(n: int) -> Any:
            async with client.stream("POST", "/stream", json={"n": n}) as response:
                async for chunk in response.aiter_raw():
                    yield chunk.decode()

        return await _astream_loop(p, stream)


async def astream_asyncio(p: Params) -> Result:
    """The floor: asyncio streams on one kept-alive connection, HTTP/1.1 chunks decoded by hand."""
    host, port = _host_port(p["url"])
    reader, writer = await asyncio.open_connection(host, port)
    head = f"POST /stream HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"

    async def stream(n: int) -> Any:
        body = json.dumps({"n": n}).encode()
        writer.write(head.encode() + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await reader.readuntil(b"\r\n\r\n")  # BentoML streams with Transfer-Encoding: chunked
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            chunk = await reader.readexactly(size + 2)
            yield chunk[:-2].decode()

    try:
        return await _astream_loop(p, stream)
    finally:
        writer.close()


# --- 7. waiting for a server that is not there -------------------------------------------


def _ready_wait(params: Params, construct: Callable[[str, float], Any]) -> Result:
    url = f"http://127.0.0.1:{params['port']}"
    cpu0, t0 = time.process_time(), time.perf_counter()
    raised = ""
    with profiled(params):
        try:
            construct(url, params["timeout"])
        except Exception as exc:  # each client raises its own "not ready" error
            raised = type(exc).__name__
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if not raised:
        raise AssertionError(f"a client was constructed against {url}, where nothing should listen")
    return {"cpu_pct": cpu / wall * 100, "wall_s": wall, "cpu_ms": cpu * 1e3, "raised": raised}


def ready_bentoclient(p: Params) -> Result:
    from bentoclient import SyncHTTPClient

    return _ready_wait(p, lambda url, t: SyncHTTPClient(url, server_ready_timeout=t))


def ready_bentoml(p: Params) -> Result:
    from bentoml import SyncHTTPClient

    return _ready_wait(p, lambda url, t: SyncHTTPClient(url, server_ready_timeout=t))


# --- 9. batched and self-tuning map() -------------------------------------------------------


def _texts(n: int) -> Iterator[str]:
    return (f"text {i}" for i in range(n))


def _batch_result(n: int, wall: float, cpu: float, out: list[Any]) -> Result:
    _check(out[-1], f"TEXT {n - 1}", "last result")
    _check(len(out), n, "results")
    return {"items_per_s": n / wall, "cpu_us": cpu / n * 1e6}


def _batcher_busy_retry() -> Any:
    """The retry policy of the batched-map rows: also retry a 503 from BentoML's batcher.

    BentoML's batching dispatcher sheds requests that waited past ``max_latency_ms`` with a 503
    (seen once in 8,000 single-input requests on a loaded 2-core machine).  On the wire that
    answer is the same as a 503 the service's code raised (request-id header, generic body),
    so the default policy does not resend it; ``upper`` is pure, so here it may run again,
    and every row (batched or not) gets the same policy.
    """
    from bentoclient import Retry

    return Retry(extra_statuses=frozenset({503}))


def _sync_batch_map(p: Params, batch_size: int) -> Result:
    from bentoclient import SyncHTTPClient

    n, concurrency = p["n"], p["concurrency"]
    with SyncHTTPClient(p["url"], max_connections=concurrency, retry=_batcher_busy_retry()) as client:
        list(client.map("upper", _texts(p["warmup"]), concurrency=concurrency, batch_size=batch_size))
        gc.collect()
        with profiled(p):
            cpu0, t0 = time.process_time(), time.perf_counter()
            out = list(client.map("upper", _texts(n), concurrency=concurrency, batch_size=batch_size))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return _batch_result(n, wall, cpu, out)


def batchmap_bentoclient(p: Params) -> Result:
    """``SyncHTTPClient.map`` on a batchable endpoint: ``batch_size`` inputs per request."""
    return _sync_batch_map(p, p["batch_size"])


def batchmap_unbatched(p: Params) -> Result:
    """The same map, one input per request (``batch_size=1``), at the same concurrency."""
    return _sync_batch_map(p, 1)


async def batchmap_bentoclient_aio(p: Params) -> Result:
    """``AsyncHTTPClient.map`` on a batchable endpoint: ``batch_size`` inputs per request."""
    from bentoclient_async import AsyncHTTPClient

    n, concurrency, batch_size = p["n"], p["concurrency"], p["batch_size"]
    async with AsyncHTTPClient(p["url"], max_connections=concurrency, retry=_batcher_busy_retry()) as client:
        await client.map("upper", _texts(p["warmup"]), concurrency=concurrency, batch_size=batch_size)
        gc.collect()
        with profiled(p):
            cpu0, t0 = time.process_time(), time.perf_counter()
            out = await client.map("upper", _texts(n), concurrency=concurrency, batch_size=batch_size)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return _batch_result(n, wall, cpu, out)


def _work_inputs(n: int) -> Iterator[dict[str, int]]:
    return ({"n": i} for i in range(n))


def _sync_limited_map(p: Params, concurrency: Any) -> Result:
    from bentoclient import MapError, SyncHTTPClient

    n = p["n"]
    with SyncHTTPClient(p["url"], max_connections=p["max_connections"]) as client:
        list(client.map("work", _work_inputs(p["warmup"]), concurrency=concurrency, return_exceptions=True))
        gc.collect()
        cpu0, t0 = time.process_time(), time.perf_counter()
        results = client.map("work", _work_inputs(n), concurrency=concurrency, return_exceptions=True)
        out = list(results)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        limit = getattr(results, "limit", None)
    errors = sum(isinstance(r, MapError) for r in out)
    _check(len(out), n, "results")
    result: Result = {"items_per_s": n / wall, "cpu_us": cpu / n * 1e6, "errors": errors}
    if limit is not None:
        result.update(settled=limit.value, overloads=limit.overloads)
    return result


def automap_bentoclient(p: Params) -> Result:
    """``SyncHTTPClient.map(concurrency="auto")`` against a service with ``max_concurrency`` set."""
    return _sync_limited_map(p, "auto")


def automap_fixed(p: Params) -> Result:
    """The best fixed concurrency of ``fixed`` (each a full map, the default retry policy)."""
    runs = {c: _sync_limited_map(p, c) for c in p["fixed"]}
    best = max(runs, key=lambda c: runs[c]["items_per_s"])
    return {
        **runs[best],
        "best_concurrency": best,
        "by_concurrency": {c: round(r["items_per_s"]) for c, r in runs.items()},
    }


async def automap_bentoclient_aio(p: Params) -> Result:
    """``AsyncHTTPClient.map(concurrency="auto")`` against a service with ``max_concurrency`` set."""
    from bentoclient import MapError
    from bentoclient_async import AsyncHTTPClient

    n = p["n"]
    async with AsyncHTTPClient(p["url"], max_connections=p["max_connections"]) as client:
        await client.map("work", _work_inputs(p["warmup"]), concurrency="auto", return_exceptions=True)
        gc.collect()
        cpu0, t0 = time.process_time(), time.perf_counter()
        results = client.map("work", _work_inputs(n), concurrency="auto", return_exceptions=True)
        out = await results
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    errors = sum(isinstance(r, MapError) for r in out)
    _check(len(out), n, "results")
    assert results.limit is not None
    return {
        "items_per_s": n / wall,
        "cpu_us": cpu / n * 1e6,
        "errors": errors,
        "settled": results.limit.value,
        "overloads": results.limit.overloads,
    }


# --- registry ------------------------------------------------------------------------------

#: scenario -> implementation -> function (None: not implemented yet, reported as n/a).
ASYNC_IMPLS: dict[str, Any] = {
    "bentoclient": async_bentoclient,  # the default transport, when bentoclient-async provides it (REQUIRES)
    "bentoclient-fast": async_bentoclient_fast,
    "bentoml": async_bentoml,
    "httpx": async_httpx,
    "httpx2": async_httpx2,
    "asyncio": async_asyncio,
}

SCENARIOS: dict[str, dict[str, Optional[Runner]]] = {
    "construct": {
        "bentoclient": construct_bentoclient,
        "bentoml": construct_bentoml,
        "http.client": construct_http_client,
        "httpx": construct_httpx,
    },
    "sync": {
        "bentoclient": sync_bentoclient,
        "bentoml": sync_bentoml,
        "http.client": sync_http_client,
        "httpx": sync_httpx,
    },
    "async": ASYNC_IMPLS,
    "async256": ASYNC_IMPLS,
    "upload": {
        "bentoclient": upload_bentoclient,
        "bentoml": upload_bentoml,
        "http.client": upload_http_client,
        "httpx": upload_httpx,
    },
    "download": {
        "bentoclient": download_bentoclient,
        "bentoml": download_bentoml,
        "http.client": download_http_client,
        "httpx": download_httpx,
    },
    "stream": {
        "bentoclient": stream_bentoclient,  # when bentoclient-stream provides it (REQUIRES)
        "bentoml": stream_bentoml,
        "http.client": stream_http_client,
        "httpx": stream_httpx,
    },
    "ready": {
        "bentoclient": ready_bentoclient,
        "bentoml": ready_bentoml,
    },
    # The "bentoclient" column is the sync client's map; "asyncio" is the server's ceiling.
    "map": {
        "bentoclient": map_bentoclient,
        "bentoclient-aio": map_bentoclient_aio,
        "bentoclient-loop": map_bentoclient_loop,
        "asyncio": map_ceiling,
    },
    "mapmem": {
        "bentoclient": mapmem_bentoclient,
        "bentoclient-aio": mapmem_bentoclient_aio,
    },
    "astream": {
        "bentoclient-aio": astream_bentoclient_aio,  # the default transport (httpx's pool)
        "bentoclient-fast": astream_bentoclient_fast,
        "httpx2": astream_httpx2,
        "asyncio": astream_asyncio,
    },
    # batched map: "bentoclient-unbatched" (one input per request) is the row's baseline
    "batchmap": {
        "bentoclient": batchmap_bentoclient,
        "bentoclient-aio": batchmap_bentoclient_aio,
        "bentoclient-unbatched": batchmap_unbatched,
    },
    # concurrency="auto": "bentoclient-fixed" (the best of several fixed values) is the baseline
    "automap": {
        "bentoclient": automap_bentoclient,
        "bentoclient-aio": automap_bentoclient_aio,
        "bentoclient-fixed": automap_fixed,
    },
}

#: What an implementation needs beyond its registry entry: a statement that must run in its
#: interpreter, else the implementation counts as not implemented yet (n/a).
REQUIRES: dict[tuple[str, str], str] = {
    ("async", "bentoclient"): "from bentoclient_async import AsyncHTTPClient",
    ("async256", "bentoclient"): "from bentoclient_async import AsyncHTTPClient",
    ("async", "bentoclient-fast"): "from bentoclient_async import AsyncioTransport",
    ("async256", "bentoclient-fast"): "from bentoclient_async import AsyncioTransport",
    ("async", "httpx2"): "import httpx2",
    ("async256", "httpx2"): "import httpx2",
    ("stream", "bentoclient"): "import bentoclient_stream; bentoclient_stream.sync_stream",
    ("map", "bentoclient-aio"): "from bentoclient_async import AsyncHTTPClient",
    ("astream", "bentoclient-aio"): "from bentoclient_async import AsyncHTTPClient; import bentoclient_stream",
    ("astream", "bentoclient-fast"): "from bentoclient_async import AsyncioTransport; import bentoclient_stream",
    ("astream", "httpx2"): "import httpx2",
    ("batchmap", "bentoclient-aio"): "from bentoclient_async import AsyncHTTPClient",
    ("automap", "bentoclient-aio"): "from bentoclient_async import AsyncHTTPClient",
}

#: 1. cold import: what each implementation's user writes first (run by :func:`import_probe`).
IMPORT_STATEMENTS: dict[str, Optional[str]] = {
    "bentoclient": "from bentoclient import SyncHTTPClient",
    "bentoclient-aio": "from bentoclient import AsyncHTTPClient",
    "bentoml": "from bentoml import SyncHTTPClient",
    "http.client": "import http.client, json",
    "httpx": "import httpx",
    "asyncio": "import asyncio, json",
}


def import_probe(statement: str) -> str:
    """Code for ``python -c``: times ``statement`` in a fresh interpreter and counts the modules it adds."""
    return (
        "import sys, time\n"
        "before = set(sys.modules)\n"
        "c0, t0 = time.process_time(), time.perf_counter()\n"
        f"{statement}\n"
        "wall, cpu = time.perf_counter() - t0, time.process_time() - c0\n"
        "added = len(set(sys.modules) - before)\n"
        "import json\n"
        f"print({MARK!r} + json.dumps({{'wall_ms': wall * 1e3, 'cpu_ms': cpu * 1e3, 'modules': added}}))\n"
    )


def main(argv: list[str]) -> int:
    scenario, impl, raw = argv
    fn = SCENARIOS[scenario][impl]
    if fn is None:
        raise SystemExit(f"{impl} has no {scenario} implementation")
    params: Params = json.loads(raw)
    outcome = fn(params)
    result = asyncio.run(outcome) if inspect.iscoroutine(outcome) else cast(Result, outcome)
    print(MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
