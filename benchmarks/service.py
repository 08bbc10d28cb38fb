"""The BentoML service the benchmarks call (runs in BentoML's own environment).

    cd benchmarks && bentoml serve service:Bench --port 3000

Endpoints, each as cheap on the server as it can be so the client's cost shows:

- ``echo``: a tiny JSON object in, the same object out;
- ``stream``: ``n`` fixed-width text items (``ITEM_WIDTH`` characters each), one chunk per item;
- ``upload``: takes a file, returns its size and SHA-256;
- ``download``: returns a file of ``size`` bytes made by :func:`pattern_chunks`, written once
  per size into ``$BENTOCLIENT_BENCH_FILES`` (set by the runner) and kept for later calls;
- ``upper``: a batchable endpoint (``batchable=True``): a list of texts in, the list upper-cased out.

``BenchLimited`` (``bentoml serve service:BenchLimited``) takes at most ``LIMITED_CONCURRENCY``
calls at once (``traffic={"max_concurrency": ...}``: BentoML turns more away with a 429 before
dispatch); its ``work`` endpoint waits ``WORK_SECONDS`` without holding a thread, like a call to
a model on an accelerator that runs that many requests side by side.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import bentoml

#: Characters per streamed item: ``"item-000042\n"``.
ITEM_WIDTH = 12
CHUNK = 1024 * 1024
#: Where ``download`` keeps its files: the runner sets it to a folder that it removes afterwards.
FILES_VAR = "BENTOCLIENT_BENCH_FILES"
#: ``BenchLimited``: calls at once, and the seconds each call takes.
LIMITED_CONCURRENCY = 8
WORK_SECONDS = 0.01


def _files() -> Path:
    folder = os.environ.get(FILES_VAR)
    if not folder:  # served by hand: a folder of our own, made on first use
        folder = os.environ[FILES_VAR] = tempfile.mkdtemp(prefix="bentoclient-bench-files-")
    return Path(folder)


def pattern_chunks(size: int) -> Iterator[bytes]:
    """``size`` deterministic bytes, in chunks of at most 1 MiB (not all zeros: 0..255 repeated)."""
    block = bytes(range(256)) * (CHUNK // 256)
    left = size
    while left > 0:
        piece = block if left >= CHUNK else block[:left]
        left -= len(piece)
        yield piece


# One worker, no access log and no metrics: the less the server spends per request, the more
# the client's own cost shows (both share this machine's cores).
@bentoml.service(
    workers=1,
    traffic={"timeout": 600},
    logging={"access": {"enabled": False}},
    metrics={"enabled": False},
)
class Bench:
    """Endpoints for bentoclient's benchmarks."""

    @bentoml.api
    def echo(self, text: str = "hi", n: int = 1) -> dict[str, Any]:
        """Return the arguments as a JSON object."""
        return {"text": text, "n": n}

    @bentoml.api
    async def stream(self, n: int = 100) -> AsyncGenerator[str, None]:
        """Yield ``n`` items of ``ITEM_WIDTH`` characters: ``"item-000000\\n"``, ``"item-000001\\n"``, ..."""
        for i in range(n):
            yield f"item-{i:06d}\n"

    @bentoml.api
    def upload(self, file: Path) -> dict[str, Any]:
        """Size and SHA-256 of the uploaded file."""
        digest = hashlib.sha256()
        size = 0
        with open(file, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                digest.update(chunk)
        return {"size": size, "sha256": digest.hexdigest()}

    @bentoml.api
    def download(self, size: int) -> Path:
        """A file of ``size`` bytes of :func:`pattern_chunks` (made on the first call for that size)."""
        folder = _files()
        path = folder / f"blob-{size}.bin"
        if not path.exists():
            partial = folder / f".blob-{size}-{os.getpid()}.part"
            with open(partial, "wb") as fh:
                for chunk in pattern_chunks(size):
                    fh.write(chunk)
            partial.replace(path)
        return path

    @bentoml.api(batchable=True, max_batch_size=256, max_latency_ms=1000)
    def upper(self, texts: list[str]) -> list[str]:
        """A batchable endpoint: each text upper-cased (the HTTP API takes the whole list)."""
        return [text.upper() for text in texts]


@bentoml.service(
    workers=1,
    traffic={"timeout": 600, "max_concurrency": LIMITED_CONCURRENCY},
    logging={"access": {"enabled": False}},
    metrics={"enabled": False},
)
class BenchLimited:
    """A service that takes ``LIMITED_CONCURRENCY`` calls at once (for ``map(concurrency="auto")``)."""

    @bentoml.api
    async def work(self, n: int) -> int:
        """Wait ``WORK_SECONDS`` and return ``n``."""
        await asyncio.sleep(WORK_SECONDS)
        return n
