"""Figures: phase diagram with theory boundaries, trajectories, scaling, bifurcation.

Every function draws under :mod:`catapultlab.plotting`'s style, takes ``ax=`` (and makes a
figure only when none is given), saves to ``path`` when one is given (one path or several;
PDF/SVG vector, PNG at 200 dpi or more) and returns the figure. No pyplot state and no
backend switching: a notebook's backend is untouched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.plotting import PHASE_COLORS, Paths

__all__ = [
    "PHASE_COLORS",
    "bifurcation_figure",
    "edge_label",
    "phase_diagram",
    "scaling_figure",
    "theory_c_boundaries",
    "trajectory_figure",
]


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


def edge_label(name: str, c: float) -> str:
    """Legend text of a theory line: ``"theory lazy/catapult = loss rises: $c = 2$"``."""
    from catapultlab.theory import boundary_words

    return f"theory {' = '.join(boundary_words(p) for p in name.split('='))}: $c = {c:.4g}$"


def _hyper_of(ds: Any) -> dict[str, float]:
    config = json.loads(ds.attrs.get("config", "{}"))
    return dict(config.get("setup", {}).get("hyper", {}))


@plotting.styled
def phase_diagram(
    ds: Any,
    path: Paths | None = None,
    *,
    model: Any | None = None,
    title: str | None = None,
    row: str = "n",
    row_labels: Sequence[str] | None = None,
    row_axis: str = "width $n$",
    ax: Any = None,
    figsize: tuple[float, float] = (7.0, 3.6),
    dpi: float | None = None,
) -> Any:
    """Dominant phase over (c, ``row``), measured boundaries with CIs and theory lines.

    ``row`` is the sweep's width dimension ``n`` by default; a c x y diagram passes a
    dataset over ``(y, c)`` and ``row="y"``. A boundary below the grid
    (``<name>_below_grid``) is drawn as a ``<`` at the first ``c``; one above it as a
    ``>`` at the last. The legend, outside the axes, names every outcome drawn, every
    measured boundary and every theory line (each in its own line style).

    Returns:
        The figure.
    """
    c, r = ds["c"].values, ds[row].values
    names = [k for k in PHASE_COLORS if f"p_{k}" in ds]
    probs = np.stack([ds[f"p_{k}"].transpose("c", row).values for k in names])
    rgb = np.array([PHASE_COLORS[k] for k in names])
    fig, ax_ = plotting.figure_axes(ax, figsize=figsize, dpi=dpi)
    y = np.arange(len(r))
    half = 0.5 * (float(np.diff(c).min()) if c.size > 1 else 1.0)
    extent = (c[0] - half, c[-1] + half, -0.5, len(r) - 0.5)
    ax_.imshow(np.einsum("pcn,pk->nck", probs, rgb), aspect="auto", origin="lower", extent=extent)
    handles = plotting.phase_handles([k for k, p in zip(names, probs, strict=True) if p.max() > 0])
    for name, mk in (("c_divergent", "o"), ("c_loss_rises", "s")):
        handles.append(_measured_boundary(ax_, ds, name, mk, y, c))
    if model is not None:
        bounds = theory_c_boundaries(model, _hyper_of(ds))
        for (name, cv), ls in zip(bounds.items(), plotting.THEORY_LINESTYLES, strict=False):
            handles.append(ax_.axvline(cv, color="k", ls=ls, lw=1.2, label=edge_label(name, cv)))
    ax_.set_yticks(y, list(row_labels) if row_labels is not None else [f"{v:g}" for v in r])
    ax_.set_xlabel(r"$c = \eta\lambda_0$")
    ax_.set_ylabel(row_axis)
    ax_.set_title(title or "phase fractions (cell colour mixes the outcomes)")
    ax_.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)


_MEASURED = {"c_divergent": r"$c_\mathrm{div}$", "c_loss_rises": r"$c_\mathrm{rise}$"}


def _measured_boundary(ax: Any, ds: Any, name: str, marker: str, y: Any, c: Any) -> Any:
    v, lo, hi = ds[name].values, ds[f"{name}_lo"].values, ds[f"{name}_hi"].values
    err = [np.clip(np.nan_to_num(v - lo), 0, None), np.clip(np.nan_to_num(hi - v), 0, None)]
    label = f"measured {_MEASURED[name]} (95% CI)"
    handle = ax.errorbar(v, y, xerr=err, fmt=marker, color="k", ms=4, label=label)
    for side, x0, m in (("below", c[0], "<"), ("above", c[-1], ">")):
        flag = f"{name}_{side}_grid"
        if flag in ds and np.any(ds[flag].values):
            rows = y[ds[flag].values.astype(bool)]
            ax.plot(np.full(rows.size, x0), rows, m, color="k", ms=6)
    return handle


@plotting.styled
def trajectory_figure(
    traj: Any,
    path: Paths | None = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] = (5.5, 5.5),
    dpi: float | None = None,
) -> Any:
    """``f_t``, ``eta lam_t`` and the loss of a :class:`~catapultlab.sim.Trajectory`.

    The step axis is logarithmic (``t + 1``), so a catapult of a few steps and the
    thousands of steps after it are both visible.

    Returns:
        The figure.
    """
    fig, axes = plotting.figure_axes(ax, nrows=3, figsize=figsize, dpi=dpi, sharex=True)
    t = np.arange(traj.loss.size) + 1
    axes[0].plot(t, traj.f)
    axes[0].set_ylabel("output $f_t$")
    axes[1].plot(t, traj.eta * traj.lam, label=r"$\eta\lambda_t$")
    edge = traj.edges_c.get("lazy_catapult")
    if edge is not None:
        axes[1].axhline(edge, color="k", ls="--", lw=0.8, label=f"derived stability edge {edge:g}")
    axes[1].legend()
    axes[1].set_ylabel(r"$\eta\lambda_t$")
    axes[2].plot(t, traj.loss)
    axes[2].set_yscale("log")
    axes[2].set_ylabel("loss $L_t$")
    axes[2].set_xlabel("step $t + 1$")
    for a in axes:
        a.set_xscale("log")
    axes[0].set_title(f"{traj.model}: $c = {traj.c:g}$, $n = {traj.n}$, phase {traj.phase}")
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)


@plotting.styled
def scaling_figure(
    ds: Any,
    path: Paths | None = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] = (8.0, 3.2),
    dpi: float | None = None,
) -> Any:
    """Median catapult peak loss vs n (log-log) and t_peak vs ln n, with fitted lines.

    Returns:
        The figure.
    """
    n = ds["n"].values
    fig, (a1, a2) = plotting.figure_axes(ax, ncols=2, figsize=figsize, dpi=dpi)
    for k, c in enumerate(ds["c_fit"].values):
        i = int(np.nonzero(ds["c"].values == c)[0][0])
        pk = ds["catapult_median_peak_loss"].values[i]
        tp = ds["catapult_median_t_peak"].values[i]
        b, A = ds["fit_peak_exponent"].values[k], ds["fit_peak_prefactor"].values[k]
        line = a1.loglog(n, pk, "o", label=f"$c = {c:g}$: fit $n^{{{b:.3g}}}$")[0]
        a1.loglog(n, A * n**b, "-", color=line.get_color())
        s, a = ds["fit_tpeak_slope"].values[k], ds["fit_tpeak_intercept"].values[k]
        a2.plot(np.log(n), tp, "o", color=line.get_color(), label=f"$c = {c:g}$: slope {s:.3g}")
        a2.plot(np.log(n), a + s * np.log(n), "-", color=line.get_color())
    a1.set(xlabel="width $n$", ylabel="median peak loss")
    a2.set(xlabel=r"$\ln n$", ylabel=r"median $t_\mathrm{peak}$")
    a1.legend()
    a2.legend()
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)


@plotting.styled
def bifurcation_figure(
    result: Any,
    path: Paths | None = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] = (6.0, 4.0),
    dpi: float | None = None,
) -> Any:
    """Late-time ``eta * lambda`` against ``eta``, onsets marked, edge of stability drawn.

    Returns:
        The figure.
    """
    fig, ax_ = plotting.figure_axes(ax, figsize=figsize, dpi=dpi)
    xs = [np.full(len(a.eta_lam), a.eta) for a in result.attractors if a.period is not None]
    ys = [np.asarray(a.eta_lam) for a in result.attractors if a.period is not None]
    if xs:
        ax_.plot(np.concatenate(xs), np.concatenate(ys), ".", ms=1, color="k", label="attractor")
    span, last = np.ptp([a.eta for a in result.attractors] or [0.0, 1.0]) or 1.0, -np.inf
    for i, o in enumerate(result.onsets):
        label = "onset of period $p$ ($p$ marked above)" if i == 0 else None
        ax_.axvline(o.eta, color="tab:blue", lw=0.6, ls=":", label=label)
        if o.eta - last > 0.03 * span:  # labels closer than 3% of the axis would overlap
            ax_.text(o.eta, 1.0, str(o.period), transform=ax_.get_xaxis_transform(), ha="center")
            last = o.eta
    if result.edge is not None:
        label = rf"edge of stability $\eta\lambda = {result.edge:g}$"
        ax_.axhline(result.edge, color="tab:red", lw=0.8, ls="--", label=label)
    ax_.legend(loc="upper left")
    ax_.set_xlabel(r"learning rate $\eta$")
    ax_.set_ylabel(r"late-time $\eta\lambda$")
    y = ", ".join(f"{v:g}" for v in result.labels)
    ax_.set_title(f"{result.model} ({result.step_rule}), $n = {result.n:g}$, $y = {y}$", pad=14)
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)
