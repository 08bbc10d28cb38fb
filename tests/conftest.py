"""Shared by every test folder: the tests talk to servers they start on loopback, so a proxy
configured in the environment they run in (``HTTP_PROXY``, ``https_proxy``, ...) must not
reach them.  Tests that exercise proxies set the variables themselves."""

from __future__ import annotations

import os

import pytest


def proxy_variables() -> list[str]:
    """The proxy variables set in this process (any case), and ``REQUEST_METHOD`` (CGI)."""
    return [name for name in os.environ if name.lower().endswith("_proxy") or name == "REQUEST_METHOD"]


@pytest.fixture(autouse=True)
def no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in proxy_variables():
        monkeypatch.delenv(name)
