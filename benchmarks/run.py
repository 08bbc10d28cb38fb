"""bentoclient against BentoML's own client, with raw ``http.client`` and httpx loops as the limit.

    nox -s bench                      # the full run (about 10 minutes on 2 cores)
    nox -s bench -- --quick           # a smoke run: small sizes, 2 rounds
    nox -s bench -- --only sync,ready # some scenarios only (map,mapmem: client.map())
    nox -s bench -- --profile sync    # cProfile of bentoclient in one scenario (``sync:bentoml`` for BentoML's)
    nox -s bench -- --update-docs     # also put the tables into docs/performance.md

Every measurement runs in a fresh process (``worker.py``) with the interpreter of its
implementation: bentoclient and raw ``http.client`` in the bench environment (this
interpreter), BentoML's client and raw httpx in BentoML's environment (next to
``$BENTOCLIENT_BENTOML``).  Implementations take turns in rounds, in an order rotated
each round; the tables give medians over rounds and the median (and range) of the
per-round ratios, so a slow moment of the machine hits every implementation alike.

Results: ``benchmarks/results/latest.json`` and ``latest.md`` (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, Optional

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
RESULTS = BENCH / "results"
DOCS = ROOT / "docs" / "performance.md"
DOCS_START = "<!-- bench-results:start -->"
DOCS_END = "<!-- bench-results:end -->"

sys.path.insert(0, str(ROOT / "tests"))
from bentoserve import bentoml_executable, free_port, serve  # noqa: E402
from worker import IMPORT_STATEMENTS, MARK, REQUIRES, RUNTIME, SCENARIOS, import_probe  # noqa: E402

MiB = 1024 * 1024
ITEM_WIDTH = 12  # benchmarks/service.py: "item-000042\n"
NAMES = {
    "bentoclient": "bentoclient",
    "bentoclient-fast": "bentoclient async, AsyncioTransport (opt-in)",
    "bentoclient-aio": "bentoclient async",
    "bentoclient-loop": "bentoclient, plain loop",
    "bentoclient-unbatched": "bentoclient, one input per request",
    "bentoclient-fixed": "bentoclient, best fixed concurrency",
    "bentoml": "BentoML",
    "http.client": "http.client (raw)",
    "httpx": "httpx (raw)",
    "httpx2": "httpx2 (raw)",
    "asyncio": "asyncio (raw)",
}
IMPLS = list(NAMES)
TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign, en dash (for the Markdown)
#: (scenario, implementation) pairs whose ``worker.REQUIRES`` statement failed: n/a in this run.
UNAVAILABLE: set[tuple[str, str]] = set()


class Spec(NamedTuple):
    """One scenario as measured: a worker scenario (``kind``) with its parameters."""

    name: str
    kind: str  # a key of worker.SCENARIOS, or "import"
    title: str
    params: dict[str, Any]
    rounds: int
    limit: str  # the raw implementation every figure is also compared with


class Metric(NamedTuple):
    spec: str
    key: str
    label: str
    unit: str
    higher_is_better: bool = False


class Target(NamedTuple):
    label: str
    spec: str
    key: str
    threshold: float
    ratio: bool  # True: bentoclient / BentoML <= threshold; False: bentoclient's value < threshold
    versus: str = ""  # another spec: bentoclient's value here / there <= threshold
    of_limit: str = ""  # an implementation: its value / the spec's limit's value >= threshold (higher is better)
    impl: str = "bentoclient"  # the implementation judged (ratio and versus targets)
    against: str = "bentoml"  # what a ratio target divides by, in the same rounds
    #: of_limit targets: the library ``impl`` is built on.  A miss is reported as that library's
    #: floor when the library's own raw loop misses the same target and ``impl`` is within the
    #: threshold of that raw loop (all in the same run).
    floor: str = ""


#: Per-round ratios computed besides bentoclient / BentoML, for the targets that name them.
RATIO_PAIRS = (("bentoclient", "httpx2"), ("bentoclient-fast", "bentoml"), ("bentoclient-aio", "httpx2"))


#: map() is measured at these concurrencies; its memory over this many lazy inputs.
MAP_CONCURRENCY = (1, 8, 32)
MAP_MEMORY_ITEMS = 1_000_000
#: Batched map: requests in flight and inputs per request.  Self-tuning map: the fixed
#: concurrencies it is compared with (the service takes 8 at once: service.LIMITED_CONCURRENCY).
BATCH_CONCURRENCY, BATCH_SIZE = 4, 32
AUTO_FIXED = (2, 4, 8, 16)


def size_label(size: int) -> str:
    return f"{size // (1024 * MiB)} GiB" if size >= 1024 * MiB else f"{size // MiB} MiB"


def make_specs(quick: bool, rounds: int, files: dict[str, Any]) -> list[Spec]:
    small = 1 * MiB if quick else 10 * MiB
    big = 64 * MiB if quick else 1024 * MiB
    n_calls = 200 if quick else 2000
    n_items = 200 if quick else 2000
    n_map = 1000 if quick else 4000
    reps = 2 if quick else 3
    warm = {"warm_path": files["warm_path"], "warm_size": files["warm_size"], "warm_sha256": files["warm_sha256"]}
    work = {"work_dir": files["work_dir"]}

    def upload(size: int) -> dict[str, Any]:
        return {"path": files[f"upload_{size}"], "size": size, "sha256": files.get(f"sha256_{size}", ""), **warm}

    def download(size: int) -> dict[str, Any]:
        return {"size": size, **warm, **work}

    return [
        Spec("import", "import", "1. cold import (fresh process)", {}, rounds, "http.client"),
        Spec("construct", "construct", "2. construct + first call", {}, rounds, "http.client"),
        Spec(
            "sync",
            "sync",
            f"3. sequential small JSON calls ({n_calls} per round)",
            {"n": n_calls, "warmup": n_calls // 10},
            rounds,
            "http.client",
        ),
        Spec(
            "async",
            "async",
            f"4. async small JSON calls, 32 in flight ({n_calls} per round)",
            {"n": n_calls, "warmup": 64, "concurrency": 32, "max_connections": 32},
            rounds,
            "asyncio",
        ),
        Spec(
            "async256",
            "async256",
            f"4b. async small JSON calls, 256 in flight on 32 connections ({n_calls} per round)",
            {"n": n_calls, "warmup": 256, "concurrency": 256, "max_connections": 32},
            rounds,
            "asyncio",
        ),
        Spec(
            f"upload-{small}",
            "upload",
            f"5. upload {size_label(small)}",
            {**upload(small), "reps": reps},
            rounds,
            "http.client",
        ),
        Spec(
            f"download-{small}",
            "download",
            f"5. download {size_label(small)}",
            {**download(small), "reps": reps},
            rounds,
            "http.client",
        ),
        Spec(
            f"upload-{big}",
            "upload",
            f"5. upload {size_label(big)} (one pass)",
            {**upload(big), "reps": 1},
            1,
            "http.client",
        ),
        Spec(
            f"download-{big}",
            "download",
            f"5. download {size_label(big)} (one pass)",
            {**download(big), "reps": 1},
            1,
            "http.client",
        ),
        Spec(
            "stream",
            "stream",
            f"6. streaming {n_items} small text items",
            {"n": n_items, "reps": reps, "ttfi_reps": 5 if quick else 20, "item_width": ITEM_WIDTH},
            rounds,
            "http.client",
        ),
        Spec(
            "ready",
            "ready",
            "7. waiting for a server that is not listening",
            {"port": files["closed_port"], "timeout": 1.0 if quick else 3.0},
            rounds,
            "",
        ),
        *(
            Spec(
                f"map{c}",
                "map",
                f"8. map() of small JSON calls, concurrency {c} ({n_map} per round; limit: raw asyncio at 32)",
                {"n": n_map, "warmup": 2 * c + 20, "concurrency": c, "ceiling_concurrency": 32},
                rounds,
                "asyncio",
            )
            for c in MAP_CONCURRENCY
        ),
        *_bulk_specs(quick, rounds, n_items, reps),
        Spec(
            "mapmem",
            "mapmem",
            f"8b. map() over {MAP_MEMORY_ITEMS:,} lazy inputs, in-memory transport (one pass)",
            {"n": MAP_MEMORY_ITEMS, "concurrency": 8},
            1,
            "",
        ),
    ]


def _bulk_specs(quick: bool, rounds: int, n_items: int, reps: int) -> list[Spec]:
    """The scenarios of batched and self-tuning map(), the async stream and the async import."""
    n_batch = 2000 if quick else 8000
    n_auto = 600 if quick else 2000
    return [
        Spec(
            "import-async",
            "import",
            "1b. cold import of the async client (fresh process; limit: import asyncio, json)",
            {},
            rounds,
            "asyncio",
        ),
        Spec(
            "astream",
            "astream",
            f"6b. async streaming {n_items} small text items (limit: raw asyncio streams; raw httpx2 for reference)",
            {"n": n_items, "reps": reps, "ttfi_reps": 5 if quick else 20, "item_width": ITEM_WIDTH},
            rounds,
            "asyncio",
        ),
        Spec(
            "batchmap",
            "batchmap",
            f"9. map() on a batchable endpoint, {BATCH_CONCURRENCY} requests in flight, {BATCH_SIZE} inputs per request"
            f" ({n_batch} per round; baseline: one input per request)",
            {"n": n_batch, "warmup": 200, "concurrency": BATCH_CONCURRENCY, "batch_size": BATCH_SIZE},
            rounds,
            "bentoclient-unbatched",
        ),
        Spec(
            "automap",
            "automap",
            f"10. map(concurrency='auto') against max_concurrency=8 ({n_auto} per round; baseline: the best of"
            f" {', '.join(map(str, AUTO_FIXED))})",
            {"n": n_auto, "warmup": 100, "max_connections": 32, "fixed": list(AUTO_FIXED), "limited": True},
            rounds,
            "bentoclient-fixed",
        ),
    ]


def make_metrics(specs: Sequence[Spec]) -> list[Metric]:
    small, big = (s.name.split("-", 1)[1] for s in specs if s.name.startswith("upload-"))
    sl, bl = size_label(int(small)), size_label(int(big))
    return [
        Metric("import", "wall_ms", "import: wall time", "ms"),
        Metric("import", "modules", "import: modules added", ""),
        Metric("construct", "wall_ms", "construct + first call: wall time", "ms"),
        Metric("construct", "cpu_ms", "construct + first call: CPU", "ms"),
        Metric("sync", "cpu_us", "sync call: client CPU per call", "µs"),
        Metric("sync", "p50_us", "sync call: latency p50", "µs"),
        Metric("sync", "p99_us", "sync call: latency p99", "µs"),
        Metric("sync", "calls_per_s", "sync call: calls/s (server-bound)", "/s", True),
        Metric("async", "cpu_us", f"async {TIMES}32: client CPU per call", "µs"),
        Metric("async", "calls_per_s", f"async {TIMES}32: calls/s (server-bound)", "/s", True),
        Metric("async", "p50_us", f"async {TIMES}32: latency p50", "µs"),
        Metric("async", "p99_us", f"async {TIMES}32: latency p99", "µs"),
        Metric("async256", "cpu_us", f"async {TIMES}256: client CPU per call", "µs"),
        Metric("async256", "calls_per_s", f"async {TIMES}256: calls/s (server-bound)", "/s", True),
        Metric(f"upload-{small}", "time_ms", f"upload {sl}: time", "ms"),
        Metric(f"upload-{small}", "rss_mib", f"upload {sl}: peak RSS growth", "MiB"),
        Metric(f"download-{small}", "time_ms", f"download {sl}: time", "ms"),
        Metric(f"download-{small}", "rss_mib", f"download {sl}: peak RSS growth", "MiB"),
        Metric(f"upload-{big}", "time_ms", f"upload {bl}: time", "ms"),
        Metric(f"upload-{big}", "rss_mib", f"upload {bl}: peak RSS growth", "MiB"),
        Metric(f"download-{big}", "time_ms", f"download {bl}: time", "ms"),
        Metric(f"download-{big}", "rss_mib", f"download {bl}: peak RSS growth", "MiB"),
        Metric("stream", "ttfi_ms", "stream: time to first item", "ms"),
        Metric("stream", "items_per_s", "stream: items/s (server-bound)", "/s", True),
        Metric("stream", "cpu_us_per_item", "stream: client CPU per item", "µs"),
        Metric("ready", "cpu_pct", "ready-wait: CPU / wall time", "%"),
        *(
            metric
            for c in MAP_CONCURRENCY
            for metric in (
                Metric(f"map{c}", "calls_per_s", f"map {TIMES}{c}: calls/s (server-bound)", "/s", True),
                Metric(f"map{c}", "cpu_us", f"map {TIMES}{c}: client CPU per call", "µs"),
            )
        ),
        Metric("mapmem", "rss_mib", f"map of {MAP_MEMORY_ITEMS:,} lazy inputs: peak RSS growth", "MiB"),
        Metric("mapmem", "items_per_s", f"map of {MAP_MEMORY_ITEMS:,} lazy inputs: items/s (in memory)", "/s", True),
        Metric("import-async", "modules", "import (async client): modules added", ""),
        Metric("import-async", "wall_ms", "import (async client): wall time", "ms"),
        Metric("astream", "ttfi_ms", "async stream: time to first item", "ms"),
        Metric("astream", "items_per_s", "async stream: items/s (server-bound)", "/s", True),
        Metric("astream", "cpu_us_per_item", "async stream: client CPU per item", "µs"),
        Metric("batchmap", "items_per_s", "batched map: items/s", "/s", True),
        Metric("batchmap", "cpu_us", "batched map: client CPU per item", "µs"),
        Metric("automap", "items_per_s", "auto map: items/s", "/s", True),
        Metric("automap", "errors", "auto map: errors surfaced", ""),
        Metric("automap", "settled", "auto map: limit at the end (fixed: the best)", ""),
        Metric("automap", "overloads", "auto map: 429s sent again by map()", ""),
    ]


def make_targets(specs: Sequence[Spec]) -> list[Target]:
    small, big = (s.name.split("-", 1)[1] for s in specs if s.name.startswith("upload-"))
    sl, bl = size_label(int(small)), size_label(int(big))
    return [
        Target(f"cold import wall time ≤ 0.07 {TIMES} BentoML", "import", "wall_ms", 0.07, True),
        Target(f"sync CPU per call ≤ 0.35 {TIMES} BentoML", "sync", "cpu_us", 0.35, True),
        Target(
            f"async default client CPU per call (32 in flight) ≤ 1.05 {TIMES} raw httpx2",
            "async",
            "cpu_us",
            1.05,
            True,
            against="httpx2",
        ),
        Target(
            f"async AsyncioTransport CPU per call (32 in flight) ≤ 0.25 {TIMES} BentoML",
            "async",
            "cpu_us",
            0.25,
            True,
            impl="bentoclient-fast",
        ),
        Target(
            f"async AsyncioTransport CPU per call at 256 in flight ≤ 1.1 {TIMES} at 32",
            "async256",
            "cpu_us",
            1.1,
            False,
            versus="async",
            impl="bentoclient-fast",
        ),
        Target(f"{sl} download peak RSS growth ≤ 0.35 {TIMES} BentoML", f"download-{small}", "rss_mib", 0.35, True),
        Target(f"{bl} upload peak RSS growth < 32 MiB", f"upload-{big}", "rss_mib", 32.0, False),
        Target(f"{bl} download peak RSS growth < 32 MiB", f"download-{big}", "rss_mib", 32.0, False),
        Target(f"time to first stream item ≤ 0.9 {TIMES} BentoML", "stream", "ttfi_ms", 0.9, True),
        Target("ready-wait CPU < 2 % of wall time", "ready", "cpu_pct", 2.0, False),
        Target(
            f"map {TIMES}8 calls/s ≥ 0.9 {TIMES} the server's ceiling",
            "map8",
            "calls_per_s",
            0.9,
            False,
            "",
            "bentoclient",
        ),
        Target(
            f"async map {TIMES}8 calls/s ≥ 0.9 {TIMES} the server's ceiling",
            "map8",
            "calls_per_s",
            0.9,
            False,
            "",
            "bentoclient-aio",
        ),
        Target(f"map of {MAP_MEMORY_ITEMS:,} lazy inputs: peak RSS growth < 16 MiB", "mapmem", "rss_mib", 16.0, False),
        *_bulk_targets(),
    ]


def _bulk_targets() -> list[Target]:
    """Issue 17's targets: "of_limit" rows compare with the row's limit (higher-is-better
    metrics must reach the threshold, the others stay at or below it)."""
    return [
        Target(
            f"import modules ≤ 1.15 {TIMES} import http.client, json",
            "import",
            "modules",
            1.15,
            False,
            "",
            "bentoclient",
        ),
        Target(
            f"async import modules ≤ 1.15 {TIMES} import asyncio, json",
            "import-async",
            "modules",
            1.15,
            False,
            "",
            "bentoclient-aio",
        ),
        Target(
            f"stream CPU per item ≤ 1.1 {TIMES} raw http.client",
            "stream",
            "cpu_us_per_item",
            1.1,
            False,
            "",
            "bentoclient",
        ),
        Target(
            f"stream items/s ≥ 0.91 {TIMES} raw http.client", "stream", "items_per_s", 1 / 1.1, False, "", "bentoclient"
        ),
        Target(
            f"stream time to first item ≤ 1.1 {TIMES} raw http.client",
            "stream",
            "ttfi_ms",
            1.1,
            False,
            "",
            "bentoclient",
        ),
        Target(
            f"async stream (default, on httpx2) CPU per item ≤ 1.1 {TIMES} raw asyncio",
            "astream",
            "cpu_us_per_item",
            1.1,
            False,
            "",
            "bentoclient-aio",
            floor="httpx2",
        ),
        Target(
            f"async stream (default, on httpx2) items/s ≥ 0.91 {TIMES} raw asyncio",
            "astream",
            "items_per_s",
            1 / 1.1,
            False,
            "",
            "bentoclient-aio",
            floor="httpx2",
        ),
        Target(
            f"async stream (default, on httpx2) time to first item ≤ 1.1 {TIMES} raw asyncio",
            "astream",
            "ttfi_ms",
            1.1,
            False,
            "",
            "bentoclient-aio",
            floor="httpx2",
        ),
        Target(
            f"async stream (default, on httpx2) CPU per item ≤ 1.1 {TIMES} raw httpx2",
            "astream",
            "cpu_us_per_item",
            1.1,
            True,
            impl="bentoclient-aio",
            against="httpx2",
        ),
        Target(
            f"async stream (default, on httpx2) time to first item ≤ 1.1 {TIMES} raw httpx2",
            "astream",
            "ttfi_ms",
            1.1,
            True,
            impl="bentoclient-aio",
            against="httpx2",
        ),
        Target(
            f"async stream (AsyncioTransport) CPU per item ≤ 1.1 {TIMES} raw asyncio",
            "astream",
            "cpu_us_per_item",
            1.1,
            False,
            "",
            "bentoclient-fast",
        ),
        Target(
            f"async stream (AsyncioTransport) items/s ≥ 0.91 {TIMES} raw asyncio",
            "astream",
            "items_per_s",
            1 / 1.1,
            False,
            "",
            "bentoclient-fast",
        ),
        Target(
            f"async stream (AsyncioTransport) time to first item ≤ 1.1 {TIMES} raw asyncio",
            "astream",
            "ttfi_ms",
            1.1,
            False,
            "",
            "bentoclient-fast",
        ),
        Target(f"batched map items/s ≥ 5 {TIMES} unbatched", "batchmap", "items_per_s", 5.0, False, "", "bentoclient"),
        Target(
            f"async batched map items/s ≥ 5 {TIMES} unbatched",
            "batchmap",
            "items_per_s",
            5.0,
            False,
            "",
            "bentoclient-aio",
        ),
        Target(
            f"auto map items/s ≥ 0.9 {TIMES} the best fixed", "automap", "items_per_s", 0.9, False, "", "bentoclient"
        ),
        Target(
            f"async auto map items/s ≥ 0.9 {TIMES} the best fixed",
            "automap",
            "items_per_s",
            0.9,
            False,
            "",
            "bentoclient-aio",
        ),
        Target("auto map: no error surfaced", "automap", "errors", 0.5, False),
    ]


# --- processes -----------------------------------------------------------------------------


class Env(NamedTuple):
    bench_python: str
    server_python: str
    worker_env: dict[str, str]  # bench side
    server_env: dict[str, str]  # BentoML side: no PYTHONPATH of ours


def make_env(bentoml: str, scratch: Path) -> Env:
    """Worker environments: a throwaway BentoML home, and bytecode caches in ``scratch``.

    Imports are measured as users see them after a first run, with compiled bytecode: a
    ``PYTHONDONTWRITEBYTECODE`` in our environment would otherwise make every fresh process
    compile every module again.  The caches go to a folder of their own, not into the venvs.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("BENTOML_") and k != "PYTHONDONTWRITEBYTECODE"}
    base.update(
        BENTOML_HOME=str(scratch / "home"),
        BENTOML_DO_NOT_TRACK="True",
        PYTHONUNBUFFERED="1",
        PYTHONPYCACHEPREFIX=str(scratch / "pycache"),
    )
    server = {k: v for k, v in base.items() if k != "PYTHONPATH"}
    return Env(sys.executable, os.path.join(os.path.dirname(bentoml), "python"), base, server)


def interpreter(env: Env, impl: str) -> tuple[str, dict[str, str]]:
    if RUNTIME[impl] == "server":
        return env.server_python, env.server_env
    return env.bench_python, env.worker_env


def run_worker(env: Env, spec: Spec, impl: str, extra: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """One fresh process measuring ``impl`` in ``spec``; its result, or ``{"error": ...}``."""
    python, environ = interpreter(env, impl)
    if spec.kind == "import":
        statement = IMPORT_STATEMENTS[impl]
        assert statement is not None
        command = [python, "-c", import_probe(statement)]
    else:
        params = {**spec.params, **(extra or {})}
        command = [python, str(WORKER), spec.kind, impl, json.dumps(params)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environ, timeout=1200, check=False)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 1200 s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line[len(MARK) :])
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
    return {"error": f"exit {done.returncode}: " + " | ".join(tail)}


def available(spec: Spec, impl: str) -> bool:
    if spec.kind == "import":
        return IMPORT_STATEMENTS.get(impl) is not None
    return SCENARIOS[spec.kind].get(impl) is not None and (spec.kind, impl) not in UNAVAILABLE


def check_requirements(env: Env) -> None:
    """Find the implementations whose package is not there (yet) in their interpreter."""
    for (scenario, impl), statement in REQUIRES.items():
        python, environ = interpreter(env, impl)
        done = subprocess.run([python, "-c", statement], capture_output=True, env=environ, check=False)
        if done.returncode != 0:
            UNAVAILABLE.add((scenario, impl))


def known(spec: Spec, impl: str) -> bool:
    table = IMPORT_STATEMENTS if spec.kind == "import" else SCENARIOS[spec.kind]
    return impl in table


def measure(env: Env, spec: Spec, log: Any) -> list[dict[str, dict[str, Any]]]:
    """``spec.rounds`` rounds; each runs every available implementation once, in rotated order."""
    impls = [i for i in IMPLS if known(spec, i) and available(spec, i)]
    if spec.kind == "import":  # compile bytecode and warm the file cache; not counted
        for impl in impls:
            run_worker(env, spec, impl)
    rounds: list[dict[str, dict[str, Any]]] = []
    for r in range(spec.rounds):
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        results: dict[str, dict[str, Any]] = {}
        for impl in order:
            t0 = time.monotonic()
            results[impl] = run_worker(env, spec, impl)
            shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in results[impl].items()}
            print(
                f"  round {r + 1}/{spec.rounds} {impl:<12} {time.monotonic() - t0:6.1f} s  {shown}",
                file=log,
                flush=True,
            )
        rounds.append(results)
    return rounds


# --- statistics ----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def values(rounds: Sequence[dict[str, dict[str, Any]]], impl: str, key: str) -> list[Optional[float]]:
    out: list[Optional[float]] = []
    for results in rounds:
        value = results.get(impl, {}).get(key)
        out.append(float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
    return out


def ratio_stats(
    rounds: Sequence[dict[str, dict[str, Any]]], impl: str, other: str, key: str
) -> Optional[tuple[float, float, float]]:
    """Median, min and max over rounds of ``impl / other``."""
    pairs = zip(values(rounds, impl, key), values(rounds, other, key))
    ratios = [a / b for a, b in pairs if a is not None and b is not None and b > 0]
    if not ratios:
        return None
    return median(ratios), min(ratios), max(ratios)


def summarize(specs: Sequence[Spec], metrics: Sequence[Metric], measured: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {s.name: s for s in specs}
    rows = []
    for m in metrics:
        spec = by_name[m.spec]
        rounds = measured.get(m.spec)
        if rounds is None:
            continue
        medians: dict[str, Any] = {}
        for impl in IMPLS:
            if not known(spec, impl):
                continue
            if not available(spec, impl):
                medians[impl] = "n/a"
                continue
            got = [v for v in values(rounds, impl, m.key) if v is not None]
            failed = any("error" in r.get(impl, {}) for r in rounds)
            # A metric an implementation does not report (a fixed concurrency has no adaptive
            # limit) is "not measured", not an error.
            medians[impl] = median(got) if got else ("error" if failed else None)
        rows.append(
            {
                "spec": m.spec,
                "metric": m.key,
                "label": m.label,
                "unit": m.unit,
                "higher_is_better": m.higher_is_better,
                "limit": spec.limit,
                "medians": medians,
                "bentoclient_vs_bentoml": ratio_stats(rounds, "bentoclient", "bentoml", m.key),
                "bentoclient_vs_limit": ratio_stats(rounds, "bentoclient", spec.limit, m.key) if spec.limit else None,
                "limit_vs_bentoml": ratio_stats(rounds, spec.limit, "bentoml", m.key) if spec.limit else None,
                "ratios": {f"{a}/{b}": ratio_stats(rounds, a, b, m.key) for a, b in RATIO_PAIRS},
            }
        )
    return rows


def _floor_status(t: Target, row: dict[str, Any], higher: bool) -> str:
    """A missed ``of_limit`` target whose library cannot meet it either: say so, with figures."""
    medians = row["medians"]
    mine, floor, limit = medians.get(t.of_limit), medians.get(t.floor), medians.get(row["limit"])
    if not all(isinstance(v, float) and v for v in (mine, floor, limit)):
        return "missed"
    floor_vs_limit, mine_vs_floor = floor / limit, mine / floor
    floor_misses = floor_vs_limit < t.threshold if higher else floor_vs_limit > t.threshold
    within_floor = mine_vs_floor >= t.threshold if higher else mine_vs_floor <= t.threshold
    if floor_misses and within_floor:
        return (
            f"missed: {NAMES[t.floor]} alone is {fmt(floor_vs_limit)}{TIMES} {NAMES[row['limit']]}"
            f" (this: {fmt(mine_vs_floor)}{TIMES} {NAMES[t.floor]})"
        )
    return "missed"


def judge(targets: Sequence[Target], rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {(r["spec"], r["metric"]): r for r in rows}
    out = []
    for t in targets:
        row = by_key.get((t.spec, t.key))
        value: Optional[float] = None
        other = by_key.get((t.versus, t.key)) if t.versus else None
        if row is not None:
            if t.of_limit:
                mine, limit = row["medians"].get(t.of_limit), row["medians"].get(row["limit"])
                value = mine / limit if isinstance(mine, float) and isinstance(limit, float) and limit else None
            elif t.ratio:
                if (t.impl, t.against) == ("bentoclient", "bentoml"):
                    stats = row["bentoclient_vs_bentoml"]
                else:
                    stats = row.get("ratios", {}).get(f"{t.impl}/{t.against}")
                value = stats[0] if stats else None
            elif t.versus:
                here, there = row["medians"].get(t.impl), (other or {}).get("medians", {}).get(t.impl)
                value = here / there if isinstance(here, float) and isinstance(there, float) and there else None
            elif isinstance(row["medians"].get("bentoclient"), float):
                value = row["medians"]["bentoclient"]
        if row is None:
            status = "not run"
        elif row["medians"].get(t.of_limit or t.impl) == "n/a":
            status = "n/a (not implemented yet)"
        elif value is None:
            status = "error"
        elif t.of_limit:
            higher = row["higher_is_better"]
            status = "met" if (value >= t.threshold if higher else value <= t.threshold) else "missed"
            if status == "missed" and t.floor:
                status = _floor_status(t, row, higher)
        else:
            status = "met" if (value <= t.threshold if t.ratio or t.versus else value < t.threshold) else "missed"
        out.append(
            {
                "target": t.label,
                "threshold": t.threshold,
                "ratio": t.ratio,
                "of_limit": bool(t.of_limit),
                "value": value,
                "status": status,
            }
        )
    return out


# --- output --------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if not isinstance(value, float):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.01 or value == 0:
        return f"{value:.2f}"
    return f"{value:.2g}"


def fmt_ratio(stats: Optional[tuple[float, float, float]], rounds: int) -> str:
    if stats is None:
        return "n/a"
    mid, low, high = stats
    return f"{fmt(mid)} ({fmt(low)}{DASH}{fmt(high)})" if rounds > 1 else fmt(mid)


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"Run of {report['date']} with `{report['command']}`"
        + (" (**quick** smoke run: small sizes, 2 rounds)" if report["quick"] else "")
        + ".",
        "",
        f"- Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']}, Linux {machine['kernel']};"
        f" load average {machine['load_before']} before and {machine['load_after']} after the run",
        f"- bentoclient {machine['bentoclient']} on Python {machine['bench_python']} (bench environment)",
        f"- BentoML {machine['bentoml']} and httpx {machine['httpx']} on Python {machine['server_python']}"
        " (BentoML's environment; its server runs there with one worker)",
        f"- Rounds: {report['rounds']}, implementations interleaved in rotated order; medians over rounds."
        " Ratios are the median of the per-round ratios, with their range in brackets.",
        "",
        "| measure | "
        + " | ".join(NAMES.values())
        + " | bentoclient ÷ BentoML | bentoclient ÷ limit | limit ÷ BentoML |",
        "|---|" + "---:|" * (len(NAMES) + 3),
    ]
    rounds_of = {s["name"]: s["rounds"] for s in report["specs"]}
    for row in report["summary"]:
        unit = f" ({row['unit']})" if row["unit"] else ""
        cells = []
        for impl in IMPLS:
            value = row["medians"].get(impl)
            text = DASH if value is None else fmt(value)
            cells.append(f"**{text}**" if impl == row["limit"] and value is not None else text)
        rounds = rounds_of[row["spec"]]
        lines.append(
            f"| {row['label']}{unit} | "
            + " | ".join(cells)
            + " | "
            + " | ".join(
                fmt_ratio(row[k], rounds)
                for k in ("bentoclient_vs_bentoml", "bentoclient_vs_limit", "limit_vs_bentoml")
            )
            + " |"
        )
    lines += [
        "",
        "Bold: the limit each row is compared with (raw `http.client` for the sync rows, raw asyncio streams for async;"
        " BentoML's client and raw httpx run in BentoML's environment). n/a: not implemented (yet) by that client."
        f" For calls/s and items/s higher is better; for everything else lower is better. {DASH}: not measured.",
        "",
        "| target | bentoclient | status |",
        "|---|---:|---|",
    ]
    for t in report["targets"]:
        shown = DASH if t["value"] is None else fmt(t["value"]) + (TIMES if t["ratio"] or t["of_limit"] else "")
        lines.append(f"| {t['target']} | {shown} | {t['status']} |")
    return "\n".join(lines) + "\n"


def update_docs(table: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOCS} has no {DOCS_START} ... {DOCS_END} block to replace")
    DOCS.write_text(text[: start + len(DOCS_START)] + "\n" + table + text[end:], encoding="utf-8")


# --- setup ---------------------------------------------------------------------------------


def pattern_file(path: Path, size: int) -> str:
    """Write ``size`` bytes of a repeated 0..255 pattern (10 MiB class files); return the SHA-256."""
    block = bytes(range(256)) * 4096
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            piece = block[: min(left, len(block))]
            fh.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def sparse_file(path: Path, size: int) -> None:
    """A file of ``size`` zero bytes that takes no disk space and no time to write."""
    with open(path, "wb") as fh:
        fh.truncate(size)


def prepare_download(url: str, size: int) -> None:
    """Ask the server for a ``size`` file once, so no measured call pays for making it."""
    host, port = url.rsplit("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    try:
        conn.request("POST", "/download", json.dumps({"size": size}).encode(), {"Content-Type": "application/json"})
        response = conn.getresponse()
        got = 0
        while True:
            chunk = response.read1(1024 * 1024)
            if not chunk:
                break
            got += len(chunk)
        if response.status != 200 or got != size:
            raise SystemExit(f"the bench server's /download gave {response.status} and {got} bytes for {size}")
    finally:
        conn.close()


def machine_info(env: Env) -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / MiB:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    probe = (
        "import json, sys, bentoml, httpx;"
        "print(json.dumps([sys.version.split()[0], bentoml.__version__, httpx.__version__]))"
    )
    out = subprocess.run(
        [env.server_python, "-c", probe], capture_output=True, text=True, env=env.server_env, check=True
    )
    server_python, bentoml_version, httpx_version = json.loads(out.stdout.strip().splitlines()[-1])
    version = subprocess.run(
        [env.bench_python, "-c", "import bentoclient; print(bentoclient.__version__)"],
        capture_output=True,
        text=True,
        env=env.worker_env,
        check=True,
    ).stdout.strip()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": cpus,
        "cpu_model": model or platform.processor() or "unknown CPU",
        "memory": memory,
        "kernel": platform.release(),
        "bench_python": platform.python_version(),
        "server_python": server_python,
        "bentoml": bentoml_version,
        "httpx": httpx_version,
        "bentoclient": version,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


@contextmanager
def bench_files(root: Path, quick: bool) -> Iterator[dict[str, Any]]:
    """Upload files, a scratch folder for downloads and a closed port, all under ``root``."""
    small = 1 * MiB if quick else 10 * MiB
    big = 64 * MiB if quick else 1024 * MiB
    uploads = root / "uploads"
    work = root / "downloads"
    uploads.mkdir()
    work.mkdir()
    files: dict[str, Any] = {"work_dir": str(work), "closed_port": free_port(), "warm_size": 1024}
    files["warm_path"] = str(uploads / "warm.bin")
    files["warm_sha256"] = pattern_file(uploads / "warm.bin", 1024)
    files[f"upload_{small}"] = str(uploads / f"upload-{small}.bin")
    files[f"sha256_{small}"] = pattern_file(uploads / f"upload-{small}.bin", small)
    files[f"upload_{big}"] = str(uploads / f"upload-{big}.bin")
    sparse_file(uploads / f"upload-{big}.bin", big)
    yield files


# --- main ----------------------------------------------------------------------------------


def command_line(argv: Sequence[str]) -> str:
    args = " ".join(shlex.quote(a) for a in argv)
    if os.environ.get("NOX_CURRENT_SESSION"):
        return "nox -s bench" + (f" -- {args}" if args else "")
    return "python benchmarks/run.py" + (f" {args}" if args else "")


def _module_of(path: str, function: str) -> str:
    if path == "~":  # a builtin: name it by what it is a method of
        return "builtin " + function.split(" of ")[0].strip("<>{}")[:40]
    for marker in ("/site-packages/", "/bentoclient/", "/bentoclient_async/", "/bentoclient_stream/"):
        if marker in path:
            head = "" if marker == "/site-packages/" else marker.strip("/") + "/"
            return head + path.split(marker, 1)[1]
    return path.rsplit("/lib/python", 1)[-1].split("/", 1)[-1]


def print_profile(path: Path, calls: int, limit: int = 25) -> None:
    """Own CPU time by module, then the top functions by own and by cumulative CPU time."""
    import pstats

    stats = pstats.Stats(str(path))
    by_module: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # pstats keeps no public accessor
    for (file, _line, function), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        key = _module_of(file, function)
        by_module[key] = by_module.get(key, 0.0) + tottime
    total = sum(by_module.values()) or 1.0
    print(f"\n--- CPU by module (profiled, so inflated; per measured unit of {calls}) ---")
    for key, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:limit]:
        print(f"  {seconds / calls * 1e6:9.1f} µs  {seconds / total * 100:5.1f} %  {key}")
    for order in ("tottime", "cumulative"):
        print(f"\n--- top {limit} functions by {order} ---")
        stats.strip_dirs().sort_stats(order).print_stats(limit)


def profile(env: Env, spec: Spec, impl: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    if spec.kind == "import":
        python, environ = interpreter(env, impl)
        statement = IMPORT_STATEMENTS[impl]
        assert statement is not None
        done = subprocess.run(
            [python, "-X", "importtime", "-c", statement], capture_output=True, text=True, env=environ
        )
        rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")][1:]
        rows.sort(key=lambda r: -int(r[1].strip()))
        print("import time (cumulative µs, self µs, module), top 25:")
        for row in rows[:25]:
            print(f"  {row[1].strip():>9} {row[0].split(':')[1].strip():>9}  {row[2].rstrip()}")
        return
    out = RESULTS / f"profile-{spec.name}-{impl}.prof"
    result = run_worker(env, spec, impl, {"profile": str(out)})
    print(f"{spec.name} / {impl}: {result}")
    if out.exists():
        print_profile(out, int(spec.params.get("n", 1)) * int(spec.params.get("reps", 1)))
        print(f"\nprofile saved to {out}")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 rounds: a smoke run")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 5, quick 2)")
    parser.add_argument(
        "--only", help="comma-separated scenarios: import,construct,sync,async,upload,download,stream,ready,map,mapmem"
    )
    parser.add_argument("--profile", metavar="SCENARIO[:IMPL]", help="profile one implementation in one scenario")
    parser.add_argument("--update-docs", action="store_true", help=f"put the tables into {DOCS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    # A SIGTERM (or SIGHUP) unwinds like Ctrl-C, so the server and the temporary files go too.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    rounds = args.rounds or (2 if args.quick else 5)
    bentoml = bentoml_executable()

    with tempfile.TemporaryDirectory(prefix="bentoclient-bench-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "server-files").mkdir()
        env = make_env(bentoml, root)
        machine = machine_info(env)
        check_requirements(env)
        with bench_files(root, args.quick) as files:
            specs = make_specs(args.quick, rounds, files)
            wanted = set(args.only.split(",")) if args.only else None
            os.environ["BENTOCLIENT_BENCH_FILES"] = str(root / "server-files")  # inherited by the server
            print(f"starting bentoml serve service:Bench with {bentoml}", flush=True)
            limited_needed = any(
                s.params.get("limited") and (not wanted or s.kind in wanted or s.name in wanted) for s in specs
            )
            with contextlib.ExitStack() as servers:
                url = servers.enter_context(serve("service:Bench", cwd=BENCH, bentoml=bentoml))
                limited_url = ""
                if limited_needed:
                    print(f"starting bentoml serve service:BenchLimited with {bentoml}", flush=True)
                    limited_url = servers.enter_context(serve("service:BenchLimited", cwd=BENCH, bentoml=bentoml))
                for spec in specs:
                    spec.params["url"] = limited_url if spec.params.get("limited") else url
                for spec in specs:
                    if spec.kind == "download":
                        prepare_download(url, spec.params["size"])
                if args.profile:
                    name, _, impl = args.profile.partition(":")
                    chosen = [s for s in specs if s.name == name or s.kind == name]
                    if not chosen:
                        raise SystemExit(f"no scenario {name!r}; choose from {', '.join(s.name for s in specs)}")
                    profile(env, chosen[0], impl or "bentoclient")
                    return 0
                # Warm up, not counted: the server (first requests, its lazy imports) and the
                # bytecode caches of everything each client imports to construct and call.
                warm = Spec("warm", "sync", "", {"url": url, "n": 200, "warmup": 10}, 1, "")
                run_worker(env, warm, "http.client")
                for spec in specs:
                    if spec.kind == "construct":
                        for impl in IMPLS:
                            if known(spec, impl) and available(spec, impl):
                                run_worker(env, spec, impl)
                measured: dict[str, Any] = {}
                started = time.monotonic()
                for spec in specs:
                    if wanted and spec.kind not in wanted and spec.name not in wanted:
                        continue
                    print(f"{spec.title}", flush=True)
                    measured[spec.name] = measure(env, spec, sys.stdout)
                elapsed = time.monotonic() - started
        machine["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())

    metrics = make_metrics(specs)
    summary = summarize(specs, metrics, measured)
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(argv),
        "quick": args.quick,
        "rounds": rounds,
        "seconds": round(elapsed, 1),
        "machine": machine,
        "specs": [
            {
                "name": s.name,
                "title": s.title,
                "rounds": s.rounds,
                "limit": s.limit,
                "params": {k: v for k, v in s.params.items() if "path" not in k and "dir" not in k and k != "url"},
            }
            for s in specs
        ],
        "summary": summary,
        "targets": judge(make_targets(specs), summary),
        "raw": measured,
    }
    table = markdown(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / "latest.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    print(f"written: {RESULTS / 'latest.json'}, {RESULTS / 'latest.md'} ({elapsed:.0f} s of measuring)")
    if args.update_docs:
        update_docs(table)
        print(f"updated {DOCS}")
    errors = [
        f"{name} / {impl}: {result['error']}"
        for name, rounds_ in measured.items()
        for results in rounds_
        for impl, result in results.items()
        if "error" in result
    ]
    for line in errors:
        print(f"ERROR {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
