"""The sweep figure: loss curves, ``eta lambda_t`` and test accuracy across ``c``.

Panels: (1) training loss vs step, one curve per ``c`` (log axes); (2)
``eta lambda_t`` vs step with the linear-stability line ``eta lambda = 2``;
(3) final test accuracy vs ``c`` with ``c = 2`` and the measured ``c_max``
marked. Uses the object-oriented Agg backend (no pyplot global state).
"""

from __future__ import annotations

import numpy as np

from catapultlab._atomic import atomic_write
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
    for r, tr, col in zip(res.runs, res.trajectories, colors, strict=True):
        t = np.arange(tr.loss.size)
        ax_l.plot(t + 1, tr.loss, color=col, lw=1, label=f"c={r.c:.3g} ({r.phase})")
        ax_s.plot(tr.measure_steps + 1, tr.eta * tr.lam, "o-", ms=2, color=col, lw=1)
    ax_l.set(
        xscale="log",
        yscale="log",
        xlabel="step + 1",
        ylabel="train loss",
        title=f"{res.network}, {res.config.dataset}",
    )
    ax_l.axhline(res.loss0, color="k", ls=":", lw=0.8)
    ax_l.legend(fontsize=6, ncol=2)
    ax_s.axhline(2.0, color="k", ls="--", lw=0.8, label="eta*lambda = 2")
    ax_s.set(xscale="log", yscale="log", xlabel="step + 1", ylabel="eta * lambda_t")
    ax_s.legend(fontsize=7)
    ok = [r for r in res.runs if r.test_acc is not None]
    ax_a.plot([r.c for r in ok], [r.test_acc for r in ok], "o-")
    ax_a.axvline(2.0, color="k", ls="--", lw=0.8, label="c = 2")
    if res.c_max.value is not None:
        ax_a.axvline(
            res.c_max.value, color="r", ls="--", lw=0.8, label=f"c_max = {res.c_max.value:.3g}"
        )
    ax_a.set(xscale="log", xlabel="c = eta * lambda_0", ylabel="final test accuracy")
    ax_a.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120))
