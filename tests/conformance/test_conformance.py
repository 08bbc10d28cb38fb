"""HTTP/1.1 conformance of every transport against a loopback server that sends scripted bytes.

Each response case's verdict is h11's (the reference parser of httpcore and httpx), computed
here from the same bytes: a transport must accept what h11 accepts (same status, fields and
body) and refuse what h11 refuses with an error of bentoclient's tree, never a short success
and never a wait for a timeout.  Then: timeouts in the middle of the head and the body, reuse
of a connection after odd answers, and requests a transport must refuse before sending a byte.
Every wait is bounded: the transports' own timeouts (at most 3 s here) and the scripted
server's stall limit (10 s), so no case can hang.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from bentoclient import Timeout
from bentoclient.exceptions import (
    BentoClientError,
    ConfigurationError,
    ConnectError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
)
from bentoclient.transport import Request

from .cases import CASES, DEVIATIONS, HTTPX_KEEPS_H11, OK, Case
from .drivers import DRIVERS, Got, Outcome, Step
from .oracle import h11_verdict
from .scripted import Reply, ScriptedServer

QUICK = Timeout(connect=2, read=3, write=2, pool=2)
#: Short read limits for the stall cases.
STALL = Timeout(connect=2, read=0.4, write=2, pool=2)
GET = Request("GET", "/x")


@pytest.fixture(params=sorted(DRIVERS))
def drive(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(driver: str, replies: Sequence[Reply], steps: Sequence[Step]) -> tuple[list[Outcome], ScriptedServer]:
    with ScriptedServer(*replies) as server:
        outcomes = DRIVERS[driver](server.url, steps)
    assert not server.errors
    return outcomes, server


def describe(outcome: Outcome) -> str:
    if isinstance(outcome, Got):
        return f"accepted {outcome.status} {outcome.body[:40]!r}"
    return f"{type(outcome).__name__}: {outcome}"


# --- responses judged by h11 ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_response_gets_the_verdict_h11_gives(drive: str, case: Case) -> None:
    expected = h11_verdict(case.data, case.method)
    if case.id in DEVIATIONS and not (drive == "HTTPXTransport" and case.id in HTTPX_KEEPS_H11):
        # listed: h11 accepts, we refuse
        assert expected.ok, f"{case.id} is listed as a deviation but h11 refuses it too"
        expected = expected._replace(ok=False)
    request = Request(case.method, "/x", content=b"{}" if case.method == "POST" else b"")
    started = time.monotonic()
    (outcome,), _ = run(drive, [Reply(case.data)], [Step(request, QUICK)])
    elapsed = time.monotonic() - started
    if expected.ok:
        assert isinstance(outcome, Got), f"h11 accepts {case.data[:80]!r}; {drive}: {describe(outcome)}"
        assert outcome.status == expected.status
        assert outcome.body == expected.body
        names = [name for name, _ in expected.fields]
        for name, value in expected.fields:
            if names.count(name) == 1 and name not in ("transfer-encoding", "content-length"):
                assert outcome.headers.get(name) == value, f"field {name}"
    else:
        assert isinstance(outcome, (RemoteProtocolError, ReadError)), (
            f"h11 refuses {case.data[:80]!r} ({expected.error}); {drive}: {describe(outcome)}"
        )
        assert QUICK.read is not None
        assert elapsed < QUICK.read, "refused only after waiting for the read timeout"


def test_a_head_over_16k_in_one_read_is_refused_though_h11_would_take_it(drive: str) -> None:
    """Listed in docs/transport.md: our head limit does not depend on how the bytes were split."""
    data = OK + b"X-A: " + b"a" * 18_000 + b"\r\n" + b"Content-Length: 0\r\n\r\n"
    assert h11_verdict(data, piece=len(data)).ok
    assert not h11_verdict(data).ok
    (outcome,), _ = run(drive, [Reply(data)], [Step(GET, QUICK)])
    assert isinstance(outcome, RemoteProtocolError), describe(outcome)


def test_kept_alive_two_different_lengths_are_refused_at_once(drive: str) -> None:
    data = OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
    started = time.monotonic()
    (outcome,), _ = run(drive, [Reply(data, after="stall")], [Step(GET, QUICK)])
    assert isinstance(outcome, RemoteProtocolError), describe(outcome)
    assert time.monotonic() - started < 2


def test_kept_alive_length_body_needs_no_close(drive: str) -> None:
    (outcome,), _ = run(drive, [Reply(OK + b"Content-Length: 2\r\n\r\nhi", after="stall")], [Step(GET, QUICK)])
    assert outcome == Got(200, {"content-length": "2"}, b"hi")


def test_kept_alive_chunked_body_needs_no_close(drive: str) -> None:
    data = _chunk_response(b"2\r\nhi\r\n0\r\n\r\n")
    (outcome,), _ = run(drive, [Reply(data, after="stall")], [Step(GET, QUICK)])
    assert isinstance(outcome, Got), describe(outcome)
    assert outcome.body == b"hi"


def _chunk_response(body: bytes) -> bytes:
    return OK + b"Transfer-Encoding: chunked\r\n\r\n" + body


# --- timeouts ---------------------------------------------------------------------------------

STALLS = {
    "before-any-byte": b"",
    "in-status-line": b"HTTP/1.1 2",
    "in-head": OK + b"Content-Type: text/plain\r\n",
    "in-length-body": OK + b"Content-Length: 10\r\n\r\nhel",
    "in-chunk": _chunk_response(b"5\r\nhe"),
    "in-chunk-size": _chunk_response(b"5\r\nhello\r\n"),
    "in-trailer": _chunk_response(b"0\r\nX-T: 1\r\n"),
}


@pytest.mark.parametrize("where", sorted(STALLS))
def test_a_stall_is_a_read_timeout(drive: str, where: str) -> None:
    started = time.monotonic()
    (outcome,), _ = run(drive, [Reply(STALLS[where], after="stall")], [Step(GET, STALL)])
    assert isinstance(outcome, ReadTimeout), describe(outcome)
    assert time.monotonic() - started < 3


DRIPS = {
    "head-lines": (OK, [b"X-Drip: 1\r\n"] * 100),
    "interim-answers": (b"", [b"HTTP/1.1 100 Continue\r\n\r\n"] * 15 + [b"HTTP/1.1 100 Continue\r\n"] * 85),
    "length-body": (OK + b"Content-Length: 1000\r\n\r\n", [b"x"] * 100),
    "chunks": (_chunk_response(b""), [b"1\r\nx\r\n"] * 100),
    "trailer-lines": (_chunk_response(b"0\r\n"), [b"X-T: 1\r\n"] * 100),
}


@pytest.mark.parametrize("what", sorted(DRIPS))
def test_the_total_deadline_ends_a_steady_trickle(drive: str, what: str) -> None:
    first, pieces = DRIPS[what]
    started = time.monotonic()
    replies = [Reply(first, after="stall", drip=pieces, interval=0.05)]
    (outcome,), _ = run(drive, replies, [Step(GET, QUICK, total=1.0)])
    assert isinstance(outcome, ReadTimeout), describe(outcome)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("total", [None, 5.0])
def test_a_trickle_slower_in_all_than_the_read_timeout_completes(drive: str, total: float | None) -> None:
    """The read timeout is the longest silence, not the whole body's time: pieces 0.1 s apart
    for 1 s in all, under a 0.4 s read timeout (with and without a total deadline), arrive whole."""
    pieces = [b"1\r\nx\r\n"] * 10 + [b"0\r\n\r\n"]
    reply = Reply(_chunk_response(b""), after="stall", drip=pieces, interval=0.1)
    (outcome,), _ = run(drive, [reply], [Step(GET, STALL, total=total)])
    assert isinstance(outcome, Got), describe(outcome)
    assert outcome.body == b"x" * 10


def test_endless_interim_answers_are_refused(drive: str) -> None:
    replies = [Reply(b"HTTP/1.1 100 Continue\r\n\r\n" * 200, after="stall")]
    (outcome,), _ = run(drive, replies, [Step(GET, QUICK)])
    if drive == "HTTPXTransport":  # HTTPX_KEEPS_H11["interim-40"]: uncounted, but never endless
        assert isinstance(outcome, ReadTimeout), describe(outcome)
    else:
        assert isinstance(outcome, RemoteProtocolError), describe(outcome)


# --- reuse after odd answers ------------------------------------------------------------------

GOOD = OK + b"Content-Length: 4\r\n\r\ngood"
REUSE = {
    # first answer, how the server goes on, whether the second request may share its connection
    "after-101": (Reply(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nxyz", after="keep"), False),
    "after-connection-close": (Reply(OK + b"Connection: close\r\nContent-Length: 1\r\n\r\na", after="keep"), False),
    "after-http10": (Reply(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na", after="keep"), False),
    "after-bytes-beyond-the-body": (
        Reply(OK + b"Content-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\n\r\n", after="keep"),
        False,
    ),
    "after-a-refused-answer": (Reply(OK + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", after="keep"), False),
    "after-head-with-length": (Reply(OK + b"Content-Length: 5\r\n\r\n", after="keep"), True),
    "after-204": (Reply(b"HTTP/1.1 204 No Content\r\n\r\n", after="keep"), True),
    "after-a-clean-answer": (Reply(OK + b"Content-Length: 1\r\n\r\na", after="keep"), True),
    "after-chunked-with-trailer": (Reply(_chunk_response(b"1\r\na\r\n0\r\nX-T: 1\r\n\r\n"), after="keep"), True),
}


@pytest.mark.parametrize("what", sorted(REUSE))
def test_the_next_request_after_an_odd_answer_is_correct(drive: str, what: str) -> None:
    first, may_share = REUSE[what]
    method = "HEAD" if what == "after-head-with-length" else "GET"
    steps = [Step(Request(method, "/first"), QUICK), Step(Request("GET", "/second"), QUICK)]
    outcomes, server = run(drive, [first, Reply(GOOD, after="keep")], steps)
    if drive == "HTTPXTransport" and what in HTTPX_KEEPS_H11:
        # h11's verdict, listed: the stray bytes are read as the start of the next answer.
        assert outcomes[1] != Got(200, {"content-length": "4"}, b"good"), describe(outcomes[1])
        return
    assert outcomes[1] == Got(200, {"content-length": "4"}, b"good"), describe(outcomes[1])
    second = [a for a in server.arrivals if a.head.startswith(b"GET /second ")]
    assert len(second) == 1
    if not may_share:
        assert second[0].connection != server.arrivals[0].connection
    elif drive == "HTTPTransport":  # the pool of the standard library transport keeps it
        assert second[0].connection == server.arrivals[0].connection


def test_a_body_left_unread_does_not_leak_into_the_next_answer(drive: str) -> None:
    first = Reply(OK + b"Content-Length: 10\r\n\r\n01234", drip=[b"56789"], interval=0.2, after="keep")
    steps = [Step(Request("GET", "/first"), QUICK, read=False), Step(Request("GET", "/second"), QUICK)]
    outcomes, server = run(drive, [first, Reply(GOOD, after="keep")], steps)
    assert outcomes[1] == Got(200, {"content-length": "4"}, b"good"), describe(outcomes[1])
    assert server.arrivals[1].connection != server.arrivals[0].connection


# --- the request side -------------------------------------------------------------------------

BAD_REQUESTS = {
    "crlf-in-value": Request("GET", "/x", (("X-A", "a\r\nX-Injected: 1"),)),
    "lf-in-value": Request("GET", "/x", (("X-A", "a\nb"),)),
    "cr-in-value": Request("GET", "/x", (("X-A", "a\rb"),)),
    "nul-in-value": Request("GET", "/x", (("X-A", "a\x00b"),)),
    "folded-value": Request("GET", "/x", (("X-A", "a\r\n b"),)),
    "non-ascii-value": Request("GET", "/x", (("X-A", "caf\u00e9"),)),
    "space-in-name": Request("GET", "/x", (("X A", "1"),)),
    "colon-in-name": Request("GET", "/x", (("X:A", "1"),)),
    "crlf-in-name": Request("GET", "/x", (("X\r\nA", "1"),)),
    "empty-name": Request("GET", "/x", (("", "1"),)),
    "space-in-target": Request("GET", "/x y"),
    "crlf-in-target": Request("GET", "/x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /y"),
    "relative-target": Request("GET", "x"),
    "non-ascii-target": Request("GET", "/caf\u00e9"),
    "space-in-method": Request("GET /y", "/x"),
    "empty-method": Request("", "/x"),
}


@pytest.mark.parametrize("what", sorted(BAD_REQUESTS))
def test_a_bad_request_head_is_refused_before_a_byte_is_sent(drive: str, what: str) -> None:
    (outcome,), server = run(drive, [], [Step(BAD_REQUESTS[what], QUICK)])
    assert isinstance(outcome, ConfigurationError), describe(outcome)
    assert all(not data for data in server.raw), f"bytes reached the server: {server.raw!r}"


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_a_streamed_body_of_unknown_length_is_sent_chunked(drive: str, method: str) -> None:
    request = Request(method, "/x", content=iter([b"ab", b"", b"cd"]))
    (outcome,), server = run(drive, [Reply(OK + CL0_OK)], [Step(request, QUICK)])
    assert isinstance(outcome, Got), describe(outcome)
    (arrival,) = server.arrivals
    assert b"\r\ntransfer-encoding: chunked" in arrival.head.lower()
    assert b"content-length" not in arrival.head.lower()
    assert arrival.body == b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"


CL0_OK = b"Content-Length: 0\r\n\r\n"


def test_an_empty_get_sends_no_framing(drive: str) -> None:
    (outcome,), server = run(drive, [Reply(OK + CL0_OK)], [Step(GET, QUICK)])
    assert isinstance(outcome, Got), describe(outcome)
    head = server.arrivals[0].head.lower()
    assert b"content-length" not in head
    assert b"transfer-encoding" not in head


def test_errors_keep_their_cause(drive: str) -> None:
    """A mapped error is raised ``from`` what the network layer raised (errno, TLS reason)."""
    (outcome,), _ = run(drive, [Reply(OK + b"Content-Length: 10\r\n\r\nabc", after="stall")], [Step(GET, STALL)])
    assert isinstance(outcome, ReadTimeout), describe(outcome)
    assert outcome.__cause__ is not None


def test_outcomes_are_from_our_tree_only(drive: str) -> None:
    """Sanity for the harness: a transport never lets a foreign exception out of a case."""
    (outcome,), _ = run(drive, [Reply(b"\x00\xff garbage")], [Step(GET, QUICK)])
    assert isinstance(outcome, BentoClientError)


def test_a_refused_connection_keeps_its_errno(drive: str) -> None:
    with ScriptedServer() as server:
        url = server.url
    # The server is gone: nothing listens on its port any more.
    (outcome,) = DRIVERS[drive](url, [Step(GET, QUICK)])
    assert isinstance(outcome, ConnectError), describe(outcome)
    assert outcome.request_sent is False
    cause = outcome.__cause__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__
    assert isinstance(cause, ConnectionRefusedError), f"cause: {outcome.__cause__!r}"
    assert cause.errno is not None
