"""HTTP/1.1 on the wire, without I/O: the rules and limits every transport applies alike.

The response side is :class:`ResponseParser`, a sans-IO reader that takes the bytes a
socket gives and returns the final head and the body, with the same verdicts as h11 (the
reference parser of httpcore and httpx): the same status-line and field grammar, the same
``Content-Length`` and ``Transfer-Encoding`` rules, the same chunk framing.  The few places
where it is deliberately stricter (a bound on interim ``1xx`` answers and on the field count,
a head counted as 16 KiB exactly, ``101`` never kept) are listed in ``docs/transport.md``.

The request side is :func:`check_request` and :func:`request_framing`: what every transport
checks and sends before a byte of a request leaves.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from ._models import Headers, Request
from .exceptions import ConfigurationError

__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_LINE",
    "MAX_HEAD_SIZE",
    "MAX_INTERIM",
    "BodyIncomplete",
    "HeadError",
    "HeadFields",
    "ResponseHead",
    "ResponseParser",
    "body_length",
    "check_request",
    "is_interim",
    "parse_status_line",
    "request_framing",
]

#: The most bytes a response head (status line to blank line), a trailer section or a chunk-size
#: line may take: h11's default ``max_incomplete_event_size``.
MAX_HEAD_SIZE = 16 * 1024
#: The longest line a line-at-a-time reader asks for (the head as a whole is still bounded
#: by ``MAX_HEAD_SIZE``).
MAX_HEADER_LINE = 65536
#: The most fields in one head or trailer section (``http.client``'s bound; h11 has none).
MAX_HEADERS = 100
#: The most interim ``1xx`` answers before the final one (h11 has no bound).
MAX_INTERIM = 16


class HeadError(ValueError):
    """The response breaks HTTP/1.1 or a limit; transports report it as RemoteProtocolError."""


class BodyIncomplete(HeadError):
    """The connection ended before the body its head announced; transports report a ReadError."""


# --- the grammar (RFC 9112 as h11 reads it) -------------------------------------------------

_TOKEN_RE = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VCHAR_OR_OBS = rb"[^\x00\s]"  # h11: any byte but NUL and ASCII whitespace
_FIELD_LINE = re.compile(
    rb"(" + _TOKEN_RE + rb"):[ \t]*(" + _VCHAR_OR_OBS + rb"+(?:[ \t]+" + _VCHAR_OR_OBS + rb"+)*)?[ \t]*"
)
_STATUS_LINE = re.compile(rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ((?:[ \t]|" + _VCHAR_OR_OBS + rb")*))?")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*\r\n")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_FOLD = re.compile(rb"[ \t]+")


# The common case in one pass over the text: a CRLF head whose lines all parse, no folding.
_T = r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_V = r"[^\x00\s]"
_FIELD_TEXT = _T + r":[ \t]*(?:" + _V + r"+(?:[ \t]+" + _V + r"+)*)?[ \t]*\r\n"
_FAST_HEAD = re.compile(
    r"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ((?:[ \t]|" + _V + r")*))?\r\n((?:" + _FIELD_TEXT + r")*)\r\n", re.ASCII
)
_FAST_FIELD = re.compile(r"(" + _T + r"):[ \t]*(" + _V + r"+(?:[ \t]+" + _V + r"+)*)?[ \t]*\r\n", re.ASCII)
_DIGITS_TEXT = re.compile(r"[0-9]{1,20}", re.ASCII)


def _field_lines(lines: list[bytes], what: str) -> list[tuple[str, str]]:
    """Field lines (line ends removed) -> ``(name, value)`` pairs, obs-fold joined as h11 does."""
    joined: list[bytes] = []
    for line in lines:
        fold = _FOLD.match(line)
        if fold is not None:
            if not joined:
                raise HeadError(f"the {what} starts with a line that begins with whitespace: {line[:60]!r}")
            joined[-1] = joined[-1] + b" " + line[fold.end() :]
        else:
            joined.append(line)
    if len(joined) > MAX_HEADERS:
        raise HeadError(f"more than {MAX_HEADERS} fields in the {what}")
    fields = []
    for line in joined:
        match = _FIELD_LINE.fullmatch(line)
        if match is None:
            raise HeadError(f"invalid field line in the {what}: {line[:60]!r}")
        fields.append((match.group(1).decode("ascii"), (match.group(2) or b"").decode("latin-1")))
    return fields


def _framing(headers: Headers) -> tuple[Optional[int], bool]:
    """The checked framing fields: ``(Content-Length or None, chunked)``; HeadError if h11 refuses them.

    Repeated fields arrive joined with ", ", so one rule covers h11's two: every listed length
    must be the same digits, and the only transfer coding is a single ``chunked``.
    """
    length: Optional[int] = None
    value = headers.get("content-length")
    if value is not None:
        values = {part.strip(" \t") for part in value.split(",")}
        if len(values) != 1:
            raise HeadError(f"conflicting Content-Length values {value[:40]!r}")
        single = values.pop()
        if not _DIGITS_TEXT.fullmatch(single):
            raise HeadError(f"invalid Content-Length {value[:40]!r}: digits only")
        length = int(single)
    coding = headers.get("transfer-encoding")
    if coding is not None and coding.lower() != "chunked":
        raise HeadError(f"unsupported Transfer-Encoding {coding[:40]!r}: one 'chunked' is all that is understood")
    return length, coding is not None


class ResponseHead(NamedTuple):
    """A final response head as read from the wire."""

    version: str  #: "1.1", "1.0", ... as sent
    status: int
    reason: str
    fields: list[tuple[str, str]]  #: as sent, in order
    headers: Headers
    length: Optional[int]  #: the body length; None when chunked or delimited by the close
    chunked: bool
    keep_alive: bool


def _split_head(block: bytes) -> list[bytes]:
    """A head block ending in its blank line -> its lines, line ends (LF or CRLF) removed."""
    lines = block.split(b"\n")
    del lines[-2:]  # the blank line
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def parse_head(block: bytes, method: str) -> tuple[ResponseHead, bool]:
    """One head (status line through blank line) -> ``(head, interim)``; raises HeadError."""
    fast = _FAST_HEAD.fullmatch(block.decode("latin-1"))
    if fast is not None:
        version, code, reason, text = fast.groups()
        fields: list[tuple[str, str]] = _FAST_FIELD.findall(text)
        if len(fields) > MAX_HEADERS:
            raise HeadError(f"more than {MAX_HEADERS} fields in the head")
    else:  # folded lines, bare LF line ends, or an error to name
        lines = _split_head(block)
        match = _STATUS_LINE.fullmatch(lines[0])
        if match is None:
            raise HeadError(f"invalid status line {lines[0][:60]!r}")
        version_b, code_b, reason_b = match.groups()
        fields = _field_lines(lines[1:], "head")
        version, code, reason = version_b.decode(), code_b.decode(), (reason_b or b"").decode("latin-1")
    status = int(code)
    headers = Headers(fields)
    length, chunked = _framing(headers)
    reason = reason or ""
    if status < 200:
        if status < 100:
            raise HeadError(f"status {status} is not an HTTP status")
        if status == 101:
            raise HeadError("101 Switching Protocols answered a request that asked for no upgrade")
        return ResponseHead(version, status, reason, fields, headers, 0, False, True), True
    keep_alive = version >= "1.1"
    if keep_alive and "connection" in headers:
        keep_alive = "close" not in [token.strip(" \t") for token in headers["connection"].lower().split(",")]
    if status in (204, 304) or method == "HEAD" or (method == "CONNECT" and status < 300):
        length, chunked = 0, False
    elif chunked:
        length = None
    return ResponseHead(version, status, reason, fields, headers, length, chunked, keep_alive), False


# --- the reader ----------------------------------------------------------------------------

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class ResponseParser:
    """One response, read from bytes handed in as they arrive (no I/O, no clock).

    ``feed(data)`` adds bytes (``b""``: the peer closed); ``head()`` returns the final head once
    it is whole (interim ``1xx`` answers skipped) or None for more bytes; then ``body()`` returns
    the next body bytes, None for more bytes, or ``b""`` at the end of the body.  Errors are
    :class:`HeadError` (the response breaks HTTP/1.1: RemoteProtocolError) and
    :class:`BodyIncomplete` (the connection ended inside the body: ReadError).
    """

    __slots__ = ("_buf", "_eof", "_left", "_method", "_pos", "_state", "interim", "received", "response")

    def __init__(self, method: str) -> None:
        self._buf = b""  # bytes not handed out yet start at _pos (kept at 0 until the body)
        self._pos = 0
        self._eof = False
        self._state = _HEAD
        self._left = 0
        self._method = method
        #: Interim answers skipped so far.
        self.interim = 0
        #: Whether any byte arrived (a reused connection closed before any is stale).
        self.received = False
        self.response: Optional[ResponseHead] = None

    def feed(self, data: bytes) -> None:
        if data:
            self.received = True
            if self._pos:
                self._buf, self._pos = self._buf[self._pos :] + data, 0
            else:
                self._buf = self._buf + data if self._buf else data
        else:
            self._eof = True

    @property
    def complete(self) -> bool:
        """The whole body was read."""
        return self._state == _DONE

    @property
    def leftover(self) -> bool:
        """Bytes arrived beyond this response (the connection cannot carry another)."""
        return len(self._buf) > self._pos

    @property
    def reusable(self) -> bool:
        """The response ended cleanly on a connection both sides keep open."""
        return (
            self._state == _DONE
            and len(self._buf) == self._pos
            and not self._eof
            and self.response is not None
            and self.response.keep_alive
        )

    def head(self) -> Optional[ResponseHead]:
        while self._state == _HEAD:
            buf = self._buf
            if buf[:1] == b"\n" or buf[:2] == b"\r\n":
                raise HeadError("the response starts with an empty line, not a status line")
            match = _BLANK_LINE.search(buf)
            if match is None or match.end() > MAX_HEAD_SIZE:
                if len(buf) > MAX_HEAD_SIZE:
                    raise HeadError(f"the response head is longer than {MAX_HEAD_SIZE // 1024} KiB")
                if self._eof:
                    if buf:
                        raise HeadError("the connection closed in the middle of the response head")
                    raise HeadError("the connection closed without a response")
                return None
            end = match.end()
            self._buf = buf[end:]
            head, interim = parse_head(buf[:end], self._method)
            if interim:
                self.interim += 1
                if self.interim > MAX_INTERIM:
                    raise HeadError(f"more than {MAX_INTERIM} interim 1xx answers before the response")
                continue
            self.response = head
            if head.chunked:
                self._state = _CHUNK_SIZE
            elif head.length is None:
                self._state = _UNTIL_CLOSE
            elif head.length:
                self._state, self._left = _LENGTH, head.length
            else:
                self._state = _DONE
        return self.response

    def _take(self, count: int) -> bytes:
        """Hand out up to ``count`` buffered bytes (the buffer itself when it is all of them)."""
        buf, pos = self._buf, self._pos
        if pos == 0 and len(buf) <= count:
            self._buf = b""
            return buf
        data = buf[pos : pos + count]
        pos += len(data)
        if pos == len(buf):
            self._buf, pos = b"", 0
        self._pos = pos
        return data

    def body(self, limit: int = 1 << 62) -> Optional[bytes]:
        """The next body bytes (at most ``limit``), None when more must arrive, ``b""`` at the end."""
        if self._state == _CHUNK_SIZE:
            # The common case of a stream, one whole chunk buffered (size line, data, CRLF):
            # handed out in one step.  Anything else takes the general path below, from the
            # same state (nothing is consumed here unless the whole chunk is taken).
            buf, pos = self._buf, self._pos
            end = buf.find(b"\r\n", pos)
            if end < 0 and not self._eof and len(buf) - pos <= MAX_HEAD_SIZE:
                return None  # the size line is not whole yet
            if end >= 0 and end + 2 - pos <= MAX_HEAD_SIZE:
                match = _CHUNK_LINE.fullmatch(buf, pos, end + 2)
                if match is not None:
                    start = end + 2
                    stop = start + int(match.group(1), 16)
                    if start < stop and stop - start <= limit and buf[stop : stop + 2] == b"\r\n":
                        if stop + 2 == len(buf):
                            self._buf, self._pos = b"", 0
                        else:
                            self._pos = stop + 2
                        return buf[start:stop]
        while True:
            state = self._state
            buf, pos = self._buf, self._pos
            if state in (_LENGTH, _CHUNK_DATA):
                if pos == len(buf):
                    if self._eof:
                        if state == _LENGTH:
                            raise BodyIncomplete(f"the connection closed with {self._left} bytes of the body missing")
                        raise BodyIncomplete("the connection closed inside a chunk of the body")
                    return None
                data = self._take(min(self._left, limit))
                self._left -= len(data)
                if not self._left:
                    if state == _LENGTH:
                        self._state = _DONE
                    else:
                        self._state, self._left = _CHUNK_END, 2
                return data
            if state == _DONE:
                return b""
            if state == _UNTIL_CLOSE:
                if pos < len(buf):
                    return self._take(len(buf))
                if self._eof:
                    self._state = _DONE
                    return b""
                return None
            if state == _CHUNK_END:  # the CRLF after chunk data, byte for byte as it arrives
                part = buf[pos : pos + self._left]
                if part != b"\r\n"[2 - self._left :][: len(part)]:
                    raise HeadError(f"chunk data is not followed by CRLF (got {buf[pos : pos + 8]!r})")
                self._take(len(part))
                self._left -= len(part)
                if self._left:
                    if self._eof:
                        raise BodyIncomplete("the connection closed inside the chunked body")
                    return None
                self._state = _CHUNK_SIZE
                continue
            if state == _CHUNK_SIZE:
                end = buf.find(b"\r\n", pos)
                if end < 0 or end + 2 - pos > MAX_HEAD_SIZE:
                    if len(buf) - pos > MAX_HEAD_SIZE:
                        raise HeadError(f"a chunk-size line is longer than {MAX_HEAD_SIZE // 1024} KiB")
                    if self._eof:
                        raise BodyIncomplete("the connection closed inside the chunked body")
                    return None
                match = _CHUNK_LINE.fullmatch(buf, pos, end + 2)
                if match is None:
                    raise HeadError(f"invalid chunk-size line {buf[pos : min(end, pos + 40)]!r}")
                self._take(end + 2 - pos)
                self._left = int(match.group(1), 16)
                self._state = _CHUNK_DATA if self._left else _TRAILER
                continue
            if state == _TRAILER:
                first = buf[pos : pos + 2]
                if first[:1] == b"\n" or first == b"\r\n":
                    size = 1 if first[:1] == b"\n" else 2
                    lines: list[bytes] = []
                else:
                    match = _BLANK_LINE.search(buf, pos)
                    if match is None or match.end() - pos > MAX_HEAD_SIZE:
                        if len(buf) - pos > MAX_HEAD_SIZE:
                            raise HeadError(f"the trailer section is longer than {MAX_HEAD_SIZE // 1024} KiB")
                        if self._eof:
                            raise BodyIncomplete("the connection closed inside the trailer section")
                        return None
                    size = match.end() - pos
                    lines = _split_head(buf[pos : match.end()])
                _framing(Headers(_field_lines(lines, "trailer section")))  # checked, then dropped
                self._take(size)
                self._state = _DONE
                return b""
            raise AssertionError(state)  # pragma: no cover - every state is handled above


# --- line-at-a-time helpers (for readers that take a head a line at a time) ------------------


def parse_status_line(line: bytes) -> tuple[int, int, str]:
    """``b"HTTP/1.1 200 OK\\r\\n"`` -> ``(11, 200, "OK")``: the version (10 below 1.1), status, reason."""
    if len(line) > MAX_HEAD_SIZE:
        raise HeadError(f"the status line is longer than {MAX_HEAD_SIZE // 1024} KiB")
    text = line[:-1] if line.endswith(b"\n") else line
    text = text[:-1] if text.endswith(b"\r") else text
    match = _STATUS_LINE.fullmatch(text)
    if match is None:
        raise HeadError(f"invalid status line {text[:60]!r}")
    version, code, reason = match.groups()
    if int(code) < 100:
        raise HeadError(f"status {int(code)} is not an HTTP status")
    return (11 if version >= b"1.1" else 10), int(code), (reason or b"").decode("latin-1")


def is_interim(status: int) -> bool:
    """An informational answer (``100 Continue``, ``103 Early Hints``) before the final one.

    ``101 Switching Protocols`` is final: the connection stops being HTTP.
    """
    return 100 <= status < 200 and status != 101


class HeadFields:
    """The fields of one head, fed a line at a time, checked as :class:`ResponseParser` does."""

    __slots__ = ("_lines", "_size")

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._size = 0

    def add(self, line: bytes) -> bool:
        """Take one line; False once the head ended (a blank line, or the end of the input)."""
        self._size += len(line)
        if self._size > MAX_HEAD_SIZE:
            raise HeadError(f"the response head is longer than {MAX_HEAD_SIZE // 1024} KiB")
        if line in (b"\r\n", b"\n", b""):
            return False
        if not line.endswith(b"\n"):
            raise HeadError("the response head ended in the middle of a line")
        line = line[:-1]
        self._lines.append(line[:-1] if line.endswith(b"\r") else line)
        return True

    @property
    def fields(self) -> list[tuple[str, str]]:
        return _field_lines(self._lines, "head")

    def headers(self) -> Headers:
        headers = Headers(self.fields)
        _framing(headers)
        return headers


def body_length(headers: Headers, status: int, method: str) -> tuple[bool, Optional[int]]:
    """How the body is framed: ``(chunked, length)``; ``(False, None)`` means until the close.

    ``headers`` must come from :class:`HeadFields` (whose framing fields are checked already).
    """
    if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
        return False, 0
    length, chunked = _framing(headers)
    return (True, None) if chunked else (False, length)


# --- the request side: what every transport checks before a byte is sent ------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: methods and field names
_TARGET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, no control character
_FIELD_VALUE = re.compile(r"[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*")  # RFC 9110 field-value, ASCII only
#: Methods whose requests carry no body by convention: an empty body sends no framing header.
BODYLESS_METHODS = frozenset(("GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"))


def check_request(request: Request) -> tuple[tuple[str, str], ...]:
    """Refuse a request head that would not reach the server as written; return its fields.

    The one rule every transport applies before sending (so a caller-built
    :class:`~bentoclient.transport.Request` cannot inject a header or a second request):
    the method and field names are RFC 9110 tokens, the target is visible ASCII, and field
    values are ASCII text without control characters (leading and trailing blanks are
    dropped, as HTTP ignores them).  Non-ASCII values are refused, as httpx and h11 do:
    percent- or base64-encode them.  Raises :class:`~bentoclient.exceptions.ConfigurationError`.
    """
    method = request.method
    if not _TOKEN.fullmatch(method):
        raise ConfigurationError(f"cannot send a request with method {method[:40]!r}: not an HTTP token")
    if not _TARGET.fullmatch(request.target) or not request.target.startswith(("/", "*")):
        raise ConfigurationError(
            f"cannot send {method} {request.target[:80]!r}: the target must start with '/' and be "
            "visible ASCII (percent-encode spaces, control and non-ASCII characters)"
        )
    fields = []
    for name, value in request.headers:
        if not _TOKEN.fullmatch(name):
            raise ConfigurationError(
                f"cannot send header {name[:40]!r} with {method} {request.target[:80]}: "
                "a field name is letters, digits and !#$%&'*+-.^_`|~ only"
            )
        value = value.strip(" \t")
        if value and not _FIELD_VALUE.fullmatch(value):
            shown = "its value" if name.lower() in ("authorization", "proxy-authorization") else repr(value[:60])
            raise ConfigurationError(
                f"cannot send header {name!r} with {method} {request.target[:80]}: {shown} has a "
                "control character (CR, LF, NUL, ...) or a non-ASCII character; remove them, or "
                "percent- or base64-encode the value"
            )
        fields.append((name, value))
    return tuple(fields)


def request_framing(request: Request) -> Optional[tuple[str, str]]:
    """The body framing field for ``request``, the same on every transport (None: no field).

    A known length is sent as ``Content-Length``, an unknown one chunked
    (``Transfer-Encoding: chunked``), whatever the method; an empty body sends
    ``Content-Length: 0`` except on methods that carry no body by convention (GET, HEAD, ...).
    """
    length = request.body_length
    if length is None:
        return ("Transfer-Encoding", "chunked")
    if length == 0 and request.method in BODYLESS_METHODS:
        return None
    return ("Content-Length", str(length))
