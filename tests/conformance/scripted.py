"""A loopback server that answers each request with scripted bytes, and records what arrived.

Standard library only.  It listens on 127.0.0.1 (a free port), reads each request (head and
body, framed by ``Content-Length`` or chunked), and answers it with the next :class:`Reply` of
its script: bytes sent at once or dripped, then the connection closed, kept open for the next
request, or left stalled.  Every wait is bounded, and ``stop()`` ends every thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from typing import NamedTuple, Optional

HOST = "127.0.0.1"
#: The longest a stalled connection is held open (a transport's read timeout ends it first).
STALL_LIMIT = 10.0
#: The longest a connection waits for a request.
IDLE_LIMIT = 10.0


class Reply(NamedTuple):
    data: bytes
    after: str = "close"  # "close", "keep" (read the next request) or "stall"
    drip: Sequence[bytes] = ()  # sent one piece at a time after ``data``, every ``interval`` s
    interval: float = 0.0


class Arrival(NamedTuple):
    connection: int
    head: bytes
    body: bytes


class ScriptedServer:
    def __init__(self, *replies: Reply) -> None:
        self._script = list(replies)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        #: Every request that arrived, in order.
        self.arrivals: list[Arrival] = []
        #: Every byte that arrived, per connection (requests the server could not frame included).
        self.raw: list[bytearray] = []
        self.errors: list[str] = []
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"

    def __enter__(self) -> ScriptedServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(STALL_LIMIT + 5)
            assert not thread.is_alive(), "a scripted-server thread did not end"
        self._listener.close()

    @property
    def connections(self) -> int:
        return len(self.raw)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                index = len(self.raw)
                self.raw.append(bytearray())
                self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket, index: int) -> None:
        buf = b""
        try:
            sock.settimeout(0.2)
            while not self._stop.is_set():
                request, buf = self._read_request(sock, index, buf)
                if request is None:
                    return
                self.arrivals.append(request)
                with self._lock:
                    reply = self._script.pop(0) if self._script else Reply(b"HTTP/1.1 500 Unscripted\r\n\r\n")
                sock.sendall(reply.data)
                for piece in reply.drip:
                    if self._stop.wait(reply.interval):
                        return
                    sock.sendall(piece)
                if reply.after == "close":
                    sock.shutdown(socket.SHUT_WR)
                    self._drain(sock, index)
                    return
                if reply.after == "stall":
                    self._drain(sock, index, STALL_LIMIT)
                    return
        except OSError:
            return  # the client went away: that is its right
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            sock.close()

    def _drain(self, sock: socket.socket, index: int, limit: float = 2.0) -> None:
        """Wait for the client to close (recording anything it still sends), at most ``limit`` s."""
        end = time.monotonic() + limit
        while time.monotonic() < end and not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return
            self.raw[index] += data

    def _recv(self, sock: socket.socket, index: int, deadline: float) -> Optional[bytes]:
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            self.raw[index] += data
            return data
        return None

    def _read_request(self, sock: socket.socket, index: int, buf: bytes) -> tuple[Optional[Arrival], bytes]:
        deadline = time.monotonic() + IDLE_LIMIT
        while b"\r\n\r\n" not in buf:
            data = self._recv(sock, index, deadline)
            if not data:
                return None, b""
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            while b"0\r\n\r\n" not in rest:
                data = self._recv(sock, index, deadline)
                if not data:
                    return None, b""
                rest += data
            body, _, rest = rest.partition(b"0\r\n\r\n")
            return Arrival(index, head, body + b"0\r\n\r\n"), rest
        length = 0
        for line in lower.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(rest) < length:
            data = self._recv(sock, index, deadline)
            if not data:
                return None, b""
            rest += data
        return Arrival(index, head, rest[:length]), rest[length:]
