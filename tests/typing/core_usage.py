"""What core alone offers, typed: the sync client, errors, tasks, bentoclient.testing."""

from __future__ import annotations

from typing import Any, assert_type

import bentoclient
from bentoclient import NO_RETRY, ResultStatus, Retry, SyncHTTPClient, Task, Timeout, exceptions
from bentoclient.exceptions import BentoClientError, HTTPStatusError, ServiceUnavailable
from bentoclient.testing import FakeService, RecordedRequest
from bentoclient.transport import HTTPTransport, SyncTransport


class Service:
    def summarize(self, text: str, max_length: int = 10) -> str:
        return text[:max_length]

    def job(self, prompt: str) -> str:
        return prompt.upper()


class MyClient(SyncHTTPClient):
    """A subclass of the user's own: ``with`` and ``with_options()`` keep its type."""

    def summary(self, text: str) -> str:
        value: str = self.call("summarize", text=text)
        return value


def main() -> None:
    fake = FakeService.from_class(Service, tasks=["job"])
    with MyClient(fake.url, transport=fake.transport()) as mine:
        assert_type(mine, MyClient)
        assert_type(mine.with_options(timeout=5.0), MyClient)
        assert mine.summary("a long text") == "a long tex"
    fake.fail("summarize", status=503, times=1)
    with SyncHTTPClient(fake.url, transport=fake.transport(), timeout=Timeout(read=5.0), retry=NO_RETRY) as client:
        assert_type(client, SyncHTTPClient)
        try:
            client.summarize(text="first")
        except ServiceUnavailable as error:
            assert_type(error.status_code, int)
        value: Any = client.call("summarize", text="a long text", max_length=4)
        assert value == "a lo"
        task: Task = client.job.submit(prompt="p")
        assert_type(task.get_status(), ResultStatus)
        assert_type(task.wait(timeout=1.0), ResultStatus)
        assert task.get() == "P"
        assert_type(client.is_ready(), bool)
    requests: list[RecordedRequest] = fake.requests
    assert requests[0].path == "/readyz"
    assert_type(bentoclient.__version__, str)
    assert_type(Retry(total=2), Retry)
    assert issubclass(exceptions.ConnectError, BentoClientError)
    assert issubclass(HTTPStatusError, bentoclient.BentoClientError)
    seam: SyncTransport = HTTPTransport(fake.url, max_connections=2)  # the service URL; nothing connects yet
    seam.close()
    assert_type(SyncHTTPClient.client_cls, type[Any])
    print("core: ok")


def wrong_calls(fake: FakeService) -> None:
    """Type-checked, never run: each line is a type error (mypy --strict reports an unneeded ignore)."""
    SyncHTTPClient(42)  # type: ignore[arg-type]  # the URL is a str
    fake.fail("summarize", status="503")  # type: ignore[arg-type]  # the status is an int
    HTTPTransport(("svc", 80))  # type: ignore[arg-type]  # a URL (or the address core parses it to)
    from bentoclient.transport import ProxyConfig  # type: ignore[attr-defined]  # not on the public seam  # noqa: F401


if __name__ == "__main__":
    main()
