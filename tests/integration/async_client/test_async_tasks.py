"""Task endpoints through AsyncHTTPClient."""

from __future__ import annotations

import asyncio

import pytest
from serverlines import NO_TASKS, limitation

from bentoclient import ResultStatus
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient, AsyncTask


@limitation(NO_TASKS)
def test_async_tasks(wire_url: str) -> None:
    async def main() -> None:
        async with AsyncHTTPClient(wire_url, server_ready_timeout=0) as client:
            task = await client.echo_task.submit(text="hi", delay=0.3)
            assert isinstance(task, AsyncTask)
            assert await task.result(timeout=30) == {"text": "hi"}
            assert await task.get_status() is ResultStatus.COMPLETED
            assert await client.echo_task.get(task.id) == {"text": "hi"}
            again = await task.retry()
            assert await again.wait(timeout=30) is ResultStatus.COMPLETED
            with pytest.raises(exc.ArgumentError):
                client.echo_task.submit(delay=1)  # checked before any await

    asyncio.run(main())
