"""Stream framing (pure): network chunks in, the items BentoML yielded out.

BentoML writes one HTTP chunk per yielded item with no delimiter (protocol §5.2), but
nothing between server and client keeps chunk boundaries, so decoding never relies on
them: text goes through an incremental UTF-8 decoder (a character split across chunks is
joined), bytes pass through, and structured items are parsed as a sequence of concatenated
JSON values from a buffer.  ``finish()`` reports a value cut off at the end as
:class:`~bentoclient.exceptions.StreamTruncated` instead of dropping it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import Any, Optional, Union

from ._schema import Endpoint
from .exceptions import ResponseDecodeError, StreamItemTooLarge, StreamTruncated

__all__ = ["MAX_ITEM_SIZE", "BytesDecoder", "JSONSeqDecoder", "StreamDecoder", "TextDecoder", "stream_decoder"]


class TextDecoder:
    """``str`` items: UTF-8 text as it arrives, never splitting a character."""

    def __init__(self, endpoint: str = "") -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._endpoint = endpoint
        self._partial = False  # the incremental decoder holds the start of a character

    def feed(self, chunk: bytes) -> list[Any]:
        if not self._partial:
            try:  # the usual case, a chunk of whole characters: one C call
                text = chunk.decode()
            except UnicodeDecodeError:
                pass  # a character split across chunks, or invalid: the incremental decoder says which
            else:
                return [text] if text else []
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise ResponseDecodeError(f"endpoint {self._endpoint!r}: stream is not valid UTF-8 ({exc})") from None
        self._partial = bool(self._decoder.getstate()[0])
        return [text] if text else []

    def finish(self) -> list[Any]:
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise StreamTruncated(f"endpoint {self._endpoint!r}: the stream ended inside a UTF-8 character") from None
        return [text] if text else []


class BytesDecoder:
    """``bytes`` items: the chunks as they arrive."""

    def __init__(self, endpoint: str = "") -> None:
        self._endpoint = endpoint

    def feed(self, chunk: bytes) -> list[Any]:
        return [chunk] if chunk else []

    def finish(self) -> list[Any]:
        return []


#: The longest one JSON item of a stream may grow (in characters) before the decoder gives up
#: with :class:`~bentoclient.exceptions.StreamItemTooLarge`: 64 MiB.
MAX_ITEM_SIZE = 64 * 1024 * 1024

_NOT_WHITESPACE = re.compile(r"[^ \t\r\n]")
_STRUCTURE = re.compile(r'[\[\]{}"]')  # what changes the nesting outside strings
_STRING_SPECIAL = re.compile(r'["\\]')  # what ends a string or escapes its next character
_SCALAR_END = re.compile(r'[ \t\r\n\[\]{}",:]')  # what ends a bare number, true, false or null


class JSONSeqDecoder:
    """Structured items: concatenated JSON values (whitespace between them allowed).

    Linear in the bytes received: a value that arrives whole is parsed once; a value split
    across chunks is only scanned for its end (nesting and strings, never re-parsed) as its
    pieces arrive, and parsed once when it is complete.  ``parsed`` counts the characters
    examined, so tests can check that.  One value longer than ``max_item_size`` characters
    fails with :class:`~bentoclient.exceptions.StreamItemTooLarge` instead of growing the
    buffer without bound.
    """

    def __init__(self, endpoint: str = "", *, max_item_size: int = MAX_ITEM_SIZE) -> None:
        self._text = TextDecoder(endpoint)
        self._endpoint = endpoint
        self._raw_decode = json.JSONDecoder().raw_decode
        self._error: Optional[ResponseDecodeError] = None
        self.max_item_size = max_item_size
        #: Characters examined so far (fast parses, scans for a value's end, final parses).
        self.parsed = 0
        # The value being received across chunks: its earlier pieces and the scanner state.
        self._parts: list[str] = []
        self._pending = 0  # characters in _parts
        self._kind = ""  # "" none, "c" array/object, "s" string, "n" bare scalar
        self._depth = 0
        self._in_string = False
        self._escape = False

    def feed(self, chunk: bytes) -> list[Any]:
        if self._error is not None:
            raise self._error
        items: list[Any] = []
        for text in self._text.feed(chunk):
            self._consume(text, items)
        return items

    def _fail(self, message: str, items: list[Any]) -> None:
        error = ResponseDecodeError(f"endpoint {self._endpoint!r}: {message}", endpoint=self._endpoint)
        if not items:
            raise error
        self._error = error  # hand out the good items first, fail on the next read

    def _consume(self, text: str, items: list[Any]) -> None:
        pos, size = 0, len(text)
        while pos < size:
            if self._error is not None:
                return
            if not self._kind:
                match = _NOT_WHITESPACE.search(text, pos)
                if match is None:
                    return
                pos = match.start()
                try:  # the usual case: the whole value is here
                    value, end = self._raw_decode(text, pos)
                except json.JSONDecodeError as exc:
                    self.parsed += exc.pos - pos
                    incomplete = exc.pos >= size - 6 or exc.msg.startswith("Unterminated string")
                    if not incomplete:
                        self._fail(f"stream item is not valid JSON at {text[pos : pos + 40]!r}: {exc.msg}", items)
                        return
                else:
                    self.parsed += end - pos
                    if (
                        isinstance(value, bool)
                        or not isinstance(value, (int, float))
                        or (end < size and text[end] not in ".eE+-")
                    ):
                        items.append(value)
                        pos = end
                        continue
                    # "12" may be "123", "0." may be "0.5": wait for the next bytes
                first = text[pos]
                self._kind = "c" if first in "[{" else "s" if first == '"' else "n"
                self._depth, self._in_string, self._escape = 0, False, False
                self._parts, self._pending = [], 0
            start = pos
            end = self._scan(text, pos)
            self.parsed += (size if end < 0 else end) - pos
            if end < 0:  # the value goes on in the next chunk
                self._parts.append(text[start:] if start else text)
                self._pending += size - start
                if self._pending > self.max_item_size:
                    self._kind, self._parts = "", []
                    self._error = StreamItemTooLarge(
                        f"endpoint {self._endpoint!r}: a stream item grew past max_item_size={self.max_item_size} "
                        "characters without ending; the stream is stopped (a larger item needs a "
                        "JSONSeqDecoder with a larger max_item_size)",
                        endpoint=self._endpoint,
                        limit=self.max_item_size,
                    )
                    raise self._error
                return
            self._parts.append(text[start:end])
            self._complete(items)
            pos = end

    def _scan(self, text: str, pos: int) -> int:
        """Where the pending value ends in ``text`` (the index after it), or -1."""
        if self._kind == "n":
            match = _SCALAR_END.search(text, pos)
            return -1 if match is None else match.start()
        size = len(text)
        if self._escape:
            self._escape = False
            pos += 1
        while pos < size:
            if self._in_string:
                match = _STRING_SPECIAL.search(text, pos)
                if match is None:
                    return -1
                pos = match.end()
                if match.group() == "\\":
                    if pos >= size:
                        self._escape = True
                        return -1
                    pos += 1
                    continue
                self._in_string = False
                if self._kind == "s":
                    return pos
            else:
                match = _STRUCTURE.search(text, pos)
                if match is None:
                    return -1
                pos = match.end()
                char = match.group()
                if char == '"':
                    self._in_string = True
                elif char in "[{":
                    self._depth += 1
                else:
                    self._depth -= 1
                    if self._depth <= 0:
                        return pos
        return -1

    def _complete(self, items: list[Any]) -> None:
        whole = "".join(self._parts)
        self._kind, self._parts, self._pending = "", [], 0
        self.parsed += len(whole)
        try:
            value, end = self._raw_decode(whole)
        except json.JSONDecodeError as exc:
            self._fail(f"stream item is not valid JSON at {whole[:40]!r}: {exc.msg}", items)
            return
        if whole[end:].strip(" \t\r\n"):
            self._fail(f"stream item is not valid JSON at {whole[:40]!r}: extra data", items)
            return
        items.append(value)

    def _failure(self) -> Optional[ResponseDecodeError]:
        return self._error

    def finish(self) -> list[Any]:
        if self._error is not None:
            raise self._error
        items: list[Any] = []
        for text in self._text.finish():
            self._consume(text, items)
        error = self._failure()  # _consume may have set it
        if error is not None:
            if items:
                return items
            raise error
        if self._kind:
            whole = "".join(self._parts)
            self._kind, self._parts, self._pending = "", [], 0
            try:
                items.append(json.loads(whole))
            except ValueError:
                raise StreamTruncated(
                    f"endpoint {self._endpoint!r}: the stream ended in the middle of a JSON value ({whole[:40]!r})"
                ) from None
        return items


StreamDecoder = Union[TextDecoder, BytesDecoder, JSONSeqDecoder]


def stream_decoder(endpoint: Endpoint) -> StreamDecoder:
    """The decoder for a streaming endpoint's items, chosen by its output schema."""
    schema: Mapping[str, Any] = endpoint.output
    if schema.get("type") == "string":
        if schema.get("format") == "binary":
            return BytesDecoder(endpoint.name)
        return TextDecoder(endpoint.name)
    if schema.get("type") == "file":
        return BytesDecoder(endpoint.name)
    return JSONSeqDecoder(endpoint.name)
