"""bentoclient.testing's streams, read through the stream package by both clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from bentoclient import NO_RETRY, SyncHTTPClient
from bentoclient import exceptions as exc
from bentoclient.aio import AsyncHTTPClient
from bentoclient.testing import FakeService


class Generator:
    def tokens(self, prompt: str, n: int = 3) -> Iterator[str]:
        for i in range(n):
            yield f"{prompt} {i}\n"

    def records(self, n: int = 2) -> Iterator[dict[str, int]]:
        for i in range(n):
            yield {"i": i}

    async def async_tokens(self, n: int = 2) -> AsyncIterator[str]:
        for i in range(n):
            await asyncio.sleep(0)
            yield f"a{i}"


def test_sync_streams_from_handlers() -> None:
    fake = FakeService.from_class(Generator)
    with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
        assert "".join(client.tokens(prompt="hi", n=2)) == "hi 0\nhi 1\n"
        assert list(client.records(n=3)) == [{"i": 0}, {"i": 1}, {"i": 2}]
        assert "".join(client.async_tokens(n=3)) == "a0a1a2"  # an async generator, read from sync code
    assert fake.calls("tokens") == [{"prompt": "hi", "n": 2}]


def test_scripted_stream_breaks_mid_way() -> None:
    fake = FakeService.from_class(Generator)
    fake.stream("tokens", ["one ", "two "], interval=0.01, error=exc.ReadError)
    seen: list[str] = []

    def read_all(pieces: Iterator[str]) -> None:
        for piece in pieces:
            seen.append(piece)

    with SyncHTTPClient(fake.url, transport=fake.transport(), retry=NO_RETRY) as client:
        with pytest.raises(exc.ReadError, match="scripted by FakeService"):
            read_all(client.tokens(prompt="x"))
        assert "".join(seen) == "one two "
        assert "".join(client.tokens(prompt="back", n=1)) == "back 0\n"  # the script was used once


def test_async_streams() -> None:
    fake = FakeService.from_class(Generator)
    fake.stream("records", [{"i": 7}], times=1)

    async def main() -> tuple[list[object], str]:
        async with AsyncHTTPClient(fake.url, transport=fake.async_transport()) as client:
            scripted = [item async for item in client.records()]
            text = "".join([piece async for piece in client.async_tokens(n=2)])
            return scripted, text

    assert asyncio.run(main()) == ([{"i": 7}], "a0a1")


class Failing:
    def tokens(self, n: int = 2) -> Iterator[str]:
        yield "first "
        raise RuntimeError("model crashed")


def test_a_handler_that_raises_mid_stream_breaks_the_stream() -> None:
    fake = FakeService.from_class(Failing)
    seen: list[str] = []

    def read_all(pieces: Iterator[str]) -> None:
        for piece in pieces:
            seen.append(piece)

    client = SyncHTTPClient(fake.url, transport=fake.transport(), retry=NO_RETRY)
    with client, pytest.raises(exc.ReadError, match="model crashed"):
        read_all(client.tokens())
    assert seen == ["first "]

    async def main() -> list[str]:
        got: list[str] = []

        async def read(pieces: AsyncIterator[str]) -> None:
            async for piece in pieces:
                got.append(piece)

        async with AsyncHTTPClient(fake.url, transport=fake.async_transport(), retry=NO_RETRY) as client:
            with pytest.raises(exc.ReadError, match="model crashed"):
                await read(client.tokens())
        return got

    assert asyncio.run(main()) == ["first "]


def test_a_pause_longer_than_the_read_timeout_is_a_read_timeout() -> None:
    fake = FakeService.from_class(Generator)
    fake.stream("tokens", ["a", "b"], interval=5.0)
    client = SyncHTTPClient(fake.url, transport=fake.transport(), retry=NO_RETRY, timeout=0.05)
    with client, pytest.raises(exc.ReadTimeout):
        list(client.tokens(prompt="x"))
