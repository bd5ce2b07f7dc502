"""The sweep figure: loss curves, ``eta lambda_t`` and test accuracy across ``c``.

Panels: (1) training loss vs step, one curve per ``c`` (log axes); (2)
``eta lambda_t`` (solid) and, when tracked, the Hessian sharpness ``eta S_t``
(dashed) vs step, with the derived lazy/catapult edge (linear step axis when the
run was measured densely late, to show edge-of-stability hovering); (3) final test
accuracy vs ``c`` with the derived edges and the measured ``c_max`` marked. The
edges come from :func:`catapultlab.validate._predict.predicted_edges`; a step rule
without derived edges gets no reference line. Uses the object-oriented Agg backend
(no pyplot global state).
"""

from __future__ import annotations

import numpy as np

from catapultlab import CatapultError
from catapultlab.io import atomic_write
from catapultlab.validate._predict import predicted_edges
from catapultlab.validate._sweep import SweepResult

__all__ = ["plot_sweep"]


def plot_sweep(res: SweepResult, path: str) -> None:
    """Draw the sweep figure and save it to ``path`` (format from its suffix)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2))
    FigureCanvasAgg(fig)
    ax_l, ax_s, ax_a = fig.subplots(1, 3)
    colors = [
        (0.1 + 0.8 * i / max(len(res.runs) - 1, 1), 0.2, 0.9 - 0.8 * i / max(len(res.runs) - 1, 1))
        for i in range(len(res.runs))
    ]
    cfg = res.config
    try:
        edges = predicted_edges(cfg.optimizer, cfg.momentum, cfg.weight_decay)
    except CatapultError:
        edges = {}
    lazy, cmax = edges.get("lazy_catapult"), edges.get("catapult_divergent")
    for r, tr, col in zip(res.runs, res.trajectories, colors, strict=True):
        t = np.arange(tr.loss.size)
        ax_l.plot(t + 1, tr.loss, color=col, lw=1, label=f"c={r.c:.3g} ({r.phase})")
        ax_s.plot(tr.measure_steps + 1, tr.eta * tr.lam, "o-", ms=2, color=col, lw=1)
        if tr.sharpness.size:
            ax_s.plot(tr.measure_steps + 1, tr.eta * tr.sharpness, "s--", ms=2, color=col, lw=1)
    ax_l.set(
        xscale="log",
        yscale="log",
        xlabel="step + 1",
        ylabel="train loss",
        title=f"{res.network}, {res.config.dataset}",
    )
    ax_l.axhline(res.loss0, color="k", ls=":", lw=0.8)
    ax_l.legend(fontsize=6, ncol=2)
    if lazy is not None:
        ax_s.axhline(lazy, color="k", ls=":", lw=0.8, label=f"derived lazy edge {lazy:g}")
    dense = cfg.late_count > 0
    ylabel = "eta*lambda_t (o-), eta*S_t (s--)" if dense else "eta * lambda_t"
    ax_s.set(xscale="linear" if dense else "log", yscale="log", xlabel="step + 1", ylabel=ylabel)
    ax_s.legend(fontsize=7)
    ok = [r for r in res.runs if r.test_acc is not None]
    ax_a.plot([r.c for r in ok], [r.test_acc for r in ok], "o-")
    for edge, name in ((lazy, "lazy edge"), (cmax, "derived c_max")):
        if edge is not None:
            ax_a.axvline(edge, color="k", ls=":", lw=0.8, label=f"{name} {edge:g}")
    if res.c_max.value is not None:
        ax_a.axvline(
            res.c_max.value, color="r", ls="--", lw=0.8, label=f"c_max = {res.c_max.value:.3g}"
        )
    ax_a.set(xscale="log", xlabel="c = eta * lambda_0", ylabel="final test accuracy")
    ax_a.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120))
