"""bentoclient._lazy: the modules the clients load on first use."""

from __future__ import annotations

import subprocess
import sys

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
