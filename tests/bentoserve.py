"""Run a real ``bentoml serve`` on a free loopback port, for the integration tests.

Standard library only, so it imports in any test environment: the server runs from
BentoML's own virtualenv, found through ``BENTOCLIENT_BENTOML`` (nox sets it).

    with serve("wire:Wire", cwd=SERVICES, bentoml=bentoml_executable()) as url:
        ...  # url == "http://127.0.0.1:<port>"

The server gets a process group of its own, a throwaway ``BENTOML_HOME`` and a log
file; whatever happens, leaving the ``with`` block kills the group and the workers.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

ENV_VAR = "BENTOCLIENT_BENTOML"
HOST = "127.0.0.1"
POLL_INTERVAL = 0.2  # seconds between readiness probes
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
LOG_TAIL = 4000  # characters of the server log quoted in errors
STARTUP_FAILED = "Application startup failed"  # uvicorn's line when the service cannot start

# No proxy, ever: the servers are on loopback, and *_proxy variables must not reroute us.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Reply(NamedTuple):
    """An HTTP response, error statuses included."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def fetch(
    url: str,
    data: bytes | None = None,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    """Send one request with urllib (no proxies) and return the reply, whatever its status.

    Header names in the reply are lowercased; a repeated header keeps its last value.
    """
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Reply(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, _lower(error.headers.items()), error.read())


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def bentoml_executable() -> str:
    """The ``bentoml`` executable to serve with, from ``$BENTOCLIENT_BENTOML``."""
    path = os.environ.get(ENV_VAR, "").strip()
    if not path:
        raise RuntimeError(
            f"{ENV_VAR} is not set: run the tests through nox, or set {ENV_VAR} to the full"
            " path of the bentoml executable in a virtualenv that has BentoML installed"
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"{ENV_VAR}={path!r} is not an executable file")
    return path


def bentoml_version(executable: str) -> str:
    """The BentoML version installed beside ``executable`` (read from its venv, not run)."""
    venv = Path(executable).resolve().parent.parent
    found = sorted(venv.glob("lib/python*/site-packages/bentoml-*.dist-info"))
    if not found:
        raise RuntimeError(f"no bentoml-*.dist-info in the virtualenv of {executable}")
    return found[-1].name[len("bentoml-") : -len(".dist-info")]


def server_line(executable: str) -> str:
    """The release line (``"1.2"``, ``"1.3"``, ``"1.4"``) of the BentoML beside ``executable``."""
    return ".".join(bentoml_version(executable).split(".")[:2])


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` (127.0.0.1, or ::1) that was free a moment ago."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def has_ipv6_loopback() -> bool:
    """Whether this machine can listen on ::1 (some containers have no IPv6 at all)."""
    if not socket.has_ipv6:
        return False
    try:
        free_port("::1")
    except OSError:
        return False
    return True


def server_env(home: Path) -> dict[str, str]:
    """The child's environment: ours minus any BENTOML_* settings, plus quiet defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENTOML_")}
    env.update(
        BENTOML_HOME=str(home),  # no models/bentos/config from the user's store
        # Tasks' results per server: BentoML 1.3 deletes this file whenever any service starts.
        BENTOML_RESULT_STORE=str(home / "task_result.db"),
        BENTOML_DO_NOT_TRACK="True",  # no usage tracking requests
        PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ in the source tree
        PYTHONUNBUFFERED="1",  # the log file is complete when we quote it
    )
    return env


@contextlib.contextmanager
def serve(
    target: str,
    *,
    cwd: Path,
    bentoml: str | None = None,
    port: int | None = None,
    timeout: float = 90.0,
    ready_path: str = "/readyz",
    host: str = HOST,
) -> Iterator[str]:
    """Serve ``target`` (e.g. ``"wire:Wire"``, relative to ``cwd``); yield its base URL.

    ``bentoml`` defaults to :func:`bentoml_executable`. The server counts as up when
    ``GET <url><ready_path>`` answers 200 (a ``path_prefix`` service needs e.g.
    ``ready_path="/v1/readyz"``); the yielded URL has no prefix. Raises
    ``RuntimeError`` with the end of the server log if the server exits or is not
    ready within ``timeout`` seconds.  ``host`` is a loopback address: 127.0.0.1 or ::1.
    """
    if host not in (HOST, "::1"):
        raise ValueError("test servers listen on loopback only")
    executable = bentoml or bentoml_executable()
    port = port or free_port(host)
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="bentoclient-serve-") as tmp:
        log_path = Path(tmp) / "server.log"
        home = Path(tmp) / "bentoml-home"
        home.mkdir()
        command = [executable, "serve", target, "--host", host, "--port", str(port)]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=server_env(home),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        workers: set[_Proc] = set()
        try:
            _wait_ready(process, url + ready_path, timeout, log_path)
            workers = _descendants(process.pid)
            yield url
        finally:
            _stop(process, workers)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"bentoml serve exited with {process.returncode}{_tail(log)}")
        if STARTUP_FAILED in log.read_text(encoding="utf-8", errors="replace"):
            # The worker died in startup; circus would keep restarting it until the timeout.
            raise RuntimeError(f"bentoml serve could not start the service{_tail(log)}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"bentoml serve not ready at {url} after {timeout} s{_tail(log)}")
        try:
            if fetch(url, timeout=min(2.0, remaining)).status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet, or accepted but not answered yet
        time.sleep(POLL_INTERVAL)


def _stop(process: subprocess.Popen[bytes], known: set[_Proc]) -> None:
    """SIGTERM the process group, SIGKILL it after a grace period, and reap the leader.

    BentoML's process manager (circus) starts each worker in a session of its own,
    out of reach of the group signal: the arbiter stops them on SIGTERM, and any
    worker ``known`` from an earlier look that is still running afterwards is killed.
    """
    known |= _descendants(process.pid)
    _killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        _killpg(process.pid, signal.SIGKILL)
        process.wait()
    _killpg(process.pid, signal.SIGKILL)  # stragglers that outlived the leader
    for proc in known:
        if _start_time(proc.pid) == proc.start:  # still running, and not a reused pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            _killpg(proc.pid, signal.SIGKILL)  # and its own group (a worker leads one)


class _Proc(NamedTuple):
    pid: int
    start: str  # start time in clock ticks since boot, to tell a reused pid apart


def _descendants(root: int) -> set[_Proc]:
    """All processes below ``root``, from ``/proc`` (empty where there is none)."""
    children: dict[int, list[_Proc]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields:
            children.setdefault(int(fields[1]), []).append(_Proc(int(stat.parent.name), fields[19]))
    found: set[_Proc] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child.pid)
    return found


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return fields[19] if fields else None


def _stat_fields(stat: Path) -> list[str]:
    """Fields 3.. of ``/proc/<pid>/stat`` (state, ppid, ..., starttime at index 19)."""
    try:
        return stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _tail(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace")
    return f"\n--- last {LOG_TAIL} characters of the server log ---\n{text[-LOG_TAIL:]}"
