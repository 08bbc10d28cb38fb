"""Load and lifecycle of SyncHTTPClient against a real ``bentoml serve`` (examples/service.py: Demo).

- One client shared by 8 threads for ``LOAD_CALLS`` calls: every result matches its request,
  no errors, never more connections than ``max_connections``, bounded in time.
- A pickled client works; a forked child uses the inherited client without touching the
  parent's sockets; a ``multiprocessing`` (spawn) worker gets the client pickled.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import select
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any, Optional
from urllib.parse import urlsplit

import pytest
from pools import pool_of

from bentoclient import SyncHTTPClient

# Long: its own time limit above the suite's default (pyproject.toml).
pytestmark = pytest.mark.timeout(900)

#: Calls in the load test (10,000 by default; ~20 s on a 2-core machine).
LOAD_CALLS = int(os.environ.get("BENTOCLIENT_LOAD_CALLS", "10000"))
THREADS = 8
MAX_CONNECTIONS = 8
TIME_LIMIT = 120.0  # seconds: the load test fails beyond this
BITS = 14  # each request's rows spell its number in binary: 2**14 > 10,000 distinct requests


def rows_for(n: int) -> list[list[float]]:
    """Rows whose labels spell ``n`` in binary: ``[9.0]`` is labelled 1, ``[1.0]`` 0."""
    return [[9.0, 8.0] if n >> bit & 1 else [1.0, 2.0] for bit in range(BITS)]


def labels_for(n: int) -> list[int]:
    return [n >> bit & 1 for bit in range(BITS)]


# --- connections seen by the kernel ------------------------------------------------------------


def _socket_inodes() -> set[str]:
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def established_to(port: int) -> set[int]:
    """Local ports of this process's ESTABLISHED TCP connections to ``port`` (from /proc/net/tcp)."""
    mine = _socket_inodes()
    local_ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                lines = fh.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port and inode in mine:
                local_ports.add(int(local.rsplit(":", 1)[1], 16))
    return local_ports


class ConnectionWatch:
    """Samples the open connections to a port every few milliseconds while a test runs."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.most = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connection-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            ports = established_to(self.port)
            self.most = max(self.most, len(ports))
            self.seen |= ports

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


# --- load ----------------------------------------------------------------------------------------


def test_threads_share_one_client_under_load(demo_url: str) -> None:
    port = _port(demo_url)
    errors: list[BaseException] = []
    wrong: list[int] = []
    done = [0] * THREADS
    with SyncHTTPClient(demo_url, max_connections=MAX_CONNECTIONS, timeout=30) as client:

        def work(worker: int) -> None:
            try:
                for n in range(worker, LOAD_CALLS, THREADS):
                    if client.classify(rows_for(n)) != labels_for(n):
                        wrong.append(n)
                    done[worker] += 1
            except BaseException as err:  # collected and re-raised in the main thread
                errors.append(err)

        started = time.monotonic()
        with ConnectionWatch(port) as watch:
            threads = [threading.Thread(target=work, args=(w,), name=f"load-{w}") for w in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(max(0.0, started + TIME_LIMIT - time.monotonic()))
        elapsed = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), f"not done after {TIME_LIMIT} s: {sum(done)} calls"
        assert errors == []
        assert wrong == []
        assert sum(done) == LOAD_CALLS
        assert elapsed < TIME_LIMIT
        assert 1 <= watch.most <= MAX_CONNECTIONS
        assert pool_of(client).idle_connections <= MAX_CONNECTIONS
        # Kept alive: a handful of connections for the whole run, not one per call.
        assert len(watch.seen) <= 3 * MAX_CONNECTIONS, f"{len(watch.seen)} connections for {LOAD_CALLS} calls"
        print(f"\n{LOAD_CALLS} calls from {THREADS} threads in {elapsed:.1f} s ({LOAD_CALLS / elapsed:.0f}/s), "
              f"at most {watch.most} connections, {len(watch.seen)} in all")  # fmt: skip
    deadline = time.monotonic() + 5
    while established_to(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert established_to(port) == set()  # close() closed every pooled connection


# --- pickle, fork, multiprocessing ---------------------------------------------------------------


def test_pickled_client_works_on_its_own_connections(demo_url: str) -> None:
    with SyncHTTPClient(demo_url, token="tok") as client:
        assert client.classify(rows_for(5)) == labels_for(5)
        copy = pickle.loads(pickle.dumps(client))
        try:
            assert copy._transport is None  # no connection comes along; the copy makes its own on first use
            assert copy.classify(rows_for(6)) == labels_for(6)
            assert pool_of(copy) is not pool_of(client)
            assert pool_of(copy).idle_connections == 1
            assert copy.summarize("One. Two.") == "One."
        finally:
            copy.close()
        assert client.classify(rows_for(7)) == labels_for(7)  # closing the copy left the original open


def _read_all(fd: int, timeout: float) -> bytes:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the child sent nothing in time")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _local_ports(client: SyncHTTPClient) -> list[int]:
    ports = []
    for conn in pool_of(client)._idle:
        sock = conn.http.sock
        if sock is not None:
            ports.append(sock.getsockname()[1])
    return ports


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() exists on POSIX only")
def test_forked_child_uses_the_client_without_the_parents_sockets(demo_url: str) -> None:
    with SyncHTTPClient(demo_url, max_connections=4) as client:
        assert client.classify(rows_for(1)) == labels_for(1)
        parent_ports = _local_ports(client)
        assert len(parent_ports) == 1
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns when threads of other tests are still alive; the child only
            # uses the client (no lock another thread could hold) and is bounded by a timeout.
            warnings.filterwarnings("ignore", r".*multi-threaded.*fork\(\)", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 1
            try:
                os.close(read_fd)
                report: dict[str, Any] = {"results": [], "ports": []}
                for n in range(100, 120):
                    report["results"].append(client.classify(rows_for(n)) == labels_for(n))
                report["ports"] = _local_ports(client)
                os.write(write_fd, json.dumps(report).encode())
                code = 0
            except BaseException as err:
                os.write(write_fd, json.dumps({"error": repr(err)}).encode())
            finally:
                os._exit(code)
        os.close(write_fd)
        try:
            report = json.loads(_read_all(read_fd, 60))
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            os.close(read_fd)
            _, status = os.waitpid(pid, 0)
        assert "error" not in report, report.get("error")
        assert os.WIFEXITED(status)
        assert os.WEXITSTATUS(status) == 0
        assert report["results"] == [True] * 20
        assert report["ports"]
        assert not set(report["ports"]) & set(parent_ports)  # the child opened its own connection
        # The parent keeps working, on the very connection it had before the fork.
        assert client.classify(rows_for(2)) == labels_for(2)
        assert _local_ports(client) == parent_ports


def _spawned_worker(client: SyncHTTPClient, numbers: list[int], conn: Connection) -> None:
    try:
        conn.send([client.classify(rows_for(n)) == labels_for(n) for n in numbers])
    finally:
        client.close()
        conn.close()


def test_multiprocessing_spawn_gets_a_pickled_client(demo_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with SyncHTTPClient(demo_url) as client:
        assert client.classify(rows_for(3)) == labels_for(3)
        receiver, sender = context.Pipe(duplex=False)
        numbers = list(range(200, 230))
        process = context.Process(target=_spawned_worker, args=(client, numbers, sender))
        process.start()
        sender.close()
        results: Optional[list[bool]] = None
        try:
            if receiver.poll(90):
                results = receiver.recv()
        finally:
            receiver.close()
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join(5)
        assert process.exitcode == 0
        assert results == [True] * len(numbers)
        assert client.classify(rows_for(4)) == labels_for(4)


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    before = threading.active_count()
    yield
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
