"""Authentication errors from a real ``bentoml serve`` that checks the token (``runs:Guarded``).

401 and 403, wherever they come from (the schema read by ``async with`` or the sync
constructor, an endpoint call), are ``Unauthorized`` / ``Forbidden`` whose message says how to
give the token: ``token=`` or ``BENTO_CLOUD_API_KEY``.  The sync tests,
``tests/integration/test_auth.py``, are generated from these (tools/unasync.py).
"""

from __future__ import annotations

import asyncio  # async-only
from typing import Any

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


async def set_up(url: str, **options: Any) -> None:
    """Set a client up (which reads the schema) and close it."""
    async with AsyncHTTPClient(url, **options):
        pass


def test_missing_token_is_unauthorized_naming_token(guarded_url: str) -> None:
    async def main() -> None:
        with pytest.raises(exc.Unauthorized) as info:
            await set_up(guarded_url)
        assert info.value.status_code == 401
        assert f"GET {guarded_url}/schema.json" in str(info.value)
        _says_how_to_give_the_token(info.value)

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_wrong_token_is_forbidden(guarded_url: str) -> None:
    async def main() -> None:
        with pytest.raises(exc.Forbidden) as info:
            await set_up(guarded_url, token="wrong")
        _says_how_to_give_the_token(info.value)

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_token_from_the_environment_works_and_a_wrong_header_on_a_call_is_forbidden(
    guarded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "secret")

    async def main() -> None:
        async with AsyncHTTPClient(guarded_url) as client:
            assert await client.echo(text="hi") == "hi"
            assert await client.call("echo", text="hi") == "hi"
            with pytest.raises(exc.Forbidden) as info:
                await client.with_options(headers={"Authorization": "Bearer stolen"}).echo(text="hi")
        assert info.value.endpoint == "echo"
        assert "from endpoint 'echo'" in str(info.value)
        _says_how_to_give_the_token(info.value)

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_the_right_token_works(guarded_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(guarded_url, token="secret") as client:
            assert await client.call("echo", text="hi") == "hi"

    asyncio.run(main())  # async-only
    # sync-only: main()
