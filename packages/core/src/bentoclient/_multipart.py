"""Multipart form bodies and file root bodies, streamed from their sources (pure: no sockets).

A body is described by parts; the bytes are produced only while the transport sends them,
in chunks, so a 1 GB file is never held in memory.  Iterating a body again replays it
(files we opened are reopened; a caller's seekable stream is rewound to where it started),
which is what lets a transport retry a stale connection.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, Optional, Union, cast

from ._encode import NO_VALUE, EncodedBody, _dumps, _json_error, is_binary_field
from ._schema import Endpoint
from .exceptions import ArgumentError

__all__ = ["FileSource", "MultipartBody", "encode_file_root", "encode_multipart", "file_source"]

CHUNK_SIZE = 64 * 1024
OCTET_STREAM = "application/octet-stream"


def is_url(value: str) -> bool:
    head = value[:8].lower()
    return head.startswith(("http://", "https://"))


class FileSource:
    """One file to upload: where its bytes come from, its name and its content type."""

    __slots__ = ("content_type", "data", "filename", "path", "size", "start", "stream")

    def __init__(
        self,
        filename: str,
        content_type: str,
        *,
        path: Optional[str] = None,  # opened (and closed) by us on each pass
        data: Optional[bytes] = None,
        stream: Optional[BinaryIO] = None,  # the caller's: read, rewound, never closed
        start: Optional[int] = None,  # the caller's stream position, when it can seek
        size: Optional[int] = None,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self.path = path
        self.data = data
        self.stream = stream
        self.start = start
        self.size = size

    def __repr__(self) -> str:
        return f"<FileSource {self.filename!r} {self.content_type} size={self.size}>"

    @property
    def replayable(self) -> bool:
        return self.stream is None or self.start is not None

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        if self.path is not None:
            with open(self.path, "rb") as fh:
                while True:
                    chunk = fh.read(CHUNK_SIZE)
                    if not chunk:
                        return
                    yield chunk
        assert self.stream is not None
        if self.start is not None:
            self.stream.seek(self.start)
        while True:
            chunk = self.stream.read(CHUNK_SIZE)
            if not chunk:
                return
            if not isinstance(chunk, (bytes, bytearray)):
                raise ArgumentError(
                    f"file object for {self.filename!r} returned {type(chunk).__name__} from read(); "
                    "open it in binary mode ('rb')"
                )
            yield bytes(chunk)


def _guess_type(filename: str, explicit: Optional[str] = None) -> str:
    if explicit:
        return explicit
    import mimetypes

    return mimetypes.guess_type(filename)[0] or OCTET_STREAM


def _stream_size(stream: Any) -> tuple[Optional[int], Optional[int]]:
    """(start position, remaining size) for a seekable stream, else (None, None)."""
    try:
        if not stream.seekable():
            return None, None
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        return start, end - start
    except (AttributeError, OSError, ValueError):
        return None, None


def _pil_source(image: Any, default_name: str) -> FileSource:
    fmt = (getattr(image, "format", None) or "PNG").upper()
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):  # e.g. a mode the original format cannot hold
        fmt = "PNG"
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
    data = buffer.getvalue()
    # Keep the name of a file-backed image when it was re-encoded in its own format.
    original = getattr(image, "filename", None)
    same_format = (getattr(image, "format", None) or "").upper() == fmt
    name = os.path.basename(original) if isinstance(original, str) and original and same_format else ""
    if not name:
        name = f"{default_name}.{fmt.lower()}"
    return FileSource(name, f"image/{fmt.lower()}", data=data, size=len(data))


def file_source(value: Any, *, endpoint: str, argument: str, content_type: Optional[str] = None) -> FileSource:
    """Describe one file value; raises :class:`ArgumentError` naming the accepted types."""
    if isinstance(value, (str, os.PathLike)) and not (isinstance(value, str) and is_url(value)):
        path = os.fspath(value)
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            raise ArgumentError(
                f"endpoint {endpoint!r}, argument {argument!r}: cannot read file {path!r} ({exc.strerror}); "
                "pass an existing file path, an open binary file, bytes, or an http(s) URL",
                endpoint=endpoint,
                argument=argument,
            ) from None
        if not os.path.isfile(path):
            raise ArgumentError(
                f"endpoint {endpoint!r}, argument {argument!r}: {path!r} is not a regular file",
                endpoint=endpoint,
                argument=argument,
            )
        name = os.path.basename(path)
        return FileSource(name, _guess_type(name, content_type), path=path, size=size)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return FileSource(argument or "upload", content_type or OCTET_STREAM, data=data, size=len(data))
    if hasattr(value, "save") and hasattr(value, "mode") and hasattr(value, "size"):  # PIL.Image.Image
        return _pil_source(value, argument or "image")
    if hasattr(value, "read"):
        if isinstance(value, io.TextIOBase):
            raise ArgumentError(
                f"endpoint {endpoint!r}, argument {argument!r}: the file is open in text mode; open it with 'rb'",
                endpoint=endpoint,
                argument=argument,
            )
        raw_name = getattr(value, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) and raw_name else (argument or "upload")
        start, remaining = _stream_size(value)
        return FileSource(
            name, _guess_type(name, content_type), stream=cast(BinaryIO, value), start=start, size=remaining
        )
    raise ArgumentError(
        f"endpoint {endpoint!r}, argument {argument!r}: a file is expected, got {type(value).__name__}; "
        "pass a pathlib.Path or path string, an http(s) URL string, an open binary file or other "
        "readable binary stream, bytes, or a PIL image",
        endpoint=endpoint,
        argument=argument,
    )


# --- multipart/form-data ------------------------------------------------------------------


def _quote(value: str) -> str:
    # The HTML form encoding: what browsers and python-multipart agree on.
    return (
        value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A").replace("\0", "%00")
    )


Part = tuple[bytes, Union[bytes, FileSource]]  # (part head, data)


class MultipartBody:
    """A re-iterable ``multipart/form-data`` body with a known length when every part's size is known."""

    def __init__(self, parts: list[Part], boundary: bytes) -> None:
        self.parts = parts
        self.boundary = boundary
        self.content_type = f"multipart/form-data; boundary={boundary.decode()}"

    @property
    def replayable(self) -> bool:
        return all(isinstance(data, bytes) or data.replayable for _, data in self.parts)

    @property
    def length(self) -> Optional[int]:
        total = len(self.boundary) + 6  # --boundary--\r\n
        for head, data in self.parts:
            size = len(data) if isinstance(data, bytes) else data.size
            if size is None:
                return None
            total += len(head) + size + 2
        return total

    def __iter__(self) -> Iterator[bytes]:
        for head, data in self.parts:
            if isinstance(data, bytes):
                yield head + data + b"\r\n"
                continue
            yield head
            yield from data.chunks()
            yield b"\r\n"
        yield b"--" + self.boundary + b"--\r\n"


def _head(boundary: bytes, name: str, filename: Optional[str] = None, content_type: Optional[str] = None) -> bytes:
    lines = [b"--" + boundary, f'Content-Disposition: form-data; name="{_quote(name)}"'.encode()]
    if filename is not None:
        lines[1] += f'; filename="{_quote(filename)}"'.encode()
    if content_type:
        lines.append(f"Content-Type: {content_type}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def build_multipart(
    fields: list[tuple[str, bytes]], files: list[tuple[str, FileSource]], boundary: Optional[bytes] = None
) -> MultipartBody:
    """Assemble a body from plain fields (name, bytes) and files (name, source): fields first."""
    boundary = boundary or os.urandom(16).hex().encode()
    parts: list[Part] = [(_head(boundary, name), data) for name, data in fields]
    parts += [(_head(boundary, name, src.filename, src.content_type), src) for name, src in files]
    return MultipartBody(parts, boundary)


def encode_multipart(endpoint: Endpoint, bound: Mapping[str, Any]) -> EncodedBody:
    """The form body for an endpoint with file fields (BentoML §3.2, URL lists kept whole)."""
    fields: list[tuple[str, bytes]] = []
    files: list[tuple[str, FileSource]] = []
    for key, value in bound.items():
        f = endpoint.get_field(key)
        if f is not None and isinstance(value, (bytes, bytearray, memoryview)) and is_binary_field(f):
            # BentoML reads a bytes field from a file part byte for byte (a JSON string would
            # arrive as its UTF-8 encoding instead).
            files.append((key, file_source(value, endpoint=endpoint.name, argument=key)))
            continue
        if f is None or not f.is_file:
            try:
                fields.append((key, _dumps(value)))
            except (TypeError, ValueError, RecursionError) as exc:
                raise _json_error(endpoint, key, exc) from None
            continue
        schema = f.schema.get("items", f.schema) if f.schema.get("type") == "array" else f.schema
        declared = schema.get("content_type") if isinstance(schema.get("content_type"), str) else None
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item is None:
                continue
            if isinstance(item, str) and is_url(item):
                fields.append((key, item.encode()))  # the server downloads it
            else:
                files.append((key, file_source(item, endpoint=endpoint.name, argument=key, content_type=declared)))
    body = build_multipart(fields, files)
    return EncodedBody(body.content_type, body, body.length)


class _FileBody:
    """A raw file body, re-iterable."""

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.replayable = source.replayable

    def __iter__(self) -> Iterator[bytes]:
        return self.source.chunks()


def encode_file_root(endpoint: Endpoint, value: Any) -> EncodedBody:
    """The body for a root file input: the raw bytes, typed by the file's content type."""
    if value is NO_VALUE:
        return EncodedBody("application/json", b"", 0)
    if isinstance(value, str) and is_url(value):
        data = value.encode()
        return EncodedBody("application/json", data, len(data))  # the server downloads it
    declared = endpoint.input.get("content_type")
    src = file_source(
        value, endpoint=endpoint.name, argument="", content_type=declared if isinstance(declared, str) else None
    )
    if src.data is not None:
        return EncodedBody(src.content_type, src.data, len(src.data))
    return EncodedBody(src.content_type, _FileBody(src), src.size)
