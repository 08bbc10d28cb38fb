"""The rows of docs/compatibility.md, checked against BentoML's own client on the same server.

BentoML's client exists only in the server's environment, so ``tests/services/
bentoml_client_probe.py`` runs there (the ``python`` beside ``$BENTOCLIENT_BENTOML``) and
prints what each scenario gave; the same scenario functions then run here through
bentoclient's ``SyncHTTPClient``.  Each test states what must be the same and, for a
difference on purpose, what each side does, so a BentoML release that changes its side
fails here and the migration guide gets updated.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bentoclient import SyncHTTPClient

TESTS = Path(__file__).resolve().parents[1]
SERVICES = TESTS / "services"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
from bentoserve import bentoml_executable, server_env  # noqa: E402
from serverlines import ASYNC_CLIENT_BEFORE_SETUP, CLIENT_AFTER_CLOSE, limitation  # noqa: E402

_spec = importlib.util.spec_from_file_location("bentoml_client_probe", SERVICES / "bentoml_client_probe.py")
assert _spec is not None
assert _spec.loader is not None
probe: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)

Outcome = dict[str, Any]


@pytest.fixture(scope="module")
def urls(demo_url: str, wire_url: str) -> dict[str, str]:
    return {"demo": demo_url, "wire": wire_url}


@pytest.fixture(scope="module")
def bentoml_side(urls: dict[str, str]) -> dict[str, Any]:
    """Every scenario's outcome with ``bentoml.SyncHTTPClient`` (one process, one import of BentoML)."""
    python = Path(bentoml_executable()).with_name("python")
    with tempfile.TemporaryDirectory(prefix="bentoclient-probe-") as home:
        result = subprocess.run(
            [str(python), str(SERVICES / "bentoml_client_probe.py"), json.dumps(urls)],
            capture_output=True,
            text=True,
            timeout=180,
            env=server_env(Path(home)),  # no tracking, no user config
        )
    assert result.returncode == 0, result.stderr[-4000:]
    outcomes: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcomes


def ours(name: str, urls: dict[str, str]) -> Any:
    return probe.run(SyncHTTPClient, None, urls, [name])[name]


def ours_async(name: str, urls: dict[str, str]) -> Any:
    if importlib.util.find_spec("bentoclient_async") is None:
        if os.environ.get("BENTOCLIENT_COMBO", "") in ("all", "core+async"):
            pytest.fail("bentoclient-async must be installed in this combination")
        pytest.skip("needs bentoclient-async")
    from bentoclient import AsyncHTTPClient

    return probe.run(None, AsyncHTTPClient, urls, [name])[name]


def raised(outcome: Outcome) -> list[str]:
    assert "raised" in outcome, f"expected an exception, got {outcome}"
    names: list[str] = outcome["raised"]
    return names


# --- the same -----------------------------------------------------------------------------


def test_validation_error_class_code_message_and_type_codes(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["validation_error"], ours("validation_error", urls)
    assert "InvalidArgument" in raised(theirs)
    assert "InvalidArgument" in raised(mine)
    assert "BentoMLException" in raised(theirs)
    assert "BentoClientError" in raised(mine)  # bentoclient's BentoMLException
    assert theirs["error_code"] == mine["error_code"] == 400
    assert mine["message"] == theirs["message"] == theirs["str"]  # .message: the raw body on both
    # Different on purpose: str() is a summary here, the raw body there; both keep the codes.
    assert "int_parsing" in theirs["str"]
    assert "int_parsing" in mine["str"]
    assert mine["str"].startswith("HTTP 400 from endpoint 'summarize': 1 validation error for Input; max_length:")


def test_server_errors_keep_bentomls_class_names(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["server_errors"], ours("server_errors", urls)
    for kind in ("InvalidArgument", "NotFound", "UnprocessableEntity", "ServiceUnavailable"):
        assert raised(theirs[kind])[0] == kind
        assert kind in raised(mine[kind])  # the same class name, catchable the same way
        assert theirs[kind]["error_code"] == mine[kind]["error_code"]
        assert theirs[kind]["message"] == mine[kind]["message"]
    # 500: BentoML raises its base class; bentoclient a subclass of it with the same code.
    assert raised(theirs["ValueError"])[0] == "BentoMLException"
    assert raised(mine["ValueError"])[:2] == ["InternalServerError", "HTTPStatusError"]
    assert theirs["ValueError"]["error_code"] == mine["ValueError"]["error_code"] == 500


def test_request_basics(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["request_basics"], ours("request_basics", urls)
    assert theirs == mine
    assert mine["value"]["missing"][0] == 404  # returned, not raised, on both


def test_json_of_a_text_response_is_a_value_error(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["json_of_text"], ours("json_of_text", urls)
    assert raised(theirs)[0] == "JSONDecodeError"
    assert raised(mine)[0] == "ResponseDecodeError"
    assert "ValueError" in raised(theirs)
    assert "ValueError" in raised(mine)  # `except ValueError` keeps working


def test_argument_errors_are_type_errors(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["argument_errors"], ours("argument_errors", urls)
    for case in ("unknown_argument", "missing_argument", "given_twice"):
        assert raised(theirs[case])[0] == "TypeError", case
        assert "TypeError" in raised(mine[case]), case  # ArgumentError is a TypeError
    assert raised(theirs["unknown_endpoint"])[0] == "NotFound"
    assert "NotFound" in raised(mine["unknown_endpoint"])  # EndpointNotFound is a NotFound


@limitation(CLIENT_AFTER_CLOSE)
def test_use_after_close_is_a_runtime_error(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["after_close"], ours("after_close", urls)
    assert raised(theirs)[0] == "RuntimeError"
    assert raised(mine)[0] == "ClientClosedError"
    assert "RuntimeError" in raised(mine)


# --- different on purpose ----------------------------------------------------------------------


def test_timeout_zero(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    # BentoML: the readiness wait derived from timeout=0 gives up before probing, and with the
    # wait skipped every request fails (httpx gets a zero-second limit). Here: no limit.
    theirs = bentoml_side["timeout_zero"]
    assert raised(theirs)[0] == "ServiceUnavailable"
    assert theirs["str"] == "Server is not ready after 0 seconds"
    without_wait = bentoml_side["timeout_zero_without_wait"]
    assert without_wait["module"] == "httpx"
    assert raised(without_wait)[0] == "ConnectError"
    assert ours("timeout_zero", urls) == {"value": [0]}
    assert ours("timeout_zero_without_wait", urls) == {"value": [0]}


def test_url_without_scheme(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["no_scheme"], ours("no_scheme", urls)
    assert theirs["module"] == "httpx"
    assert raised(theirs)[0] == "UnsupportedProtocol"
    assert raised(mine)[0] == "InvalidURL"
    assert "ValueError" in raised(mine)
    assert "'http://127.0.0.1:" in mine["str"]  # the URL to use


# --- the async client ----------------------------------------------------------------------


def test_async_validation_error(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["async_validation_error"], ours_async("async_validation_error", urls)
    assert "InvalidArgument" in raised(theirs)
    assert "InvalidArgument" in raised(mine)
    assert mine["message"] == theirs["message"] == theirs["str"]
    assert "int_parsing" in theirs["str"]
    assert "int_parsing" in mine["str"]


@limitation(ASYNC_CLIENT_BEFORE_SETUP)
def test_async_client_before_setup(bentoml_side: dict[str, Any], urls: dict[str, str]) -> None:
    theirs, mine = bentoml_side["async_before_setup"], ours_async("async_before_setup", urls)
    assert raised(theirs["attribute"])[0] == "RuntimeError"
    assert raised(mine["attribute"])[0] == "ClientNotSetUpError"
    assert "RuntimeError" in raised(mine["attribute"])
    # Different on purpose: BentoML says NotFound for call() of an endpoint that exists.
    assert raised(theirs["call"])[0] == "NotFound"
    assert raised(mine["call"])[0] == "ClientNotSetUpError"
