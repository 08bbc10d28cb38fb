"""``examples/service.py:Demo`` for every BentoML server line the tests run against.

BentoML 1.2 has no ``bentoml.task``: there the demo's task function is served as a plain
endpoint (its schema then has no ``is_task``, as any 1.2 endpoint), so the example itself
stays written for the newest line. On 1.3 and newer this module serves ``Demo`` unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bentoml

if not hasattr(bentoml, "task"):  # BentoML 1.2
    bentoml.task = bentoml.api

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from service import Demo

__all__ = ["Demo"]
