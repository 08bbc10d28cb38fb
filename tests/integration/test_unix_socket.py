"""The ``file:///path.sock`` (and ``unix://``) URL form: HTTP over a Unix domain socket."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bentoclient import SyncHTTPClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from unixserver import unix_service


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[Path]:
    with unix_service(tmp_path / "svc.sock") as path:
        yield path


@pytest.mark.parametrize("scheme", ["file://", "unix://"])
def test_calls_over_a_unix_socket(socket_path: Path, scheme: str) -> None:
    with SyncHTTPClient(scheme + str(socket_path)) as client:
        assert client.is_ready() is True
        result = client.echo(text="over the socket")
        assert result == {"text": "over the socket", "host": "127.0.0.1:3000"}  # BentoML's logical host
        assert client.echo(text="again")["text"] == "again"  # the kept-alive socket is reused
