"""Task endpoints (``@bentoml.task``) through AsyncHTTPClient, against a real server.

``tests/integration/test_tasks.py`` is generated from this module (tools/unasync.py).
"""

from __future__ import annotations

import asyncio  # async-only
from typing import Any, Callable

import pytest
from serverlines import CANCEL_HANGS, NO_TASKS, limitation

from bentoclient import ResultStatus
from bentoclient import exceptions as exc
from bentoclient_async import AsyncHTTPClient, AsyncTask

pytestmark = limitation(NO_TASKS)


def with_client(url: str, test: Callable[[AsyncHTTPClient], Any]) -> None:
    """Run ``test`` with a client of ``url`` (set up without a readiness wait), then close it."""

    async def main() -> None:
        async with AsyncHTTPClient(url, server_ready_timeout=0) as client:
            await test(client)

    asyncio.run(main())  # async-only
    # sync-only: main()


def test_submit_returns_a_task_and_result_waits(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        task = await client.echo_task.submit(text="hello", delay=0.5)  # BentoML's sync client crashes here
        assert isinstance(task, AsyncTask)
        assert len(task.id) == 32
        assert await task.get_status() in (ResultStatus.IN_PROGRESS, ResultStatus.COMPLETED)
        assert await task.result(timeout=30) == {"text": "hello"}
        assert await task.get_status() is ResultStatus.COMPLETED
        assert await client.echo_task.get(task.id) == {"text": "hello"}
        assert await client.echo_task.get_status(task.id) is ResultStatus.COMPLETED

    with_client(wire_url, test)


def test_get_before_completion_is_a_typed_error(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        task = await client.echo_task.submit("slow", delay=2)
        with pytest.raises(exc.InvalidArgument, match="not completed"):
            await task.get()
        with pytest.raises(exc.TimeoutException, match="still in_progress"):
            await task.wait(timeout=0.3)
        assert await task.wait(timeout=30) is ResultStatus.COMPLETED

    with_client(wire_url, test)


def test_retry_runs_a_finished_task_again(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        task = await client.echo_task.submit(text="again")
        await task.wait(timeout=30)
        second = await task.retry()
        assert second.id != task.id
        assert await second.result(timeout=30) == {"text": "again"}

    with_client(wire_url, test)


def test_failed_task_raises_its_error(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        # The server accepts the submit and validates later; the task then fails.
        bad = await client.echo_task.submit(text="x", delay="not a number")
        assert await bad.wait(timeout=30) is ResultStatus.FAILED
        with pytest.raises(exc.InvalidArgument):
            await bad.get()

    with_client(wire_url, test)


def test_direct_call_and_argument_checks(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        assert await client.echo_task(text="direct") == {"text": "direct"}
        with pytest.raises(exc.ArgumentError, match="missing required"):
            client.echo_task.submit(delay=1)  # checked at the call, before anything is sent
        with pytest.raises(exc.ArgumentError, match="task_id"):
            await client.echo_task.get("")
        with pytest.raises(exc.NotFound):
            await client.echo_task.get_status("0" * 32)
        assert not hasattr(client.text, "submit")  # only task endpoints have the task functions
        with pytest.raises(exc.NotATaskEndpoint, match=r"'text' is not a task endpoint.*@bentoml.task") as info:
            await client.text.submit(text="x")
        assert isinstance(info.value, (exc.ArgumentError, AttributeError))

    with_client(wire_url, test)


@limitation(CANCEL_HANGS)
def test_cancel_reports_what_the_server_says(wire_url: str) -> None:
    async def test(client: AsyncHTTPClient) -> None:
        task = await client.echo_task.submit(text="c", delay=1)
        # BentoML's local server does not support cancellation and says so with a 400 (1.3 never
        # answers: a short read timeout keeps that case short).
        short = client.with_options(timeout=3.0)
        with pytest.raises(exc.InvalidArgument, match="not supported"):
            await short.echo_task.cancel(task.id)
        await task.wait(timeout=30)

    with_client(wire_url, test)
