"""bentoclient-stream: streaming endpoint support for bentoclient (on httpx).

This release ships the package frame only; calling a streaming endpoint raises
``bentoclient.exceptions.MissingDependencyError`` until the stream decoders arrive.
"""

from bentoclient import __version__

__all__ = ["__version__"]
