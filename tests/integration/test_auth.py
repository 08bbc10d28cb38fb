"""Authentication errors from a real ``bentoml serve`` that checks the token (``runs:Guarded``).

401 and 403, wherever they come from (the schema read by the constructor or ``async with``,
an endpoint call), are ``Unauthorized`` / ``Forbidden`` whose message says how to give the
token: ``token=`` or ``BENTO_CLOUD_API_KEY``.
"""

from __future__ import annotations

import pytest

from bentoclient import SyncHTTPClient
from bentoclient import exceptions as exc


@pytest.fixture(autouse=True)
def _no_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)


def _says_how_to_give_the_token(error: BaseException) -> None:
    text = str(error)
    assert "token=" in text
    assert "BENTO_CLOUD_API_KEY" in text


def test_sync_missing_token_is_unauthorized_naming_token(guarded_url: str) -> None:
    with pytest.raises(exc.Unauthorized) as info:
        SyncHTTPClient(guarded_url)
    assert info.value.status_code == 401
    assert f"GET {guarded_url}/schema.json" in str(info.value)
    _says_how_to_give_the_token(info.value)


def test_sync_wrong_token_is_forbidden(guarded_url: str) -> None:
    with pytest.raises(exc.Forbidden) as info:
        SyncHTTPClient(guarded_url, token="wrong")
    _says_how_to_give_the_token(info.value)


def test_sync_token_from_the_environment_works_and_a_wrong_header_on_a_call_is_forbidden(
    guarded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "secret")
    with SyncHTTPClient(guarded_url) as client:
        assert client.echo(text="hi") == "hi"
        with pytest.raises(exc.Forbidden) as info:
            client.with_options(headers={"Authorization": "Bearer stolen"}).echo(text="hi")
    assert info.value.endpoint == "echo"
    assert "from endpoint 'echo'" in str(info.value)
    _says_how_to_give_the_token(info.value)
