"""A model's own edges from its block map: ``c_loss``, ``c_max`` and ``eta lambda_final``.

For a data set ``(X, Y)``, a width ``n`` and a batch rule, :func:`block_edges` runs an
ensemble of Gaussian inits (init ``k`` is the same draw at every ``c``, so the boundaries'
bootstrap resamples whole trajectories) over a ``c`` grid and reports, per ``c``, the
fraction of runs whose full-batch loss rose above its start, the fraction that diverged,
the median final ``eta lambda`` of the others and the mean spike count; and the two
boundaries a network sweep measures, with bootstrap CIs (:func:`catapultlab.stats.boundary`):

* ``c_loss``: where half the runs' loss rises (Kalra & Barkeshli's ``c_loss``);
* ``c_max``: where half the runs diverge.

Each init also has its own edges (``run_c_loss``, ``run_c_max``: the midpoint between the
last grid ``c`` where that init did not rise, or diverge, and the first where it did). A
real network is *one* init, so its edge is compared with the spread of these, not with the
confidence interval of the ensemble's half-crossing (which shrinks as runs are added).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab.batches import BatchRule
from catapultlab.phases import StopRule
from catapultlab.records import short_repr
from catapultlab.sim._block_limit import GROWTH_TOL
from catapultlab.sim._block_run import run_block
from catapultlab.stats import Boundary, boundary

__all__ = ["BlockEdges", "block_edges", "single_run_edges"]


@dataclass(frozen=True)
class BlockEdges:
    """Outcome fractions over ``c`` and the two boundaries (module docstring).

    Attributes:
        c: the grid.
        n: width.
        runs: inits per ``c``.
        batch: ``"full"`` or the batch rule's label.
        p_rise: fraction of runs whose loss rose, per ``c``.
        p_divergent: fraction that diverged, per ``c``.
        eta_lam_final: median final ``eta lambda`` of the runs that did not diverge.
        eta_lam_final_sd: their standard deviation (``nan`` below two such runs).
        spikes: mean number of loss spikes per run (all runs), per ``c``.
        c_loss: where half the runs' loss rises.
        c_max: where half the runs diverge.
        run_c_loss: ``(runs,)`` each init's own loss-rise edge (NaN where its runs do not
            bracket one on the grid).
        run_c_max: ``(runs,)`` each init's own divergence edge.
        growth: at ``n = inf``, the median log growth per step of the linear phase, per
            ``c`` (NaN at finite ``n``).
        c_grow: at ``n = inf``, where half the runs' linear phase grows: the catapult edge
            of the limit (``2`` under GD; under SGD it can lie far above ``c_loss``, whose
            rise may be a batch's transient); ``None`` at finite ``n``.
    """

    __repr__ = short_repr

    c: np.ndarray
    n: float
    runs: int
    batch: str
    p_rise: np.ndarray
    p_divergent: np.ndarray
    eta_lam_final: np.ndarray
    spikes: np.ndarray
    eta_lam_final_sd: np.ndarray
    c_loss: Boundary
    c_max: Boundary
    run_c_loss: np.ndarray
    run_c_max: np.ndarray
    growth: np.ndarray
    c_grow: Boundary | None

    def init_spread(self, which: str) -> float:
        """The s.d. of single inits' edges (``which``: ``"c_loss"`` or ``"c_max"``).

        NaN with fewer than two bracketed inits.
        """
        edges = getattr(self, f"run_{which}")
        edges = edges[np.isfinite(edges)]
        return float(np.std(edges, ddof=1)) if edges.size > 1 else float("nan")


def single_run_edges(c: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Each column's edge: the midpoint below its first hit on the grid ``c``.

    ``hits`` is ``(len(c), runs)``; NaN where a run has no hit, or hits at the first ``c``.

    Example:
        >>> hits = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=bool)
        >>> single_run_edges(np.array([1.0, 2.0, 3.0]), hits).tolist()
        [2.5, 1.5, nan]
    """
    c, hits = np.asarray(c, float), np.asarray(hits, bool)
    out = np.full(hits.shape[1], np.nan)
    for k in range(hits.shape[1]):
        first = np.flatnonzero(hits[:, k])
        if first.size and first[0] > 0:
            out[k] = 0.5 * (c[first[0] - 1] + c[first[0]])
    return out


def block_edges(
    numeric: Any,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n: float,
    c: np.ndarray,
    runs: int,
    steps: int,
    batch: BatchRule | None = None,
    seed: int = 0,
    stop: StopRule | None = None,
    **hyper: float,
) -> BlockEdges:
    """Run the ensemble (module docstring); init ``k`` uses seed ``seed + k`` at every ``c``.

    ``stop`` sets the divergence threshold and the rise tolerance (a loss "rose" above
    ``L_0 (1 + rise_tol)``; a network sweep's own tolerance makes the two comparable).
    """
    c = np.asarray(c, dtype=float)
    rose = np.zeros((c.size, runs), dtype=bool)
    diverged = np.zeros_like(rose)
    final = np.full(rose.shape, np.nan)
    spikes = np.zeros(rose.shape)
    growth = np.full(rose.shape, np.nan)
    for i, ci in enumerate(c):
        for k in range(runs):
            run = run_block(
                numeric, X, Y, n=n, c=float(ci), steps=steps, batch=batch, seed=seed + k,
                lam_every=0, spike_details=False, stop=stop, **hyper,
            )  # fmt: skip
            rose[i, k], diverged[i, k] = run.rose, run.diverged
            spikes[i, k], growth[i, k] = len(run.spikes), run.growth
            if not run.diverged:
                final[i, k] = run.eta * run.lam[-1]
    with np.errstate(all="ignore"):
        median = np.array(
            [np.nanmedian(row) if np.isfinite(row).any() else np.nan for row in final]
        )
    with np.errstate(all="ignore"):
        sd = np.array([np.nanstd(r, ddof=1) if np.isfinite(r).sum() > 1 else np.nan for r in final])
    return BlockEdges(
        eta_lam_final_sd=sd,
        c=c,
        n=float(n),
        runs=int(runs),
        batch="full" if batch is None else batch.label,
        p_rise=rose.mean(axis=1),
        p_divergent=diverged.mean(axis=1),
        eta_lam_final=median,
        spikes=spikes.mean(axis=1),
        c_loss=boundary(c, rose | diverged, seed=seed),
        c_max=boundary(c, diverged, seed=seed),
        run_c_loss=single_run_edges(c, rose | diverged),
        run_c_max=single_run_edges(c, diverged),
        growth=np.median(growth, axis=1),
        c_grow=boundary(c, growth > GROWTH_TOL, seed=seed) if np.isinf(n) else None,
    )
