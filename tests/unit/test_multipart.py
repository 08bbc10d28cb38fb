"""Multipart form bodies and root file bodies (BentoML protocol §3.2, §3.3)."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bentoclient._body import encode_body
from bentoclient._encode import NO_VALUE, EncodedBody
from bentoclient._multipart import FileSource, MultipartBody, build_multipart, file_source
from bentoclient.exceptions import ArgumentError

from ._helpers import collect, make_endpoint, object_input, wire_schema

# --- helpers ----------------------------------------------------------------------------------


def parse_form(content_type: str, raw: bytes) -> list[EmailMessage]:
    """Split a multipart body with the standard library's MIME parser."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("ascii") + b"\r\n\r\n" + raw)
    assert message.is_multipart(), message.defects
    assert not message.defects, message.defects
    parts = []
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        parts.append(part)
    return parts


def param(part: EmailMessage, key: str) -> Optional[str]:
    value = part.get_param(key, header="content-disposition")
    assert value is None or isinstance(value, str), value
    return value


def payload(part: EmailMessage) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def form(body: EncodedBody) -> list[EmailMessage]:
    assert body.content_type.startswith("multipart/form-data; boundary=")
    raw = collect(body.content)
    assert body.length is None or body.length == len(raw)
    return parse_form(body.content_type, raw)


def summary(parts: list[EmailMessage]) -> list[tuple[Optional[str], Optional[str], Optional[str], bytes]]:
    """(name, filename, content type header, payload) of each part."""
    return [(param(p, "name"), param(p, "filename"), p.get("content-type"), payload(p)) for p in parts]


TRANSCRIBE = make_endpoint(
    object_input(
        {
            "audio": {"format": "binary", "title": "Audio", "type": "file"},
            "language": {"default": "en", "title": "Language", "type": "string"},
            "options": {"title": "Options", "type": "object"},
        },
        required=["audio"],
    ),
    name="transcribe",
)
TYPED = make_endpoint(
    object_input({"clip": {"format": "audio", "type": "file", "content_type": "audio/mp3"}}, ["clip"]),
    name="typed",
)
FILES = make_endpoint(
    object_input({"files": {"items": {"format": "binary", "type": "file"}, "type": "array"}}, ["files"]),
    name="files",
)
TYPED_FILES = make_endpoint(
    object_input(
        {"files": {"items": {"type": "file", "format": "image", "content_type": "image/webp"}, "type": "array"}}
    ),
    name="typed_files",
)
ROOT_FILE = make_endpoint({"format": "binary", "type": "file", "root_input": True}, name="root_file")
ROOT_TYPED_FILE = make_endpoint(
    {"format": "text", "type": "file", "content_type": "text/csv", "root_input": True}, name="root_csv"
)


class OneShotStream:
    """A readable binary stream that cannot seek (a pipe, a socket, an HTTP download)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        size = len(self._data) if size < 0 else size
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


# --- layout -----------------------------------------------------------------------------------


def test_fields_first_then_files_with_json_encoded_fields() -> None:
    body = encode_body(TRANSCRIBE, {"audio": b"RIFFfake", "language": "fr", "options": {"beam": 5, "x": None}})
    assert summary(form(body)) == [
        ("language", None, None, b'"fr"'),
        ("options", None, None, b'{"beam":5,"x":null}'),
        ("audio", "audio", "application/octet-stream", b"RIFFfake"),
    ]


@pytest.mark.parametrize(
    ("value", "sent"),
    [("fr", b'"fr"'), (180, b"180"), (None, b"null"), (True, b"true"), ([1, "a"], b'[1,"a"]'), ("é", '"é"'.encode())],
)
def test_non_file_fields_are_json(value: Any, sent: bytes) -> None:
    body = encode_body(TRANSCRIBE, {"audio": b"x", "language": value})
    assert summary(form(body))[0] == ("language", None, None, sent)


def test_non_file_field_with_nan_names_the_argument() -> None:
    with pytest.raises(ArgumentError, match="NaN") as info:
        encode_body(TRANSCRIBE, {"audio": b"x", "options": {"t": float("nan")}})
    assert info.value.argument == "options"
    assert info.value.endpoint == "transcribe"


def test_every_file_part_has_a_filename_and_a_content_type(tmp_path: Path) -> None:
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG...")
    noext = tmp_path / "README"
    noext.write_bytes(b"plain")
    unknown = tmp_path / "data.zzunknown"
    unknown.write_bytes(b"?")
    body = encode_body(FILES, {"files": [png, str(noext), unknown, b"raw"]})
    assert summary(form(body)) == [
        ("files", "photo.png", "image/png", b"\x89PNG..."),
        ("files", "README", "application/octet-stream", b"plain"),
        ("files", "data.zzunknown", "application/octet-stream", b"?"),
        ("files", "files", "application/octet-stream", b"raw"),
    ]


def test_declared_content_type_wins_over_the_guess(tmp_path: Path) -> None:
    wav = tmp_path / "in.wav"
    wav.write_bytes(b"RIFF")
    assert summary(form(encode_body(TYPED, {"clip": wav}))) == [("clip", "in.wav", "audio/mp3", b"RIFF")]
    assert summary(form(encode_body(TYPED, {"clip": b"ID3"}))) == [("clip", "clip", "audio/mp3", b"ID3")]
    parts = summary(form(encode_body(TYPED_FILES, {"files": [b"1", b"2"]})))
    assert [p[2] for p in parts] == ["image/webp", "image/webp"]


def test_a_list_of_url_strings_keeps_every_url() -> None:
    # BentoML keeps only the last one (bentoml/BentoML#5675).
    urls = ["https://example.org/a.wav", "http://example.org/b.wav", "HTTPS://EXAMPLE.ORG/C.WAV"]
    body = encode_body(FILES, {"files": urls})
    assert summary(form(body)) == [("files", None, None, url.encode()) for url in urls]


def test_urls_and_files_mixed(tmp_path: Path) -> None:
    path = tmp_path / "local.txt"
    path.write_bytes(b"local")
    body = encode_body(FILES, {"files": [path, "https://example.org/remote.txt"]})
    assert summary(form(body)) == [
        ("files", None, None, b"https://example.org/remote.txt"),
        ("files", "local.txt", "text/plain", b"local"),
    ]


def test_single_url_for_a_file_field_is_sent_as_text() -> None:
    body = encode_body(TRANSCRIBE, {"audio": "https://example.org/x.wav"})
    assert summary(form(body)) == [("audio", None, None, b"https://example.org/x.wav")]


def test_bytes_for_a_bytes_parameter_are_utf8_json_text() -> None:
    # tests/services/wire.py: bytes_param(data: bytes, label: str = "")
    endpoint = wire_schema().endpoints["bytes_param"]
    raw = bytes(range(128)) + "\u00e9\u20ac".encode()
    body = encode_body(endpoint, {"data": raw, "label": "x"})
    assert body.content_type == "application/json"
    assert isinstance(body.content, bytes)
    assert json.loads(body.content) == {"data": raw.decode(), "label": "x"}
    with pytest.raises(ArgumentError, match=r"bytes_param.*'data'.*0x89 at offset 0.*file on the server"):
        encode_body(endpoint, {"data": b"\x89PNG\r\n", "label": "x"})


def test_str_for_a_bytes_parameter_stays_json() -> None:
    endpoint = wire_schema().endpoints["bytes_param"]
    body = encode_body(endpoint, {"data": "text"})
    assert body.content_type == "application/json"
    assert collect(body.content) == b'{"data":"text"}'


# --- lengths and replay -----------------------------------------------------------------------


def test_content_length_matches_the_bytes_for_every_known_size(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(200_000))  # several read chunks
    stream = io.BytesIO(b"0123456789")
    body = encode_body(FILES, {"files": [path, stream, b"xyz", bytearray(b"q")]})
    raw = collect(body.content)
    assert body.length == len(raw)
    assert body.content_type.startswith("multipart/form-data; boundary=")
    assert b"0123456789" in raw
    assert path.read_bytes() in raw


def test_non_seekable_stream_has_no_length_and_cannot_replay() -> None:
    stream = OneShotStream(b"streamed bytes")
    body = encode_body(TRANSCRIBE, {"audio": stream, "language": "en"})
    assert body.length is None
    assert isinstance(body.content, MultipartBody)
    assert not body.content.replayable
    parts = summary(form(body))
    assert parts[1] == ("audio", "audio", "application/octet-stream", b"streamed bytes")
    assert not stream.closed


def test_replay_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "on-disk.csv"
    path.write_bytes(b"a,b\n1,2\n")
    stream = io.BytesIO(b"skip:payload")
    stream.seek(5)  # the caller already consumed a header; we send from here, every time
    body = encode_body(FILES, {"files": [path, stream, b"bytes"]})
    assert isinstance(body.content, MultipartBody)
    assert body.content.replayable
    first = collect(body.content)
    second = collect(body.content)
    assert first == second
    assert body.length == len(first)
    assert b"payload" in first
    assert b"skip:" not in first
    assert not stream.closed


def test_callers_file_object_is_not_closed(tmp_path: Path) -> None:
    path = tmp_path / "kept-open.txt"
    path.write_bytes(b"content")
    with path.open("rb") as fh:
        body = encode_body(TRANSCRIBE, {"audio": fh})
        parts = summary(form(body))
        assert parts == [("audio", "kept-open.txt", "text/plain", b"content")]
        assert not fh.closed
        assert summary(form(body)) == parts  # and it replays
        assert not fh.closed


def test_file_object_without_a_name_uses_the_argument_name() -> None:
    assert summary(form(encode_body(TRANSCRIBE, {"audio": io.BytesIO(b"x")}))) == [
        ("audio", "audio", "application/octet-stream", b"x")
    ]


# --- file arguments that cannot be sent ---------------------------------------------------------


def test_missing_file_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as info:
        encode_body(TRANSCRIBE, {"audio": tmp_path / "nope.wav"})
    assert info.value.argument == "audio"
    assert info.value.endpoint == "transcribe"
    assert "nope.wav" in str(info.value)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="not a regular file"):
        encode_body(TRANSCRIBE, {"audio": tmp_path})


def test_text_mode_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("text")
    with path.open("r") as fh, pytest.raises(ArgumentError, match="'rb'"):
        encode_body(TRANSCRIBE, {"audio": fh})


@pytest.mark.parametrize("value", [42, 1.5, {"a": 1}, object()])
def test_other_types_are_refused_with_the_accepted_types(value: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        encode_body(TRANSCRIBE, {"audio": value})
    assert info.value.argument == "audio"
    assert "pathlib.Path" in str(info.value)


class NamedStream(io.BytesIO):
    """A binary stream with a ``name``, as ``open()`` gives."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def test_file_name_that_is_not_utf8_does_not_crash(tmp_path: Path) -> None:
    # On Linux a file name can hold any bytes; Python shows undecodable ones as surrogates
    # ('caf\udce9.bin' for b'caf\xe9.bin').  Encoding the part header must not fail with a bare
    # UnicodeEncodeError: either send some file name, or refuse with an ArgumentError.
    raw_name = os.fsencode(str(tmp_path)) + b"/caf\xe9.bin"
    value: Any
    try:
        with open(raw_name, "wb") as fh:
            fh.write(b"latin-1 named")
        value = Path(os.fsdecode(raw_name))
    except OSError:  # a file system that insists on UTF-8 names: the same name on a stream
        value = NamedStream(b"latin-1 named", os.fsdecode(raw_name))
    try:
        body = encode_body(TRANSCRIBE, {"audio": value})
    except ArgumentError:
        return
    parts = summary(form(body))
    assert parts[0][3] == b"latin-1 named"
    assert parts[0][1]  # some file name is sent


# --- root file bodies -------------------------------------------------------------------------


def test_root_file_from_bytes() -> None:
    body = encode_body(ROOT_FILE, {"": b"\x00raw"})
    assert body == EncodedBody("application/octet-stream", b"\x00raw", 4)
    assert encode_body(ROOT_TYPED_FILE, {"": b"a,b"}).content_type == "text/csv"


def test_root_file_from_a_path_streams_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    data = os.urandom(150_000)
    path.write_bytes(data)
    body = encode_body(ROOT_FILE, {"": path})
    assert body.content_type in ("audio/x-wav", "audio/wav", "audio/vnd.wave")
    assert body.length == len(data)
    assert not isinstance(body.content, bytes)
    assert collect(body.content) == data
    assert collect(body.content) == data


def test_root_file_from_a_str_path_uses_the_declared_type(tmp_path: Path) -> None:
    path = tmp_path / "table.txt"
    path.write_bytes(b"a,b\n")
    body = encode_body(ROOT_TYPED_FILE, {"": str(path)})
    assert body.content_type == "text/csv"
    assert collect(body.content) == b"a,b\n"


def test_root_file_from_a_file_object(tmp_path: Path) -> None:
    stream = io.BytesIO(b"--header--body")
    stream.seek(10)
    body = encode_body(ROOT_FILE, {"": stream})
    assert body.content_type == "application/octet-stream"
    assert body.length == 4
    assert collect(body.content) == b"body"
    assert collect(body.content) == b"body"
    assert not stream.closed


def test_root_file_from_a_non_seekable_stream_is_chunked() -> None:
    body = encode_body(ROOT_FILE, {"": OneShotStream(b"once")})
    assert body.length is None
    assert collect(body.content) == b"once"


def test_root_file_from_a_url_is_sent_as_text_for_the_server_to_download() -> None:
    body = encode_body(ROOT_FILE, {"": "https://example.org/in.wav"})
    assert body == EncodedBody("application/json", b"https://example.org/in.wav", 26)


def test_root_file_without_a_value() -> None:
    assert encode_body(ROOT_FILE, {"": NO_VALUE}) == EncodedBody("application/json", b"", 0)


def test_root_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as info:
        encode_body(ROOT_FILE, {"": tmp_path / "missing.bin"})
    assert info.value.endpoint == "root_file"


# --- file_source directly ---------------------------------------------------------------------


def test_file_source_of_bytes_and_stream(tmp_path: Path) -> None:
    src = file_source(b"abc", endpoint="e", argument="up")
    assert (src.filename, src.content_type, src.size, b"".join(src.chunks())) == (
        "up",
        "application/octet-stream",
        3,
        b"abc",
    )
    stream = io.BytesIO(b"0123")
    stream.seek(1)
    src = file_source(stream, endpoint="e", argument="up", content_type="text/plain")
    assert (src.content_type, src.start, src.size, src.replayable) == ("text/plain", 1, 3, True)


# --- property: what we build is what a MIME parser reads back ---------------------------------


def _escaped(text: str) -> str:
    """The documented escaping of names and filenames, as a parser that undoes the quoted-pair
    (backslash doubling) of a quoted-string reads it back."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A").replace("\0", "%00")


# Restrictions on the generated names, both limits of the stdlib parser, not of the encoding:
# - no trailing backslash: the encoder doubles it (name="a\\"), which is a valid quoted-string,
#   but email's header parser then takes the `\"` as an escaped quote and runs the value into
#   the next parameter (python-multipart's `_parseparam` counts quotes the same naive way);
# - no "=?": email decodes RFC 2047 encoded-words inside parameters; HTTP form parsers do not.
_names = st.text(max_size=24).filter(lambda s: not s.endswith("\\") and "=?" not in s)
_ctypes = st.sampled_from(["application/octet-stream", "image/png", "text/plain; charset=utf-8", "audio/x-wav"])
_fields = st.lists(st.tuples(_names, st.binary(max_size=64)), max_size=3)
_files = st.lists(st.tuples(_names, _names, _ctypes, st.binary(max_size=64)), max_size=3)


@settings(max_examples=100, deadline=None)
@example(fields=[('q"uo\\te', b"\r\n--")], files=[("f", 'a"b\r\nc\\d\u20ac.txt', "image/png", b"\x00\xff\r\n")])
@example(fields=[("crlf\r\nX-Injected: 1", b"v")], files=[("n\0", "\r\n\r\n", "text/plain; charset=utf-8", b"")])
@example(fields=[], files=[("\u65e5\u672c", "\u00e9t\u00e9 \U0001f600.png", "image/png", b"--" * 40)])
@given(fields=_fields, files=_files)
def test_multipart_round_trips_through_the_email_parser(
    fields: list[tuple[str, bytes]], files: list[tuple[str, str, str, bytes]]
) -> None:
    sources = [(name, FileSource(fn, ctype, data=data, size=len(data))) for name, fn, ctype, data in files]
    body = build_multipart(fields, sources)
    raw = b"".join(body)
    assert raw == b"".join(body)  # replay
    assert body.length == len(raw)
    assert raw.endswith(b"--" + body.boundary + b"--\r\n")

    # The boundary only ever appears as a delimiter, never inside a part.
    delimiter = b"--" + body.boundary
    assert raw.count(delimiter) == len(fields) + len(files) + 1
    heads = []
    for chunk in raw.split(delimiter)[1:-1]:
        head, sep, _ = chunk.partition(b"\r\n\r\n")
        assert sep
        # CR/LF in names never start a header of their own
        lines = head.split(b"\r\n")
        assert lines[0] == b""
        assert lines[1].startswith(b"Content-Disposition: form-data; name=")
        heads.append(lines[1:])
    assert [len(h) for h in heads] == [1] * len(fields) + [2] * len(files)
    assert [h[1] for h in heads[len(fields) :]] == [b"Content-Type: " + ctype.encode() for _, _, ctype, _ in files]

    if not fields and not files:
        # RFC 2046 wants at least one part, so the email parser cannot read an empty form.
        assert raw == delimiter + b"--\r\n"
        return
    parts = parse_form(body.content_type, raw)
    assert len(parts) == len(fields) + len(files)
    for part, (name, data) in zip(parts, fields):
        assert param(part, "name") == _escaped(name)
        assert param(part, "filename") is None
        assert "content-type" not in part
        assert payload(part) == data
    for part, (name, filename, ctype, data) in zip(parts[len(fields) :], files):
        assert param(part, "name") == _escaped(name)
        assert param(part, "filename") == _escaped(filename)
        assert part.get_content_type() == ctype.split(";")[0]
        assert payload(part) == data


@settings(max_examples=100, deadline=None)
@given(_names, _names)
def test_disposition_header_bytes_follow_the_documented_escaping(name: str, filename: str) -> None:
    body = build_multipart([], [(name, FileSource(filename, "x/y", data=b"", size=0))], boundary=b"b0undary")
    quoted_name = name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    quoted_file = filename.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    quoted_name, quoted_file = quoted_name.replace("\0", "%00"), quoted_file.replace("\0", "%00")
    expected = f'Content-Disposition: form-data; name="{quoted_name}"; filename="{quoted_file}"'.encode()
    assert b"".join(body).split(b"\r\n")[1] == expected


def test_explicit_boundary_is_used() -> None:
    body = build_multipart([("a", b"1")], [], boundary=b"XYZ")
    assert body.content_type == "multipart/form-data; boundary=XYZ"
    assert b"".join(body) == b'--XYZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XYZ--\r\n'
    assert body.length == len(b"".join(body))


def test_random_boundaries_differ() -> None:
    assert build_multipart([], []).boundary != build_multipart([], []).boundary
