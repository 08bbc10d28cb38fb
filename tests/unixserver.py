"""A small HTTP server on a Unix socket file, standing in for a BentoML service (stdlib only).

``bentoml serve`` listens on TCP only; BentoML uses Unix sockets between the services of
one deployment, which is what the ``file:///path.sock`` URL form is for.
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = {
    "name": "Sock",
    "type": "service",
    "routes": [
        {
            "name": "echo",
            "route": "/echo",
            "batchable": False,
            "is_task": False,
            "input": {"properties": {"text": {"type": "string"}}, "required": ["text"], "type": "object"},
            "output": {"type": "object"},
        }
    ],
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(json.dumps(SCHEMA).encode() if self.path == "/schema.json" else b"\n")

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._reply(json.dumps({"text": data["text"], "host": self.headers["Host"]}).encode())

    def address_string(self) -> str:  # a Unix socket peer has no host/port pair
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@contextmanager
def unix_service(path: Path) -> Iterator[Path]:
    """Serve ``/schema.json``, ``/readyz`` and ``POST /echo`` on the socket file ``path``."""
    server = _UnixServer(str(path), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
