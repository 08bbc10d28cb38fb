"""The sans-IO HTTP/1.1 rules of ``bentoclient._http11``: what h11 cannot judge for us.

The verdicts themselves are compared with h11 in ``tests/conformance``; here: our limits,
the split between "the response is invalid" and "the body was cut short", what a
connection may be reused after, bodies handed out in pieces, and the request-side rules.
"""

from __future__ import annotations

from typing import Optional

import pytest

from bentoclient._http11 import (
    MAX_HEAD_SIZE,
    MAX_HEADERS,
    MAX_INTERIM,
    BodyIncomplete,
    HeadError,
    HeadFields,
    ResponseParser,
    body_length,
    check_request,
    parse_status_line,
    request_framing,
)
from bentoclient.exceptions import ConfigurationError
from bentoclient.transport import Request

OK = b"HTTP/1.1 200 OK\r\n"


def read_all(parser: ResponseParser, data: bytes, *, eof: bool = True, limit: int = 1 << 62) -> list[bytes]:
    parser.feed(data)
    if eof:
        parser.feed(b"")
    assert parser.head() is not None
    pieces: list[bytes] = []
    while True:
        piece: Optional[bytes] = parser.body(limit)
        if piece is None or piece == b"":
            return pieces
        pieces.append(piece)


def test_a_head_arriving_byte_by_byte_is_the_same_head() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\n" + OK + b"X-A: 1\r\nContent-Length: 3\r\n\r\nabc"
    parser = ResponseParser("GET")
    head = None
    fed = 0
    while head is None:
        parser.feed(data[fed : fed + 1])
        fed += 1
        head = parser.head()
    assert data[fed:] == b"abc"
    assert (head.status, head.headers["x-a"], parser.interim) == (200, "1", 1)


def test_body_pieces_respect_the_limit() -> None:
    parser = ResponseParser("GET")
    assert read_all(parser, OK + b"Content-Length: 10\r\n\r\n0123456789", eof=False, limit=4) == [
        b"0123",
        b"4567",
        b"89",
    ]
    assert parser.complete
    assert parser.reusable


def test_more_body_bytes_are_needed_before_the_end() -> None:
    parser = ResponseParser("GET")
    parser.feed(OK + b"Content-Length: 4\r\n\r\nab")
    assert parser.head() is not None
    assert parser.body() == b"ab"
    assert parser.body() is None
    parser.feed(b"cd")
    assert parser.body() == b"cd"
    assert parser.body() == b""


@pytest.mark.parametrize(
    "data",
    [
        OK + b"Content-Length: 10\r\n\r\nabc",
        OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nab",
        OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
        OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r",
        OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n",
    ],
    ids=["length", "in-chunk", "before-last-chunk", "in-chunk-end", "in-trailer"],
)
def test_a_body_cut_short_is_body_incomplete(data: bytes) -> None:
    with pytest.raises(BodyIncomplete):
        read_all(ResponseParser("GET"), data)


@pytest.mark.parametrize("data", [b"", b"HTTP/1.1 2", OK + b"X-A"], ids=["nothing", "status", "field"])
def test_a_head_cut_short_is_a_head_error_not_a_response(data: bytes) -> None:
    parser = ResponseParser("GET")
    parser.feed(data)
    parser.feed(b"")
    with pytest.raises(HeadError) as info:
        parser.head()
    assert not isinstance(info.value, BodyIncomplete)
    assert parser.received == bool(data)


def test_interim_answers_are_bounded() -> None:
    interim = b"HTTP/1.1 103 Early Hints\r\n\r\n"
    parser = ResponseParser("GET")
    parser.feed(interim * MAX_INTERIM + OK + b"Content-Length: 0\r\n\r\n")
    assert parser.head() is not None
    parser = ResponseParser("GET")
    parser.feed(interim * (MAX_INTERIM + 1))
    with pytest.raises(HeadError, match="interim"):
        parser.head()


def test_fields_are_bounded() -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADERS - 1)) + b"Content-Length: 0\r\n"
    parser = ResponseParser("GET")
    parser.feed(OK + fields + b"\r\n")
    assert parser.head() is not None
    parser = ResponseParser("GET")
    parser.feed(OK + b"X-Z: 1\r\n" + fields + b"\r\n")
    with pytest.raises(HeadError, match="fields"):
        parser.head()


@pytest.mark.parametrize("size", [MAX_HEAD_SIZE - 64, MAX_HEAD_SIZE + 1])
def test_the_head_size_is_counted_whatever_the_reads(size: int) -> None:
    filler = size - len(OK) - len(b"X-A: \r\nContent-Length: 0\r\n\r\n")
    data = OK + b"X-A: " + b"a" * filler + b"\r\nContent-Length: 0\r\n\r\n"
    assert len(data) == size
    parser = ResponseParser("GET")
    parser.feed(data)
    if size <= MAX_HEAD_SIZE:
        assert parser.head() is not None
    else:
        with pytest.raises(HeadError, match="KiB"):
            parser.head()


def test_an_endless_head_is_refused_before_the_end() -> None:
    parser = ResponseParser("GET")
    parser.feed(OK)
    for _ in range(MAX_HEAD_SIZE // 8):
        parser.feed(b"X-A: 1\r\n")
        if len(OK) + 8 * (_ + 1) > MAX_HEAD_SIZE:
            with pytest.raises(HeadError):
                parser.head()
            return
        assert parser.head() is None
    raise AssertionError("never refused")


@pytest.mark.parametrize(
    ("data", "reusable"),
    [
        (OK + b"Content-Length: 1\r\n\r\na", True),
        (OK + b"Connection: keep-alive, Close\r\nContent-Length: 1\r\n\r\na", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na", False),
        (OK + b"Content-Length: 1\r\n\r\naJUNK", False),
        (OK + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", True),
        (b"HTTP/1.1 204 No Content\r\n\r\n", True),
    ],
    ids=["kept", "connection-close", "http10", "bytes-beyond", "chunked", "204"],
)
def test_reuse_only_after_a_clean_end(data: bytes, reusable: bool) -> None:
    parser = ResponseParser("GET")
    read_all(parser, data, eof=False)
    assert parser.complete
    assert parser.reusable is reusable


def test_an_unread_body_is_not_reusable() -> None:
    parser = ResponseParser("GET")
    parser.feed(OK + b"Content-Length: 2\r\n\r\na")
    assert parser.head() is not None
    assert not parser.reusable


def test_101_is_refused() -> None:
    parser = ResponseParser("GET")
    parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
    with pytest.raises(HeadError, match="101"):
        parser.head()


def test_line_at_a_time_helpers_apply_the_same_rules() -> None:
    assert parse_status_line(b"HTTP/1.1 404 Not Found\r\n") == (11, 404, "Not Found")
    assert parse_status_line(b"HTTP/1.0 200\n") == (10, 200, "")
    with pytest.raises(HeadError):
        parse_status_line(b"HTTP/1.1  200 OK\r\n")
    fields = HeadFields()
    for line in (b"X-A: 1\r\n", b" 2\r\n", b"Content-Length: 5, 5\r\n", b"\r\n"):
        fields.add(line)
    headers = fields.headers()
    assert headers["x-a"] == "1 2"
    assert body_length(headers, 200, "GET") == (False, 5)
    bad = HeadFields()
    bad.add(b"Content-Length : 5\r\n")
    with pytest.raises(HeadError):
        bad.headers()


# --- the request side -----------------------------------------------------------------------


def test_check_request_returns_the_fields_to_send() -> None:
    request = Request("POST", "/x?a=1", (("X-A", " padded\t"), ("Accept", "*/*")), b"{}")
    assert check_request(request) == (("X-A", "padded"), ("Accept", "*/*"))


@pytest.mark.parametrize(
    "request_",
    [
        Request("GET", "/x", (("X-A", "a\r\nb"),)),
        Request("GET", "/x", (("X-A", "\x00"),)),
        Request("GET", "/x", (("X A", "1"),)),
        Request("GET", "/x", (("X-A", "caf\u00e9"),)),
        Request("GET", "/x y"),
        Request("GET", "x"),
        Request("G ET", "/x"),
    ],
)
def test_check_request_refuses_what_would_not_arrive_as_written(request_: Request) -> None:
    with pytest.raises(ConfigurationError):
        check_request(request_)


def test_one_body_rule_for_every_method() -> None:
    assert request_framing(Request("GET", "/x")) is None
    assert request_framing(Request("HEAD", "/x")) is None
    assert request_framing(Request("POST", "/x")) == ("Content-Length", "0")
    assert request_framing(Request("GET", "/x", content=b"ab")) == ("Content-Length", "2")
    for method in ("GET", "HEAD", "POST"):
        assert request_framing(Request(method, "/x", content=iter([b"a"]))) == ("Transfer-Encoding", "chunked")


def test_many_small_chunks_in_one_read() -> None:
    pieces = [b"%04d" % i for i in range(2000)]
    data = OK + b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(b"4\r\n%s\r\n" % p for p in pieces) + b"0\r\n\r\n"
    parser = ResponseParser("GET")
    assert read_all(parser, data, eof=False) == pieces
    assert parser.reusable
