"""The one place that picks the httpx line: ``httpx2`` (maintained) on Python 3.11+, ``httpx``
on 3.9 and 3.10, matching the environment markers in ``pyproject.toml``.  The rest of the
package writes ``from ._httpx import httpx`` and names neither."""

import sys

if sys.version_info >= (3, 11):
    import httpx2 as httpx
else:  # httpx2 needs Python 3.11
    import httpx

__all__ = ["httpx"]
