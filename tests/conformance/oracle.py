"""The verdict on a response's bytes: from h11 (the oracle) and from bentoclient's own reader.

Both are fed the same bytes in the same pieces, then the end of the stream, and say either
"accepted, with this status, these fields and this body" or "refused".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Optional

import h11

from bentoclient._http11 import HeadError, ResponseParser

#: Bytes per piece: what one socket read might give.  Heads near the 16 KiB bound are kept out
#: of the cases, where the verdict would hang on how the bytes happened to be split.
PIECE = 1024


class Verdict(NamedTuple):
    ok: bool
    status: int = 0
    fields: tuple[tuple[str, str], ...] = ()  # lower-cased names, values as sent (latin-1)
    body: bytes = b""
    keep_alive: bool = False
    error: str = ""

    def same(self, other: Verdict) -> bool:
        """Same acceptance; when accepted, the same status, fields, body and connection fate."""
        if self.ok != other.ok:
            return False
        return not self.ok or self[:5] == other[:5]


def pieces(data: bytes, size: int = PIECE) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def h11_verdict(data: bytes, method: str = "GET", piece: int = PIECE) -> Verdict:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "127.0.0.1")]))
    conn.send(h11.EndOfMessage())
    response: Optional[h11.Response] = None
    body = bytearray()
    feed = [*pieces(data, piece), b""]
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(feed.pop(0))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.InformationalResponse):
                continue
            else:  # ConnectionClosed or PAUSED before the end of the message
                return Verdict(False, error=f"h11: {event!r}")
    except h11.RemoteProtocolError as exc:
        return Verdict(False, error=f"h11: {exc}")
    assert response is not None
    fields = tuple((name.decode("ascii"), value.decode("latin-1")) for name, value in response.headers)
    keep_alive = conn.their_state is h11.DONE and conn.our_state is h11.DONE
    return Verdict(True, response.status_code, fields, bytes(body), keep_alive)


def our_verdict(data: bytes, method: str = "GET") -> Verdict:
    parser = ResponseParser(method)
    feed = [*pieces(data), b""]
    body = bytearray()
    try:
        head = parser.head()
        while head is None:
            parser.feed(feed.pop(0))
            head = parser.head()
        while True:
            chunk = parser.body()
            if chunk is None:
                parser.feed(feed.pop(0))
            elif chunk:
                body += chunk
            else:
                break
    except HeadError as exc:
        return Verdict(False, error=f"ours: {exc}")
    fields: list[tuple[str, str]] = []
    for name, value in head.fields:  # as h11 gives them: one Content-Length, the coding lower-cased
        name = name.lower()
        if name == "content-length":
            if any(field[0] == name for field in fields):
                continue
            value = value.split(",")[0].strip(" \t")
        elif name == "transfer-encoding":
            value = value.lower()
        fields.append((name, value))
    return Verdict(True, head.status, tuple(fields), bytes(body), head.keep_alive)
