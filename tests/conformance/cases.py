"""The response cases: bytes a server sends, each judged by h11 (see ``oracle.py``).

Grouped as the conformance suite reports them: the status line, fields, framing, interim
answers.  A case's verdict is never written here: it is h11's, computed in the test, except
for the deliberate differences in ``DEVIATIONS`` (also listed in ``docs/transport.md``).
"""

from __future__ import annotations

from typing import NamedTuple

OK = b"HTTP/1.1 200 OK\r\n"
CL0 = b"Content-Length: 0\r\n\r\n"


class Case(NamedTuple):
    id: str
    data: bytes
    method: str = "GET"


def _chunked(body: bytes) -> bytes:
    return OK + b"Transfer-Encoding: chunked\r\n\r\n" + body


CASES = [
    # --- the status line ---
    Case("status-plain", OK + b"Content-Length: 2\r\n\r\nhi"),
    Case("status-no-reason", b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nhi"),
    Case("status-empty-reason", b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nhi"),
    Case("status-reason-obs-text", b"HTTP/1.1 404 \xe9t\xe9 \t x\r\nContent-Length: 0\r\n\r\n"),
    Case("status-reason-nul", b"HTTP/1.1 200 O\x00K\r\nContent-Length: 0\r\n\r\n"),
    Case("status-http10-until-close", b"HTTP/1.0 200 OK\r\n\r\nuntil the close"),
    Case("status-lowercase-http", b"http/1.1 200 OK\r\n" + CL0),
    Case("status-two-spaces", b"HTTP/1.1  200 OK\r\n" + CL0),
    Case("status-tab", b"HTTP/1.1\t200 OK\r\n" + CL0),
    Case("status-two-digits", b"HTTP/1.1 20 OK\r\n" + CL0),
    Case("status-four-digits", b"HTTP/1.1 2000 OK\r\n" + CL0),
    Case("status-letters", b"HTTP/1.1 2x0 OK\r\n" + CL0),
    Case("status-below-100", b"HTTP/1.1 099 OK\r\n" + CL0),
    Case("status-999", b"HTTP/1.1 999 Odd\r\nContent-Length: 1\r\n\r\nx"),
    Case("status-version-no-minor", b"HTTP/1 200 OK\r\n" + CL0),
    Case("status-version-2.0", b"HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\nx"),
    Case("status-not-http", b"HELLO\r\n\r\n"),
    Case("status-blank-line-first", b"\r\n" + OK + CL0),
    Case("status-bare-lf-lines", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"),
    Case("status-closed-without-bytes", b""),
    Case("status-closed-in-status-line", b"HTTP/1.1 20"),
    Case("status-closed-in-head", OK + b"Content-Le"),
    Case("status-closed-before-blank-line", OK + b"Content-Length: 2\r\n"),
    # --- field lines ---
    Case("field-space-before-colon", OK + b"Content-Length : 2\r\n\r\nhi"),
    Case("field-tab-before-colon", OK + b"X-A\t: 1\r\n" + CL0),
    Case("field-space-in-name", OK + b"X A: 1\r\n" + CL0),
    Case("field-empty-name", OK + b": 1\r\n" + CL0),
    Case("field-no-colon", OK + b"Junk\r\n" + CL0),
    Case("field-whitespace-line-first", OK + b" \r\nX-A: 1\r\n" + CL0),
    Case("field-continuation-first", OK + b" X-A: 1\r\n" + CL0),
    Case("field-obs-fold", OK + b"X-A: a\r\n  b\r\n" + CL0),
    Case("field-bare-cr-in-value", OK + b"X-A: a\rb\r\n" + CL0),
    Case("field-nul-in-value", OK + b"X-A: a\x00b\r\n" + CL0),
    Case("field-form-feed-in-value", OK + b"X-A: a\x0cb\r\n" + CL0),
    Case("field-control-in-value", OK + b"X-A: a\x01\x7fb\r\n" + CL0),
    Case("field-obs-text-value", OK + b"X-A: caf\xe9\r\n" + CL0),
    Case("field-trailing-whitespace", OK + b"X-A: a b \t \r\n" + CL0),
    Case("field-empty-value", OK + b"X-A:\r\n" + CL0),
    Case("field-tchar-name", OK + b"X-!#$%&'*+.^_`|~: 1\r\n" + CL0),
    Case("field-repeated", OK + b"X-A: 1\r\nX-A: 2\r\n" + CL0),
    Case("field-bare-cr-line-end", OK + b"X-A: 1\r\r\n" + CL0),
    Case("field-head-over-16k", OK + b"X-A: " + b"a" * 100_000 + b"\r\n" + CL0),
    Case("field-101-fields", OK + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + CL0),
    # --- Content-Length ---
    Case("length-plus", OK + b"Content-Length: +5\r\n\r\nhello"),
    Case("length-underscore", OK + b"Content-Length: 1_0\r\n\r\nhellohello"),
    Case("length-negative", OK + b"Content-Length: -1\r\n\r\nhello"),
    Case("length-trailing-junk", OK + b"Content-Length: 5x\r\n\r\nhello"),
    Case("length-hex", OK + b"Content-Length: 0x5\r\n\r\nhello"),
    Case("length-empty", OK + b"Content-Length: \r\n\r\nhello"),
    Case("length-two-different", OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    Case("length-two-same", OK + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
    Case("length-list-same", OK + b"Content-Length: 5, 5\r\n\r\nhello"),
    Case("length-list-different", OK + b"Content-Length: 5, 6\r\n\r\nhello!"),
    Case("length-leading-zeros", OK + b"Content-Length: 005\r\n\r\nhello"),
    Case("length-21-digits", OK + b"Content-Length: " + b"1" * 21 + b"\r\n\r\nhello"),
    Case("length-body-cut-short", OK + b"Content-Length: 10\r\n\r\nhello"),
    Case("length-extra-bytes-after", OK + b"Content-Length: 2\r\n\r\nhiJUNK"),
    Case("length-zero", OK + CL0),
    # --- Transfer-Encoding and chunks ---
    Case("te-chunked", _chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")),
    Case("te-chunked-capitals", OK + b"Transfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    Case("te-gzip-chunked", OK + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    Case("te-chunked-chunked", OK + b"Transfer-Encoding: chunked, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    Case("te-identity", OK + b"Transfer-Encoding: identity\r\n\r\nhi"),
    Case(
        "te-unknown-with-length", OK + b"Transfer-Encoding: x-custom\r\nContent-Length: 14\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    ),
    Case("te-chunked-with-length", OK + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    Case("te-two-fields", OK + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    Case("chunk-size-0x", _chunked(b"0x5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-underscore", _chunked(b"5_0\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-plus", _chunked(b"+5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-upper-hex", _chunked(b"A\r\n0123456789\r\n0\r\n\r\n")),
    Case("chunk-size-trailing-blank", _chunked(b"5 \r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-21-digits", _chunked(b"0" * 20 + b"5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-bare-lf", _chunked(b"5\nhello\r\n0\r\n\r\n")),
    Case("chunk-extension", _chunked(b"5;name=value\r\nhello\r\n0;last\r\n\r\n")),
    Case("chunk-data-without-crlf", _chunked(b"5\r\nhelloXY0\r\n\r\n")),
    Case("chunk-data-too-long", _chunked(b"3\r\nabcdef\r\n0\r\n\r\n")),
    Case("chunk-trailer-fields", _chunked(b"2\r\nhi\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n")),
    Case("chunk-trailer-bad-name", _chunked(b"2\r\nhi\r\n0\r\nX Sum: 1\r\n\r\n")),
    Case("chunk-trailer-fold-first", _chunked(b"2\r\nhi\r\n0\r\n folded\r\n\r\n")),
    Case("chunk-no-last-chunk", _chunked(b"2\r\nhi\r\n")),
    Case("chunk-cut-in-data", _chunked(b"9\r\nhi")),
    Case("chunk-no-final-crlf", _chunked(b"2\r\nhi\r\n0\r\n")),
    # --- bodies the method or status rules out, bodies until the close ---
    Case("body-until-close-http11", OK + b"X-A: 1\r\n\r\nuntil the close"),
    Case("body-204-ignores-length", b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
    Case("body-304", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"),
    Case("body-head-ignores-length", OK + b"Content-Length: 5\r\n\r\n", "HEAD"),
    Case("body-head-ignores-chunked", OK + b"Transfer-Encoding: chunked\r\n\r\n", "HEAD"),
    Case("body-post-chunked", _chunked(b"2\r\nok\r\n0\r\n\r\n"), "POST"),
    # --- interim answers ---
    Case("interim-100", b"HTTP/1.1 100 Continue\r\n\r\n" + OK + b"Content-Length: 2\r\n\r\nhi"),
    Case("interim-103-fields", b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n" + OK + CL0),
    Case("interim-three", b"HTTP/1.1 100 Continue\r\n\r\n" * 3 + OK + CL0),
    Case("interim-bad-field", b"HTTP/1.1 100 Continue\r\nX A: 1\r\n\r\n" + OK + CL0),
    Case("interim-101", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"),
    Case("interim-40", b"HTTP/1.1 100 Continue\r\n\r\n" * 40 + OK + CL0),
]

#: Where we deliberately refuse what h11 accepts (docs/transport.md gives the reasons).
DEVIATIONS = {
    "field-101-fields": "more than 100 fields in one head",
    "interim-40": "more than 16 interim 1xx answers",
}

#: Where the default async transport (httpx's pool) keeps h11's verdict instead of ours, as
#: httpcore decides alone (docs/transport.md, "What the defaults do").
HTTPX_KEEPS_H11 = {
    "interim-40": "httpcore skips interim answers without counting them; Timeout(total=) bounds them",
    "after-bytes-beyond-the-body": "httpcore keeps bytes beyond a body for the next response, as h11 does",
}
