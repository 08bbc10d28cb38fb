"""AsyncHTTPClient over a Unix domain socket (``file:///path.sock``), on both async transports."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from bentoclient_async import AsyncHTTPClient, AsyncioTransport

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from unixserver import unix_service


@pytest.mark.parametrize("kind", ["httpx", "asyncio"])
def test_async_calls_over_a_unix_socket(tmp_path: Path, kind: str) -> None:
    async def main(url: str) -> None:
        options: dict[str, Any] = {"transport": AsyncioTransport(url)} if kind == "asyncio" else {}
        async with AsyncHTTPClient(url, **options) as client:
            assert await client.is_ready() is True
            assert await client.echo(text="async") == {"text": "async", "host": "127.0.0.1:3000"}

    with unix_service(tmp_path / "svc.sock") as path:
        asyncio.run(main(f"file://{path}"))
