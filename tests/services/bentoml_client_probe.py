"""Run scenarios through BentoML's own client and print their outcomes as one JSON line.

Runs in the BentoML server's environment (it imports ``bentoml``), started by
``tests/integration/test_bentoml_parity.py``, which runs the same scenarios through
bentoclient and compares::

    python bentoml_client_probe.py '{"demo": "http://127.0.0.1:1234", "wire": "..."}' [scenario ...]

Scenarios named ``async_*`` use the async clients.  Every outcome is ``{"value": ...}`` or
``{"raised": [class names of the MRO], "module": ..., "str": ..., "message": ...,
"error_code": ...}``; :func:`run` is the one both sides use.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

Scenario = Callable[[Any, dict[str, str]], Any]


def outcome(action: Callable[[], Any]) -> dict[str, Any]:
    try:
        value = action()
    except Exception as exc:
        code = getattr(exc, "error_code", None)
        message = getattr(exc, "message", None)
        return {
            "raised": [cls.__name__ for cls in type(exc).__mro__],
            "module": type(exc).__module__.split(".")[0],
            "str": str(exc),
            "message": message if isinstance(message, str) else None,
            "error_code": int(code) if code is not None else None,
        }
    return {"value": value}


def _call(client_cls: Any, url: str, endpoint: str, **kwargs: Any) -> Callable[[], Any]:
    def action() -> Any:
        with client_cls(url) as client:
            return getattr(client, endpoint)(**kwargs)

    return action


def validation_error(cls: Any, urls: dict[str, str]) -> Any:
    return outcome(_call(cls, urls["demo"], "summarize", text="Hello.", max_length="many"))


def timeout_zero(cls: Any, urls: dict[str, str]) -> Any:
    def action() -> Any:
        with cls(urls["demo"], timeout=0) as client:
            return client.classify(input_series=[[1, 2, 3, 4]])

    return outcome(action)


def timeout_zero_without_wait(cls: Any, urls: dict[str, str]) -> Any:
    def action() -> Any:
        with cls(urls["demo"], timeout=0, server_ready_timeout=0) as client:
            return client.classify(input_series=[[1, 2, 3, 4]])

    return outcome(action)


def request_basics(cls: Any, urls: dict[str, str]) -> Any:
    def action() -> Any:
        with cls(urls["demo"]) as client:
            ready = client.request("GET", "/readyz")
            summary = client.request("POST", "/summarize", json={"text": "One. Two."})
            missing = client.request("GET", "/no/such/path")
            invalid = client.request("POST", "/summarize", json={})
            return {
                "ready": [ready.status_code, ready.text],
                "summary": [summary.status_code, summary.text, summary.headers["content-type"]],
                "classify": client.request("POST", "/classify", json={"input_series": [[9, 9]]}).json(),
                "missing": [missing.status_code, missing.text],
                "invalid": [invalid.status_code, invalid.json()["error"]],
            }

    return outcome(action)


def json_of_text(cls: Any, urls: dict[str, str]) -> Any:
    with cls(urls["demo"]) as client:
        return outcome(lambda: client.request("POST", "/summarize", json={"text": "One. Two."}).json())


def argument_errors(cls: Any, urls: dict[str, str]) -> Any:
    results = {}
    with cls(urls["demo"]) as client:
        results["unknown_endpoint"] = outcome(lambda: client.call("no_such_endpoint"))
        results["unknown_argument"] = outcome(lambda: client.summarize(txt="x"))
        results["missing_argument"] = outcome(lambda: client.summarize())
        results["given_twice"] = outcome(lambda: client.summarize("x", text="x"))
    return results


def after_close(cls: Any, urls: dict[str, str]) -> Any:
    client = cls(urls["demo"])
    client.close()
    return outcome(lambda: client.classify(input_series=[[1, 2, 3, 4]]))


def no_scheme(cls: Any, urls: dict[str, str]) -> Any:
    return outcome(lambda: cls(urls["demo"].split("://", 1)[1]))


def server_errors(cls: Any, urls: dict[str, str]) -> Any:
    kinds = ["InvalidArgument", "NotFound", "UnprocessableEntity", "ServiceUnavailable", "ValueError"]
    with cls(urls["wire"]) as client:
        return {kind: outcome(lambda kind=kind: client.fail(kind=kind, message="boom")) for kind in kinds}


def async_before_setup(cls: Any, urls: dict[str, str]) -> Any:
    """The async client used before ``async with``: an endpoint attribute, and ``call()``."""
    client = cls(urls["demo"])
    return {
        "attribute": outcome(lambda: client.classify),
        "call": outcome(lambda: client.call("classify", input_series=[[1]])),
    }


def async_validation_error(cls: Any, urls: dict[str, str]) -> Any:
    import asyncio

    async def main() -> Any:
        async with cls(urls["demo"]) as client:
            return await client.summarize(text="Hello.", max_length="many")

    return outcome(lambda: asyncio.run(main()))


ASYNC_SCENARIOS: dict[str, Scenario] = {f.__name__: f for f in (async_before_setup, async_validation_error)}

SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        validation_error,
        timeout_zero,
        timeout_zero_without_wait,
        request_basics,
        json_of_text,
        argument_errors,
        after_close,
        no_scheme,
        server_errors,
    )
}


def run(sync_cls: Any, async_cls: Any, urls: dict[str, str], names: list[str]) -> dict[str, Any]:
    """Each named scenario's outcome: those in ``ASYNC_SCENARIOS`` with ``async_cls``."""
    return {
        name: ASYNC_SCENARIOS[name](async_cls, urls) if name in ASYNC_SCENARIOS else SCENARIOS[name](sync_cls, urls)
        for name in names
    }


def main() -> None:
    import bentoml

    urls = json.loads(sys.argv[1])
    names = sys.argv[2:] or [*SCENARIOS, *ASYNC_SCENARIOS]
    outcomes = run(bentoml.SyncHTTPClient, bentoml.AsyncHTTPClient, urls, names)
    # Older lines' clients may return what JSON cannot hold (1.2: a function): name its type.
    print(json.dumps(outcomes, default=lambda value: f"<{type(value).__name__}>"))


if __name__ == "__main__":
    main()
