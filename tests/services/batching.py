"""Services for ``map()``'s batching and adaptive concurrency (tests/integration/test_map_batch.py).

``Batching``: batchable endpoints (``@bentoml.api(batchable=True)``), whose HTTP API takes a
whole batch, a list, in its one argument and answers a list of the same length.
``Limited``: ``traffic={"max_concurrency": 4}``, so that a fifth call in flight is turned away
by the server before dispatch with ``429 {"error": "Too many requests"}``.
"""

from __future__ import annotations

import asyncio
import time

import bentoml
from bentoml.exceptions import ServiceUnavailable


@bentoml.service
class Batching:
    """Batchable endpoints: one text per item."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    @bentoml.api(batchable=True, max_batch_size=64, max_latency_ms=5000)
    def upper(self, texts: list[str]) -> list[str]:
        """Upper-cases each text; a text ``"boom"`` makes the whole batch fail (500)."""
        if "boom" in texts:
            raise ValueError("a text was 'boom'")
        self.batches.append(len(texts))
        return [text.upper() for text in texts]

    @bentoml.api(batchable=True, max_batch_size=64, max_latency_ms=5000)
    def unavailable(self, texts: list[str]) -> list[str]:
        """Always 503, whatever the inputs: a failure of the whole request, not of an input."""
        raise ServiceUnavailable("the model is not loaded")

    @bentoml.api(batchable=True, max_batch_size=4, max_latency_ms=20)
    def shed(self, texts: list[str]) -> list[str]:
        """Slow (0.1 s a batch) for its 20 ms latency bound: BentoML's batcher drops requests
        that waited longer and answers them 503, without running this function for them."""
        time.sleep(0.1)
        return [text.upper() for text in texts]

    @bentoml.api
    def batch_sizes(self) -> list[int]:
        """The sizes of the batches ``upper`` ran so far."""
        return self.batches


@bentoml.service(traffic={"max_concurrency": 4})
class Limited:
    """At most 4 calls at once; each call waits ``seconds`` (without holding a thread)."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0

    @bentoml.api
    async def wait(self, n: int, seconds: float = 0.05) -> int:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.running -= 1
        return n

    @bentoml.api
    async def most_running(self) -> int:
        """The most calls of ``wait`` that ran at the same time."""
        return self.peak
