"""Task endpoints (``@bentoml.task``) through SyncHTTPClient, against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serverlines import CANCEL_HANGS, NO_TASKS, limitation

from bentoclient import ResultStatus, SyncHTTPClient, Task
from bentoclient import exceptions as exc

pytestmark = limitation(NO_TASKS)


@pytest.fixture(scope="module")
def client(wire_url: str) -> Iterator[SyncHTTPClient]:
    with SyncHTTPClient(wire_url, server_ready_timeout=0) as client:
        yield client


def test_submit_returns_a_task_and_result_waits(client: SyncHTTPClient) -> None:
    task = client.echo_task.submit(text="hello", delay=0.5)  # BentoML's sync client crashes here
    assert isinstance(task, Task)
    assert len(task.id) == 32
    assert task.get_status() in (ResultStatus.IN_PROGRESS, ResultStatus.COMPLETED)
    assert task.result(timeout=30) == {"text": "hello"}
    assert task.get_status() is ResultStatus.COMPLETED
    assert client.echo_task.get(task.id) == {"text": "hello"}
    assert client.echo_task.get_status(task.id) is ResultStatus.COMPLETED


def test_get_before_completion_is_a_typed_error(client: SyncHTTPClient) -> None:
    task = client.echo_task.submit("slow", delay=2)
    with pytest.raises(exc.InvalidArgument, match="not completed"):
        task.get()
    with pytest.raises(exc.TimeoutException, match="still in_progress"):
        task.wait(timeout=0.3)
    assert task.wait(timeout=30) is ResultStatus.COMPLETED


def test_retry_runs_a_finished_task_again(client: SyncHTTPClient) -> None:
    task = client.echo_task.submit(text="again")
    task.wait(timeout=30)
    second = task.retry()
    assert second.id != task.id
    assert second.result(timeout=30) == {"text": "again"}


def test_failed_task_raises_its_error(client: SyncHTTPClient) -> None:
    # The server accepts the submit and validates later; the task then fails.
    bad = client.echo_task.submit(text="x", delay="not a number")
    assert bad.wait(timeout=30) is ResultStatus.FAILED
    with pytest.raises(exc.InvalidArgument):
        bad.get()


def test_direct_call_and_argument_checks(client: SyncHTTPClient) -> None:
    assert client.echo_task(text="sync") == {"text": "sync"}
    with pytest.raises(exc.ArgumentError, match="missing required"):
        client.echo_task.submit(delay=1)
    with pytest.raises(exc.ArgumentError, match="task_id"):
        client.echo_task.get("")
    with pytest.raises(exc.NotFound):
        client.echo_task.get_status("0" * 32)
    assert not hasattr(client.text, "submit")  # only task endpoints have the task functions
    with pytest.raises(exc.NotATaskEndpoint, match=r"'text' is not a task endpoint.*@bentoml.task") as info:
        client.text.submit(text="x")
    assert isinstance(info.value, (exc.ArgumentError, AttributeError))


@limitation(CANCEL_HANGS)
def test_cancel_reports_what_the_server_says(client: SyncHTTPClient) -> None:
    task = client.echo_task.submit(text="c", delay=1)
    # BentoML's local server does not support cancellation and says so with a 400 (1.3 never
    # answers: a short read timeout keeps that case short).
    with client.with_options(timeout=3.0) as short, pytest.raises(exc.InvalidArgument, match="not supported"):
        short.echo_task.cancel(task.id)
    task.wait(timeout=30)
