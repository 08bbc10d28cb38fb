"""The ``file:///path.sock`` (and ``unix://``) URL form: HTTP over a Unix domain socket.

``tests/integration/test_unix_socket.py`` is generated from this module (tools/unasync.py);
the opt-in ``AsyncioTransport`` over the socket is async-only.
"""

from __future__ import annotations

import asyncio  # async-only
from collections.abc import Iterator
from pathlib import Path

import pytest
from unixserver import unix_service

from bentoclient_async import AsyncHTTPClient


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[Path]:
    with unix_service(tmp_path / "svc.sock") as path:
        yield path


@pytest.mark.parametrize("scheme", ["file://", "unix://"])
def test_calls_over_a_unix_socket(socket_path: Path, scheme: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(scheme + str(socket_path)) as client:
            assert await client.is_ready() is True
            result = await client.echo(text="over the socket")
            assert result == {"text": "over the socket", "host": "127.0.0.1:3000"}  # BentoML's logical host
            assert (await client.echo(text="again"))["text"] == "again"  # the kept-alive socket is reused

    asyncio.run(main())  # async-only
    # sync-only: main()


# async-only: begin
def test_the_asyncio_transport_calls_over_a_unix_socket(socket_path: Path) -> None:
    from bentoclient_async import AsyncioTransport

    async def main(url: str) -> None:
        async with AsyncHTTPClient(url, transport=AsyncioTransport(url)) as client:
            assert await client.is_ready() is True
            assert await client.echo(text="async") == {"text": "async", "host": "127.0.0.1:3000"}

    asyncio.run(main(f"file://{socket_path}"))


# async-only: end
