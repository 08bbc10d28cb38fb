"""Exponential back-off with jitter, shared by the readiness wait, retries and polling (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Optional, Protocol

__all__ = ["Backoff", "RandomSource", "shared_random"]


class RandomSource(Protocol):
    """Where jitter comes from: ``random.Random`` (or the ``random`` module) fits."""

    def uniform(self, a: float, b: float) -> float: ...


class _SharedRandom:
    """The process-wide ``random`` instance, imported on first use (a forked child gets it
    reseeded by Python itself)."""

    def uniform(self, a: float, b: float) -> float:
        import random  # lazily: it pulls in hashlib and more at import time

        return random.uniform(a, b)


_SHARED = _SharedRandom()


def shared_random() -> RandomSource:
    """The random source the drivers pass to the plans; a test passes ``random.Random(seed)``."""
    return _SHARED


class Backoff(NamedTuple):
    """Delays ``initial * factor**n`` capped at ``maximum``, each scaled by ``1 ± jitter``.

    The jitter is drawn from ``rng`` (anything with ``uniform(a, b)``, e.g. ``random.Random(7)``);
    without one, from the process-wide ``random`` instance.
    """

    initial: float = 0.05
    factor: float = 2.0
    maximum: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: Optional[RandomSource] = None) -> float:
        """The delay before retry number ``attempt`` (0-based)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        if not self.jitter:
            return max(0.0, base)
        spread = (rng if rng is not None else shared_random()).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1.0 + spread))

    def delays(self, rng: Optional[RandomSource] = None) -> Iterator[float]:
        """The delays one after the other (an endless iterator)."""
        attempt = 0
        while True:
            yield self.delay(attempt, rng)
            attempt += 1
