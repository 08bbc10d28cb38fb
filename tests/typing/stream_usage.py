"""With bentoclient-stream: the stream objects typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_type

from bentoclient import SyncHTTPClient
from bentoclient.streaming import SyncItemStream
from bentoclient.testing import FakeService
from bentoclient_stream import AsyncStream, SyncStream


class Service:
    def tokens(self, prompt: str, n: int = 2) -> Iterator[str]:
        for i in range(n):
            yield f"{prompt}{i} "


def main() -> None:
    fake = FakeService.from_class(Service)
    with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
        stream: SyncStream = client.tokens(prompt="t")
        with stream as items:
            assert_type(items, SyncStream)
            text = "".join(str(item) for item in items)
        assert text == "t0 t1 "
        protocol: SyncItemStream = client.tokens(prompt="u", n=1)
        protocol.close()
    assert issubclass(AsyncStream, object)
    print("stream: ok")


if __name__ == "__main__":
    main()
