"""What a sweep keeps of a chunk, and the running merge of a whole sweep.

A :class:`ChunkSummary` is a chunk's :class:`~catapultlab.sim._cellstats.CellStats`
plus its trajectories' two hit bits (diverged; loss rose), packed. The bits wait
in :class:`SweepStats` only until the same block range has finished at every
``c`` of its width; then they become hit-pattern counts
(:class:`~catapultlab.stats.HitPatterns`) and are dropped. Everything
merges by adding integers, so the result does not depend on the order in which
chunks arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.phases import Phase
from catapultlab.sim._cellstats import CellStats, reduce_chunk
from catapultlab.sim._ensemble import SEED_BLOCK, ChunkTask, chunk_tasks, run_chunk
from catapultlab.stats import HitPatterns

__all__ = ["ChunkSummary", "summarise", "summarise_chunk", "SweepStats", "HITS", "ensemble_stats"]

HITS = ("c_divergent", "c_loss_rises")
"""The two boundaries and their hit: diverged, and the loss rose."""


@dataclass(frozen=True)
class ChunkSummary:
    """One chunk reduced: its statistics and its packed hit bits.

    Attributes:
        stats: the chunk's :class:`CellStats`.
        hits: per name in :data:`HITS`, ``numpy.packbits`` of the trajectories' hits.
        size: trajectories in the chunk.
    """

    stats: CellStats
    hits: dict[str, np.ndarray]
    size: int

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays (for a part file)."""
        out = {f"stats/{k}": v for k, v in self.stats.to_arrays().items()}
        out.update({f"hits/{k}": v for k, v in self.hits.items()})
        out["size"] = np.asarray(self.size, np.int64)
        return out

    @staticmethod
    def from_arrays(a: dict[str, np.ndarray]) -> ChunkSummary:
        """Rebuild from :meth:`to_arrays`."""
        stats = CellStats.from_arrays({k[6:]: v for k, v in a.items() if k.startswith("stats/")})
        return ChunkSummary(stats, {k: np.asarray(a[f"hits/{k}"]) for k in HITS}, int(a["size"]))


def summarise(outcomes: Any, n: int) -> ChunkSummary:
    """Reduce a chunk's outcomes at width ``n``."""
    phase = np.asarray(outcomes.phase)
    hits = {"c_divergent": phase == Phase.DIVERGENT, "c_loss_rises": np.asarray(outcomes.rose)}
    return ChunkSummary(
        reduce_chunk(outcomes, n), {k: np.packbits(v) for k, v in hits.items()}, phase.size
    )


def summarise_chunk(task: ChunkTask) -> ChunkSummary:
    """Run and reduce one chunk (what a remote worker does: only the summary travels)."""
    return summarise(run_chunk(task), task.n)


def ensemble_stats(
    setup: Any,
    *,
    c: float,
    n: int,
    ensemble: int,
    steps: int,
    seed: int = 0,
    chunk: int = 64 * SEED_BLOCK,
    **kw: Any,
) -> CellStats:
    """Run one cell's ensemble chunk by chunk and keep only its merged statistics.

    Memory stays that of one chunk whatever ``ensemble`` is; ``kw`` goes to
    :func:`~catapultlab.sim._ensemble.chunk_tasks` (``stop``, ``dtype``, ``f0``, ...).

    Example:
        >>> from catapultlab.sim import make_setup
        >>> s = ensemble_stats(make_setup("uv", y=1.0), c=3.0, n=256, ensemble=3000, steps=500)
        >>> s.total, int(s.phases[1])
        (3000, 3000)
    """
    acc: CellStats | None = None
    tasks = chunk_tasks(
        setup, c=c, n=n, ensemble=ensemble, steps=steps, seed=seed, chunk=chunk, **kw
    )
    for t in tasks:
        s = reduce_chunk(run_chunk(t), t.n)
        acc = s if acc is None else acc.merge(s)
    assert acc is not None
    return acc


class SweepStats:
    """The running merge of a sweep: per-cell statistics and per-width hit patterns.

    Attributes:
        C: grid size.
        N: number of widths.
        cells: ``(ic, jn) ->`` merged :class:`CellStats`.
        patterns: ``(name, jn) ->`` merged :class:`HitPatterns` (``name`` in :data:`HITS`).
    """

    def __init__(self, C: int, N: int, ensemble: int) -> None:
        self.C, self.N, self.ensemble = C, N, ensemble
        self.cells: dict[tuple[int, int], CellStats] = {}
        self.patterns = {(k, jn): HitPatterns.empty(C) for k in HITS for jn in range(N)}
        self._pending: dict[tuple[int, int], dict[int, ChunkSummary]] = {}

    @staticmethod
    def empty(cfg: Any) -> SweepStats:
        """Nothing merged yet, for the grid of ``cfg``."""
        return SweepStats(len(cfg.c), len(cfg.n), int(cfg.ensemble))

    def add(self, ic: int, jn: int, task: ChunkTask, summary: ChunkSummary) -> None:
        """Merge one chunk of cell ``(ic, jn)``."""
        key = (ic, jn)
        self.cells[key] = (
            summary.stats if key not in self.cells else self.cells[key].merge(summary.stats)
        )
        group = self._pending.setdefault((jn, task.first_block), {})
        group[ic] = summary
        if len(group) == self.C:
            del self._pending[(jn, task.first_block)]
            size = group[0].size
            for name in HITS:
                hits = np.stack(
                    [
                        np.unpackbits(group[i].hits[name], count=size).astype(bool)
                        for i in range(self.C)
                    ]
                )
                self.patterns[(name, jn)] = self.patterns[(name, jn)].merge(HitPatterns.of(hits))

    def check_complete(self) -> None:
        """Raise unless every cell holds the whole ensemble and no hit bits wait."""
        short = [k for k in np.ndindex(self.C, self.N) if self.total(k) != self.ensemble]
        if short or self._pending:
            raise CatapultError(f"sweep incomplete: cells {short[:3]} lack trajectories")

    def total(self, key: tuple[int, int]) -> int:
        """Trajectories merged into cell ``key``."""
        return self.cells[key].total if key in self.cells else 0

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays of the finished merge (the resume's saved reduction)."""
        out: dict[str, np.ndarray] = {"shape": np.asarray([self.C, self.N, self.ensemble])}
        for (ic, jn), s in self.cells.items():
            out.update({f"cell/{ic}/{jn}/{k}": v for k, v in s.to_arrays().items()})
        for (name, jn), p in self.patterns.items():
            out.update(p.to_arrays(f"patterns/{name}/{jn}"))
        return out

    @staticmethod
    def from_arrays(a: dict[str, np.ndarray], cfg: Any) -> SweepStats:
        """Rebuild a finished merge saved by :meth:`to_arrays` for the grid of ``cfg``."""
        acc = SweepStats.empty(cfg)
        if [int(v) for v in a["shape"]] != [acc.C, acc.N, acc.ensemble]:
            raise CatapultError("saved sweep statistics do not match the configuration")
        for ic, jn in np.ndindex(acc.C, acc.N):
            prefix = f"cell/{ic}/{jn}/"
            sub = {k[len(prefix) :]: v for k, v in a.items() if k.startswith(prefix)}
            acc.cells[(ic, jn)] = CellStats.from_arrays(sub)
        for name, jn in acc.patterns:
            acc.patterns[(name, jn)] = HitPatterns.from_arrays(a, f"patterns/{name}/{jn}")
        acc.check_complete()
        return acc
