"""What ``client.request()`` returns: a response read whole, with the parts of httpx's API
that BentoML code reaches for.  Loaded on the first ``request()``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ._models import Headers, ResponseData

if TYPE_CHECKING:
    import datetime

__all__ = ["ClientResponse"]


class ClientResponse(ResponseData):
    """What ``client.request()`` returns; it never raises for an HTTP error status by itself.

    The parts of httpx's ``Response`` that BentoML code reaches for: ``status_code``,
    ``headers``, ``content``, ``text``, ``json()``, ``is_success``, ``is_error``,
    ``is_redirect``, ``url``, ``reason_phrase``, ``elapsed``, ``raise_for_status()`` and
    ``iter_bytes()``; plus ``attempts`` (how many times it was sent).  The body is read whole
    before ``request()`` returns.
    """

    def __init__(
        self,
        status_code: int,
        headers: Headers,
        content: bytes = b"",
        attempts: int = 1,
        *,
        url: str = "",
        elapsed: float = 0.0,
    ) -> None:
        super().__init__(status_code, headers, content, attempts)
        self.url = url
        self._elapsed = elapsed

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status_code < 400 and "location" in self.headers

    @property
    def reason_phrase(self) -> str:
        """The standard phrase of the status (``"Not Found"``), as httpx gives it; "" if none."""
        from http import HTTPStatus

        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the request to having read the response, retries included."""
        import datetime

        return datetime.timedelta(seconds=self._elapsed)

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The body in pieces of ``chunk_size`` bytes (all at once by default)."""
        content = self.content
        if not chunk_size or chunk_size >= len(content):
            if content:
                yield content
            return
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    def raise_for_status(self) -> ClientResponse:
        """Raise the typed error for a 4xx/5xx status; return the response otherwise (as httpx)."""
        if self.status_code >= 400:
            from ._decode import error_from_response

            raise error_from_response(self)
        return self

    def __repr__(self) -> str:
        return f"<ClientResponse [{self.status_code} {self.reason_phrase}]>"
