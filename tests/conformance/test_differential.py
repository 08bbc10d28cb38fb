"""Hypothesis: generated response bytes give the same verdict from our reader and from h11.

Responses are built from the HTTP/1.1 grammar, then mutated where parsers tend to disagree:
odd whitespace, signs and separators in numbers, repeated and conflicting framing fields,
chunk framing variants, bytes that are not allowed where they stand, and truncation.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .oracle import h11_verdict, our_verdict

SETTINGS = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.1", b"HTTP/2.0", b"HTTP/1.10", b"http/1.1", b"HTTP/1"])
codes = st.one_of(
    st.sampled_from([b"200", b"204", b"304", b"404", b"500", b"100", b"101", b"103", b"199", b"099"]),
    st.integers(0, 999).map(lambda n: b"%03d" % n),
    st.sampled_from([b"20", b"2000", b"2x0", b" 200", b"+20"]),
)
reasons = st.sampled_from([b" OK", b"", b" ", b" Not Found", b" a\tb", b" \xe9t\xe9", b" a\x00b", b" a\rb", b"  x"])
names = st.one_of(
    st.sampled_from([b"Content-Type", b"X-A", b"Connection", b"Server", b"content-length", b"Transfer-Encoding"]),
    st.binary(min_size=0, max_size=6),
    st.text("abcXYZ-_!#~ \t:@", min_size=1, max_size=6).map(str.encode),
)
values = st.one_of(
    st.sampled_from([b"text/plain", b"close", b"keep-alive", b"chunked", b"a b", b"", b" x ", b"\tx", b"Close, x"]),
    st.sampled_from([b"a\x00b", b"a\x0bb", b"a\x0cb", b"\xa0", b"a\x85", b"\x1f\x7f", b"a\rb"]),
    st.binary(max_size=8).filter(lambda b: b"\n" not in b),
)
lengths = st.one_of(
    st.sampled_from([b"+5", b"1_0", b"-1", b"5x", b"0x5", b" 5", b"5 ", b"5, 5", b"5,6", b"5,", b"", b"1e1"]),
    st.integers(0, 40).map(lambda n: b"%d" % n),
    st.integers(0, 40).map(lambda n: b"%02d" % n),
)
encodings = st.sampled_from(
    [b"chunked", b"Chunked", b"gzip, chunked", b"chunked, chunked", b"identity", b"chunked ", b"x", b"", b"chunked;q=1"]
)
line_ends = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"\r\r\n", b" \r\n"])


def rarely(draw: st.DrawFn, good: st.SearchStrategy[bytes], odd: st.SearchStrategy[bytes]) -> bytes:
    """Mostly a well-formed piece, one time in ten a mutated one."""
    return draw(odd) if draw(st.integers(0, 9)) == 0 else draw(good)


@st.composite
def chunked_body(draw: st.DrawFn, data: bytes) -> bytes:
    out = b""
    rest = data
    while rest:
        size = draw(st.integers(1, max(1, len(rest))))
        part, rest = rest[:size], rest[size:]
        size_text = rarely(
            draw,
            st.sampled_from([b"%x" % size, b"%X" % size, b"0%x" % size]),
            st.sampled_from([b"0x%x" % size, b"%x_0" % size, b"%x " % size, b"+%x" % size, b"%x" % (size + 1)]),
        )
        ext = rarely(draw, st.just(b""), st.sampled_from([b";a=b", b"; x", b";\x00", b";\n"]))
        end = rarely(draw, st.just(b"\r\n"), st.sampled_from([b"\n", b"", b"x\r\n", b"\r"]))
        out += size_text + ext + b"\r\n" + part + end
    last = rarely(draw, st.just(b"0\r\n"), st.sampled_from([b"00\r\n", b"0;x\r\n", b"0\n"]))
    trailers = rarely(
        draw,
        st.sampled_from([b"", b"X-T: 1\r\n"]),
        st.sampled_from([b" folded\r\n", b"Bad Name: 1\r\n", b"X-T: \x00\r\n", b"X: 1\r\n  2\r\n", b"X: 1\n"]),
    )
    return out + last + trailers + rarely(draw, st.just(b"\r\n"), st.sampled_from([b"\n", b""]))


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    end = rarely(draw, st.just(b"\r\n"), line_ends)
    status_line = (
        rarely(draw, st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]), versions)
        + rarely(draw, st.just(b" "), st.sampled_from([b"  ", b"\t"]))
        + rarely(draw, st.sampled_from([b"200", b"404", b"204", b"304", b"500"]), codes)
        + rarely(draw, st.sampled_from([b" OK", b""]), reasons)
    )
    interim = b""
    if draw(st.integers(0, 5)) == 0:
        interim = b"HTTP/1.1 100 Continue\r\n" + draw(st.sampled_from([b"", b"X: y\r\n"])) + b"\r\n"
    fields = []
    for _ in range(draw(st.integers(0, 4))):
        sep = rarely(draw, st.sampled_from([b": ", b":"]), st.sampled_from([b" : ", b":\t", b"\t:", b" :"]))
        good_names = st.sampled_from([b"Content-Type", b"X-A", b"Connection", b"Server", b"Date"])
        good_values = st.sampled_from([b"text/plain", b"close", b"keep-alive", b"a b", b"", b"x ", b"\xe9"])
        fields.append(rarely(draw, good_names, names) + sep + rarely(draw, good_values, values))
    body = draw(st.binary(max_size=24))
    framing = draw(
        st.sampled_from(["length", "length", "length", "chunked", "chunked", "none", "both", "odd-length", "odd-te"])
    )
    if framing == "length":
        fields.append(b"Content-Length: %d" % len(body))
    elif framing == "odd-length":
        for _ in range(draw(st.integers(1, 2))):
            fields.append(b"Content-Length: " + draw(lengths))
    elif framing in ("chunked", "both", "odd-te"):
        fields.append(b"Transfer-Encoding: " + (draw(encodings) if framing == "odd-te" else b"chunked"))
        if framing == "both":
            fields.append(b"Content-Length: " + draw(lengths))
        body = draw(chunked_body(body))
    if draw(st.integers(0, 9)) == 0:  # a line that starts with whitespace, first or later
        fields.insert(draw(st.integers(0, len(fields))), draw(st.sampled_from([b" x", b"\t", b"  a: b"])))
    if fields and draw(st.integers(0, 4)) == 0:
        fields.append(draw(st.sampled_from(fields)))
    head = (
        interim
        + status_line
        + end
        + b"".join(f + draw(line_ends if draw(st.integers(0, 9)) == 0 else st.just(b"\r\n")) for f in fields)
    )
    data = head + draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"])) + body
    if draw(st.integers(0, 7)) == 0:  # truncated anywhere
        data = data[: draw(st.integers(0, len(data)))]
    return data


@SETTINGS
@given(responses(), st.sampled_from(["GET", "GET", "POST", "HEAD"]))
@example(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", "GET")
@example(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 OK\r\n \r\nX: y\r\nContent-Length: 0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "POST")
@example(b"HTTP/1.1 200 OK\r\nContent-Length: 5,6\r\n\r\nabcdef", "GET")
@example(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nabcde", "GET")
@example(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcxy3\r\ndef\r\n0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 O\x00K\r\nContent-Length: 0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 OK\r\nX: \xa0\x85a\r\nY: \x0b\r\nContent-Length: 0\r\n\r\n", "GET")
@example(b"HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", "GET")
def test_generated_responses_get_the_verdict_h11_gives(data: bytes, method: str) -> None:
    expected = h11_verdict(data, method)
    got = our_verdict(data, method)
    assert got.same(expected), f"{data!r} ({method}): h11 says {expected}, we say {got}"


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["GET", "HEAD"]))
def test_random_bytes_get_the_verdict_h11_gives(data: bytes, method: str) -> None:
    expected = h11_verdict(data, method)
    got = our_verdict(data, method)
    assert got.same(expected), f"{data!r} ({method}): h11 says {expected}, we say {got}"
