"""Authentication errors on AsyncHTTPClient from a real token-checking server (``runs:Guarded``)."""

from __future__ import annotations

import asyncio

import pytest

from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient


@pytest.fixture(autouse=True)
def _no_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)


def _says_how_to_give_the_token(error: BaseException) -> None:
    text = str(error)
    assert "token=" in text
    assert "BENTO_CLOUD_API_KEY" in text


def test_async_missing_and_wrong_tokens(guarded_url: str) -> None:
    async def main() -> None:
        with pytest.raises(exc.Unauthorized) as missing:
            async with AsyncHTTPClient(guarded_url):
                pass
        _says_how_to_give_the_token(missing.value)
        with pytest.raises(exc.Forbidden) as wrong:
            async with AsyncHTTPClient(guarded_url, token="wrong"):
                pass
        _says_how_to_give_the_token(wrong.value)
        async with AsyncHTTPClient(guarded_url, token="secret") as client:
            assert await client.call("echo", text="hi") == "hi"

    asyncio.run(main())
