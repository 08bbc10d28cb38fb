"""Run by ``nox -s packaging`` with the interpreter of a fresh virtualenv outside the repository,
into which ``bentoclient[async,stream]`` was installed from the built files alone.

    python installed_proof.py URL       # URL: a real ``bentoml serve`` of examples/service.py

Standard library and the installed packages only; exits non-zero on the first failed check.
"""

from __future__ import annotations

import asyncio
import sys
import sysconfig
from pathlib import Path


def main(url: str) -> None:
    import bentoclient
    import bentoclient_async
    import bentoclient_stream
    from bentoclient import AsyncHTTPClient, SyncHTTPClient
    from bentoclient.testing import FakeService

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    for module in (bentoclient, bentoclient_async, bentoclient_stream):
        where = Path(module.__file__ or "").resolve()
        assert site in where.parents, f"{module.__name__} was imported from {where}, not from {site}"

    with SyncHTTPClient(url) as client:
        assert client.classify([[1, 2, 3, 4], [6, 7, 8, 9]]) == [0, 1]
        assert client.summarize(text="Wheels install. Then they run.") == "Wheels install."
        assert "".join(client.stream(prompt="w", n=2)) == "w 0\nw 1\n"  # bentoclient-stream
        assert client.long_job.submit(prompt="task").result(timeout=30) == "TASK"

    async def run_async() -> str:
        async with AsyncHTTPClient(url) as client:  # bentoclient-async's default transport
            pieces = [piece async for piece in client.stream(prompt="a", n=2)]
            return str(await client.summarize(text="Async too. Yes.")) + "".join(pieces)

    assert asyncio.run(run_async()) == "Async too.a 0\na 1\n"

    fake = FakeService.from_class(_Echo)
    with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
        assert client.echo(text="fake") == "fake"
    print(f"installed bentoclient {bentoclient.__version__} from {site}: sync, async, stream, task, testing ok")


class _Echo:
    def echo(self, text: str) -> str:
        return text


if __name__ == "__main__":
    main(sys.argv[1])
