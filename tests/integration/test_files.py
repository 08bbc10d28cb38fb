"""Files, images, tensors and data frames, both ways, against a real ``bentoml serve``.

The service is ``tests/services/media.py:Media``; every endpoint that receives a file
answers with what arrived (name, size, sha256), so each test compares bytes end to end.

The same tests run with and without Pillow, numpy and pandas in the client's environment:
where a value's type depends on one of them, the test builds the rich value (and expects
the rich result) when the library is importable, and otherwise sends plain bytes / lists
and expects the documented fallback (a ``Path``, nested lists, records).  Nothing is
skipped.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import io
import os
import struct
import threading
import tracemalloc
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from serverlines import ROOT_INPUTS, UNTYPED_TENSORS, limitation

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc

HAVE_PIL = importlib.util.find_spec("PIL") is not None
HAVE_NUMPY = importlib.util.find_spec("numpy") is not None
HAVE_PANDAS = importlib.util.find_spec("pandas") is not None


def without_library_warns(package: str) -> contextlib.AbstractContextManager[Any]:
    """Where ``package`` is missing, a plain value comes with a warning naming it; else none."""
    if importlib.util.find_spec(package) is None:
        install = "pillow" if package == "PIL" else package
        return pytest.warns(exc.MissingDependencyWarning, match=f"pip install {install}")
    return contextlib.nullcontext()


MiB = 1024 * 1024
#: A loopback URL: BentoML's SSRF guard refuses it (or, without uvloop, the download fails).
LOOPBACK_URL = "http://127.0.0.1:9/input.txt"

Pixel = tuple[int, int, int]


@pytest.fixture(scope="module")
def media(media_url: str) -> Iterator[SyncHTTPClient]:
    with SyncHTTPClient(media_url) as client:
        yield client


# --- helpers ----------------------------------------------------------------------------------


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pattern(size: int) -> bytes:
    """The bytes ``Media.big_file`` sends (same definition as in media.py)."""
    blocks = (size + 31) // 32
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(blocks))[:size]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))


def pixels(width: int, height: int) -> list[list[Pixel]]:
    """A small image whose every pixel differs, so flips and offsets show."""
    return [[((x * 53) % 256, (y * 97) % 256, (x * 7 + y * 31) % 256) for x in range(width)] for y in range(height)]


def raw_rgb(rows: list[list[Pixel]]) -> bytes:
    return b"".join(bytes(channel for px in row for channel in px) for row in rows)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_bytes(rows: list[list[Pixel]]) -> bytes:
    """An 8-bit RGB PNG, written with the standard library only."""
    height, width = len(rows), len(rows[0])
    scanlines = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines))
        + _chunk(b"IEND", b"")
    )


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of an 8-bit RGB, non-interlaced PNG, with the standard library only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    pos, idat = 8, b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, color, interlace) == (8, 2, 0), "only 8-bit RGB, non-interlaced"
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    stream, stride, bpp = zlib.decompress(idat), width * 3, 3
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = stream[y * (stride + 1)], bytearray(stream[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out += line
        prev = line
    return width, height, bytes(out)


class OneShot(io.RawIOBase):
    """A readable binary stream that cannot seek (like a pipe or a socket), in small reads."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self._data = memoryview(data)
        self._piece = piece

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._piece, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


# --- file inputs (multipart) --------------------------------------------------------------------


def test_path_upload_arrives_byte_exact_with_an_exact_content_length(media: SyncHTTPClient, tmp_path: Path) -> None:
    data = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    info = media.file_info(path)
    assert info["size"] == len(data)
    assert info["sha256"] == sha(data)
    assert info["suffix"] == ".csv"
    assert info["name"].endswith("in.csv")  # the server's temp file keeps the uploaded name
    assert info["transfer_encoding"] is None
    # One part: --<32 hex boundary>, its two header lines, the data, and the closing delimiter.
    head = 'Content-Disposition: form-data; name="upload"; filename="in.csv"\r\nContent-Type: text/csv\r\n\r\n'
    assert int(info["content_length"]) == (2 + 32 + 2) + len(head) + len(data) + 2 + (2 + 32 + 4)


def test_str_path_and_file_field_beside_a_text_field(media: SyncHTTPClient, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xff\xfe not utf-8 \x00")
    info = media.file_info(str(path), note="a note, é")
    assert (info["sha256"], info["note"], info["suffix"]) == (sha(path.read_bytes()), "a note, é", ".txt")


@pytest.mark.parametrize("name", ["résumé 1.txt", "数据 表.csv", "emoji 😀.bin", "quote'and-dash_.tar.gz"])
def test_unicode_and_spaced_upload_names_arrive(media: SyncHTTPClient, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(name.encode())
    info = media.file_info(path)
    assert info["name"].endswith(name)
    assert info["sha256"] == sha(name.encode())


def test_empty_file(media: SyncHTTPClient, tmp_path: Path) -> None:
    path = tmp_path / "empty.dat"
    path.write_bytes(b"")
    info = media.file_info(path)
    assert (info["size"], info["sha256"]) == (0, sha(b""))


def test_list_of_files_keeps_order_and_every_item(media: SyncHTTPClient, tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.bin"
    first.write_bytes(b"first")
    second.write_bytes(os.urandom(70_000))  # more than one 64 KiB read
    stream = io.BytesIO(b"from a stream")
    sent = [first, str(second), b"\x00raw\xff", stream]
    infos = media.files_info(sent)
    expected = [b"first", second.read_bytes(), b"\x00raw\xff", b"from a stream"]
    assert [i["sha256"] for i in infos] == [sha(e) for e in expected]
    assert infos[0]["name"].endswith("a.txt")
    assert infos[1]["name"].endswith("b.bin")
    assert media.files_info((first,))[0]["sha256"] == sha(b"first")  # a tuple works as a list


def test_file_with_json_typed_fields(media: SyncHTTPClient, tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b'{"not": "parsed"}')
    out = media.file_with_params(path, 2.5, ["x", "y é"], {"k": 3}, label="lbl", flag=True)
    assert out == {
        "file": {
            "name": out["file"]["name"],
            "suffix": ".json",
            "size": 17,
            "sha256": sha(b'{"not": "parsed"}'),
        },
        "scale": 2.5,
        "tags": ["x", "y é"],
        "options": {"k": 3},
        "label": "lbl",
        "flag": True,
    }
    defaults = media.file_with_params(upload=b"x", scale=0, tags=[], options={})
    assert (defaults["label"], defaults["flag"], defaults["scale"]) == ("none", False, 0.0)


def test_declared_content_type_is_sent_for_the_part(media: SyncHTTPClient, tmp_path: Path) -> None:
    # csv_only checks the part's Content-Type against ContentType("text/csv"); bentoclient
    # sends the declared type, so the file's own name does not matter.
    path = tmp_path / "table.bin"
    path.write_bytes(b"a,b\n1,2\n")
    assert media.csv_only(path)["sha256"] == sha(b"a,b\n1,2\n")
    assert media.csv_only(b"a\n1\n")["size"] == 4


def test_bytes_parameter_arrives_byte_exact(media: SyncHTTPClient) -> None:
    # Sent as the JSON string of its UTF-8 text, the one form every BentoML line reads byte for byte.
    data = b"\x00\x01\x7f" + bytes(range(128)) + "\u00e9\u20ac\U0001f600".encode() + b"123"
    for value in (data, bytearray(data), memoryview(data)):
        out = media.blob_info(value, label="bin")
        assert out == {"label": "bin", "size": len(data), "sha256": sha(data), "hex": data[:64].hex()}
    assert media.blob_info("h\u00e9llo")["hex"] == "h\u00e9llo".encode().hex()  # a str is text: UTF-8
    # Bytes that are not UTF-8 cannot arrive unchanged on any line: refused before sending.
    with pytest.raises(exc.ArgumentError, match=r"'blob_info', argument 'data'.*not UTF-8.*pathlib\.Path"):
        media.blob_info(b"\xff\x00\x80", label="bin")


def test_bytesio_is_sent_from_its_position_and_left_open(media: SyncHTTPClient) -> None:
    stream = io.BytesIO(b"HEADER|payload")
    stream.seek(7)
    info = media.file_info(stream)
    assert info["sha256"] == sha(b"payload")
    assert info["name"].endswith("upload")  # no name: the argument's name
    assert not stream.closed


def test_non_seekable_stream_is_sent_chunked(media: SyncHTTPClient) -> None:
    data = os.urandom(200_000)
    info = media.file_info(OneShot(data), note="chunked")
    assert info["transfer_encoding"] == "chunked"
    assert info["content_length"] is None
    assert (info["size"], info["sha256"], info["note"]) == (len(data), sha(data), "chunked")


def test_callers_file_objects_stay_open_even_after_errors(media: SyncHTTPClient, tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_bytes(b"the caller's file")
    with path.open("rb") as fh:
        assert media.file_info(fh)["sha256"] == sha(b"the caller's file")
        assert not fh.closed
        fh.seek(0)
        with pytest.raises(exc.InvalidArgument) as info:  # the server rejects note=123 (not a str)
            media.file_info(fh, note=123)
        assert info.value.status_code == 400
        assert info.value.endpoint == "file_info"
        assert not fh.closed
        with pytest.raises(exc.ArgumentError):  # refused before anything is sent
            media.file_info(fh, nope=1)
        assert not fh.closed
        fh.seek(0)
        assert fh.read() == b"the caller's file"


@limitation(ROOT_INPUTS)
def test_files_bentoclient_opens_are_closed(media_url: str, tmp_path: Path) -> None:
    path = tmp_path / "counted.bin"
    path.write_bytes(os.urandom(150_000))
    png = tmp_path / "counted.png"
    png.write_bytes(png_bytes(pixels(3, 2)))
    before = open_fds()
    with SyncHTTPClient(media_url) as client:
        for _ in range(3):
            assert client.file_info(path)["sha256"] == sha(path.read_bytes())
        client.files_info([path, str(path), png])
        client.root_file(path)
        client.image_info(png)
        with pytest.raises(exc.InvalidArgument):
            client.file_info(path, note=[1])  # an error response after the file was sent
        with pytest.raises(exc.ArgumentError):
            client.file_info(tmp_path / "missing.bin")
        during = open_fds()
    assert open_fds() == before
    assert during - before <= 2  # pooled sockets only (sequential calls share one)


@limitation(ROOT_INPUTS)
def test_concurrent_uploads_through_one_client_do_not_mix(media: SyncHTTPClient, tmp_path: Path) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def upload(n: int) -> list[tuple[str, str]]:
        data = os.urandom(100_000 + n)
        path = tmp_path / f"t{n}.bin"
        path.write_bytes(data)
        cases: list[tuple[Any, bytes]] = [
            (path, data),
            (io.BytesIO(data[::-1]), data[::-1]),
            (data[:5000], data[:5000]),
        ]
        barrier.wait()
        results = [(sha(sent), media.file_info(value, note=f"thread {n}")["sha256"]) for value, sent in cases]
        results.append((sha(data), media.root_file(path)["sha256"]))
        return results

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(upload, range(threads)))
    assert len(outcomes) == threads
    for results in outcomes:
        for expected, got in results:
            assert got == expected


@limitation(ROOT_INPUTS)
def test_large_upload_is_streamed(media: SyncHTTPClient, tmp_path: Path) -> None:
    data = pattern(5 * MiB)
    path = tmp_path / "large.bin"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        info = media.file_info(path)
        root = media.root_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info["sha256"] == root["sha256"] == sha(data)
    assert info["size"] == len(data)
    assert peak < 1 * MiB, f"the upload held {peak} bytes at once"


# --- root file input (the whole body is the file) ------------------------------------------------


@limitation(ROOT_INPUTS)
def test_root_file_from_every_kind_of_source(media: SyncHTTPClient, tmp_path: Path) -> None:
    data = b"\x00\xffroot body\r\n" * 1000
    path = tmp_path / "root.wav"
    path.write_bytes(data)
    stream = io.BytesIO(b"skip" + data)
    stream.seek(4)
    for value in (path, str(path), data, bytearray(data), stream, OneShot(data)):
        info = media.root_file(value)
        assert (info["size"], info["sha256"]) == (len(data), sha(data)), type(value)
        assert info["suffix"] == ""  # a raw body carries no file name
    assert not stream.closed


@limitation(ROOT_INPUTS)
def test_empty_root_file_arrives_as_braces(media: SyncHTTPClient, tmp_path: Path) -> None:
    # Documented BentoML 1.4 quirk (docs/usage.md, Files): an empty root body is read as "{}".
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    for value in (path, b""):
        assert media.root_file(value)["sha256"] == sha(b"{}")


# --- URL inputs: the server downloads them (and refuses loopback) --------------------------------


def test_url_inputs_surface_as_typed_http_errors(media: SyncHTTPClient, tmp_path: Path) -> None:
    local = tmp_path / "local.txt"
    local.write_bytes(b"local")
    calls: list[tuple[str, Any]] = [
        ("file_info", LOOPBACK_URL),
        ("files_info", [LOOPBACK_URL, LOOPBACK_URL + "?2"]),
        ("files_info", [local, LOOPBACK_URL]),
        ("root_file", LOOPBACK_URL),
    ]
    for endpoint, value in calls:
        with pytest.raises(exc.HTTPStatusError) as info:
            media.call(endpoint, value)
        err = info.value
        assert not isinstance(err, exc.ArgumentError)  # sent to the server, not read as a path
        assert err.endpoint == endpoint
        # 400 from the SSRF guard ("Connection blocked due to insecure input URL"), or 500
        # when the download itself fails (this server venv lacks uvloop).
        assert err.status_code in (400, 500)
        assert endpoint in str(err)


# --- file outputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename", ["out.csv", "résumé 1.txt", "my report.txt", "数据.json", "noext", "archive.tar.gz"]
)
def test_file_output_keeps_the_servers_name(media: SyncHTTPClient, filename: str) -> None:
    content = f"content of {filename}\n"
    path = media.make_file(content, filename=filename)
    assert isinstance(path, Path)
    assert path.name == filename
    assert path.read_text(encoding="utf-8") == content


def test_large_file_output_is_streamed_to_disk(media: SyncHTTPClient) -> None:
    tracemalloc.start()
    try:
        path = media.big_file(size=5 * MiB + 7)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(path, Path)
    assert path.stat().st_size == 5 * MiB + 7
    assert sha(path.read_bytes()) == sha(pattern(5 * MiB + 7))
    assert peak < 1 * MiB, f"the download held {peak} bytes at once"


def test_same_server_filename_never_overwrites(media: SyncHTTPClient) -> None:
    first = media.make_file("one", filename="same.txt")
    second = media.make_file("two", filename="same.txt")
    third = media.make_file("three", filename="same.txt")
    assert len({first, second, third}) == 3
    assert first.parent == second.parent == third.parent
    assert (first.read_text(), second.read_text(), third.read_text()) == ("one", "two", "three")
    assert second.name == "same-1.txt"


def test_close_removes_the_temporary_download_folder_and_download_dir_keeps_files(
    media_url: str, tmp_path: Path
) -> None:
    # One rule: the temporary folder goes at close() (the end of the with block), not later.
    with SyncHTTPClient(media_url) as client:
        path = client.make_file("temporary", filename="t.txt")
        kept = client.make_file("moved out", filename="k.txt").replace(tmp_path / "k.txt")
        folder = path.parent
        copy = client.with_options(timeout=30)
        with copy:
            assert copy.make_file("by the copy", filename="c.txt").parent == folder
        assert path.read_text() == "temporary"  # closing a with_options() copy removes nothing
    assert not path.exists()
    assert not folder.exists()
    assert kept.read_text() == "moved out"  # a file moved out of the folder before close() stays
    chosen = tmp_path / "downloads"
    with SyncHTTPClient(media_url, download_dir=chosen) as client:
        saved = client.make_file("kept", filename="d.txt")
    assert saved.parent == chosen
    assert saved.read_text() == "kept"  # download_dir= is the caller's: never removed


def test_a_client_never_closed_removes_its_folder_when_garbage_collected(media_url: str) -> None:
    client = SyncHTTPClient(media_url)
    path = client.make_file("temporary", filename="t.txt")
    assert path.read_text() == "temporary"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # its connection, never closed either
        del client
        gc.collect()
    assert not path.parent.exists()


def test_request_uploads_files_as_multipart(media: SyncHTTPClient, tmp_path: Path) -> None:
    src = tmp_path / "upload.bin"
    src.write_bytes(b"\x00\x01 multipart via request()")
    response = media.request("POST", "/file_info", files={"upload": src}, data={"note": "from request()"})
    assert response.is_success
    info = response.raise_for_status().json()
    assert info["size"] == src.stat().st_size
    assert info["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert info["note"] == "from request()"
    assert info["content_length"] is not None  # a known length, not chunked
    named = media.request("POST", "/file_info", files={"upload": ("renamed.txt", b"abc", "text/plain")})
    assert named.json()["suffix"] == ".txt"


def test_download_dir_is_kept(media_url: str, tmp_path: Path) -> None:
    target = tmp_path / "downloads" / "nested"  # created on first use
    with SyncHTTPClient(media_url, download_dir=target) as client:
        path = client.make_file("kept", filename="k.txt")
        big = client.big_file(size=1000)
    assert path == target / "k.txt"
    assert path.read_text() == "kept"
    assert big == target / "big.bin"
    assert big.read_bytes() == pattern(1000)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("dotdot", "x"),  # filename="../../etc/x"
        ("absolute", "path"),  # filename="/abs/path"
        ("backslash", "win.ini"),  # filename="..\\..\\win.ini"
        ("star", "spät.txt"),  # filename*=utf-8''..%2F..%2Fsp%C3%A4t.txt
        ("nul", "abc.txt"),  # filename*=utf-8''..%2Fa%00b%0A%1Bc.txt (NUL, LF, ESC)
        ("dots", "output.txt"),  # filename=".." : nothing left, named after text/plain
        ("none", "output.txt"),  # no Content-Disposition at all
    ],
)
def test_hostile_server_filenames_stay_inside_the_download_dir(
    media_url: str, tmp_path: Path, kind: str, expected: str
) -> None:
    folder = tmp_path / "dl"
    with SyncHTTPClient(media_url, download_dir=folder) as client:
        path = client.odd_name(kind, content=f"odd {kind}")
    assert isinstance(path, Path)
    assert path.parent == folder
    assert path.name == expected
    assert path.read_text() == f"odd {kind}"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [expected]


# --- PIL images -------------------------------------------------------------------------------------


def describe_pixels(rows: list[list[Pixel]]) -> dict[str, Any]:
    return {"mode": "RGB", "size": [len(rows[0]), len(rows)], "pixels": sha(raw_rgb(rows))}


def test_image_input_made_in_memory(media: SyncHTTPClient) -> None:
    rows = pixels(5, 3)
    if HAVE_PIL:
        from PIL import Image

        image = Image.new("RGB", (5, 3))
        image.putdata([px for row in rows for px in row])
        info = media.image_info(image)  # BentoML's client fails here: no underlying file
    else:
        info = media.image_info(png_bytes(rows))
    assert info == {"format": "PNG", **describe_pixels(rows)}


def test_image_input_from_disk(media: SyncHTTPClient, tmp_path: Path) -> None:
    rows = pixels(6, 4)
    path = tmp_path / "pic.png"
    path.write_bytes(png_bytes(rows))
    expected = {"format": "PNG", **describe_pixels(rows)}
    assert media.image_info(path) == expected
    with path.open("rb") as fh:
        assert media.image_info(fh) == expected
        assert not fh.closed
    if HAVE_PIL:
        from PIL import Image

        with Image.open(path) as image:
            assert media.image_info(image) == expected
            image.load()  # BentoML's client fails on a loaded image (its file is closed)
            assert media.image_info(image) == expected
            image.putpixel((0, 0), (1, 2, 3))  # changed since it was read: the new pixels go
            changed = media.image_info(image)
        rows[0][0] = (1, 2, 3)
        assert changed == {"format": "PNG", **describe_pixels(rows)}

        # A JPEG is sent as its own file, not re-encoded (which would change its pixels).
        jpeg = tmp_path / "photo.jpg"
        Image.new("RGB", (8, 8), (200, 30, 60)).save(jpeg, quality=90)
        with Image.open(jpeg) as photo:
            want = sha(photo.tobytes())
            got = media.image_info(photo)
        assert (got["format"], got["pixels"]) == ("JPEG", want)


@pytest.mark.parametrize("name", ["actually-png.jpg", "icon.ico", "frame.ppm", "noext"])
def test_image_field_takes_files_whatever_their_name_says(media: SyncHTTPClient, tmp_path: Path, name: str) -> None:
    # BentoML opens image parts with the part's subtype as a Pillow format hint: a misleading
    # name (or one like image/vnd.microsoft.icon) would make the server fail with a 500.
    rows = pixels(3, 2)
    path = tmp_path / name
    path.write_bytes(png_bytes(rows))
    assert media.image_info(path) == {"format": "PNG", **describe_pixels(rows)}


def test_image_output(media: SyncHTTPClient) -> None:
    with without_library_warns("PIL"):
        image = media.make_image(width=2, height=3, color=[0, 255, 0])
    if HAVE_PIL:
        from PIL import Image

        assert isinstance(image, Image.Image)
        assert (image.size, image.mode, image.format) == ((2, 3), "RGB", "PNG")
        assert image.getpixel((1, 2)) == (0, 255, 0)
    else:
        assert isinstance(image, Path)
        assert image.suffix == ".png"
        assert read_png(image.read_bytes()) == (2, 3, bytes([0, 255, 0]) * 6)


def test_image_round_trip_is_loaded_and_outlives_the_client(media_url: str) -> None:
    rows = pixels(7, 5)
    flipped = [row[::-1] for row in rows]
    with SyncHTTPClient(media_url) as client:
        if HAVE_PIL:
            from PIL import Image

            source = Image.new("RGB", (7, 5))
            source.putdata([px for row in rows for px in row])
            result = client.flip_image(source)
        else:
            with without_library_warns("PIL"):
                result = client.flip_image(png_bytes(rows))
            assert isinstance(result, Path)
            assert read_png(result.read_bytes()) == (7, 5, raw_rgb(flipped))
    if HAVE_PIL:
        assert isinstance(result, Image.Image)
        assert result.tobytes() == raw_rgb(flipped)  # loaded: usable after close() removed the file


# --- tensors -----------------------------------------------------------------------------------------


@limitation(UNTYPED_TENSORS)
def test_typed_tensor_in_and_out(media: SyncHTTPClient) -> None:
    with without_library_warns("numpy"):
        result = media.double_matrix([[1, 2], [3, 4]])
    if HAVE_NUMPY:
        import numpy as np

        assert isinstance(result, np.ndarray)
        assert (result.dtype, result.shape) == (np.dtype("float32"), (2, 2))
        assert result.tolist() == [[2.0, 4.0], [6.0, 8.0]]
        again = media.double_matrix(np.array([[1, 2], [3, 4]], dtype="int64"))
        assert again.dtype == np.dtype("float32")
        assert np.array_equal(again, result)
    else:
        assert result == [[2.0, 4.0], [6.0, 8.0]]
        assert all(isinstance(v, float) for row in result for v in row)


def test_untyped_tensor_in_and_typed_vector_out(media: SyncHTTPClient) -> None:
    if HAVE_NUMPY:
        import numpy as np

        arr: Any = np.arange(6, dtype="int32").reshape(2, 3)
    else:
        arr = [[0, 1, 2], [3, 4, 5]]
    # the server builds the array from the JSON lists (int64: no dtype is declared)
    assert media.tensor_info(arr) == {"dtype": "int64", "shape": [2, 3], "sum": 15.0}
    with without_library_warns("numpy"):
        vector = media.arange(n=3)
    if HAVE_NUMPY:
        assert vector.dtype == np.dtype("int64")
        assert vector.tolist() == [0, 1, 2]
    else:
        assert vector == [0, 1, 2]


def test_tensor_with_nan_is_refused_before_sending(media: SyncHTTPClient) -> None:
    with pytest.raises(exc.ArgumentError, match="NaN") as info:
        media.double_matrix([[1.0, float("nan")], [3.0, 4.0]])
    assert (info.value.endpoint, info.value.argument) == ("double_matrix", "arr")


# --- data frames -------------------------------------------------------------------------------------


def test_records_data_frame(media: SyncHTTPClient) -> None:
    records = [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    expected = [{"a": 1, "b": 2, "total": 3}, {"a": 3, "b": 4, "total": 7}]
    with without_library_warns("pandas"):
        result = media.frame_records(records)
    if HAVE_PANDAS:
        import pandas as pd

        assert isinstance(result, pd.DataFrame)
        assert result.to_dict(orient="records") == expected
        from_frame = media.frame_records(pd.DataFrame(records))
        assert from_frame.to_dict(orient="records") == expected
        info = media.frame_info(pd.DataFrame({"n": [1.5, 2.5, 3.5], "s": ["x", "y", "z"]}))
    else:
        assert result == expected
        info = media.frame_info([{"n": 1.5, "s": "x"}, {"n": 2.5, "s": "y"}, {"n": 3.5, "s": "z"}])
    assert info["columns"] == ["n", "s"]
    assert info["rows"] == 3
    assert info["dtypes"]["n"] == "float64"


def test_columns_data_frame(media: SyncHTTPClient) -> None:
    columns = {"a": [1, 2], "b": [3, 4]}
    with without_library_warns("pandas"):
        result = media.frame_columns(columns)
    if HAVE_PANDAS:
        import pandas as pd

        assert isinstance(result, pd.DataFrame)
        assert result.to_dict(orient="list") == {"a": [2, 4], "b": [6, 8]}
        # a DataFrame argument is sent in the orient the schema declares (columns)
        assert media.frame_columns(pd.DataFrame(columns)).to_dict(orient="list") == {"a": [2, 4], "b": [6, 8]}
    else:
        assert result == {"a": [2, 4], "b": [6, 8]}


# --- arguments that cannot be files ------------------------------------------------------------------


def test_bad_file_arguments_fail_before_sending(media: SyncHTTPClient, tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_text("text")
    bad: list[tuple[Any, str]] = [
        (tmp_path / "missing.csv", "missing.csv"),
        (tmp_path, "not a regular file"),
        (12, "int"),
    ]
    for value, needle in bad:
        with pytest.raises(exc.ArgumentError, match=needle) as info:
            media.file_info(value)
        assert (info.value.endpoint, info.value.argument) == ("file_info", "upload")
    with text.open("r") as fh, pytest.raises(exc.ArgumentError, match="'rb'"):
        media.file_info(fh)
