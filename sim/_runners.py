"""How a sweep's chunk tasks run in this process: one after the other, or overlapped on threads.

A runner takes the chunk tasks and yields ``(task index, Outcomes or ChunkSummary)`` in
any order; the dask backend (:mod:`catapultlab.sim._dask`) is another runner. Each chunk
is a pure function of its task, so every runner gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from catapultlab.sim._ensemble import (
    ChunkTask,
    Outcomes,
    run_chunk,
)
from catapultlab.sim._summary import ChunkSummary, summarise_chunk

__all__ = ["Runner", "CHUNKS_PER_THREAD", "local_runner", "overlapped_runner"]

Runner = Callable[[list[ChunkTask]], Iterable[tuple[int, Any]]]
"""Runs chunk tasks; yields ``(task index, Outcomes or ChunkSummary)`` in any order."""


def local_runner(tasks: list[ChunkTask]) -> Iterable[tuple[int, Outcomes]]:
    """Run chunk tasks one after the other in this process (per-trajectory outcomes)."""
    for i, t in enumerate(tasks):
        yield i, run_chunk(t)


CHUNKS_PER_THREAD = 2
"""Chunks in flight per Numba thread in :func:`overlapped_runner`: one holds the GIL in
NumPy while the other computes (measured on 2 cores, 2e7 trajectories x 2 c: 8.8 s one
chunk at a time, 7.1 s with one chunk per thread, 6.6 s with two)."""


def overlapped_runner(tasks: list[ChunkTask]) -> Iterable[tuple[int, ChunkSummary]]:
    """Run and reduce chunk tasks in this process, one chunk per Numba thread, in task order.

    A chunk spends much of its time in single-threaded NumPy (initial states from the
    Gram draws, the final NTK, statistics), which leaves cores idle beside a parallel
    kernel. So where Numba's threading layer takes calls from several threads
    (:func:`catapultlab.sim._kernel.concurrent_calls_safe`), each of ``T`` Python
    threads (``T`` = :data:`CHUNKS_PER_THREAD` times Numba's thread count) runs whole
    chunks with one Numba thread of its own. Each chunk is a pure function of its task,
    so the summaries are the ones :func:`local_runner` gives. The first chunk runs alone
    (it loads the kernels and starts Numba's threading layer). At most ``T`` chunks are
    in flight, so memory stays flat in the ensemble size.
    """
    import numba

    from catapultlab.sim._kernel import concurrent_calls_safe

    if not tasks:
        return
    yield 0, summarise_chunk(tasks[0])
    threads = numba.get_num_threads()
    if threads < 2 or len(tasks) < 3 or not concurrent_calls_safe():
        for i in range(1, len(tasks)):
            yield i, summarise_chunk(tasks[i])
        return
    yield from _threaded(tasks, range(1, len(tasks)), CHUNKS_PER_THREAD * threads)


def _threaded(
    tasks: list[ChunkTask], todo: Iterable[int], threads: int
) -> Iterable[tuple[int, ChunkSummary]]:
    """``summarise_chunk`` of ``tasks[i]`` for ``i`` in ``todo`` on ``threads`` threads, in order."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    import numba

    pending: deque[tuple[int, Future[ChunkSummary]]] = deque()
    pool = ThreadPoolExecutor(
        max_workers=threads,
        thread_name_prefix="catapultlab-chunk",
        initializer=numba.set_num_threads,  # per thread: one Numba thread each
        initargs=(1,),
    )
    try:
        for i in todo:
            pending.append((i, pool.submit(summarise_chunk, tasks[i])))
            if len(pending) >= threads:
                j, fut = pending.popleft()
                yield j, fut.result()
        while pending:
            j, fut = pending.popleft()
            yield j, fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
