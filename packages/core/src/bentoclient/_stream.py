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
from collections.abc import Mapping
from typing import Any, Optional, Union

from ._schema import Endpoint
from .exceptions import ResponseDecodeError, StreamTruncated

__all__ = ["BytesDecoder", "JSONSeqDecoder", "StreamDecoder", "TextDecoder", "stream_decoder"]


class TextDecoder:
    """``str`` items: UTF-8 text as it arrives, never splitting a character."""

    def __init__(self, endpoint: str = "") -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._endpoint = endpoint

    def feed(self, chunk: bytes) -> list[Any]:
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise ResponseDecodeError(f"endpoint {self._endpoint!r}: stream is not valid UTF-8 ({exc})") from None
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


class JSONSeqDecoder:
    """Structured items: concatenated JSON values (whitespace between them allowed)."""

    _WHITESPACE = " \t\r\n"

    def __init__(self, endpoint: str = "") -> None:
        self._text = TextDecoder(endpoint)
        self._buffer = ""
        self._endpoint = endpoint
        self._json = json.JSONDecoder()
        self._error: Optional[ResponseDecodeError] = None

    def feed(self, chunk: bytes) -> list[Any]:
        if self._error is not None:
            raise self._error
        for text in self._text.feed(chunk):
            self._buffer += text
        return self._drain()

    def _drain(self) -> list[Any]:
        items: list[Any] = []
        buf = self._buffer.lstrip(self._WHITESPACE)
        while buf:
            try:
                value, end = self._json.raw_decode(buf)
            except json.JSONDecodeError as exc:
                # Input that merely stopped early fails at its end, in an open string, or in
                # an escape cut short (``\u00`` needs 6 characters); later bytes settle it.
                if exc.pos >= len(buf) - 6 or exc.msg.startswith("Unterminated string"):
                    break  # wait for more bytes
                error = ResponseDecodeError(
                    f"endpoint {self._endpoint!r}: stream item is not valid JSON at {buf[:40]!r}: {exc.msg}"
                )
                if not items:
                    raise error from None
                self._error = error  # hand out the good items first, fail on the next read
                break
            if _number_may_grow(value, buf, end):
                break  # "12" may be "123", "0." may be "0.5": wait for the next bytes
            items.append(value)
            buf = buf[end:].lstrip(self._WHITESPACE)
        self._buffer = buf
        return items

    def finish(self) -> list[Any]:
        if self._error is not None:
            raise self._error
        for text in self._text.finish():
            self._buffer += text
        items = self._drain()
        rest = self._buffer.strip(self._WHITESPACE)
        if rest:
            try:
                items.append(json.loads(rest))
            except ValueError:
                raise StreamTruncated(
                    f"endpoint {self._endpoint!r}: the stream ended in the middle of a JSON value ({rest[:40]!r})"
                ) from None
        self._buffer = ""
        return items


def _number_may_grow(value: Any, buf: str, end: int) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return end == len(buf) or buf[end] in ".eE+-"


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
