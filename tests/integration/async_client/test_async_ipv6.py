"""AsyncHTTPClient against a real BentoML service on the IPv6 loopback (``http://[::1]:PORT``)."""

from __future__ import annotations

import asyncio

from bentoclient import AsyncHTTPClient


def test_calls_a_service_on_an_ipv6_literal_host(ipv6_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(ipv6_url) as client:
            assert await client.is_ready() is True
            assert await client.summarize(text="hello over IPv6") == "hello over IPv6"
            assert (await client.request("GET", "/readyz")).status_code == 200

    asyncio.run(main())
