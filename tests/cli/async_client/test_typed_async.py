"""The async class of a generated module, on bentoclient-async, against the real services."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import bentoclient
from bentoclient._gen import generate

from ..support import SERVICES
from ..test_gen import _load


def test_generated_async_client_calls_the_service(wire_url: str, tmp_path: Path) -> None:
    from bentoclient.aio import AsyncTask

    schema = json.loads((SERVICES / "wire_schema.json").read_text())
    module = _load(generate(schema, source="wire_schema.json"), tmp_path, "async_wire")
    cls = module.WireAsyncClient
    assert issubclass(cls, bentoclient.AsyncHTTPClient)
    assert cls.__module__ == "async_wire"
    assert module.WireAsyncClient is cls  # made once

    async def scenario() -> None:
        async with cls(wire_url) as client:
            assert await client.text("ab", repeat=2) == "abab"
            assert await client.api_close() == "closed"
            assert await client.echo_model({"name": "a"}) == {"name": "a", "total": 1.0, "tags": []}
            assert await client.echo_task(text="now") == {"text": "now"}
            task = await client.echo_task.submit(text="later", delay=0.2)
            assert isinstance(task, AsyncTask)
            assert await task.result(timeout=30) == {"text": "later"}
            assert await client.echo_task.get(task.id) == {"text": "later"}

    asyncio.run(scenario())
