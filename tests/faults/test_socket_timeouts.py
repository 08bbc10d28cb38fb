"""The stdlib transport's read and write timeouts on each kind of socket.

A stall is ``ReadTimeout`` / ``WriteTimeout``, never a short answer, on TCP, Unix and TLS
sockets; the total deadline still ends a body that trickles in; the timeout a pooled
connection keeps (set only on a change) carries over correctly; and a signal handler that
returns does not restart a wait (why the transport keeps ``settimeout`` rather than the
kernel's SO_RCVTIMEO, whose waits a returning handler would start again from zero).
"""

from __future__ import annotations

import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import pytest
from faultserver import FaultServer, drip, headers_then_stall

from bentoclient import Timeout
from bentoclient import _transport as transport_module
from bentoclient.exceptions import ReadTimeout, WriteTimeout
from bentoclient.transport import HTTPTransport, Request

from .conftest import TLSFiles

pytestmark = pytest.mark.timeout(60)

#: How much later than its limit a timeout may fire on a loaded machine.
SLACK = 2.0


def _timeout(read: Optional[float] = 0.3, write: Optional[float] = 2.0) -> Timeout:
    return Timeout(connect=2, read=read, write=write, pool=2)


@contextmanager
def _stalling_server(listener: socket.socket, answer: bytes, *, read_request: bool = True) -> Iterator[threading.Event]:
    """Accept one connection on ``listener``; read the request head (unless not asked to), send
    ``answer``, then say nothing until the block ends.  Yields the event that ends the stall."""
    done = threading.Event()

    def serve() -> None:
        listener.settimeout(10)
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            if read_request:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    part = conn.recv(65536)
                    if not part:
                        return
                    data += part
                conn.sendall(answer)
            done.wait(20)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield done
    finally:
        done.set()
        thread.join(30)
        listener.close()


_STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"


def _read_items(response: transport_module.Response, got: list[bytes]) -> None:
    for chunk in response.iter_bytes():
        got.append(chunk)


def test_stream_stall_on_tcp_is_read_timeout_not_a_short_answer() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with _stalling_server(listener, _STREAM_HEAD + b"1\r\na\r\n1\r\nb\r\n"):
        transport = HTTPTransport(f"http://127.0.0.1:{port}")
        try:
            response = transport.send(Request("POST", "/stream", content=b"{}"), _timeout(read=0.3))
            got: list[bytes] = []
            started = time.monotonic()
            with pytest.raises(ReadTimeout, match="sent no data in the middle of the body") as info:
                _read_items(response, got)
            assert time.monotonic() - started < 0.3 + SLACK
            assert b"".join(got) == b"ab"  # what came before the stall, then the error
            assert isinstance(info.value.__cause__, socket.timeout)
            assert transport.idle_connections == 0  # a connection cut off mid-body is not reused
        finally:
            transport.close()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets on this system")
def test_head_stall_on_a_unix_socket_is_read_timeout(tmp_path: Path) -> None:
    path = str(tmp_path / "svc.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    with _stalling_server(listener, b""):
        transport = HTTPTransport(f"file://{path}")
        try:
            started = time.monotonic()
            with pytest.raises(ReadTimeout, match="sent no data in response") as info:
                transport.send(Request("GET", "/info"), _timeout(read=0.3))
            assert time.monotonic() - started < 0.3 + SLACK
            assert isinstance(info.value.__cause__, socket.timeout)
        finally:
            transport.close()


def test_a_request_body_nobody_reads_is_write_timeout() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port = listener.getsockname()[1]
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"x" * (1 << 20)
        for _ in range(512):  # far more than the socket buffers hold: the writes must stall
            sent += len(chunk)
            yield chunk

    with _stalling_server(listener, b"", read_request=False):
        transport = HTTPTransport(f"http://127.0.0.1:{port}")
        try:
            started = time.monotonic()
            with pytest.raises(WriteTimeout, match=r"stalled for longer than 0\.3 s") as info:
                transport.send(Request("POST", "/upload", content=body()), _timeout(write=0.3))
            assert time.monotonic() - started < 0.3 + SLACK
            assert sent < 512 << 20
            assert isinstance(info.value.__cause__, socket.timeout)
        finally:
            transport.close()


def _send_and_read(transport: HTTPTransport, timeout: Timeout, deadline: Optional[float] = None) -> bytes:
    response = transport.send(Request("GET", "/info"), timeout, deadline)
    return response.read()


def test_a_trickle_past_the_total_deadline_is_read_timeout(server: FaultServer) -> None:
    # Every byte comes well within the read timeout; the deadline still ends the body.
    server.script("/info", drip(b"[" + b"0, " * 30 + b"1]", 0.05, chunked=True))
    transport = HTTPTransport(server.url)
    try:
        started = time.monotonic()
        with pytest.raises(ReadTimeout, match="total timeout ran out"):
            _send_and_read(transport, _timeout(read=1.0), time.monotonic() + 0.5)
        assert time.monotonic() - started < 0.5 + SLACK
    finally:
        transport.close()


def test_a_plain_connection_is_reused_with_its_timeouts(server: FaultServer) -> None:
    # The timeouts set on a pooled connection carry over to its next request (set only on a
    # change): a later request with a shorter read timeout must still time out on time.
    server.script("/info", drip(b"[1]", 0.01), headers_then_stall())
    transport = HTTPTransport(server.url)
    try:
        assert _send_and_read(transport, _timeout(read=5.0)) == b"[1]"
        assert transport.idle_connections == 1
        started = time.monotonic()
        with pytest.raises(ReadTimeout) as info:
            _send_and_read(transport, _timeout(read=0.3))
        assert time.monotonic() - started < 0.3 + SLACK
        assert isinstance(info.value.__cause__, socket.timeout)
    finally:
        transport.close()


def test_tls_keeps_the_socket_timeout(tls_server: FaultServer, tls_files: TLSFiles) -> None:
    tls_server.script("/info", headers_then_stall())
    transport = HTTPTransport(tls_server.url, verify=tls_files.ca)
    try:
        started = time.monotonic()
        with pytest.raises(ReadTimeout, match="in the middle of the body") as info:
            _send_and_read(transport, _timeout(read=0.3))
        assert time.monotonic() - started < 0.3 + SLACK
        assert isinstance(info.value.__cause__, (socket.timeout, ssl.SSLError))
    finally:
        transport.close()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers on this system")
def test_a_returning_signal_handler_does_not_restart_the_wait() -> None:
    # A handler that runs every 0.1 s and returns: CPython retries the interrupted recv, and a
    # socket timeout keeps its end; a kernel SO_RCVTIMEO would start again each time (a hang).
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    ticks = 0

    def tick(signum: int, frame: object) -> None:
        nonlocal ticks
        ticks += 1

    previous = signal.signal(signal.SIGALRM, tick)
    with _stalling_server(listener, _STREAM_HEAD + b"1\r\na\r\n"):
        transport = HTTPTransport(f"http://127.0.0.1:{port}")
        try:
            response = transport.send(Request("POST", "/stream", content=b"{}"), _timeout(read=1.0))
            signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
            started = time.monotonic()
            with pytest.raises(ReadTimeout, match="in the middle of the body"):
                _read_items(response, [])
            assert time.monotonic() - started < 1.0 + SLACK
            assert ticks >= 3  # the handler did interrupt the wait, more than once
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, previous)
            transport.close()
