"""Run by ``nox -s packaging`` with ``python -I``: core's ``bentoclient`` folder copied into a
project as ``myapp/_vendor/bentoclient`` works there, the client and the command line.

    python -I vendored_proof.py PROJECT_DIR URL
"""

from __future__ import annotations

import contextlib
import io
import sys


def main(project: str, url: str) -> None:
    sys.path.insert(0, project)
    from myapp._vendor import bentoclient  # type: ignore[import-not-found]  # exists only in the temporary project
    from myapp._vendor.bentoclient import SyncHTTPClient  # type: ignore[import-not-found]  # same
    from myapp._vendor.bentoclient.__main__ import main as cli  # type: ignore[import-not-found]  # same

    assert bentoclient.__file__.startswith(project), bentoclient.__file__
    assert "bentoclient" not in sys.modules, "an installed bentoclient was imported"
    with SyncHTTPClient(url) as client:
        assert client.summarize(text="Vendored. Works.") == "Vendored."
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli(["call", url, "classify", "input_series=[[6, 7, 8, 9]]"])
    assert code == 0, code
    assert out.getvalue().split() == ["[", "1", "]"], out.getvalue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(["schema", url]) == 0
    assert "service Demo" in out.getvalue(), out.getvalue()
    from myapp._vendor.bentoclient.testing import FakeService  # type: ignore[import-not-found]  # same

    fake = FakeService.from_class(_Echo)
    with SyncHTTPClient(fake.url, transport=fake.transport()) as client:
        assert client.echo(text="vendored fake") == "vendored fake"
    print(f"vendored bentoclient {bentoclient.__version__} at {bentoclient.__file__}: client, CLI and testing ok")


class _Echo:
    def echo(self, text: str) -> str:
        return text


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
