"""``Retry-After`` values (pure): a leaf module, so the retry policy and the error tree can
both use it without importing each other."""

from __future__ import annotations

from typing import Optional

__all__ = ["parse_retry_after"]


def parse_retry_after(value: Optional[str], *, now: float) -> Optional[float]:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date); None if absent or invalid.

    ``now`` is the wall-clock time (``time.time()``) an HTTP date is measured from: passed in,
    so the answer depends on the arguments only.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone accepts "²", which float() refuses
        return float(value)
    try:
        seconds = float(value)  # not in the RFC, but some servers send fractions ("1.5")
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    from email.utils import parsedate_to_datetime  # loaded with http.client already

    try:  # a date from an untrusted header: any of these may come out of a bad one
        when = parsedate_to_datetime(value)
        if when is None or when.tzinfo is None:
            return None
        stamp = when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, stamp - now)
