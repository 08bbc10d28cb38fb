"""The command line against a service that checks its token (``tests/services/runs.py:Guarded``).

``/readyz`` is open, everything else answers 401 without a token and 403 with a wrong one,
as a real ``bentoml serve`` with an authentication middleware does.  The same service has a
root-input endpoint (``shout``) and a text stream (``words``) for the argument messages.
"""

from __future__ import annotations

from .support import CliRunner, one_error_line, run_cli


def test_ready_reads_only_readyz_so_a_protected_service_is_ready(guarded_url: str) -> None:
    result = run_cli("ready", guarded_url)  # no token: /schema.json would answer 401
    assert result.code == 0, result.err
    assert result.out.strip() == f"{guarded_url} is ready"


def test_call_without_a_token_exits_3_and_says_how_to_give_one(guarded_url: str) -> None:
    result = run_cli("call", guarded_url, "echo", "text=hi")
    assert result.code == 3, result.err
    line = one_error_line(result.err)
    assert "HTTP 401" in line
    assert f"{guarded_url}/schema.json" in line
    assert "token=" in line
    assert "--token" in line
    assert "BENTO_CLOUD_API_KEY" in line


def test_call_with_a_wrong_token_exits_3_with_forbidden(guarded_url: str) -> None:
    result = run_cli("call", guarded_url, "echo", "text=hi", "--token", "wrong")
    assert result.code == 3, result.err
    line = one_error_line(result.err)
    assert "HTTP 403" in line
    assert "refused the token" in line
    assert "BENTO_CLOUD_API_KEY" in line


def test_call_with_the_token_from_the_environment_works(guarded_url: str) -> None:
    result = run_cli("call", guarded_url, "echo", "text=hi", env={"BENTO_CLOUD_API_KEY": "secret"})
    assert result.code == 0, result.err
    assert result.out == "hi\n"


def test_schema_without_a_token_exits_3(cli: CliRunner, guarded_url: str) -> None:
    result = cli("schema", guarded_url)
    assert result.code == 3, result.err
    assert "BENTO_CLOUD_API_KEY" in one_error_line(result.err)
    assert cli("schema", guarded_url, "--token", "secret").code == 0


def test_a_bare_value_for_a_root_input_names_value(cli: CliRunner, guarded_url: str) -> None:
    result = cli("call", guarded_url, "shout", "hello", "--token", "secret")
    assert result.code == 2
    line = one_error_line(result.err)
    assert "endpoint 'shout' takes one value" in line
    assert "value=hello" in line
    done = cli("call", guarded_url, "shout", "value=hello", "--token", "secret")
    assert (done.code, done.out) == (0, "HELLO\n")


def test_a_bare_value_for_named_arguments_lists_the_names(cli: CliRunner, guarded_url: str) -> None:
    result = cli("call", guarded_url, "words", "3", "--token", "secret")
    assert result.code == 2
    assert "expected NAME=VALUE; endpoint 'words' takes n" in one_error_line(result.err)
