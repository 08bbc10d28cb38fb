"""``bentoclient schema / call / ready`` against real ``bentoml serve`` processes.

Most tests run ``main(argv)`` in this process; the ones about exit codes, stderr and raw
output bytes run ``python -m bentoclient`` as a subprocess.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from bentoserve import fetch

from bentoclient import _cli

from .support import SERVICES, CliRunner, one_error_line, run_cli

HAS_STREAM = importlib.util.find_spec("bentoclient_stream") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the entry points ------------------------------------------------------------------


def test_python_dash_m_runs_the_cli() -> None:
    result = run_cli("--help")
    assert result.code == 0, result.err
    for command in ("schema", "call", "ready", "gen"):
        assert command in result.out


def test_console_script_is_installed_and_runs() -> None:
    script = Path(sys.executable).parent / ("bentoclient.exe" if os.name == "nt" else "bentoclient")
    assert script.exists(), f"the bentoclient console script is missing next to {sys.executable}"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    import bentoclient

    assert proc.stdout.strip() == f"bentoclient {bentoclient.__version__}"


def test_importing_bentoclient_does_not_load_the_cli() -> None:
    code = (
        "import sys, bentoclient, bentoclient.__main__;"
        "print(sorted(m for m in ('argparse', 'bentoclient._cli', 'bentoclient._gen') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_no_command_is_a_usage_error(cli: CliRunner) -> None:
    result = cli()
    assert result.code == 2
    assert "usage:" in result.err


# --- schema ------------------------------------------------------------------------------


def test_schema_lists_endpoints_arguments_and_defaults(cli: CliRunner, demo_url: str) -> None:
    result = cli("schema", demo_url)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    routes = json.loads(fetch(demo_url + "/schema.json").body)["routes"]
    assert lines[0] == f"service Demo: {len(routes)} endpoints"
    assert all(any(line.startswith(f"{r['name']}  POST /{r['name']}") for line in lines) for r in routes)
    assert "summarize  POST /summarize" in lines
    assert any(line.split() == ["max_length", "integer", "default", "50"] for line in lines)
    assert any(line.split() == ["text", "string", "required"] for line in lines)
    assert "stream  POST /stream  [stream]" in lines
    assert "  -> string (each item)" in lines


def test_schema_marks_tasks_files_and_enums(cli: CliRunner, wire_url: str) -> None:
    out = cli("schema", wire_url).out.splitlines()
    assert "echo_task  POST /echo_task  [task]" in out
    assert any(line.split() == ["upload", "file", "required"] for line in out)
    assert any(line.strip().startswith("kind") and 'one of "InvalidArgument", "NotFound"' in line for line in out)
    assert any(line.split()[:2] == ["(body)", "array[integer]"] for line in out)  # root input


def test_schema_json_is_the_raw_schema(cli: CliRunner, wire_url: str) -> None:
    result = cli("schema", wire_url, "--json")
    assert result.code == 0
    assert json.loads(result.out) == json.loads(fetch(wire_url + "/schema.json").body)


def test_schema_of_a_saved_file_needs_no_server(cli: CliRunner) -> None:
    result = cli("schema", str(SERVICES / "demo_schema.json"))
    assert result.code == 0, result.err
    assert "classify  POST /classify" in result.out


# --- call: arguments -------------------------------------------------------------------------


def test_call_prints_json_pretty(cli: CliRunner, demo_url: str) -> None:
    result = cli("call", demo_url, "classify", "input_series=[[1, 2, 3, 4], [6, 7, 8, 9]]")
    assert result.code == 0, result.err
    assert result.out == json.dumps([0, 1], indent=2) + "\n"


def test_text_result_is_printed_as_text(cli: CliRunner, demo_url: str) -> None:
    result = cli("call", demo_url, "summarize", "text=Hello there. More text.", "max_length=5")
    assert result.out == "Hello\n"


def test_string_field_keeps_a_number_like_value_as_text(cli: CliRunner, wire_url: str) -> None:
    # ``repeat`` is an integer field (parsed as JSON), ``text`` a string one (kept as "123").
    result = cli("call", wire_url, "text", "text=123", "repeat=2")
    assert result.code == 0, result.err
    assert result.out == "123123\n"


def test_colon_equals_forces_json(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "text", "text:=123")
    assert result.code == 3
    assert "Input should be a valid string" in one_error_line(result.err)


def test_invalid_json_after_colon_equals_is_a_usage_error(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "text", "text:=nope")
    assert result.code == 2
    assert "text:=" in one_error_line(result.err)


def test_json_option_with_overrides_after_it(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "echo_model", "--json", '{"item": {"name": "a", "quantity": 2}}', "factor=1.5")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"name": "a", "total": 3.0, "tags": []}


def test_root_input_value(cli: CliRunner, wire_url: str) -> None:
    assert json.loads(cli("call", wire_url, "root_list", "value=[1, 2]").out) == [1, 2]
    assert cli("call", wire_url, "root_text", "--json", '"hi"').out == "hi\n"


def test_root_input_takes_only_value(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "root_text", "text=hi")
    assert result.code == 2
    assert "value=" in one_error_line(result.err)
    twice = cli("call", wire_url, "root_text", "--json", '"a"', "value=b")
    assert twice.code == 2
    assert "give it once" in one_error_line(twice.err)


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [
        ({"type": "string"}, "123", "123"),
        ({"type": "string"}, "null", "null"),
        ({"enum": ["a", "1"], "type": "string"}, "1", "1"),
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "5", "5"),
        ({"type": ["integer", "null"]}, "null", None),
        ({"type": "file", "format": "binary"}, "data.csv", "data.csv"),
        ({"type": "integer"}, "5", 5),
        ({"type": "number"}, "1e3", 1000.0),
        ({"type": "boolean"}, "true", True),
        ({"type": "array", "items": {"type": "integer"}}, "[1, 2]", [1, 2]),
        ({"type": "object"}, '{"a": 1}', {"a": 1}),
        ({"type": "integer"}, "five", "five"),  # not JSON: the text (the server says what is wrong)
        (None, "7", 7),  # no schema (unknown field): JSON when it parses
    ],
)
def test_value_rule(schema: Any, text: str, expected: Any) -> None:
    assert _cli.parse_value(text, schema) == expected


def test_file_upload(cli: CliRunner, wire_url: str, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    result = cli("call", wire_url, "file_info", "--file", f"upload={path}", "note=hello")
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert info["hex"] == data.hex()
    assert info["note"] == "hello"
    assert info["suffix"] == ".bin"


def test_file_output_is_saved_and_its_path_printed(cli: CliRunner, wire_url: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    result = cli("call", wire_url, "make_file", "content=a,b", "filename=t.csv", "--output-dir", str(out_dir))
    assert result.code == 0, result.err
    saved = Path(result.out.strip())
    assert saved.parent == out_dir
    assert saved.read_text() == "a,b"


def test_raw_bytes_subprocess(wire_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bentoclient", "call", wire_url, "raw_bytes", "n=4"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"\x00\x01\x02\x03"


def test_token_option_and_environment_variable(cli: CliRunner, wire_url: str) -> None:
    sent = json.loads(cli("call", wire_url, "headers", "--token", "s3cret").out)
    assert sent["authorization"] == "Bearer s3cret"
    from_env = run_cli("call", wire_url, "headers", env={"BENTO_CLOUD_API_KEY": "from-env"})
    assert json.loads(from_env.out)["authorization"] == "Bearer from-env"
    assert "authorization" not in json.loads(cli("call", wire_url, "headers").out)


# --- call: tasks -------------------------------------------------------------------------------


def test_task_is_submitted_and_waited_for(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "echo_task", "text=hi", "delay=0.3")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"text": "hi"}


def test_task_no_wait_prints_the_task_id(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "echo_task", "text=later", "--no-wait")
    assert result.code == 0, result.err
    task_id = result.out.strip()
    status = fetch(f"{wire_url}/echo_task/status?task_id={task_id}")
    assert status.status == 200
    assert json.loads(status.body)["task_id"] == task_id


# --- streams without bentoclient-stream --------------------------------------------------------------


@pytest.mark.skipif(HAS_STREAM, reason="with bentoclient-stream, tests/cli/streams checks the output")
def test_stream_without_the_stream_package_says_how_to_install(demo_url: str) -> None:
    result = run_cli("call", demo_url, "stream", "prompt=hi")
    assert result.code == 1
    assert "needs the stream package: pip install " in one_error_line(result.err)
    assert "stream" in one_error_line(result.err).split("pip install ", 1)[1]


# --- exit codes and error lines -------------------------------------------------------------------


def test_unknown_endpoint_is_a_usage_error(wire_url: str) -> None:
    result = run_cli("call", wire_url, "nope")
    assert result.code == 2
    line = one_error_line(result.err)
    assert "no endpoint 'nope'" in line
    assert "echo_model" in line


def test_missing_argument_is_a_usage_error(wire_url: str) -> None:
    result = run_cli("call", wire_url, "text")
    assert result.code == 2
    assert "missing required argument(s) 'text'" in one_error_line(result.err)


def test_unknown_argument_is_a_usage_error(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "text", "text=a", "repaet=2")
    assert result.code == 2
    assert "did you mean 'repeat'" in one_error_line(result.err)


def test_argument_without_equals_is_a_usage_error(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "text", "hello")
    assert result.code == 2
    assert "NAME=VALUE" in one_error_line(result.err)


def test_missing_upload_file_is_a_usage_error(cli: CliRunner, wire_url: str, tmp_path: Path) -> None:
    result = cli("call", wire_url, "file_info", "--file", f"upload={tmp_path / 'nope.csv'}")
    assert result.code == 2
    assert "nope.csv" in one_error_line(result.err)


def test_http_error_status_exits_3(wire_url: str) -> None:
    result = run_cli("call", wire_url, "fail", "kind=NotFound", "message=gone")
    assert result.code == 3
    assert one_error_line(result.err) == "bentoclient: error: HTTP 404 from endpoint 'fail': gone"


def test_connection_refused_exits_4() -> None:
    result = run_cli("call", f"http://127.0.0.1:{_free_port()}", "anything")
    assert result.code == 4
    assert "Connection refused" in one_error_line(result.err) or "cannot connect" in result.err


def test_bad_url_is_a_usage_error(cli: CliRunner) -> None:
    result = cli("schema", "ftp://127.0.0.1/x")
    assert result.code == 2
    assert "ftp" in one_error_line(result.err)


def test_bad_timeout_is_an_argparse_error(cli: CliRunner) -> None:
    result = cli("ready", "http://127.0.0.1:1", "--timeout", "soon")
    assert result.code == 2
    assert "'soon' is not a number of seconds" in result.err


# --- ready -----------------------------------------------------------------------------------------


def test_ready_exits_0_for_a_ready_service(wire_url: str) -> None:
    result = run_cli("ready", wire_url)
    assert result.code == 0, result.err
    assert result.out.strip() == f"{wire_url} is ready"


def test_ready_exits_4_when_nothing_answers() -> None:
    result = run_cli("ready", f"http://127.0.0.1:{_free_port()}", "--wait", "1.5")
    assert result.code == 4
    line = one_error_line(result.err)
    assert "did not answer 200 within 1.5 seconds" in line
    assert "--wait SECONDS" in line


# --- progress ----------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_for_big_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 1000)
    quiet = io.StringIO()
    assert isinstance(_cli._Progress(quiet, min_bytes=10).upload(str(path)), Path)  # not a terminal
    terminal = _Terminal()
    assert isinstance(_cli._Progress(terminal, min_bytes=10_000).upload(str(path)), Path)  # small file
    progress = _cli._Progress(terminal, min_bytes=10)
    reader = progress.upload(str(path))
    assert reader.read(400) == b"x" * 400
    assert reader.read() == b"x" * 600
    progress.close()
    assert "uploading big.bin: 0.0 MB / 0.0 MB (100%)" in terminal.getvalue()
    assert quiet.getvalue() == ""


def test_download_progress_watches_new_files_in_the_output_folder(tmp_path: Path) -> None:
    terminal = _Terminal()
    (tmp_path / "old.bin").write_bytes(b"o" * 5000)  # there before: not counted
    progress = _cli._Progress(terminal, min_bytes=1000)
    with progress.downloads(str(tmp_path), _FileEndpoint()):
        (tmp_path / "new.bin").write_bytes(b"n" * 3_000_000)
        deadline = time.monotonic() + 10
        while "downloading" not in terminal.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    progress.close()
    assert "downloading: 3.0 MB" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")


class _FileEndpoint:
    def __init__(self) -> None:
        self.output = {"type": "file", "format": "binary"}


def test_upload_progress_during_a_real_call(
    cli: CliRunner, wire_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(_cli, "PROGRESS_MIN_BYTES", 1000)
    monkeypatch.setattr(sys, "stderr", terminal)
    path = tmp_path / "up.bin"
    path.write_bytes(os.urandom(5000))
    result = cli("call", wire_url, "file_info", "--file", f"upload={path}")
    assert result.code == 0
    assert json.loads(result.out)["hex"] == path.read_bytes().hex()
    assert "(100%)" in terminal.getvalue()


def test_a_reader_that_goes_away_ends_the_command_quietly(wire_url: str) -> None:
    # ``bentoclient ... | head -c 10``: no traceback, no "Exception ignored" at exit.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bentoclient", "schema", wire_url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=120) == 1
    assert proc.stderr.read() == b""
    proc.stderr.close()
