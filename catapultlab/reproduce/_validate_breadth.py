"""Validate-stage sections beyond plain GD: edge of stability, momentum, depth x width.

* **Edge of stability** (Cohen et al. 2021, a hypothesis to measure): full-batch GD on
  a standard-parametrised tanh MLP; ``eta S_t`` (loss-Hessian sharpness) and
  ``eta lambda_t`` against the step, with the derived lazy edge marked; the number is
  the range of ``eta S_t`` over the dense late steps of the largest ``c``.
* **Momentum against theory**: ReLU MLP sweeps under heavy ball for each ``beta``;
  measured ``c_loss`` beside the derived loss-rises edge
  (:func:`catapultlab.validate.comparison_table`) and ``c_max`` above the derived
  linear-stability edge (:func:`catapultlab.validate.predicted_edges`).
* **Depth x width**: a small :func:`catapultlab.validate.run_scan` with its heat map.

A preset section with ``"conclusive": false`` prints its numbers without verdicts,
saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import LAZY, edge_formula, edges
from catapultlab.reproduce._verdicts import inconclusive, rekeyed, without_verdict
from catapultlab.stats import Comparison, bracket_se

__all__ = ["depth_width_section", "eos_section", "momentum_section"]


def _config(cfg: dict[str, Any], section: dict[str, Any], **fixed: Any) -> Any:
    from catapultlab.validate import SweepConfig

    skip = ("conclusive", "betas", "depths", "widths")
    p = {k: tuple(x) if isinstance(x, list) else x for k, x in section.items() if k not in skip}
    return SweepConfig(dataset=cfg["validate"]["dataset"], seed=cfg["seed"], **p, **fixed)


def _why(section: dict[str, Any], res: Any = None) -> str:
    """Reason a section's verdicts are withheld ("" when they stand)."""
    if not section.get("conclusive", True):
        return f"not conclusive at this size (quick preset, {section['steps']} steps)"
    return "" if res is None else inconclusive(res)


def _side(b: Any) -> str:
    """`` (above the grid)`` / `` (below the grid)`` for an unbracketed boundary."""
    return "" if b.value is not None else f" ({b.side} the grid)"


def _collapsed(res: Any) -> str:
    """How many runs ended as dead networks (``collapsed``), when any did."""
    cs = [r.c for r in res.runs if r.phase == "collapsed"]
    return f" ({len(cs)} collapsed runs, c = {', '.join(f'{c:g}' for c in cs)})" if cs else ""


def _sharpness(res: Any) -> Any:
    """``eta S_t`` and ``eta lambda_t`` of every run on the union of measured steps."""
    import xarray as xr

    steps = sorted({t for r in res.runs for t, _ in r.eta_ntk})
    grid = {t: i for i, t in enumerate(steps)}
    hess = np.full((len(res.runs), len(steps)), np.nan)
    ntk = hess.copy()
    for k, r in enumerate(res.runs):
        for arr, series in ((hess, r.eta_hessian or ()), (ntk, r.eta_ntk)):
            for t, v in series:
                arr[k, grid[t]] = v
    return xr.Dataset(
        {
            "eta_hessian": (("c", "measured_step"), hess),
            "eta_ntk": (("c", "measured_step"), ntk),
        },
        coords={"c": [r.c for r in res.runs], "measured_step": steps},
        attrs={"network": res.network, "lam0": res.lam0, "steps": res.config.steps},
    )


@plotting.styled
def _draw_sharpness(ds: Any, out: Path, edge: float) -> None:
    fig, ax = new_figure(1, 1, (7, 4))
    ax = ax[0, 0]
    steps = ds["measured_step"].values
    for k, c in enumerate(ds["c"].values):
        ax.plot(
            steps,
            ds["eta_hessian"].values[k],
            "-",
            color=f"C{k}",
            label=f"$\\eta S_t$, $c = {c:g}$",
        )
        ax.plot(
            steps,
            ds["eta_ntk"].values[k],
            ":",
            color=f"C{k}",
            label=f"$\\eta\\lambda_t$, $c = {c:g}$",
        )
    ax.axhline(edge, color="k", ls="--", lw=1, label=f"derived lazy edge {edge:g}")
    ax.set(
        xlabel="step",
        ylabel=r"$\eta S_t$ (Hessian), $\eta\lambda_t$ (NTK)",
        title=f"{ds.attrs['network']} (standard GD)",
    )
    ax.legend(fontsize=7)
    save_figure(fig, out, "eos_sharpness")


def eos_section(cfg: dict[str, Any], out: Path) -> Section:
    """Edge of stability: ``eta S_t`` and ``eta lambda_t`` against the step."""
    from catapultlab.validate import run_sweep

    sec = cfg["validate"]["eos"]
    res = run_sweep(_config(cfg, sec, arch="mlp", sharpness="hessian"))
    edge = edges()[LAZY]
    ds = _sharpness(res)
    data = write_nc(ds, out, "eos_sharpness")
    _draw_sharpness(ds, out, edge)
    top = res.runs[-1]
    late = [v for t, v in (top.eta_hessian or ()) if t >= 0.75 * res.config.steps]
    hypothesis = f"Cohen et al. 2021 (hypothesis): eta*S hovers at the lazy edge {edge:g} under GD"
    row = Comparison.make(
        "validate.eos.eta_sharpness_late",
        f"eta*S_t over the late steps (last quarter) at c={top.c:g}, mean (range as interval)",
        float(np.mean(late)) if late else None,
        ci_low=min(late) if late else None,
        ci_high=max(late) if late else None,
        predicted=edge,
        relation="=",
        source=hypothesis,
    )
    fig = Figure(
        "eos_sharpness",
        "Edge of stability: eta*S_t (loss-Hessian sharpness, solid) and eta*lambda_t "
        "(NTK, dotted) against the step under full-batch GD, with the derived edge marked.",
        data,
    )
    return Section([without_verdict(row, _why(sec))], [fig])


def _momentum_rows(res: Any, beta: float, why: str) -> list[Comparison]:
    """``c_loss`` beside the derived loss-rises edge, ``c_max`` above the stability edge."""
    from catapultlab.validate import comparison_table, predicted_edges, theory_model

    tag, cl, cm = f"validate.momentum_{beta:g}", res.c_loss, res.c_max
    table = {r.key: r for r in comparison_table(res)}
    loss = rekeyed(
        table["validate.c_loss"],
        f"{tag}.c_loss",
        f"ReLU MLP c_loss under heavy ball beta={beta:g}" + _side(cl),
        "one mode of the linear dynamics; a network's loss sums many modes",
    )
    edge = predicted_edges("momentum", beta)[LAZY]
    formula = edge_formula(theory_model("momentum"), LAZY)
    lo, hi = (None, None) if cm.bracket is None else cm.bracket
    top = Comparison.make(
        f"{tag}.c_max",
        f"ReLU MLP c_max under heavy ball beta={beta:g}" + _side(cm) + _collapsed(res),
        cm.value,
        uncertainty=bracket_se(cm.uncertainty),
        ci_low=lo,
        ci_high=hi,
        predicted=edge,
        relation=">",
        source=f"derived linear-stability edge c = {formula} (= {edge:g} at beta={beta:g}): "
        "converging runs above it are catapults (no large-|f| edge is derived under momentum)",
    )
    return [without_verdict(loss, why), without_verdict(top, why)]


def _measured(b: Any) -> float:
    """A boundary's value, NaN off the grid."""
    return np.nan if b.value is None else b.value


@plotting.styled
def _momentum_figure(results: dict[float, Any], out: Path) -> str:
    """Data and figure of measured and derived edges against ``beta``; the data file."""
    import xarray as xr

    from catapultlab.validate import predicted_edges, theory_model

    betas = list(results)
    c_loss = [_measured(res.c_loss) for res in results.values()]
    c_max = [_measured(res.c_max) for res in results.values()]
    derived = {k: [predicted_edges("momentum", b)[k] for b in betas] for k in ("loss_rises", LAZY)}
    ds = xr.Dataset(
        {
            "c_loss": (("beta",), c_loss),
            "c_max": (("beta",), c_max),
            "derived_loss_rises": (("beta",), derived["loss_rises"]),
            "derived_lazy_catapult": (("beta",), derived[LAZY]),
        },
        coords={"beta": betas},
    )
    data = write_nc(ds, out, "momentum_edges")
    formula = edge_formula(theory_model("momentum"), LAZY)
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    ax.plot(betas, c_loss, "o", color="C0", label=r"measured $c_\mathrm{loss}$")
    ax.plot(betas, c_max, "s", color="C3", label=r"measured $c_\max$")
    ax.plot(betas, derived["loss_rises"], "x--", color="C0", label="derived loss-rises edge")
    ax.plot(betas, derived[LAZY], "x--", color="k", label=f"derived stability edge {formula}")
    ax.set(
        xlabel=r"momentum $\beta$", ylabel=r"$c = \eta\lambda_0$", yscale="log", title="heavy ball"
    )
    plotting.plain_log_ticks(ax.yaxis)
    ax.legend(fontsize=7)
    save_figure(fig, out, "momentum_edges")
    return data


def momentum_section(cfg: dict[str, Any], out: Path) -> Section:
    """Heavy-ball sweeps: measured c_loss and c_max beside the derived edges."""
    from catapultlab.validate import run_sweep

    sec = cfg["validate"]["momentum"]
    results: dict[float, Any] = {}
    numbers: list[Comparison] = []
    for beta in (float(b) for b in sec["betas"]):
        res = results[beta] = run_sweep(
            _config(cfg, sec, arch="mlp", optimizer="momentum", momentum=beta)
        )
        numbers += _momentum_rows(res, beta, _why(sec, res))
    fig = Figure(
        "momentum_edges",
        "ReLU MLP under heavy-ball momentum: measured c_loss and c_max against the edges "
        "derived for the heavy-ball uv model.",
        _momentum_figure(results, out),
    )
    return Section(numbers, [fig])


def depth_width_section(cfg: dict[str, Any], out: Path) -> Section:
    """A small depth x width scan: c_max per cell and its heat map."""
    from catapultlab.validate import plot_scan, run_scan, scan_to_xarray

    sec = cfg["validate"]["scan"]
    res = run_scan(
        _config(cfg, sec, arch="mlp", act="relu", depth=1, width=1),
        tuple(sec["depths"]),
        tuple(sec["widths"]),
    )
    data = write_nc(scan_to_xarray(res), out, "depth_width_scan")
    d = out / "figures"
    d.mkdir(parents=True, exist_ok=True)
    for ext in ("png", "pdf"):
        plot_scan(res, str(d / f"depth_width_scan.{ext}"))
    why = _why(sec)
    numbers = []
    for i, depth in enumerate(res.depths):
        for j, width in enumerate(res.widths):
            cm = res.cells[i][j].c_max
            numbers.append(
                Comparison.make(
                    f"validate.scan.c_max_d{depth}_w{width}",
                    f"ReLU MLP c_max at depth {depth}, width {width}"
                    + (f" ({why})" if why else "")
                    + _side(cm),
                    cm.value,
                    uncertainty=bracket_se(cm.uncertainty),
                )
            )
    fig = Figure(
        "depth_width_scan",
        "c_loss, c_sharp and c_max of a ReLU MLP over depth x width (one validate sweep "
        "per cell; out-of-grid cells labelled below/above).",
        data,
    )
    return Section(numbers, [fig])
