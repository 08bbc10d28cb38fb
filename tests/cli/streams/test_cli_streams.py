"""Streaming endpoints from the command line and through generated clients (needs bentoclient-stream)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bentoclient._gen import generate

from ..support import CliRunner, one_error_line, run_cli


def test_text_stream_is_printed_as_it_arrives(demo_url: str) -> None:
    result = run_cli("call", demo_url, "stream", "prompt=hi", "n=3")
    assert result.code == 0, result.err
    assert result.out == "hi 0\nhi 1\nhi 2\n"


def test_structured_items_are_json_lines(cli: CliRunner, wire_url: str) -> None:
    result = cli("call", wire_url, "stream_models", "n=2")
    assert result.code == 0, result.err
    assert [json.loads(line) for line in result.out.splitlines()] == [
        {"name": "item-0", "total": 0.0, "tags": []},
        {"name": "item-1", "total": 1.0, "tags": []},
    ]


def test_bytes_items_are_written_raw(wire_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bentoclient", "call", wire_url, "stream_bytes", "n=2", "size=3"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"\x00\x00\x00\x01\x01\x01"


class _Recorder(io.StringIO):
    """A stdout that records writes and flushes in order."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def write(self, text: str) -> int:
        self.events.append(f"write:{text}")
        return super().write(text)

    def flush(self) -> None:
        self.events.append("flush")


def test_every_item_is_flushed_before_the_next(wire_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bentoclient.__main__ import main

    out = _Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["call", wire_url, "stream_models", "n=3"]) == 0
    writes = [i for i, e in enumerate(out.events) if e.startswith("write:")]
    assert len(writes) == 3
    for i in writes:
        assert out.events[i + 1] == "flush", out.events


def test_a_stream_that_fails_at_once_exits_3(wire_url: str) -> None:
    result = run_cli("call", wire_url, "stream_fail", "before=0")
    assert result.code == 3
    assert "HTTP 500" in one_error_line(result.err)


def test_generated_client_streams(wire_url: str, demo_url: str, tmp_path: Path) -> None:
    from ..test_gen import _load

    schema = json.loads(run_cli("schema", demo_url, "--json").out)
    module = _load(generate(schema, source=demo_url), tmp_path, "stream_demo")
    with module.DemoClient(demo_url) as client, client.stream("yo", n=2) as pieces:
        assert "".join(pieces) == "yo 0\nyo 1\n"


def test_a_text_stream_ends_with_a_newline_like_a_text_result(guarded_url: str) -> None:
    result = run_cli("call", guarded_url, "words", "n=3", "--token", "secret")
    assert result.code == 0, result.err
    assert result.out == "w0 w1 w2\n"  # the service sent no final newline: the command ends the line
