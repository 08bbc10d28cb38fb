"""AsyncHTTPClient against a real BentoML service on the IPv6 loopback (``http://[::1]:PORT``).

``tests/integration/test_ipv6.py`` is generated from this module (tools/unasync.py).
"""

from __future__ import annotations

import asyncio  # async-only

from bentoclient import AsyncHTTPClient


def test_calls_a_service_on_an_ipv6_literal_host(ipv6_url: str) -> None:
    assert ipv6_url.startswith("http://[::1]:")

    async def main() -> None:
        async with AsyncHTTPClient(ipv6_url) as client:
            assert await client.is_ready() is True
            assert await client.summarize(text="hello over IPv6") == "hello over IPv6"
            assert (await client.request("GET", "/readyz")).status_code == 200
            assert repr(client).startswith("<" + AsyncHTTPClient.__name__ + f" '{ipv6_url}'")

    asyncio.run(main())  # async-only
    # sync-only: main()
