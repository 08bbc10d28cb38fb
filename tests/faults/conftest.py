"""Fixtures for the fault tests: fault servers, clients that are always closed, TLS files,
and a leak check after every test (descriptors, threads, temporary files, pooled connections).
"""

from __future__ import annotations

import gc
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faultserver import HOST, OTHER_HOST, FaultServer  # noqa: E402
from pools import pool_of  # noqa: E402

from bentoclient import Backoff, Retry, SyncHTTPClient, Timeout  # noqa: E402

if TYPE_CHECKING:
    from .support import SyncClients

#: Retries as by default, with back-off in milliseconds so the tests stay quick.
FAST_RETRY = Retry(backoff=Backoff(initial=0.01, factor=2.0, maximum=0.05, jitter=0.0))
#: Short limits: every fault below ends within seconds.
QUICK = Timeout(connect=2, read=2, write=2, pool=2)

ClientFactory = Callable[..., SyncHTTPClient]


# --- leak checks --------------------------------------------------------------------------

_FD_DIR = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"


def open_fds() -> dict[int, str]:
    """This process's open file descriptors and what they point at."""
    fds: dict[int, str] = {}
    for name in os.listdir(_FD_DIR):
        try:
            fds[int(name)] = os.readlink(os.path.join(_FD_DIR, name))
        except OSError:  # the descriptor listdir() itself used, closed by now
            pass
    return fds


def bentoclient_temp_entries() -> set[str]:
    """Temporary download folders of bentoclient (``bentoclient-*``) in the temp dir."""
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("bentoclient-")}


class Snapshot(NamedTuple):
    fds: dict[int, str]
    threads: int
    temp: set[str]


def snapshot() -> Snapshot:
    return Snapshot(open_fds(), threading.active_count(), bentoclient_temp_entries())


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A temp dir of this test's own (other processes on the machine make ``bentoclient-*`` too)."""
    tmp_path_factory.getbasetemp()  # fixed before tempfile.tempdir changes
    folder = tempfile.mkdtemp(prefix="faults-")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield folder
    monkeypatch.undo()
    shutil.rmtree(folder, ignore_errors=True)


def assert_nothing_leaked(before: Snapshot, *, grace: float = 2.0) -> None:
    """Descriptors, threads and temp folders are back to ``before`` (waiting up to ``grace`` s)."""
    deadline = time.monotonic() + grace
    while True:
        now = snapshot()
        new_fds = {fd: target for fd, target in now.fds.items() if before.fds.get(fd) != target}
        extra_threads = now.threads - before.threads
        new_temp = now.temp - before.temp
        if not (new_fds or extra_threads > 0 or new_temp):
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    problems = []
    if new_fds:
        problems.append(f"file descriptors left open: {new_fds}")
    if extra_threads > 0:
        names = sorted(t.name for t in threading.enumerate())
        problems.append(f"{extra_threads} thread(s) more than before: {names}")
    if new_temp:
        problems.append(f"temporary folders left behind: {sorted(new_temp)}")
    pytest.fail("; ".join(problems))


def assert_nothing_unclosed() -> None:
    """Nothing unclosed is left to the garbage collector.

    A socket or transport that only the collector closes warns with ``ResourceWarning``;
    collecting here, with every warning recorded, pins such a leak on the test that made it.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    if unclosed:
        pytest.fail(f"ResourceWarning (closed only by the garbage collector): {unclosed}")


def assert_pool_clean(client: SyncHTTPClient) -> None:
    """A closed client holds no pooled connection and every connection slot was given back."""
    transport = pool_of(client)
    assert transport.idle_connections == 0, "pooled connections left after close()"
    free = transport._slots._value
    assert free == transport.max_connections, (
        f"{transport.max_connections - free} connection(s) never released (a response left open)"
    )


@pytest.fixture(autouse=True)
def no_leaks(private_tempdir: str) -> Iterator[None]:
    """After every test (and after its servers stopped): nothing of the test is left open."""
    before = snapshot()
    yield
    assert_nothing_unclosed()  # objects dropped in cycles (tracebacks) are collected now, in this test
    assert_nothing_leaked(before)


# --- servers and clients ------------------------------------------------------------------


def running(server: FaultServer) -> Iterator[FaultServer]:
    """Start ``server``, stop it after the test, and fail if one of its scripted behaviours failed."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"fault server behaviours failed: {server.errors}"


def serve_at(host: str = HOST, tls: Optional[ssl.SSLContext] = None) -> Iterator[FaultServer]:
    """A running fault server on ``host`` (for fixtures: ``yield from serve_at(...)``)."""
    yield from running(FaultServer(host, tls=tls))


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1, stopped at the end of the test."""
    yield from serve_at()


@pytest.fixture
def other_host() -> Iterator[FaultServer]:
    """A second fault server on another host (127.0.0.2): redirects must never reach it."""
    yield from serve_at(OTHER_HOST)


@pytest.fixture
def other_port() -> Iterator[FaultServer]:
    """A second fault server on 127.0.0.1 but another port."""
    yield from serve_at()


def _client_factory(default_url: str) -> Iterator[ClientFactory]:
    clients: list[SyncHTTPClient] = []

    def make(url: Optional[str] = None, **options: Any) -> SyncHTTPClient:
        options.setdefault("timeout", QUICK)
        options.setdefault("retry", FAST_RETRY)
        client = SyncHTTPClient(url or default_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for client in clients:
        assert_pool_clean(client)


@pytest.fixture
def make_client(server: FaultServer) -> Iterator[ClientFactory]:
    """Build clients for ``server`` (quick timeouts, fast retries); all closed and checked after."""
    yield from _client_factory(server.url)


def sync_clients(url: str) -> Iterator[SyncClients]:
    """The ``clients`` harness of the generated tests for ``url`` (for fixtures: ``yield from``)."""
    from .support import SyncClients  # support.py imports this module

    clients = SyncClients(url)
    yield clients
    for client in clients.made:  # clients.run() closed them; a test that never ran one is a bug
        assert client._closed, f"{client!r} was never closed: build clients inside clients.run()"


@pytest.fixture
def clients(server: FaultServer) -> Iterator[SyncClients]:
    """The generated tests' harness for ``server`` (tests/faults/support.py); one sync transport."""
    yield from sync_clients(server.url)


def serve_ipv6() -> Iterator[FaultServer]:
    """A fault server on the IPv6 loopback ``[::1]``; skips where the machine has none."""
    from bentoserve import has_ipv6_loopback

    if not has_ipv6_loopback():
        pytest.skip("this machine cannot listen on the IPv6 loopback ::1")
    yield from serve_at("::1")


@pytest.fixture
def ipv6_server() -> Iterator[FaultServer]:
    yield from serve_ipv6()


@pytest.fixture
def make_ipv6_client(ipv6_server: FaultServer) -> Iterator[ClientFactory]:
    yield from _client_factory(ipv6_server.url)


@pytest.fixture
def ipv6_clients(ipv6_server: FaultServer) -> Iterator[SyncClients]:
    yield from sync_clients(ipv6_server.url)


# --- TLS ----------------------------------------------------------------------------------


class TLSFiles(NamedTuple):
    ca: str  # the test CA's certificate (what verify= gets)
    cert: str  # the server's certificate, for 127.0.0.1, signed by the CA
    key: str


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS fault tests need the openssl command line tool to make a test CA; install openssl")
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_tls_files(folder: Path) -> TLSFiles:
    """A throwaway CA and a server certificate for IP 127.0.0.1 in ``folder``, made with openssl now."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=bentoclient test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        cwd=folder,
    )  # fmt: skip
    return TLSFiles(str(folder / "ca.pem"), str(folder / "server.pem"), str(folder / "server.key"))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tls_server(tls_files: TLSFiles) -> Iterator[FaultServer]:
    """A fault server speaking HTTPS with the test CA's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    yield from serve_at(tls=context)


@pytest.fixture
def make_tls_client(tls_server: FaultServer) -> Iterator[ClientFactory]:
    yield from _client_factory(tls_server.url)


@pytest.fixture
def tls_clients(tls_server: FaultServer) -> Iterator[SyncClients]:
    yield from sync_clients(tls_server.url)
