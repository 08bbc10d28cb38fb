"""Bulk inference across processes: Dask distributed workers calling a real ``bentoml serve``.

A ``LocalCluster`` of worker processes runs the recipe in
``examples/bulk_dask.py`` against the Demo service: batches through a client scattered once
to every worker, and a ``dask.dataframe`` whose partitions each call ``client.map``.  Every
result is checked, and each worker process is seen to use one client for all its tasks.

``tests/`` (``bentoserve``, ``pools``), ``examples/`` (``bulk_dask``, the recipe) and this
folder (``dask_tasks``) go on ``sys.path``; Dask starts its worker processes with ``spawn``,
which gives them the same ``sys.path``, so they import the task functions by name.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Long: its own time limit above the suite's default (pyproject.toml).
pytestmark = pytest.mark.timeout(900)

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
EXAMPLES = TESTS.parent / "examples"
for folder in (TESTS, EXAMPLES, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import bulk_dask  # noqa: E402
import dask_tasks  # noqa: E402
from bentoserve import serve  # noqa: E402

from bentoclient import SyncHTTPClient  # noqa: E402

#: Worker processes of the cluster, and tasks each runs at once.
WORKERS = 3
THREADS = 2

BATCHES = 12
BATCH = 250  # 3,000 inputs
ROWS = 2_000
PARTITIONS = 10
TIME_LIMIT = 120.0


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    with serve("service:Demo", cwd=EXAMPLES) as url:
        yield url


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a local cluster of worker processes (small memory, no dashboard)."""
    import distributed  # the scale session installs it; missing, the tests fail rather than skip

    cluster = distributed.LocalCluster(
        n_workers=WORKERS,
        threads_per_worker=THREADS,
        processes=True,
        memory_limit="400MiB",
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=40,  # logging.ERROR
    )
    client = distributed.Client(cluster, timeout=60)
    try:
        client.wait_for_workers(WORKERS, timeout=60)
        yield client
    finally:
        client.close()
        cluster.close()


def text(n: int) -> str:
    return f"Row {n}. More text."


def test_batches_through_a_client_scattered_once_per_worker(demo_url: str, dask_client: Any) -> None:
    from distributed import wait

    batches = [[text(b * BATCH + i) for i in range(BATCH)] for b in range(BATCHES)]
    started = time.monotonic()
    with SyncHTTPClient(demo_url) as bento:
        assert bento.summarize(text(0)) == "Row 0."  # set up here: the copies carry the endpoints
        remote = dask_client.scatter(bento, broadcast=True)
        futures = [dask_client.submit(bulk_dask.summarize_batch, remote, batch, pure=False) for batch in batches]
        identities = [dask_client.submit(dask_tasks.identity, remote, pure=False) for _ in range(30)]
        wait(futures + identities, timeout=TIME_LIMIT)
        results = dask_client.gather(futures)
        seen = dask_client.gather(identities)
    elapsed = time.monotonic() - started
    assert [r for batch in results for r in batch] == [f"Row {n}." for n in range(BATCHES * BATCH)]
    copies: dict[int, set[int]] = defaultdict(set)
    for pid, client_id in seen:
        copies[pid].add(client_id)
    assert len(copies) >= 2  # spread over several worker processes
    assert all(len(ids) == 1 for ids in copies.values()), copies  # one copy per process, reused
    assert elapsed < TIME_LIMIT
    print(f"\n{BATCHES * BATCH} inputs in {BATCHES} tasks on {len(copies)} processes in {elapsed:.1f} s")


def test_dataframe_partitions_call_map_with_one_client_per_worker(demo_url: str, dask_client: Any) -> None:
    import dask.dataframe as dd
    import pandas as pd

    frame = pd.DataFrame({"n": range(ROWS), "text": [text(n) for n in range(ROWS)]})
    ddf = dd.from_pandas(frame, npartitions=PARTITIONS)
    meta = frame.iloc[:0].assign(summary=pd.Series(dtype=object))
    started = time.monotonic()
    try:
        scored = ddf.map_partitions(bulk_dask.summarize_partition, demo_url, meta=meta)
        out = dask_client.compute(scored).result(timeout=TIME_LIMIT)
        elapsed = time.monotonic() - started
        out = out.sort_values("n")
        assert list(out["n"]) == list(range(ROWS))
        assert list(out["summary"]) == [f"Row {n}." for n in range(ROWS)]
        workers = dask_client.run(dask_tasks.cached_clients)
        used = [info for info in workers.values() if info["clients"]]
        assert len(used) >= 2
        for info in used:
            assert list(info["clients"]) == [demo_url]  # one client per process, made once
            assert all(idle <= 2 * bulk_dask.CALLS_PER_TASK for idle in info["idle"])
        assert elapsed < TIME_LIMIT
        print(f"\n{ROWS} rows in {PARTITIONS} partitions on {len(used)} processes in {elapsed:.1f} s")
    finally:
        dask_client.run(dask_tasks.close_cached_clients)
