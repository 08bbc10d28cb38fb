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

from ._encode import NO_VALUE, EncodedBody, _dumps, _json_error, binary_field_text, is_binary_content, is_binary_field
from ._schema import Endpoint
from .exceptions import ArgumentError, BentoClientError

__all__ = ["FileSource", "MultipartBody", "encode_file_root", "encode_multipart", "file_source", "is_binary_content"]

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
                yield from self._sized(fh)
            return
        assert self.stream is not None
        if self.start is not None:
            self.stream.seek(self.start)
        yield from self._sized(self.stream)

    def _sized(self, fh: Any) -> Iterator[bytes]:
        # Exactly ``size`` bytes when the size was announced (the body's Content-Length):
        # a file that grew since is cut there (extra bytes would be read by the server as
        # the start of the next request), one that shrank is an error (the server would
        # wait for the missing bytes until a timeout).
        left = self.size
        while left is None or left > 0:
            chunk = fh.read(CHUNK_SIZE if left is None else min(CHUNK_SIZE, left))
            if not chunk:
                break
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise ArgumentError(
                    f"file object for {self.filename!r} returned {type(chunk).__name__} from read(); "
                    "open it in binary mode ('rb')"
                )
            data = bytes(chunk)
            if left is not None:
                left -= len(data)
            yield data
        if left:
            raise BentoClientError(
                f"the file {self.filename!r} ended {left} byte(s) short of the {self.size} announced "
                "in the request: it shrank while it was being sent"
            )


def _display_name(raw: str) -> str:
    """The base name of a path or stream name, as valid text for a part header.

    POSIX names may hold bytes that are not UTF-8 (``os.fsdecode`` shows them as lone
    surrogates, which cannot be encoded); they become U+FFFD.
    """
    name = os.path.basename(raw)
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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


def _unchanged_image_file(image: Any) -> Optional[str]:
    """The file an image was opened from, if its pixels are still exactly the file's."""
    filename = getattr(image, "filename", None)
    fmt = getattr(image, "format", None)
    if not (isinstance(filename, str) and filename and fmt and os.path.isfile(filename)):
        return None
    try:
        if image.tell() != 0:  # another frame is selected: send what the caller sees
            return None
        from PIL import Image  # the caller has an image, so Pillow is installed

        with Image.open(filename) as original:
            same = (
                original.format == fmt
                and original.mode == image.mode
                and original.size == image.size
                and original.getpalette() == image.getpalette()
                and original.tobytes() == image.tobytes()
            )
    except Exception:  # unreadable or changed file, odd image object: encode the pixels instead
        return None
    return filename if same else None


def _pil_source(image: Any, default_name: str) -> FileSource:
    # An image still equal to the file it came from is sent as that file, byte for byte
    # (as BentoML's client does, but only when the pixels have not been changed since):
    # re-encoding a JPEG would lose quality and drop its metadata.
    original = _unchanged_image_file(image)
    if original is not None:
        fmt = str(image.format).lower()
        return FileSource(_display_name(original), f"image/{fmt}", path=original, size=os.stat(original).st_size)
    fmt = (getattr(image, "format", None) or "PNG").upper()
    options: dict[str, Any] = {}
    if fmt == "JPEG" and getattr(image, "quantization", None):
        options["quality"] = "keep"  # the file's own quantization tables: the least loss
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **options)
    except (OSError, ValueError, KeyError):  # e.g. a mode the original format cannot hold
        fmt = "PNG"
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
    data = buffer.getvalue()
    # Keep the name of a file-backed image when it was re-encoded in its own format.
    filename = getattr(image, "filename", None)
    same_format = (getattr(image, "format", None) or "").upper() == fmt
    name = _display_name(filename) if isinstance(filename, str) and filename and same_format else ""
    if not name:
        name = f"{default_name}.{fmt.lower()}"
    return FileSource(name, f"image/{fmt.lower()}", data=data, size=len(data))


def file_source(value: Any, *, endpoint: str, argument: str, content_type: Optional[str] = None) -> FileSource:
    """Describe one file value; raises :class:`ArgumentError` naming the accepted types."""
    if isinstance(value, (str, os.PathLike)) and not (isinstance(value, str) and is_url(value)):
        path = os.fsdecode(os.fspath(value))
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
        name = _display_name(path)
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
        name = _display_name(raw_name) if isinstance(raw_name, str) and raw_name else ""
        name = name or argument or "upload"
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
        if f is not None and is_binary_field(f):
            # A plain form field holding the JSON string of its UTF-8 text: the one form every
            # BentoML line reads byte for byte (see binary_field_text).
            value = binary_field_text(endpoint, key, value)
        if f is None or not f.is_file:
            try:
                fields.append((key, _dumps(value)))
            except (TypeError, ValueError, RecursionError) as exc:
                raise _json_error(endpoint, key, exc) from None
            continue
        schema = f.schema.get("items", f.schema) if f.schema.get("type") == "array" else f.schema
        declared = schema.get("content_type") if isinstance(schema.get("content_type"), str) else None
        if schema.get("pil"):
            # BentoML opens an image part with PIL.Image.open(formats=[<part subtype>]): a
            # name-based guess that is not a PIL format name (image/vnd.microsoft.icon,
            # image/x-portable-pixmap) or a misnamed file fails there with a 500, while
            # application/octet-stream lets Pillow detect the format.  PIL images still
            # go as image/<their format>.
            declared = OCTET_STREAM
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


def build_form(files: Mapping[str, Any], fields: Mapping[str, Any]) -> MultipartBody:
    """``request(files=..., data=...)``: a ``multipart/form-data`` body, as httpx builds one.

    Each file is a path, bytes, a file object or a PIL image, or a tuple ``(filename, file)``
    or ``(filename, file, content_type)``; each field a string (or a list of strings).
    """
    parts: list[tuple[str, bytes]] = []
    for name, value in fields.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            parts.append((str(name), str(item).encode()))
    sources: list[tuple[str, FileSource]] = []
    for name, value in files.items():
        filename: Optional[str] = None
        content_type: Optional[str] = None
        if isinstance(value, tuple):
            if len(value) not in (2, 3):
                raise ArgumentError(
                    f"request(): files[{name!r}] must be a file, or a (filename, file) or "
                    f"(filename, file, content_type) tuple; got a tuple of {len(value)}",
                    argument=name,
                )
            filename, value, content_type = (*value, None)[:3]
        source = file_source(value, endpoint="request()", argument=name, content_type=content_type)
        if filename is not None:
            source.filename = str(filename)
        sources.append((str(name), source))
    return build_multipart(parts, sources)
