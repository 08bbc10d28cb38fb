"""With bentoclient-async: ``from bentoclient import AsyncHTTPClient`` typed precisely."""

from __future__ import annotations

import asyncio
from typing import assert_type

import bentoclient.aio
from bentoclient import AsyncHTTPClient, AsyncTask, ResultStatus
from bentoclient.testing import FakeService
from bentoclient_async import AsyncioTransport, HTTPXTransport


class Service:
    def job(self, prompt: str) -> str:
        return prompt.upper()


class MyAsyncClient(AsyncHTTPClient):
    """A subclass of the user's own: ``async with`` and ``with_options()`` keep its type."""


async def run() -> None:
    assert_type(AsyncHTTPClient, type[bentoclient.aio.AsyncHTTPClient])
    fake = FakeService.from_class(Service, tasks=["job"])
    async with MyAsyncClient(fake.url, transport=fake.async_transport()) as mine:
        assert_type(mine, MyAsyncClient)
        assert_type(mine.with_options(timeout=5.0), MyAsyncClient)
    async with AsyncHTTPClient(fake.url, transport=fake.async_transport()) as client:
        assert_type(client, bentoclient.aio.AsyncHTTPClient)
        task: AsyncTask = await client.job.submit(prompt="p")
        assert_type(await task.wait(timeout=1.0), ResultStatus)
        assert await task.get() == "P"
        assert_type(await client.is_ready(), bool)
    assert_type(AsyncioTransport, type[AsyncioTransport])
    assert_type(HTTPXTransport, type[HTTPXTransport])
    print("async: ok")


def wrong_calls(fake: FakeService) -> None:
    """Type-checked, never run: each line is a type error (mypy --strict reports an unneeded ignore)."""
    AsyncHTTPClient(fake.url, timeout="soon")  # type: ignore[arg-type]  # a number or a Timeout


if __name__ == "__main__":
    asyncio.run(run())
