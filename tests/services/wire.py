"""``Wire``: a BentoML service whose endpoints exercise one wire feature each.

The integration tests start it with ``bentoml serve wire:Wire`` (cwd = this folder)
and check what bentoclient sends and decodes. ``NOTES.md`` next to this file
records the bytes the server was seen to send and accept; ``wire_schema.json`` is
its ``/schema.json``.

Keep imports light: startup time is paid by every test session.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, Optional

import bentoml
from bentoml.exceptions import (
    BentoMLException,
    InvalidArgument,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
)
from pydantic import BaseModel

#: Longest sleep ``slow`` and ``echo_task`` agree to do, in seconds.
MAX_SLEEP = 5.0

FailKind = Literal[
    "InvalidArgument",
    "NotFound",
    "UnprocessableEntity",
    "ServiceUnavailable",
    "ValueError",
    "BentoMLException",
]
ERRORS: dict[str, type[Exception]] = {
    "InvalidArgument": InvalidArgument,
    "NotFound": NotFound,
    "UnprocessableEntity": UnprocessableEntity,
    "ServiceUnavailable": ServiceUnavailable,
    "ValueError": ValueError,
}


class Item(BaseModel):
    name: str
    quantity: int = 1
    tags: list[str] = []


class Result(BaseModel):
    name: str
    total: float
    tags: list[str]


class Blob(BaseModel):
    length: int
    hex: str
    sha256: str


def _blob(data: bytes) -> Blob:
    return Blob(length=len(data), hex=data.hex(), sha256=hashlib.sha256(data).hexdigest())


def _result(item: Item, factor: float = 1.0) -> Result:
    return Result(name=item.name, total=item.quantity * factor, tags=item.tags)


@bentoml.service
class Wire:
    """Endpoints for bentoclient's integration tests, one wire feature each."""

    # -- JSON bodies and plain outputs -------------------------------------------------

    @bentoml.api
    def echo_model(self, item: Item, factor: float = 1.0) -> Result:
        """JSON object in (a pydantic model field), pydantic model out: total = quantity * factor."""
        return _result(item, factor)

    @bentoml.api
    def text(self, text: str, repeat: int = 1) -> str:
        """``str`` output (text/plain): ``text`` repeated ``repeat`` times."""
        return text * repeat

    @bentoml.api
    def raw_bytes(self, n: int = 3) -> bytes:
        """``bytes`` output: the ``n`` bytes ``00 01 02 ... (n-1) % 256``."""
        return bytes(i % 256 for i in range(n))

    @bentoml.api
    def maybe_text(self, text: Optional[str] = "maybe") -> Optional[str]:
        """``Optional[str]`` output: returns ``text`` (the server labels it application/json)."""
        return text

    @bentoml.api
    def anything(self, text: str = "plain") -> Any:
        """An ``Any`` output: returns ``text`` (a str, sent as plain text)."""
        return text

    @bentoml.api
    def no_args(self) -> dict[str, str]:
        """No input at all: returns ``{"status": "ok"}``."""
        return {"status": "ok"}

    @bentoml.api
    def bytes_param(self, data: bytes, label: str = "") -> dict[str, object]:
        """A ``bytes`` field in an object body: echoes ``label`` and describes ``data``."""
        return {"label": label, **_blob(data).model_dump()}

    # -- root inputs (a positional-only parameter is the whole body) -------------------

    @bentoml.api
    def root_text(self, text: str, /) -> str:
        """Root ``str`` input: echoes the body."""
        return text

    @bentoml.api
    def root_bytes(self, data: bytes, /) -> Blob:
        """Root ``bytes`` input: describes the body."""
        return _blob(data)

    @bentoml.api
    def root_list(self, items: list[int], /) -> list[int]:
        """Root ``list[int]`` input: echoes the list."""
        return items

    @bentoml.api
    def root_model(self, item: Item, /) -> Result:
        """Root pydantic-model input: like ``echo_model`` with factor 1."""
        return _result(item)

    # -- files --------------------------------------------------------------------------

    @bentoml.api
    def file_info(self, upload: Path, note: str = "") -> dict[str, object]:
        """File input (multipart): the stored file's name suffix, ``note`` and content."""
        return {"suffix": upload.suffix, "note": note, **_blob(upload.read_bytes()).model_dump()}

    @bentoml.api
    def bytes_with_file(self, upload: Path, data: bytes) -> Blob:
        """A ``bytes`` field beside a file (a multipart body): describes ``data``."""
        return _blob(data)

    @bentoml.api
    def make_file(self, ctx: bentoml.Context, content: str, filename: str = "out.txt") -> Path:
        """File output: a file called ``filename`` holding ``content`` (UTF-8)."""
        path = Path(ctx.temp_dir) / Path(filename).name
        path.write_text(content, encoding="utf-8")
        return path

    # -- streams ------------------------------------------------------------------------

    @bentoml.api
    def stream_models(self, n: int = 3) -> Iterator[Result]:
        """Stream of models: ``n`` compact JSON objects, one per chunk, no separator."""
        for i in range(n):
            yield Result(name=f"item-{i}", total=float(i), tags=[])

    @bentoml.api
    def stream_bytes(self, n: int = 3, size: int = 4) -> Iterator[bytes]:
        """Stream of ``bytes``: ``n`` chunks of ``size`` bytes, chunk i filled with byte i."""
        for i in range(n):
            yield bytes([i % 256]) * size

    @bentoml.api
    def stream_fail(self, before: int = 1) -> Iterator[str]:
        """Stream that yields ``before`` pieces ``"piece i\\n"`` and then raises ``ValueError``."""
        for i in range(before):
            yield f"piece {i}\n"
        raise ValueError("stream_fail: failing on purpose")

    # -- context: request headers, status, response headers -----------------------------

    @bentoml.api
    def headers(self, ctx: bentoml.Context) -> dict[str, str]:
        """The request headers the server received (names lowercased, last value wins)."""
        return dict(ctx.request.headers.items())

    @bentoml.api
    def created(self, ctx: bentoml.Context, value: str = "made") -> dict[str, str]:
        """Sets status 201 and the response header ``x-wire: created``; returns ``{"value": value}``."""
        ctx.response.status_code = 201
        ctx.response.headers["x-wire"] = "created"
        return {"value": value}

    # -- errors and time ----------------------------------------------------------------

    @bentoml.api
    def fail(self, kind: FailKind, message: str = "wire failure", status: int = 500) -> str:
        """Raises the error named ``kind`` with ``message``; ``status`` is for ``BentoMLException``."""
        if kind == "BentoMLException":
            raise BentoMLException(message, error_code=HTTPStatus(status))
        raise ERRORS[kind](message)

    @bentoml.api
    def slow(self, seconds: float) -> float:
        """Sleeps ``seconds`` (clamped to 0..5) and returns the time slept."""
        seconds = min(max(seconds, 0.0), MAX_SLEEP)
        time.sleep(seconds)
        return seconds

    # -- names that clash with client attributes ----------------------------------------

    # BentoML 1.4.40 looks each API up through the service's own client proxy
    # (``__self_proxy__``), whose ``close``/``call`` methods shadow APIs of the same
    # name: every call to them failed with 500 ("'method' object has no attribute
    # 'local'"). Declining the proxy serves them; only calls from this service to its
    # own APIs would have gone through it.
    @property
    def __self_proxy__(self) -> None:
        return None

    @__self_proxy__.setter
    def __self_proxy__(self, proxy: object) -> None:
        pass

    @bentoml.api
    def close(self) -> str:
        """Named like ``client.close``: returns ``"closed"``."""
        return "closed"

    @bentoml.api
    def call(self, name: str = "call") -> str:
        """Named like ``client.call``: returns ``name``."""
        return name

    # -- tasks --------------------------------------------------------------------------

    # BentoML 1.2 has no tasks: there ``echo_task`` is a plain endpoint (no ``is_task``).
    @getattr(bentoml, "task", bentoml.api)
    def echo_task(self, text: str, delay: float = 0.0) -> dict[str, str]:
        """Task endpoint: sleeps ``delay`` (clamped to 0..5) and returns ``{"text": text}``."""
        time.sleep(min(max(delay, 0.0), MAX_SLEEP))
        return {"text": text}
