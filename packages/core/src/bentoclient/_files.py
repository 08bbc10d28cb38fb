"""File outputs on disk: the download folder, unique names, and what a caller gets back."""

from __future__ import annotations

import os
from typing import Any, BinaryIO, Optional

from ._schema import Endpoint
from .exceptions import BentoClientError, ResponseDecodeError

__all__ = ["DownloadFolder", "create_unique", "file_result"]


class DownloadFolder:
    """Where file outputs go: the caller's folder, or a temporary one made on first use.

    One rule for the temporary folder: ``close()`` of the client that made it (leaving its
    ``with`` block) removes it with every file in it; ``with_options()`` copies share it and
    do not remove it.  A client that is never closed removes it when it is garbage-collected
    or at interpreter exit.  Files in the caller's folder (``download_dir=``) are never removed.
    """

    def __init__(self, chosen: Optional[str]) -> None:
        self.chosen = chosen
        self.temp: Optional[str] = None
        self._remover: Any = None

    def path(self) -> str:
        if self.chosen is not None:
            os.makedirs(self.chosen, exist_ok=True)
            return self.chosen
        if self.temp is None:
            import shutil
            import tempfile
            import weakref

            self.temp = tempfile.mkdtemp(prefix="bentoclient-")
            # Bound to this object, not to a client: the finalizer must not keep it alive.
            self._remover = weakref.finalize(self, shutil.rmtree, self.temp, ignore_errors=True)
        return self.temp

    def remove_temp(self) -> None:
        """Remove the temporary folder now (and what is in it)."""
        if self._remover is not None:
            self._remover()
            self._remover = None
        self.temp = None


def file_result(endpoint: Endpoint, path: str) -> Any:
    """A saved file output as the caller gets it: a PIL image for ``pil`` outputs (without
    Pillow: the ``pathlib.Path`` and a ``MissingDependencyWarning``), else a ``pathlib.Path``."""
    from pathlib import Path

    if endpoint.output.get("pil"):
        try:
            from PIL import Image
        except ImportError:  # Pillow is optional: the saved image file then, said out loud
            from ._decode import plain_value_warning

            plain_value_warning(endpoint, "PIL image", "PIL.Image.Image", "pillow", "the saved file's Path")
            return Path(path)
        try:
            with Image.open(path) as image:
                image.load()
                return image
        except (OSError, ValueError, SyntaxError) as exc:  # what Pillow raises for data it cannot read
            raise ResponseDecodeError(
                f"endpoint {endpoint.name!r}: the image output saved at {path} cannot be opened by Pillow: {exc}"
            ) from None
    return Path(path)


def create_unique(folder: str, name: str) -> tuple[str, BinaryIO]:
    """Create ``folder/name`` exclusively, adding ``-1``, ``-2``… so no result overwrites another."""
    stem, dot, ext = name.partition(".")
    for n in range(10_000):
        candidate = os.path.join(folder, name if n == 0 else f"{stem}-{n}{dot}{ext}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            continue
        return candidate, os.fdopen(fd, "wb")
    raise BentoClientError(f"cannot create a file for {name!r} in {folder}: 10000 names taken")
