"""Streaming endpoints for the fault server of tests/faultserver.py, and behaviours that break streams.

``serve_streams(server)`` adds four streaming endpoints to a ``FaultServer``: its
``/schema.json`` default becomes :data:`STREAM_SCHEMA` (the four endpoints of ``SCHEMA`` and
these), and each stream path gets a well-behaved default that sends ``n`` items, one HTTP
chunk each, as BentoML does.  Tests then script the faults with :func:`stream` and
:func:`close_delimited`.  Shared with ``tests/faults_async_stream``; needs only the core
package and the standard library.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from faultserver import SCHEMA, STALL_LIMIT, Behaviour, Exchange, FaultServer, head  # noqa: E402

__all__ = [
    "ITEMS_WIRE",
    "NUMBERS",
    "NUMBERS_WIRE",
    "STREAM_SCHEMA",
    "TEXT",
    "close_delimited",
    "item",
    "item_bytes",
    "random_splits",
    "serve_streams",
    "split_every",
    "stream",
]

EVENT_STREAM = "text/event-stream"


def _route(name: str, output: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "route": f"/{name}",
        "batchable": False,
        "input": {
            "properties": {"n": {"default": 3, "title": "N", "type": "integer"}},
            "title": "Input",
            "type": "object",
        },
        "output": {**output, "is_stream": True, "media_type": EVENT_STREAM},
        "is_task": False,
    }


#: ``SCHEMA`` plus four streaming endpoints, shaped as BentoML 1.4 describes them.
STREAM_SCHEMA: dict[str, Any] = {
    **SCHEMA,
    "routes": [
        *SCHEMA["routes"],
        _route(
            "stream_items",
            {
                "properties": {
                    "name": {"title": "Name", "type": "string"},
                    "n": {"title": "N", "type": "integer"},
                    "text": {"title": "Text", "type": "string"},
                },
                "required": ["name", "n", "text"],
                "title": "Item",
                "type": "object",
            },
        ),
        _route("stream_text", {"type": "string"}),
        _route("stream_bytes", {"type": "string", "format": "binary"}),
        _route("stream_numbers", {"type": "number"}),
    ],
}

#: Text with characters of 1, 2, 3 and 4 bytes in UTF-8, so that splits fall inside them.
TEXT = "ascii \u00e9t\u00e9 \u20ac5 \U0001f600 \u2713\n"


def item(i: int) -> dict[str, Any]:
    """The ``i``-th item of ``stream_items``."""
    return {"name": f"item-{i}", "n": i, "text": TEXT.strip() + ' "quoted" \\ {braces} [brackets]'}


def item_bytes(i: int) -> bytes:
    """Item ``i`` as the server sends it: compact JSON, non-ASCII as UTF-8 (not escaped)."""
    return json.dumps(item(i), ensure_ascii=False).encode()


#: Three items back to back, no delimiter (what BentoML sends), for splitting tests.
ITEMS_WIRE = b"".join(item_bytes(i) for i in range(3))
#: Numbers a split can cut so that they look complete ("12" of "123", "1" of "1e3"), newline-separated.
NUMBERS = [123, 3.25, -7, 1e3, 0, 0.5, 42]
NUMBERS_WIRE = b"".join(json.dumps(x).encode() + b"\n" for x in NUMBERS)


# --- behaviours --------------------------------------------------------------------------------


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def stream(
    pieces: Sequence[bytes],
    *,
    gap: float = 0.0,
    end: str = "complete",
    status: int = 200,
    content_type: str = EVENT_STREAM,
) -> Behaviour:
    """A chunked response, one chunk per piece (``gap`` seconds apart), then ``end``:

    ``"complete"`` the last chunk (a correct end), ``"close"`` a normal close (FIN) without it,
    ``"reset"`` a TCP reset without it, ``"stall"`` silence (until the server stops).
    """
    if end not in ("complete", "close", "reset", "stall"):
        raise ValueError(f"unknown end {end!r}")

    def behave(ex: Exchange) -> None:
        ex.send(head(status, chunked=True, content_type=content_type))
        for i, piece in enumerate(pieces):
            if gap and i:
                ex.wait(gap)
            ex.send(_chunk(piece))
        if end == "complete":
            ex.send(b"0\r\n\r\n")
        elif end == "close":
            ex.close()
        elif end == "reset":
            ex.wait(0.05)  # let the client read what was sent before the reset arrives
            ex.reset()
        else:
            ex.wait(STALL_LIMIT)
            ex.close()

    return behave


def close_delimited(pieces: Sequence[bytes], *, content_type: str = EVENT_STREAM) -> Behaviour:
    """A body with neither length nor chunks, ended by closing the connection (HTTP/1.0 style)."""

    def behave(ex: Exchange) -> None:
        ex.send(head(200, content_type=content_type, close=True))
        for piece in pieces:
            ex.send(piece)
        ex.close()

    return behave


def _request_n(ex: Exchange) -> int:
    try:
        n = int(ex.request.json().get("n", 3))
    except (ValueError, AttributeError, TypeError):
        n = 3
    return max(0, min(n, 1000))


def _items(ex: Exchange) -> None:
    stream([item_bytes(i) for i in range(_request_n(ex))])(ex)


def _text(ex: Exchange) -> None:
    stream([f"{i}: {TEXT}".encode() for i in range(_request_n(ex))])(ex)


def _bytes(ex: Exchange) -> None:
    stream([bytes([i % 256]) * 4 for i in range(_request_n(ex))], content_type="application/octet-stream")(ex)


def _numbers(ex: Exchange) -> None:
    stream([json.dumps(x).encode() + b"\n" for x in NUMBERS[: _request_n(ex)]])(ex)


def _schema(ex: Exchange) -> None:
    ex.respond(200, json.dumps(STREAM_SCHEMA).encode())


def serve_streams(server: FaultServer) -> FaultServer:
    """Give ``server`` the streaming endpoints (schema and well-behaved defaults); returns it."""
    server.set_default("/schema.json", _schema)
    server.set_default("/stream_items", _items)
    server.set_default("/stream_text", _text)
    server.set_default("/stream_bytes", _bytes)
    server.set_default("/stream_numbers", _numbers)
    return server


# --- splitting -------------------------------------------------------------------------------


def split_every(data: bytes, size: int) -> list[bytes]:
    """``data`` in pieces of ``size`` bytes (the last one shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def random_splits(data: bytes, seed: int, pieces: int = 8) -> list[bytes]:
    """``data`` cut at up to ``pieces - 1`` random places (the same for the same seed)."""
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(pieces - 1, len(data) - 1)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
