"""The stdlib transport's read and write timeouts on each kind of socket.

On Linux a plain TCP or Unix socket stays blocking and waits with the kernel's SO_RCVTIMEO /
SO_SNDTIMEO (an expired wait is EAGAIN); TLS sockets and other systems use ``settimeout``.
Either way a stall is ``ReadTimeout`` / ``WriteTimeout``, never a short answer, and the
total deadline still ends a body that trickles in.
"""

from __future__ import annotations

import socket
import ssl
import struct
import sys
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
LINUX = sys.platform.startswith("linux") and transport_module._KERNEL_TIMEOUTS
#: What a stall raises underneath, by where the timeout lives.
KERNEL_CAUSE = BlockingIOError if LINUX else socket.timeout


@pytest.fixture(params=["kernel", "settimeout"])
def stall_cause(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type[OSError]:
    """Each test twice: with the kernel's timeouts where this system has them, and with
    ``settimeout`` (as on other systems); the exception a stall raises underneath."""
    if request.param == "settimeout":
        monkeypatch.setattr(transport_module, "_KERNEL_TIMEOUTS", False)
        return socket.timeout
    return KERNEL_CAUSE


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


def test_stream_stall_on_tcp_is_read_timeout_not_a_short_answer(stall_cause: type[OSError]) -> None:
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
            assert isinstance(info.value.__cause__, stall_cause)
            assert transport.idle_connections == 0  # a connection cut off mid-body is not reused
        finally:
            transport.close()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets on this system")
def test_head_stall_on_a_unix_socket_is_read_timeout(tmp_path: Path, stall_cause: type[OSError]) -> None:
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
            assert isinstance(info.value.__cause__, stall_cause)
        finally:
            transport.close()


def test_a_request_body_nobody_reads_is_write_timeout(stall_cause: type[OSError]) -> None:
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
            assert isinstance(info.value.__cause__, stall_cause)
        finally:
            transport.close()


def _send_and_read(transport: HTTPTransport, timeout: Timeout, deadline: Optional[float] = None) -> bytes:
    response = transport.send(Request("GET", "/info"), timeout, deadline)
    return response.read()


def test_a_trickle_past_the_total_deadline_is_read_timeout(server: FaultServer, stall_cause: type[OSError]) -> None:
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


def test_a_plain_connection_is_reused_with_its_timeouts(server: FaultServer, stall_cause: type[OSError]) -> None:
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
        assert isinstance(info.value.__cause__, stall_cause)
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
        assert not isinstance(info.value.__cause__, BlockingIOError)
    finally:
        transport.close()


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, (0, 0)),  # zero: no limit
        (2.5, (2, 500_000)),
        (30.0, (30, 0)),
        (1e-9, (0, 1)),  # a deadline nearly spent is a microsecond, never "no limit"
        (1e18, (1 << 30, 0)),  # capped, not an overflow
    ],
)
def test_kernel_timeval(seconds: Optional[float], expected: tuple[int, int]) -> None:
    assert struct.unpack("@ll", transport_module._timeval(seconds)) == expected
