"""The response-head limits ``HTTPXTransport`` applies after httpcore's h11 has parsed a head.

h11 bounds an *incomplete* head (16 KiB by default, 100 KiB as httpcore sets it): a larger
head that arrives in one read passes it.  Checking the parsed head makes the verdict the
same however the bytes were split, and the same as core's ``ResponseParser`` gives on the
other transports: at most 16 KiB of head (h11's default bound) and at most 100 fields
(``http.client``'s, as the sync pool).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from bentoclient._plugin import MAX_HEADERS

__all__ = ["MAX_HEAD_SIZE", "head_problem"]

#: The largest response head accepted (status line and fields), as h11's default bound.
MAX_HEAD_SIZE = 16 * 1024


def head_problem(status_line: int, fields: Iterable[tuple[bytes, bytes]]) -> Optional[str]:
    """Why a parsed head is refused (None: it is within the limits).

    ``status_line`` is the length of the status line; ``fields`` the raw (name, value) pairs.
    """
    size = status_line + 2
    count = 0
    for name, value in fields:
        count += 1
        size += len(name) + len(value) + 4  # ": " and CRLF
    if count > MAX_HEADERS:
        return f"more than {MAX_HEADERS} header fields"
    if size > MAX_HEAD_SIZE:
        return f"a response head over {MAX_HEAD_SIZE // 1024} KiB"
    return None
