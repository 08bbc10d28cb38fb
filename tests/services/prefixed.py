"""``Prefixed``: a service served under ``path_prefix="/v1"``.

Its API and the system routes (``/v1/readyz``, ``/v1/livez``, ...) live under the
prefix, while ``/schema.json`` stays at the root (see NOTES.md).
"""

from __future__ import annotations

import bentoml


@bentoml.service(path_prefix="/v1")
class Prefixed:
    """A one-endpoint service mounted under /v1."""

    @bentoml.api
    def ping(self, text: str = "pong") -> str:
        """Echoes ``text``; served at ``POST /v1/ping``."""
        return text
