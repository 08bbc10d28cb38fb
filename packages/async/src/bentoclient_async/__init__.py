"""bentoclient-async: the asyncio client for BentoML services (on httpx).

This release ships the package frame only; ``AsyncHTTPClient`` arrives in a later version.
``from bentoclient import AsyncHTTPClient`` meanwhile raises
``bentoclient.exceptions.MissingDependencyError`` with that explanation.
"""

from bentoclient import __version__

__all__ = ["__version__"]
