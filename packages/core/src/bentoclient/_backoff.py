"""Exponential back-off with jitter, shared by the readiness wait, retries and polling (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, Optional

if TYPE_CHECKING:
    import random

__all__ = ["Backoff"]


class Backoff(NamedTuple):
    """Delays ``initial * factor**n`` capped at ``maximum``, each scaled by ``1 ± jitter``."""

    initial: float = 0.05
    factor: float = 2.0
    maximum: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: Optional[random.Random] = None) -> float:
        """The delay before retry number ``attempt`` (0-based)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        if rng is None:
            import random  # lazily: it pulls in hashlib and more at import time

            rng = random.Random()
        spread = rng.uniform(-self.jitter, self.jitter) if self.jitter else 0.0
        return max(0.0, base * (1.0 + spread))

    def delays(self, rng: Optional[random.Random] = None) -> Iterator[float]:
        attempt = 0
        while True:
            yield self.delay(attempt, rng)
            attempt += 1
