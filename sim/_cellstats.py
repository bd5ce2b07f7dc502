"""Mergeable per-cell statistics: what a sweep keeps of each chunk of trajectories.

A chunk of :class:`~catapultlab.sim.Outcomes` reduces to a :class:`CellStats`
(phase counts, exact histograms of the integer outcomes ``t_peak`` and ``steps``,
fixed-bin log histograms of ``eta * lam_final`` and ``peak_loss / n``: the
:class:`catapultlab.stats.Histogram`) and the per-trajectory arrays are dropped.
Merging adds integer counts over identical bins, so it is exact, associative and
commutative: the merged statistics of a cell are the same whatever the chunk size,
thread count, backend or arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab.phases import Phase
from catapultlab.sim._limit import loss_width
from catapultlab.stats import Histogram

__all__ = ["GROUPS", "CellStats", "reduce_chunk"]

GROUPS = ("lazy", "catapult")
"""Phases whose outcome distributions are kept (the converged runs)."""

CONTINUOUS = ("eta_lam_final", "peak_loss_over_n")
INTEGER = ("t_peak", "steps")


@dataclass(frozen=True)
class CellStats:
    """Mergeable statistics of some trajectories of one ``(c, n)`` cell.

    Attributes:
        phases: int64 count per :class:`Phase` code.
        rose: trajectories whose loss rose above its initial value.
        hists: per group in :data:`GROUPS` and outcome name, its :class:`Histogram`
            (key ``"catapult/t_peak"``, ...).
        max_eta_lam_final: per group, the largest ``eta * lam_final`` (``-inf`` if none).
    """

    phases: np.ndarray
    rose: int
    hists: dict[str, Histogram]
    max_eta_lam_final: dict[str, float]

    @property
    def total(self) -> int:
        """Number of trajectories."""
        return int(self.phases.sum())

    def merge(self, other: CellStats) -> CellStats:
        """Exact, associative and commutative merge."""
        return CellStats(
            self.phases + other.phases,
            self.rose + other.rose,
            {k: h.merge(other.hists[k]) for k, h in self.hists.items()},
            {k: max(v, other.max_eta_lam_final[k]) for k, v in self.max_eta_lam_final.items()},
        )

    def hist(self, groups: tuple[str, ...], name: str) -> Histogram:
        """The histogram of ``name`` over the union of ``groups``."""
        h = self.hists[f"{groups[0]}/{name}"]
        for g in groups[1:]:
            h = h.merge(self.hists[f"{g}/{name}"])
        return h

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays (for a part file); inverse of :meth:`from_arrays`."""
        out = {"phases": self.phases, "rose": np.asarray(self.rose, np.int64)}
        for k, h in self.hists.items():
            out[f"{k}/keys"], out[f"{k}/counts"] = h.keys, h.counts
        for g, v in self.max_eta_lam_final.items():
            out[f"{g}/max_eta_lam_final"] = np.asarray(v, np.float64)
        return out

    @staticmethod
    def from_arrays(a: dict[str, np.ndarray]) -> CellStats:
        """Rebuild from :meth:`to_arrays`."""
        hists = {
            f"{g}/{name}": Histogram(
                np.asarray(a[f"{g}/{name}/keys"], np.int64),
                np.asarray(a[f"{g}/{name}/counts"], np.int64),
                name in CONTINUOUS,
            )
            for g in GROUPS
            for name in CONTINUOUS + INTEGER
        }
        return CellStats(
            np.asarray(a["phases"], np.int64),
            int(a["rose"]),
            hists,
            {g: float(a[f"{g}/max_eta_lam_final"]) for g in GROUPS},
        )


def reduce_chunk(outcomes: object, n: int) -> CellStats:
    """Reduce one chunk's :class:`~catapultlab.sim.Outcomes` at width ``n`` to :class:`CellStats`.

    Example:
        >>> from catapultlab.sim import make_setup, run_ensemble
        >>> out = run_ensemble(make_setup("uv", y=1.0), c=3.0, n=256, ensemble=8, steps=500)
        >>> s = reduce_chunk(out, 256)
        >>> s.phases.tolist(), s.hists["catapult/t_peak"].total
        ([0, 8, 0, 0, 0, 0], 8)
    """
    phase = np.asarray(outcomes.phase)  # type: ignore[attr-defined]
    hists: dict[str, Histogram] = {}
    top: dict[str, float] = {}
    for g in GROUPS:
        sel = phase == Phase[g.upper()]
        eta_lam = np.asarray(outcomes.eta_lam_final)[sel]  # type: ignore[attr-defined]
        peak = np.asarray(outcomes.peak_loss)[sel] / loss_width(n)  # type: ignore[attr-defined]
        hists[f"{g}/eta_lam_final"] = Histogram.of(eta_lam, log=True)
        hists[f"{g}/peak_loss_over_n"] = Histogram.of(peak, log=True)
        for name in INTEGER:
            hists[f"{g}/{name}"] = Histogram.of(np.asarray(getattr(outcomes, name))[sel], log=False)
        fin = eta_lam[np.isfinite(eta_lam)]
        top[g] = float(fin.max()) if fin.size else float("-inf")
    return CellStats(
        np.bincount(phase.astype(np.int64), minlength=len(Phase)).astype(np.int64),
        int(np.count_nonzero(outcomes.rose)),  # type: ignore[attr-defined]
        hists,
        top,
    )
