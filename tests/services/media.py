"""``Media``: a BentoML service for files, images, tensors and data frames.

The integration tests (``tests/integration/test_files.py``) start it with
``bentoml serve media:Media`` (cwd = this folder) and check what bentoclient uploads
and downloads. Every endpoint that receives a file describes what arrived (name,
size, sha256), so a test can compare it with what it sent, byte for byte.

Keep imports light at module level: startup time is paid by every test session.
Pillow, numpy and pandas are installed in the server's venv (not necessarily in the
client's).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import bentoml
import numpy as np
import pandas as pd
from bentoml.validators import ContentType, DataframeSchema, DType, Shape
from PIL import Image
from starlette.responses import Response

#: ``big_file`` refuses sizes above this (bytes).
MAX_BIG = 64 * 1024 * 1024

#: BentoML 1.2 fails to import any ``np.ndarray`` annotated with ``Shape``/``DType`` (an
#: IndexError in its pydantic hook): there the typed tensors are plain arrays.
TYPED_TENSORS = not bentoml.__version__.startswith("1.2.")
Matrix = Annotated[np.ndarray, Shape((2, 2)), DType("float32")] if TYPED_TENSORS else np.ndarray
Int64Vector = Annotated[np.ndarray, DType("int64")] if TYPED_TENSORS else np.ndarray
ColumnsFrame = Annotated[pd.DataFrame, DataframeSchema(orient="columns", columns=["a", "b"])]
RecordsFrame = Annotated[pd.DataFrame, DataframeSchema(orient="records")]

#: ``odd_name`` kinds: the raw ``Content-Disposition`` value each one sends.
ODD_DISPOSITIONS: dict[str, str] = {
    "dotdot": 'attachment; filename="../../etc/x"',
    "absolute": 'attachment; filename="/abs/path"',
    # h11 refuses a raw NUL in a header value, so control characters come percent-encoded.
    "nul": "attachment; filename*=utf-8''..%2Fa%00b%0A%1Bc.txt",
    "backslash": 'attachment; filename="..\\\\..\\\\win.ini"',
    "star": "attachment; filename*=utf-8''..%2F..%2Fsp%C3%A4t.txt",
    "dots": 'attachment; filename=".."',
    "none": "",
}
OddKind = Literal["dotdot", "absolute", "nul", "backslash", "star", "dots", "none"]


def pattern(size: int) -> bytes:
    """``size`` deterministic, position-dependent bytes (the tests compute the same)."""
    blocks = (size + 31) // 32
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(blocks))[:size]


def describe(path: Path) -> dict[str, Any]:
    """What arrived in a file: its stored name, suffix, size and sha256."""
    data = path.read_bytes()
    return {
        "name": path.name,
        "suffix": path.suffix,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def describe_image(image: Image.Image) -> dict[str, Any]:
    """An image as the service sees it: format, mode, size and a digest of its pixels."""
    return {
        "format": image.format,
        "mode": image.mode,
        "size": list(image.size),
        "pixels": hashlib.sha256(image.tobytes()).hexdigest(),
    }


@bentoml.service
class Media:
    """Files, images, tensors and data frames, for bentoclient's integration tests."""

    # -- files in -----------------------------------------------------------------------

    @bentoml.api
    def file_info(self, ctx: bentoml.Context, upload: Path, note: str = "") -> dict[str, Any]:
        """A file (multipart part): what arrived, ``note``, and the request's framing headers."""
        headers = ctx.request.headers
        return {
            **describe(upload),
            "note": note,
            "content_length": headers.get("content-length"),
            "transfer_encoding": headers.get("transfer-encoding"),
        }

    @bentoml.api
    def files_info(self, uploads: list[Path]) -> list[dict[str, Any]]:
        """A list of files (one part each, same field name): what arrived, in order."""
        return [describe(p) for p in uploads]

    @bentoml.api
    def file_with_params(
        self,
        upload: Path,
        scale: float,
        tags: list[str],
        options: dict[str, int],
        label: str = "none",
        flag: bool = False,
    ) -> dict[str, Any]:
        """A file beside JSON-typed fields: echoes the fields, describes the file."""
        return {
            "file": describe(upload),
            "scale": scale,
            "tags": tags,
            "options": options,
            "label": label,
            "flag": flag,
        }

    @bentoml.api
    def csv_only(self, table: Annotated[Path, ContentType("text/csv")]) -> dict[str, Any]:
        """A file whose part must be ``text/csv`` (the server checks the part's Content-Type)."""
        return describe(table)

    @bentoml.api
    def any_image_file(self, upload: Annotated[Path, ContentType("image/*")]) -> dict[str, Any]:
        """A file whose part Content-Type must match ``image/*``."""
        return describe(upload)

    @bentoml.api
    def root_file(self, f: Path, /) -> dict[str, Any]:
        """Root file input: the whole request body is the file."""
        return describe(f)

    @bentoml.api
    def blob_info(self, data: bytes, label: str = "") -> dict[str, Any]:
        """A ``bytes`` field (not root): its length and sha256, and ``label``."""
        return {"label": label, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "hex": data[:64].hex()}

    # -- files out ----------------------------------------------------------------------

    @bentoml.api
    def make_file(self, ctx: bentoml.Context, content: str, filename: str = "out.txt") -> Path:
        """A file called ``filename`` (base name only) holding ``content`` (UTF-8)."""
        path = Path(ctx.temp_dir) / Path(filename).name
        path.write_text(content, encoding="utf-8")
        return path

    @bentoml.api
    def make_text_file(self, ctx: bentoml.Context, content: str) -> Annotated[Path, ContentType("text/plain")]:
        """A text file out (``ContentType("text/plain")``) holding ``content``."""
        path = Path(ctx.temp_dir) / "note.txt"
        path.write_text(content, encoding="utf-8")
        return path

    @bentoml.api
    def big_file(self, ctx: bentoml.Context, size: int = 5 * 1024 * 1024) -> Path:
        """``pattern(size)`` as ``big.bin`` (size capped at 64 MiB)."""
        path = Path(ctx.temp_dir) / "big.bin"
        path.write_bytes(pattern(min(max(size, 0), MAX_BIG)))
        return path

    @bentoml.api
    def odd_name(self, kind: OddKind, content: str = "odd") -> Path:
        """A file output whose ``Content-Disposition`` names a hostile or missing file name."""
        headers = {"content-disposition": ODD_DISPOSITIONS[kind]} if ODD_DISPOSITIONS[kind] else {}
        # BentoML sends a returned starlette Response as is; the ``Path`` annotation only
        # makes the schema say ``type: file``, so the client treats the body as a file.
        return Response(content.encode(), media_type="text/plain", headers=headers)

    # -- PIL images ---------------------------------------------------------------------

    @bentoml.api
    def image_info(self, image: Image.Image) -> dict[str, Any]:
        """A PIL image input: format, mode, size and a pixel digest as the server decoded it."""
        return describe_image(image)

    @bentoml.api
    def make_image(self, width: int = 4, height: int = 3, color: list[int] = [255, 0, 0]) -> Image.Image:  # noqa: B006
        """A PIL image output (``pil: true``): a ``width`` x ``height`` RGB image of ``color`` (PNG)."""
        return Image.new("RGB", (width, height), tuple(color))

    @bentoml.api
    def flip_image(self, image: Image.Image) -> Image.Image:
        """PIL in, PIL out: the image mirrored left to right, sent back as PNG."""
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    # -- tensors ------------------------------------------------------------------------

    @bentoml.api
    def double_matrix(self, arr: Matrix) -> Matrix:
        """A float32 2x2 tensor in and out: ``arr * 2``."""
        return arr * 2

    @bentoml.api
    def tensor_info(self, arr: np.ndarray) -> dict[str, Any]:
        """An untyped tensor: the dtype and shape the server built, and the sum."""
        return {"dtype": str(arr.dtype), "shape": list(arr.shape), "sum": float(arr.sum())}

    @bentoml.api
    def arange(self, n: int = 4) -> Int64Vector:
        """A 1-d int64 tensor out: ``0 .. n-1``."""
        return np.arange(n, dtype="int64")

    # -- data frames --------------------------------------------------------------------

    @bentoml.api
    def frame_records(self, df: pd.DataFrame) -> RecordsFrame:
        """A data frame in (records), out (records) with a column ``total = a + b`` added."""
        return df.assign(total=df["a"] + df["b"])

    @bentoml.api
    def frame_columns(self, df: ColumnsFrame) -> ColumnsFrame:
        """A data frame in and out as ``columns`` (a dict of column lists), ``a`` and ``b`` doubled."""
        return df * 2

    @bentoml.api
    def frame_info(self, df: pd.DataFrame) -> dict[str, Any]:
        """What the server built from a records frame: columns, row count, dtypes."""
        return {
            "columns": [str(c) for c in df.columns],
            "rows": len(df),
            "dtypes": {str(k): str(v) for k, v in df.dtypes.items()},
        }
