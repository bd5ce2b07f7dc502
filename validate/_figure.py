"""The sweep figure: loss curves, ``eta lambda_t`` and test accuracy across ``c``.

Panels: (1) training loss vs step, one curve per ``c`` (log axes); (2)
``eta lambda_t`` (solid) and, when tracked, the Hessian sharpness ``eta S_t``
(dashed) vs step, with the derived lazy/catapult edge (linear step axis when the
run was measured densely late, to show edge-of-stability hovering); (3) final test
accuracy vs ``c`` with the derived edges and the measured ``c_max`` marked. The
edges come from :func:`catapultlab.validate._predict.predicted_edges`; a step rule
without derived edges gets no reference line. Uses the object-oriented Agg backend
(no pyplot global state), in :mod:`catapultlab.plotting`'s style.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catapultlab import CatapultError, plotting
from catapultlab.plotting import Paths
from catapultlab.validate._predict import predicted_edges
from catapultlab.validate._sweep import SweepResult

__all__ = ["plot_sweep"]


@plotting.styled
def plot_sweep(
    res: SweepResult,
    path: Paths | None = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] = (13.0, 3.8),
    dpi: float | None = None,
) -> Any:
    """Draw the sweep figure (three panels, or the three Axes of ``ax``); save to ``path``.

    Returns:
        The figure.
    """
    fig, (ax_l, ax_s, ax_a) = plotting.figure_axes(ax, ncols=3, figsize=figsize, dpi=dpi)
    cfg = res.config
    try:
        edges = predicted_edges(cfg.optimizer, cfg.momentum, cfg.weight_decay)
    except CatapultError:
        edges = {}
    lazy, cmax = edges.get("lazy_catapult"), edges.get("catapult_divergent")
    _curves(res, ax_l, ax_s)
    ax_l.set(xscale="log", yscale="log", xlabel="step $t + 1$", ylabel="train loss")
    ax_l.set_title(f"{res.network}, {res.config.dataset}")
    ax_l.axhline(res.loss0, color="k", ls=":", lw=0.8, label="initial loss")
    ax_l.legend(fontsize=6, ncol=2)
    if lazy is not None:
        ax_s.axhline(lazy, color="k", ls=":", lw=0.8, label=f"derived lazy edge {lazy:g}")
    ax_s.plot([], [], "o-", color="0.4", ms=2, label=r"$\eta\lambda_t$ (NTK)")
    if any(tr.sharpness.size for tr in res.trajectories):
        ax_s.plot([], [], "s--", color="0.4", ms=2, label=r"$\eta S_t$ (Hessian)")
    dense = cfg.late_count > 0
    ylabel = r"$\eta\lambda_t$, $\eta S_t$" if dense else r"$\eta\lambda_t$"
    ax_s.set(
        xscale="linear" if dense else "log", yscale="log", xlabel="step $t + 1$", ylabel=ylabel
    )
    ax_s.legend()
    ok = [r for r in res.runs if r.test_acc is not None]
    ax_a.plot([r.c for r in ok], [r.test_acc for r in ok], "o-", label="final test accuracy")
    for edge, name, ls in ((lazy, "lazy edge", ":"), (cmax, r"derived $c_\max$", "-.")):
        if edge is not None:
            ax_a.axvline(edge, color="k", ls=ls, lw=0.8, label=f"{name} {edge:g}")
    if res.c_max.value is not None:
        label = rf"measured $c_\max = {res.c_max.value:.3g}$"
        ax_a.axvline(res.c_max.value, color="r", ls="--", lw=0.8, label=label)
    ax_a.set(xscale="log", xlabel=r"$c = \eta\lambda_0$", ylabel="final test accuracy")
    plotting.plain_log_ticks(ax_a.xaxis)
    plotting.plain_log_ticks(ax_s.yaxis)
    ax_a.legend()
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)


def _curves(res: SweepResult, ax_l: Any, ax_s: Any) -> None:
    """One colour per run: its loss, its ``eta lambda_t`` and (if tracked) ``eta S_t``."""
    k = max(len(res.runs) - 1, 1)
    colors = [(0.1 + 0.8 * i / k, 0.2, 0.9 - 0.8 * i / k) for i in range(len(res.runs))]
    for r, tr, col in zip(res.runs, res.trajectories, colors, strict=True):
        t = np.arange(tr.loss.size)
        ax_l.plot(t + 1, tr.loss, color=col, lw=1, label=f"$c = {r.c:.3g}$ ({r.phase})")
        ax_s.plot(tr.measure_steps + 1, tr.eta * tr.lam, "o-", ms=2, color=col, lw=1)
        if tr.sharpness.size:
            ax_s.plot(tr.measure_steps + 1, tr.eta * tr.sharpness, "s--", ms=2, color=col, lw=1)
