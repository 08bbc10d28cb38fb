"""A real ``bentoml serve`` that a test stops and starts again on the same port, mid-run.

    with Restartable("service:Demo", cwd=EXAMPLES) as server:
        ...  # server.url; from another thread: server.restart() (or server.stop())

Used by the ``map()`` restart tests of both clients (``tests/integration/load*``): the
inputs, the expected results and the leak checks they share are here too.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Optional

from bentoserve import bentoml_executable, free_port, serve

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: Items in each restart test, and the done count at which the server is stopped.
ITEMS = int(os.environ.get("BENTOCLIENT_MAP_ITEMS", "10000"))
STOP_AT = ITEMS // 5
CONCURRENCY = 8
TIME_LIMIT = 90.0  # seconds for one map, restart included


def item(n: int) -> dict[str, str]:
    """Input ``n`` of the Demo service's ``summarize``: its result names ``n``."""
    return {"text": f"Item {n}. Tail."}


def expected(n: int) -> str:
    return f"Item {n}."


class Restartable:
    """One ``bentoml serve`` of ``target`` on a fixed loopback port, restartable from any thread."""

    def __init__(self, target: str = "service:Demo", *, cwd: Path = EXAMPLES) -> None:
        self.target = target
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._bentoml = bentoml_executable()
        self._running: Optional[contextlib.AbstractContextManager[str]] = None
        self._lock = threading.Lock()
        self.stopped_at: Optional[float] = None  # time.monotonic() of the last stop
        self.started_at: Optional[float] = None  # ... and of the last start (ready)
        self.restarts = 0

    def start(self) -> None:
        with self._lock:
            assert self._running is None, "already running"
            running = serve(self.target, cwd=self.cwd, bentoml=self._bentoml, port=self.port)
            url = running.__enter__()
            assert url == self.url
            self._running = running
            self.started_at = time.monotonic()

    def stop(self) -> None:
        with self._lock:
            running, self._running = self._running, None
            if running is not None:
                running.__exit__(None, None, None)
                self.stopped_at = time.monotonic()

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1

    def __enter__(self) -> Restartable:
        self.start()
        return self

    def __exit__(
        self, kind: Optional[type[BaseException]], value: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()


class RestartWhen:
    """A thread that restarts ``server`` once a ``map()`` progress callback reported ``at`` done."""

    def __init__(self, server: Restartable, at: int, *, start_again: bool = True) -> None:
        self.server = server
        self.at = at
        self.start_again = start_again
        self.reached = threading.Event()
        self.done_at_stop: Optional[int] = None
        self.done_at_start: Optional[int] = None
        self.error: Optional[BaseException] = None
        self._done = 0
        self._thread = threading.Thread(target=self._run, name="restart-server", daemon=True)
        self._thread.start()

    def progress(self, done: int, total: Optional[int]) -> None:
        """The ``progress=`` callback of the map under test."""
        self._done = done
        if done >= self.at:
            self.reached.set()

    def _run(self) -> None:
        try:
            if not self.reached.wait(TIME_LIMIT):
                return
            self.done_at_stop = self._done
            self.server.stop()
            if self.start_again:
                self.server.start()
                self.server.restarts += 1
                self.done_at_start = self._done
        except BaseException as err:  # reported by join()
            self.error = err

    def join(self, timeout: float = TIME_LIMIT) -> None:
        self.reached.set()  # a map that ended early must not leave the thread waiting
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the server restart did not finish"
        if self.error is not None:
            raise self.error


def open_fds() -> set[str]:
    """What this process's file descriptors point at (sockets, files)."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found.add(f"{name}:{os.readlink(f'/proc/self/fd/{name}')}")
    return found


def leaked_fds(before: set[str], *, settle: float = 5.0) -> set[str]:
    """Descriptors opened since ``before`` that are still open (waiting up to ``settle`` s)."""
    deadline = time.monotonic() + settle
    while True:
        extra = {fd for fd in open_fds() - before if "socket:" in fd or "/tmp" in fd}
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.1)


def check_results(results: list[Any], *, allow_errors: bool) -> tuple[int, int]:
    """Every result is the right one for its input (or, if allowed, a typed per-item error).

    Returns (results, errors).
    """
    from bentoclient import BentoClientError, MapError

    assert len(results) == ITEMS
    ok = errors = 0
    for n, result in enumerate(results):
        if isinstance(result, MapError):
            assert allow_errors, f"input {n} failed: {result.exception!r}"
            assert result.index == n
            assert result.input == item(n)
            assert isinstance(result.exception, BentoClientError), repr(result.exception)
            errors += 1
        else:
            assert result == expected(n), f"input {n}: {result!r}"
            ok += 1
    assert ok + errors == ITEMS
    return ok, errors
