"""The dask.distributed backend: chunk tasks run on a cluster, numbers unchanged.

Chunk tasks are plain data (:class:`ChunkTask`) and :func:`run_chunk` is a pure
function of them, so a cluster returns exactly what the local run does. Workers
reduce their chunks (:func:`catapultlab.sim._summary.summarise_chunk`): only the
small mergeable summaries travel back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from catapultlab import CatapultError
from catapultlab.sim._ensemble import ChunkTask
from catapultlab.sim._summary import ChunkSummary, summarise_chunk

__all__ = ["dask_runner", "dask_client"]


@contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A dask client: connect to ``scheduler`` or start a LocalCluster of ``workers`` threads.

    Args:
        scheduler: address of a running scheduler (``tcp://host:port``).
        workers: number of in-process workers (``processes=False``).
    """
    from dask.distributed import Client, LocalCluster

    if scheduler and workers:
        raise CatapultError("give --scheduler or --workers, not both")
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise CatapultError(f"cannot reach dask scheduler {scheduler!r}: {exc}") from exc
        try:
            yield client
        finally:
            client.close()
        return
    if workers is None or workers < 1:
        raise CatapultError(f"--workers must be >= 1, got {workers!r}")
    cluster = LocalCluster(
        n_workers=int(workers), threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def dask_runner(client: Any) -> Any:
    """A sweep runner that maps chunk tasks over ``client`` (results keep their task index)."""

    def run(tasks: list[ChunkTask]) -> Iterable[tuple[int, ChunkSummary]]:
        from dask.distributed import as_completed

        futures = client.map(summarise_chunk, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()

    return run
