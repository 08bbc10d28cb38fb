"""Which BentoML server line the tests run against, and marks for what a line cannot do.

The line is read from the BentoML installed beside ``$BENTOCLIENT_BENTOML`` (nox's server-line
sessions point it at a 1.2 or 1.3 server; the other sessions at 1.4).  A test that an older
line cannot pass is marked with :func:`limitation`: a strict expected failure on that line
only, so a failure that starts passing fails the run, and the reason names the line and the
server behaviour (docs/compatibility.md lists them).

    @limitation({"1.2": "BentoML 1.2: an error before the first item is an empty 200 stream"})
    def test_...(...): ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional

import pytest
from bentoserve import ENV_VAR, server_line

#: The newest line, which every feature of the client targets.
NEWEST = "1.4"


def _line() -> Optional[str]:
    path = os.environ.get(ENV_VAR, "").strip()
    if not path:
        return None  # the server fixtures raise for this; nothing to mark
    try:
        return server_line(path)
    except RuntimeError:
        return None


#: The line under test ("1.2", "1.3", "1.4"), or None when no server is configured.
LINE: Optional[str] = _line()


def limitation(reasons: Mapping[str, str]) -> pytest.MarkDecorator:
    """A strict ``xfail`` on the lines in ``reasons`` (line -> why); no mark on the others."""
    for line, reason in reasons.items():
        if not reason.startswith(f"BentoML {line}"):
            raise ValueError(f"a limitation's reason starts with 'BentoML {line}': {reason!r}")
    if LINE is not None and LINE in reasons:
        return pytest.mark.xfail(strict=True, reason=reasons[LINE])
    return pytest.mark.xfail(False, reason="; ".join(reasons.values()), strict=True)  # not on this line


def before(line: str) -> bool:
    """Whether the server under test is older than ``line`` (e.g. ``before("1.4")``)."""
    return LINE is not None and tuple(map(int, LINE.split("."))) < tuple(map(int, line.split(".")))


def _on(lines: tuple[str, ...], what: str) -> dict[str, str]:
    return {line: f"BentoML {line}: {what}" for line in lines}


# What an older line cannot do, as marks' reasons (docs/compatibility.md has the same list).
ROOT_INPUTS = _on(
    ("1.2", "1.3"),
    "no root inputs (positional-only parameters, since 1.4): the schema lists the parameter as an "
    "ordinary field and the server fails the call with a 500",
)
NO_TASKS = _on(("1.2",), "no task endpoints (@bentoml.task exists since 1.3)")
NO_PATH_PREFIX = _on(("1.2", "1.3"), "no path_prefix (since 1.4): the service is served at the root")
EMPTY_ERROR_STREAM = _on(
    ("1.2",), "an error before a stream's first item comes back as 200 text/event-stream with an empty body"
)
UNTYPED_TENSORS = {
    "1.2": "BentoML 1.2: a service with Shape/DType-annotated np.ndarray parameters fails to import "
    "(IndexError in its pydantic hook), so the test service declares plain arrays there",
    "1.3": "BentoML 1.3: DType/Shape annotations are neither in the schema nor applied (a float32 "
    "parameter given integers stays int64)",
}
CANCEL_HANGS = _on(("1.3",), "PUT <task>/cancel never answers (a read timeout, where 1.4 answers 400)")
CLIENT_AFTER_CLOSE = _on(("1.2", "1.3"), "its own SyncHTTPClient still answers calls after close()")
ASYNC_CLIENT_BEFORE_SETUP = _on(
    ("1.2", "1.3"), "its own AsyncHTTPClient gives a coroutine function for an endpoint before setup, not NotFound"
)
