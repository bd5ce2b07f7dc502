"""Figures: phase diagram with theory boundaries, trajectories, scaling.

Object-oriented matplotlib only (a :class:`~matplotlib.figure.Figure` with its own Agg
canvas): no pyplot state, no backend switching, so a notebook's backend is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.io import atomic_write

__all__ = [
    "bifurcation_figure",
    "phase_diagram",
    "trajectory_figure",
    "scaling_figure",
    "theory_c_boundaries",
]


def _subplots(nrows: int = 1, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A figure with its own Agg canvas (no pyplot) and its axes (as ``plt.subplots``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figsize = kw.pop("figsize", None)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kw)


PHASE_COLORS = {
    "lazy": (0.30, 0.55, 0.85),
    "catapult": (0.95, 0.65, 0.20),
    "divergent": (0.80, 0.20, 0.20),
    "unresolved": (0.6, 0.6, 0.6),
    "oscillating": (0.55, 0.35, 0.75),
    "collapsed": (0.45, 0.30, 0.20),
}
"""The colour of each phase in a phase diagram (a cell mixes them by its fractions)."""


def theory_c_boundaries(model: Any, hyper: dict[str, float] | None = None) -> dict[str, float]:
    """The model's derived boundaries as values of c = eta lam0 (at the step-rule values).

    Boundaries the model does not have are left out; boundaries at the same c are
    merged into one entry (``"lazy_catapult=loss_rises"``).
    """
    out: dict[str, float] = {}
    for name, c in model.edges(**(hyper or {})).items():
        if c is None:
            continue
        same = [k for k, v in out.items() if abs(v - c) < 1e-9]
        if same:
            out[f"{same[0]}={name}"] = out.pop(same[0])
        else:
            out[name] = c
    return out


def _hyper_of(ds: Any) -> dict[str, float]:
    import json

    config = json.loads(ds.attrs.get("config", "{}"))
    return dict(config.get("setup", {}).get("hyper", {}))


Paths = str | Path | Sequence[str | Path]


def _save(fig: Any, path: Paths) -> None:
    """Save to one path or to each of several (e.g. ``.png`` and ``.pdf``)."""
    for p in [path] if isinstance(path, str | Path) else path:
        atomic_write(p, fig.savefig)


def phase_diagram(
    ds: Any,
    path: Paths,
    *,
    model: Any | None = None,
    title: str | None = None,
    row: str = "n",
    row_labels: Sequence[str] | None = None,
    row_axis: str = "width n",
) -> None:
    """Dominant phase over (c, ``row``), measured boundaries with CIs and theory lines.

    ``row`` is the sweep's width dimension ``n`` by default; a c x y diagram passes a
    dataset over ``(y, c)`` and ``row="y"``. A boundary below the grid
    (``<name>_below_grid``) is drawn as a ``<`` at the first ``c``; one above it as a
    ``>`` at the last.
    """
    c = ds["c"].values
    r = ds[row].values
    names = [k for k in PHASE_COLORS if f"p_{k}" in ds]
    probs = np.stack([ds[f"p_{k}"].transpose("c", row).values for k in names])
    rgb = np.array([PHASE_COLORS[k] for k in names])
    img = np.einsum("pcn,pk->nck", probs, rgb)
    fig, ax = _subplots(figsize=(7, 4))
    y = np.arange(len(r))
    ax.imshow(
        img,
        aspect="auto",
        origin="lower",
        extent=(c[0] - 0.5 * _step(c), c[-1] + 0.5 * _step(c), -0.5, len(r) - 0.5),
    )
    for name, mk in (("c_divergent", "o"), ("c_catapult", "s")):
        v, lo, hi = ds[name].values, ds[f"{name}_lo"].values, ds[f"{name}_hi"].values
        err = [np.clip(np.nan_to_num(v - lo), 0, None), np.clip(np.nan_to_num(hi - v), 0, None)]
        ax.errorbar(v, y, xerr=err, fmt=mk, color="k", ms=4, label=f"{name} (sim)")
        for side, x0, m in (("below", c[0], "<"), ("above", c[-1], ">")):
            flag = f"{name}_{side}_grid"
            if flag in ds and np.any(ds[flag].values):
                rows = y[ds[flag].values.astype(bool)]
                ax.plot(np.full(rows.size, x0), rows, m, color="k", ms=6)
    if model is not None:
        for name, cv in theory_c_boundaries(model, _hyper_of(ds)).items():
            ax.axvline(cv, color="w", ls="--", lw=1.5)
            ax.text(
                cv,
                len(r) - 0.45,
                f" theory {name}: c={cv:g}",
                color="k",
                fontsize=7,
                rotation=90,
                va="top",
            )
    ax.set_yticks(y, list(row_labels) if row_labels is not None else [f"{int(v):g}" for v in r])
    ax.set_xlabel("c = eta lam0")
    ax.set_ylabel(row_axis)
    ax.set_title(title or "phase fractions (blue lazy, orange catapult, red divergent)")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    _save(fig, path)


def _step(c: np.ndarray) -> float:
    return float(np.diff(c).min()) if c.size > 1 else 1.0


def trajectory_figure(traj: Any, path: str | Path) -> None:
    """``f_t``, ``lam_t`` (times eta) and the loss of a :class:`~catapultlab.sim.Trajectory`."""
    fig, axes = _subplots(3, 1, figsize=(6, 6), sharex=True)
    t = np.arange(traj.loss.size)
    axes[0].plot(t, traj.f)
    axes[0].set_ylabel("f_t")
    axes[1].plot(t, traj.eta * traj.lam)
    edge = traj.edges_c.get("lazy_catapult")
    if edge is not None:
        axes[1].axhline(edge, color="k", ls="--", lw=0.8, label=f"derived stability edge {edge:g}")
        axes[1].legend(fontsize=7)
    axes[1].set_ylabel("eta lam_t")
    axes[2].semilogy(t, traj.loss)
    axes[2].set_ylabel("loss")
    axes[2].set_xlabel("step")
    axes[0].set_title(f"{traj.model}: c={traj.c:g}, n={traj.n}, phase {traj.phase}")
    fig.tight_layout()
    atomic_write(path, fig.savefig)


def scaling_figure(ds: Any, path: str | Path) -> None:
    """Median catapult peak loss vs n (log-log) and t_peak vs ln n, with fitted lines."""
    n = ds["n"].values
    fig, (a1, a2) = _subplots(1, 2, figsize=(9, 3.5))
    for k, c in enumerate(ds["c_fit"].values):
        i = int(np.nonzero(ds["c"].values == c)[0][0])
        pk = ds["catapult_median_peak_loss"].values[i]
        tp = ds["catapult_median_t_peak"].values[i]
        line = a1.loglog(n, pk, "o", label=f"c={c:g}")[0]
        b, A = ds["fit_peak_exponent"].values[k], ds["fit_peak_prefactor"].values[k]
        a1.loglog(n, A * n**b, "-", color=line.get_color())
        a2.plot(np.log(n), tp, "o", color=line.get_color())
        s, a = ds["fit_tpeak_slope"].values[k], ds["fit_tpeak_intercept"].values[k]
        a2.plot(np.log(n), a + s * np.log(n), "-", color=line.get_color())
    a1.set_xlabel("n")
    a1.set_ylabel("median peak loss")
    a2.set_xlabel("ln n")
    a2.set_ylabel("median t_peak")
    a1.legend(fontsize=6)
    fig.tight_layout()
    atomic_write(path, fig.savefig)


def bifurcation_figure(result: Any, path: Paths) -> Any:
    """Late-time ``eta * lambda`` against ``eta``, onsets marked, edge of stability drawn.

    Returns:
        The figure.
    """
    fig, ax = _subplots(figsize=(6.4, 4.2))
    for a in result.attractors:
        if a.period is None:
            continue
        values = np.asarray(a.eta_lam)
        ax.plot(np.full(values.size, a.eta), values, ",", color="k", alpha=0.6)
    for o in result.onsets:
        ax.axvline(o.eta, color="tab:blue", lw=0.6, ls=":")
        ax.text(
            o.eta,
            1.0,
            f" {o.period}",
            transform=ax.get_xaxis_transform(),
            fontsize=7,
            va="top",
            color="tab:blue",
        )
    if result.edge is not None:
        ax.axhline(
            result.edge,
            color="tab:red",
            lw=0.8,
            ls="--",
            label=rf"edge of stability $\eta\lambda = {result.edge:g}$",
        )
        ax.legend(fontsize=7, loc="upper left")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"late-time $\eta\lambda$")
    y = ", ".join(f"{v:g}" for v in result.labels)
    ax.set_title(f"{result.model} ({result.step_rule}), n = {result.n:g}, y = {y}", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    return fig
