"""File values, image values and file outputs without a server (issue 3, the pure half).

Companion of ``tests/integration/test_files.py``: what can only be shown at the protocol
level (URL lists, files that change size while sent, hostile names a real server cannot
send, Pillow-free fallbacks).  Runs with and without Pillow/numpy/pandas installed.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import importlib.util
import io
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bentoclient._body import encode_body
from bentoclient._decode import MAX_NAME_BYTES, decode_value, output_filename, sanitize_filename
from bentoclient._models import Headers
from bentoclient._multipart import FileSource, MultipartBody, encode_multipart, file_source
from bentoclient.exceptions import ArgumentError, BentoClientError, MissingDependencyWarning

from ._helpers import collect, make_endpoint, object_input, response

HAVE_PIL = importlib.util.find_spec("PIL") is not None
HAVE_NUMPY = importlib.util.find_spec("numpy") is not None
HAVE_PANDAS = importlib.util.find_spec("pandas") is not None

# Endpoints shaped like tests/services/media.py:Media (schemas as BentoML 1.4.40 writes them).
FILE_INFO = make_endpoint(
    object_input(
        {
            "upload": {"format": "binary", "title": "Upload", "type": "file"},
            "note": {"default": "", "title": "Note", "type": "string"},
        },
        ["upload"],
    ),
    name="file_info",
)
FILES_INFO = make_endpoint(
    object_input({"uploads": {"items": {"format": "binary", "type": "file"}, "title": "Uploads", "type": "array"}}),
    name="files_info",
)
IMAGE_INFO = make_endpoint(
    object_input({"image": {"format": "image", "pil": True, "title": "Image", "type": "file"}}, ["image"]),
    name="image_info",
)
IMAGES = make_endpoint(
    object_input({"images": {"items": {"format": "image", "pil": True, "type": "file"}, "type": "array"}}),
    name="images",
)
BLOB_AND_FILE = make_endpoint(
    object_input(
        {
            "data": {"format": "binary", "title": "Data", "type": "string"},
            "upload": {"format": "binary", "title": "Upload", "type": "file"},
        },
        ["data"],
    ),
    name="blob_and_file",
)


def parts(body: Any) -> list[EmailMessage]:
    raw = collect(body.content)
    assert body.length is None or body.length == len(raw)
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + body.content_type.encode() + b"\r\n\r\n" + raw)
    assert not message.defects, message.defects
    found = [p for p in message.iter_parts() if isinstance(p, EmailMessage)]
    return found


def describe(part: EmailMessage) -> tuple[Optional[str], Optional[str], Optional[str], bytes]:
    name = part.get_param("name", header="content-disposition")
    filename = part.get_param("filename", header="content-disposition")
    data = part.get_payload(decode=True)
    assert isinstance(name, (str, type(None)))
    assert isinstance(filename, (str, type(None)))
    assert isinstance(data, bytes)
    return name, filename, part.get("content-type"), data


# --- URLs -------------------------------------------------------------------------------------------


def test_url_list_keeps_every_url_under_the_repeated_field_name() -> None:
    # BentoML's client keeps only the last URL of a list (bentoml/BentoML#5675).
    urls = [f"https://example.org/{i}.png" for i in range(4)] + ["HTTP://EXAMPLE.ORG/UPPER.PNG"]
    body = encode_multipart(FILES_INFO, {"uploads": urls})
    assert [describe(p) for p in parts(body)] == [("uploads", None, None, url.encode()) for url in urls]
    assert body.content_type.startswith("multipart/form-data; boundary=")  # never urlencoded


def test_url_and_a_path_that_looks_like_one(tmp_path: Path) -> None:
    local = tmp_path / "http:"  # a relative-looking local name is still a path
    local.mkdir()
    path = local / "x.txt"
    path.write_bytes(b"local")
    body = encode_multipart(FILES_INFO, {"uploads": [str(path), "https://h/x.txt"]})
    assert [describe(p) for p in parts(body)] == [
        ("uploads", None, None, b"https://h/x.txt"),
        ("uploads", "x.txt", "text/plain", b"local"),
    ]


# --- sizes: what the Content-Length promises is what is sent -----------------------------------------


def test_a_file_that_grows_while_sent_is_cut_at_the_announced_size(tmp_path: Path) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"12345")
    body = encode_body(FILE_INFO, {"upload": path})
    with path.open("ab") as fh:
        fh.write(b"-appended later")
    raw = collect(body.content)
    assert len(raw) == body.length
    assert describe(parts(body)[0])[3] == b"12345"


def test_a_file_that_shrinks_while_sent_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "shrinking.log"
    path.write_bytes(b"0123456789")
    body = encode_body(FILE_INFO, {"upload": path})
    path.write_bytes(b"0123")
    with pytest.raises(BentoClientError, match="6 byte"):
        collect(body.content)


def test_a_caller_stream_is_held_to_its_measured_size() -> None:
    stream = io.BytesIO(b"abcdef")
    body = encode_body(FILE_INFO, {"upload": stream})
    stream.seek(0, io.SEEK_END)
    stream.write(b"ghij")  # appended after the size was measured
    assert describe(parts(body)[0])[3] == b"abcdef"


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    piece=st.integers(min_value=1, max_value=700),
    seek=st.integers(min_value=0, max_value=50),
)
def test_lengths_are_exact_for_any_mix_of_sources(data: list[bytes], piece: int, seek: int) -> None:
    class Trickle(io.RawIOBase):  # seekable, but reads come in small pieces
        def __init__(self, raw: bytes) -> None:
            self._inner = io.BytesIO(raw)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def seek(self, offset: int, whence: int = 0) -> int:
            return self._inner.seek(offset, whence)

        def tell(self) -> int:
            return self._inner.tell()

        def readinto(self, buffer: Any) -> int:
            chunk = self._inner.read(min(len(buffer), piece))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    values: list[Any] = []
    expected: list[bytes] = []
    for i, raw in enumerate(data):
        if i % 2:
            stream = Trickle(raw)
            start = min(seek, len(raw))
            stream.seek(start)
            values.append(stream)
            expected.append(raw[start:])
        else:
            values.append(raw)
            expected.append(raw)
    body = encode_multipart(FILES_INFO, {"uploads": values})
    assert isinstance(body.content, MultipartBody)
    first = collect(body.content)
    assert body.length == len(first)
    assert collect(body.content) == first  # replays from the same positions
    assert [describe(p)[3] for p in parts(body)] == expected


# --- names of uploaded files ---------------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_sent_with_a_replacement_character() -> None:
    class Named(io.BytesIO):
        name = os.fsdecode(b"/tmp/caf\xe9 menu.pdf")

    src = file_source(Named(b"%PDF"), endpoint="e", argument="upload")
    assert src.filename == "caf\ufffd menu.pdf"
    assert src.content_type == "application/pdf"
    body = encode_multipart(FILE_INFO, {"upload": Named(b"%PDF")})
    assert describe(parts(body)[0])[1] == "caf\ufffd menu.pdf"


def test_bytes_path_like() -> None:
    class BytesPathLike:
        def __init__(self, path: bytes) -> None:
            self.path = path

        def __fspath__(self) -> bytes:
            return self.path

    src = file_source(BytesPathLike(os.fsencode(__file__)), endpoint="e", argument="upload")
    assert src.filename == os.path.basename(__file__)


# --- image fields: the part type is a hint BentoML passes to Pillow ---------------------------------------


@pytest.mark.parametrize("name", ["photo.jpg", "icon.ico", "frame.ppm", "scan.tif", "noext"])
def test_image_fields_send_non_image_values_as_octet_stream(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    for body in (
        encode_multipart(IMAGE_INFO, {"image": path}),
        encode_multipart(IMAGE_INFO, {"image": b"\x89PNG\r\n\x1a\n"}),
        encode_multipart(IMAGES, {"images": [path, io.BytesIO(b"\x89PNG\r\n\x1a\n")]}),
    ):
        for part in parts(body):
            assert part.get("content-type") == "application/octet-stream"
    assert describe(parts(encode_multipart(IMAGE_INFO, {"image": path}))[0])[1] == name


def test_pil_images_are_sent_in_their_format_and_unchanged_files_byte_for_byte(tmp_path: Path) -> None:
    if not HAVE_PIL:
        # Without Pillow nothing is a PIL image: an object with save/mode/size is still
        # recognised by duck typing and encoded through its own save().
        class FakeImage:
            format = None
            mode = "RGB"
            size = (1, 1)

            def save(self, fp: Any, format: str) -> None:
                fp.write(b"fake-" + format.encode())

        body = encode_multipart(IMAGE_INFO, {"image": FakeImage()})
        assert describe(parts(body)[0]) == ("image", "image.png", "image/png", b"fake-PNG")
        return
    from PIL import Image

    in_memory = Image.new("RGB", (3, 2), (9, 8, 7))
    name, filename, ctype, data = describe(parts(encode_multipart(IMAGE_INFO, {"image": in_memory}))[0])
    assert (name, filename, ctype) == ("image", "image.png", "image/png")
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.tobytes() == in_memory.tobytes()

    jpeg = tmp_path / "photo.jpg"
    in_memory.save(jpeg, quality=80, comment=b"kept metadata")
    with Image.open(jpeg) as photo:
        body = encode_multipart(IMAGE_INFO, {"image": photo})
        assert describe(parts(body)[0]) == ("image", "photo.jpg", "image/jpeg", jpeg.read_bytes())
        photo.load()
        photo.putpixel((0, 0), (255, 255, 255))  # changed: re-encoded from the pixels, as JPEG
        _, filename, ctype, data = describe(parts(encode_multipart(IMAGE_INFO, {"image": photo}))[0])
        assert (filename, ctype) == ("photo.jpg", "image/jpeg")
        assert data != jpeg.read_bytes()
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.format == "JPEG"
            pixel = decoded.getpixel((0, 0))
            assert isinstance(pixel, tuple)
            assert pixel[0] > 200

    rgba = Image.new("RGBA", (2, 2), (1, 2, 3, 4))
    rgba.format = "JPEG"  # a format that cannot hold the mode: falls back to PNG
    assert describe(parts(encode_multipart(IMAGE_INFO, {"image": rgba}))[0])[2] == "image/png"


# --- bytes fields -------------------------------------------------------------------------------------------


def test_a_path_or_stream_for_a_bytes_field_sends_the_content(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes("\u00e9\x00 content".encode())
    for value in (path, io.BytesIO("\u00e9\x00 content".encode())):
        body = encode_multipart(BLOB_AND_FILE, {"data": value, "upload": b"u"})
        data_part = [describe(p) for p in parts(body) if describe(p)[0] == "data"]
        # A plain form field with the JSON string of the content: every BentoML line reads
        # it byte for byte (a file part is a 500 on 1.2 and 1.3); never the text of the path.
        assert data_part == [("data", None, None, b'"\xc3\xa9\\u0000 content"')]
    path.write_bytes(b"\xff\x00 content")
    for value in (path, io.BytesIO(b"\xff\x00 content")):
        with pytest.raises(ArgumentError, match=r"'data'.*not UTF-8.*offset 0.*pathlib.Path"):
            encode_multipart(BLOB_AND_FILE, {"data": value, "upload": b"u"})
    text = [describe(p) for p in parts(encode_multipart(BLOB_AND_FILE, {"data": "text", "upload": b"u"}))]
    assert ("data", None, None, b'"text"') in text  # a str stays text


# --- names of downloaded files ---------------------------------------------------------------------------


def _name(disposition: str, content_type: str = "text/plain") -> str:
    return output_filename(Headers({"content-disposition": disposition, "content-type": content_type}))


def test_extended_filename_with_a_language_tag() -> None:
    assert _name("attachment; filename*=UTF-8'en'r%C3%A9sum%C3%A9.txt") == "résumé.txt"
    assert _name("attachment; filename*=iso-8859-1'fr'caf%E9.txt") == "café.txt"


def test_names_hostile_or_impossible_on_a_real_server() -> None:
    assert _name('attachment; filename="a\x00b.txt"') == "ab.txt"  # a raw NUL (h11 refuses to send one)
    assert _name('attachment; filename="x\r\ny.txt"') == "xy.txt"
    assert _name('attachment; filename="/abs/path"') == "path"
    assert _name('attachment; filename="../../etc/x"') == "x"
    assert _name("attachment; filename*=utf-8''%2E%2E") == "output.txt"


def test_long_multibyte_names_fit_the_file_system() -> None:
    name = sanitize_filename("é" * 300 + ".csv")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.endswith(".csv")
    assert name.startswith("é")
    assert sanitize_filename("日本" * 200).encode("utf-8")[:3] == "日".encode()
    assert len(sanitize_filename("日本" * 200).encode("utf-8")) <= MAX_NAME_BYTES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("CON", "_CON"), ("nul.txt", "_nul.txt"), ("com1.log", "_com1.log"), ("Lpt9", "_Lpt9"), ("console", "console")],
)
def test_windows_device_names_are_not_used_as_is(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected
    assert sanitize_filename(expected) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_sanitized_names_can_be_created(raw: str) -> None:
    name = sanitize_filename(raw)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert sanitize_filename(name) == name


def test_sanitized_names_are_creatable_on_this_file_system(tmp_path: Path) -> None:
    for raw in ["é" * 300 + ".txt", "日本語" * 100, "a" * 1000, "\U0001f600" * 100 + ".png"]:
        path = tmp_path / (sanitize_filename(raw) + "-9999")  # room for the uniqueness suffix
        path.write_bytes(b"ok")
        assert path.read_bytes() == b"ok"


# --- values whose type depends on optional libraries --------------------------------------------------------


def without_library_warns(package: str) -> contextlib.AbstractContextManager[Any]:
    """Where ``package`` is missing, a plain value comes with a warning naming it; else none."""
    if importlib.util.find_spec(package) is None:
        return pytest.warns(MissingDependencyWarning, match=f"pip install {package}")
    return contextlib.nullcontext()


def _decode(output: dict[str, Any], body: bytes, content_type: str = "application/json") -> Any:
    return decode_value(make_endpoint(object_input({}), output, name="out"), response(200, body, content_type))


@pytest.mark.parametrize("body", [b"42", b"[1, 2]", b"true", b'{"a": 1}', b"3.5"])
def test_optional_str_output_that_looks_like_json_stays_text(body: bytes) -> None:
    output = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert _decode(output, body) == body.decode()
    assert _decode(output, b"null") is None
    assert _decode({"anyOf": [{"type": "string"}, {"type": "integer"}]}, b"42") == 42


def test_tensor_output_degrades_to_lists_and_survives_ragged_data() -> None:
    output = {"type": "tensor", "format": "numpy-array", "dtype": "float32"}
    with without_library_warns("numpy"):
        value = _decode(output, b"[[1, 2], [3, 4]]")
        ragged = _decode(output, b"[[1, 2], [3]]")
        unknown_dtype = _decode({"type": "tensor", "format": "torch-tensor", "dtype": "bfloat16"}, b"[1, 2]")
    assert ragged == [[1, 2], [3]]
    if HAVE_NUMPY:
        import numpy as np

        assert isinstance(value, np.ndarray)
        assert value.dtype == np.dtype("float32")
        assert value.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert unknown_dtype.tolist() == [1, 2]
    else:
        assert value == [[1, 2], [3, 4]]
        assert unknown_dtype == [1, 2]


@pytest.mark.parametrize(
    ("output", "body", "plain"),
    [
        ({"type": "dataframe", "orient": "records"}, b'[{"a": 1, "b": "x"}]', [{"a": 1, "b": "x"}]),
        ({"type": "dataframe", "orient": "columns", "columns": ["a", "b"]}, b'{"a": [1], "b": ["x"]}', None),
    ],
)
def test_dataframe_output_degrades_to_what_was_sent(output: dict[str, Any], body: bytes, plain: Any) -> None:
    with without_library_warns("pandas"):
        value = _decode(output, body)
    if HAVE_PANDAS:
        import pandas as pd

        assert isinstance(value, pd.DataFrame)
        assert value.to_dict(orient="records") == [{"a": 1, "b": "x"}]
    else:
        assert value == (plain if plain is not None else {"a": [1], "b": ["x"]})


def test_file_source_of_a_data_source_is_not_a_stream() -> None:
    src = FileSource("n", "x/y", data=b"abc", size=3)
    assert src.replayable
    assert b"".join(src.chunks()) == b"abc"


def test_bytes_field_given_a_path_sends_the_file_content(tmp_path: Path) -> None:
    from bentoclient._schema import Endpoint, Field

    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00payload\n")
    field = Field("data", {"type": "string", "format": "binary"}, True, False)
    endpoint = Endpoint("blob", "/blob", {"type": "object", "properties": {"data": field.schema}}, {}, (field,))
    body = encode_body(endpoint, {"data": source})
    assert body.content_type == "application/json"
    assert body.content == b'{"data":"\\u0000payload\\n"}'


def test_binary_root_given_a_stream_sends_it_raw() -> None:
    from bentoclient._schema import Endpoint

    endpoint = Endpoint("raw", "/raw", {"type": "string", "format": "binary", "root_input": True}, {}, root_input=True)
    body = encode_body(endpoint, {"": io.BytesIO(b"\x00\x01\x02")})
    content = body.content if isinstance(body.content, bytes) else b"".join(body.content)
    assert content == b"\x00\x01\x02"
    assert body.length == 3
