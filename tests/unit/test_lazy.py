"""bentoclient._lazy: the modules the clients load on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bentoclient._decode
from bentoclient._lazy import LazyModule


def test_the_first_attribute_read_imports_the_module_and_keeps_the_attribute() -> None:
    stand_in = LazyModule("_decode")
    assert "decode_value" not in vars(stand_in)
    assert stand_in.decode_value is bentoclient._decode.decode_value
    assert vars(stand_in)["decode_value"] is bentoclient._decode.decode_value  # later reads: no lookup
    assert repr(stand_in) == "<module 'bentoclient._decode', loaded on first use>"


def test_a_missing_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nope"):
        LazyModule("_decode").nope  # noqa: B018


def test_nothing_loads_before_the_first_read() -> None:
    code = (
        "import sys\n"
        "from bentoclient._lazy import _tasks\n"
        "before = 'bentoclient._tasks' in sys.modules\n"
        "_tasks.parse_status\n"
        "print(before, 'bentoclient._tasks' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.split() == ["False", "True"]


def test_threads_reading_first_while_the_module_still_loads_all_get_the_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first reader's import runs the module's body; the others must wait for it, not take
    # the half-initialised module from sys.modules (an AttributeError under load before).
    import threading

    (tmp_path / "bentoclient_slow_module.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    stand_in = LazyModule("unused")
    stand_in.__name__ = "bentoclient_slow_module"
    start = threading.Barrier(8)
    seen: list[object] = []

    def read() -> None:
        start.wait()
        try:
            seen.append(stand_in.VALUE)
        except AttributeError as error:
            seen.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    sys.modules.pop("bentoclient_slow_module", None)
    assert seen == [42] * 8
