"""Call the example service (``examples/service.py``) through bentoclient, as the README shows.

    python examples/demo.py http://127.0.0.1:3000

``nox -s demo`` starts the service on a free loopback port and runs this script against it.
"""

from __future__ import annotations

import asyncio
import sys

import bentoclient
from bentoclient import AsyncHTTPClient, SyncHTTPClient
from bentoclient.exceptions import ArgumentError, BentoMLException


def main(url: str) -> int:
    print(f"bentoclient {bentoclient.__version__} -> {url}")

    # The seed's sync examples: call(), the named method, the context manager.
    with SyncHTTPClient(url) as client:
        print("endpoints:", ", ".join(client.endpoints))
        resp = client.call("classify", input_series=[[1, 2, 3, 4]])
        print("call('classify', input_series=[[1, 2, 3, 4]]) ->", resp)
        assert resp == [0]
        resp = client.classify(input_series=[[1, 2, 3, 4]])
        print("classify(input_series=[[1, 2, 3, 4]])       ->", resp)
        assert resp == [0]
        text = "BentoML turns models into services. bentoclient calls them."
        print("summarize(text=...)                         ->", repr(client.summarize(text=text)))
        print("is_ready()                                  ->", client.is_ready())

    # Authentication: the token travels as a Bearer header (the demo service ignores it).
    with SyncHTTPClient(url, token="your-api-token") as client:
        print("with token, classify([[6, 7, 8, 9]])        ->", client.classify([[6, 7, 8, 9]]))

    # Timeouts: short for health checks, long for heavy inference; readiness wait on start.
    quick_client = SyncHTTPClient(url, timeout=5)
    inference_client = SyncHTTPClient(url, timeout=120, server_ready_timeout=30)
    try:
        print("timeout=5, is_ready(timeout=1)              ->", quick_client.is_ready(timeout=1))
        print("timeout=120, classify([[1, 2], [9, 9]])     ->", inference_client.classify([[1, 2], [9, 9]]))
    finally:
        quick_client.close()
        inference_client.close()

    # Bad input gets a typed error that says what to fix, before anything is sent.
    with SyncHTTPClient(url) as client:
        try:
            client.summarize(txt="oops")
        except ArgumentError as err:
            print("summarize(txt=...) raised ArgumentError:", err)
        try:
            client.summarize(text=["not", "a", "string"])
        except BentoMLException as err:
            print(f"server rejected a list for text: {type(err).__name__} ({int(err.error_code)})")

    # Streaming endpoints iterate (bentoclient[stream]).
    with SyncHTTPClient(url) as client, client.stream(prompt="hello", n=3) as pieces:
        print("stream(prompt='hello', n=3)                 ->", list(pieces))

    # Many inputs, a few calls at a time, results in input order.
    with SyncHTTPClient(url) as client:
        texts = [{"text": f"Item {i}. More."} for i in range(20)]
        summaries = list(client.map("summarize", texts, concurrency=4))
        print("map('summarize', 20 inputs, concurrency=4)  ->", summaries[:3], "...")
        assert summaries == [f"Item {i}." for i in range(20)]

    # The async client: the same surface, awaited (bentoclient[async]).
    asyncio.run(async_demo(url))
    print("demo finished: every call answered as expected")
    return 0


async def async_demo(url: str) -> None:
    async with AsyncHTTPClient(url) as client:
        resp = await client.call("classify", input_series=[[1, 2, 3, 4]])
        print("async call('classify', ...)                 ->", resp)
        assert resp == [0]
        resp = await client.classify(input_series=[[1, 2, 3, 4]])
        assert resp == [0]
        rows = [[[float(i)] * 4] for i in range(4, 8)]
        results = await asyncio.gather(*(client.classify(row) for row in rows))
        print("async gather of 4 classify calls            ->", results)
        print("async is_ready()                            ->", await client.is_ready())
        resp = client.stream(prompt="hello")
        print("async stream(prompt='hello')                ->", [data async for data in resp])
        inputs = [{"input_series": [[float(i)] * 4]} for i in range(8)]
        labels = await client.map("classify", inputs, concurrency=4)
        print("async map('classify', 8 inputs)             ->", labels)
        assert labels == [await client.classify(**item) for item in inputs]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python examples/demo.py URL", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
