"""Validate-stage sections beyond plain GD: edge of stability, momentum, depth x width.

* **Edge of stability** (Cohen et al. 2021, a hypothesis to measure): full-batch GD on
  a standard-parametrised tanh MLP; ``eta S_t`` (loss-Hessian sharpness) and
  ``eta lambda_t`` against the step, with the derived lazy edge (2) marked; the number
  is the range of ``eta S_t`` over the dense late steps of the largest ``c``.
* **Momentum against theory**: ReLU MLP sweeps under heavy ball for each ``beta``;
  measured ``c_loss`` beside the derived loss-rises edge and ``c_max`` beside the
  derived linear-stability edge (``predicted_edges``).
* **Depth x width**: a small :func:`catapultlab.validate.run_scan` with its heat map.

A preset section with ``"conclusive": false`` (the quick preset) prints its numbers
without verdicts, saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.reproduce._common import Figure, Number, new_figure, save_figure, write_nc
from catapultlab.stats import bracket_se

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
    if res is not None:
        from catapultlab.reproduce._validate_stage import _inconclusive

        return _inconclusive(res)
    return ""


def _side(b: Any) -> str:
    """`` (above the grid)`` / `` (below the grid)`` for an unbracketed boundary."""
    return "" if b.value is not None else f" ({b.side} the grid)"


def _collapsed(res: Any) -> str:
    """How many runs ended as dead networks (``collapsed``), when any did."""
    cs = [r.c for r in res.runs if r.phase == "collapsed"]
    return f" ({len(cs)} collapsed runs, c = {', '.join(f'{c:g}' for c in cs)})" if cs else ""


def _verdict(why: str, relation: str, source: str) -> dict[str, str]:
    if why:
        return {"relation": "", "source": f"{why}; {source}"}
    return {"relation": relation, "source": source}


def eos_section(cfg: dict[str, Any], out: Path) -> tuple[list[Number], list[Figure]]:
    """Edge of stability: ``eta S_t`` and ``eta lambda_t`` against the step."""
    import xarray as xr

    from catapultlab.validate import predicted_edges, run_sweep

    sec = cfg["validate"]["eos"]
    res = run_sweep(_config(cfg, sec, arch="mlp", sharpness="hessian"))
    edge = predicted_edges("gd")["lazy_catapult"]
    steps = sorted({t for r in res.runs for t, _ in r.eta_ntk})
    grid = {t: i for i, t in enumerate(steps)}
    hess = np.full((len(res.runs), len(steps)), np.nan)
    ntk = hess.copy()
    for k, r in enumerate(res.runs):
        for arr, series in ((hess, r.eta_hessian or ()), (ntk, r.eta_ntk)):
            for t, v in series:
                arr[k, grid[t]] = v
    ds = xr.Dataset(
        {
            "eta_hessian": (("c", "measured_step"), hess),
            "eta_ntk": (("c", "measured_step"), ntk),
        },
        coords={"c": [r.c for r in res.runs], "measured_step": steps},
        attrs={"network": res.network, "lam0": res.lam0, "steps": res.config.steps},
    )
    data = write_nc(ds, out, "eos_sharpness")
    fig, ax = new_figure(1, 1, (7, 4))
    ax = ax[0, 0]
    for k, r in enumerate(res.runs):
        ax.plot(steps, hess[k], "-", color=f"C{k}", label=f"eta*S_t, c={r.c:g}")
        ax.plot(steps, ntk[k], ":", color=f"C{k}", label=f"eta*lambda_t, c={r.c:g}")
    ax.axhline(edge, color="k", ls="--", lw=1, label=f"derived lazy edge {edge:g}")
    ax.set(xlabel="step", ylabel="eta * sharpness", title=f"{res.network} (standard GD)")
    ax.legend(fontsize=7)
    save_figure(fig, out, "eos_sharpness")
    top = res.runs[-1]
    late = [v for t, v in (top.eta_hessian or ()) if t >= 0.75 * res.config.steps]
    why = _why(sec)
    num = Number.make(
        "validate.eos.eta_sharpness_late",
        f"eta*S_t over the late steps (last quarter) at c={top.c:g}, mean (range as interval)",
        float(np.mean(late)) if late else None,
        ci_low=min(late) if late else None,
        ci_high=max(late) if late else None,
        predicted=edge,
        **_verdict(why, "=", "Cohen et al. 2021 (hypothesis): eta*S hovers at 2 under GD"),
    )
    fig_ = Figure(
        "eos_sharpness",
        "Edge of stability: eta*S_t (loss-Hessian sharpness, solid) and eta*lambda_t "
        "(NTK, dotted) against the step under full-batch GD, with the derived edge marked.",
        data,
    )
    return [num], [fig_]


def momentum_section(cfg: dict[str, Any], out: Path) -> tuple[list[Number], list[Figure]]:
    """Heavy-ball sweeps: measured c_loss and c_max beside the derived edges."""
    import xarray as xr

    from catapultlab.validate import predicted_edges, run_sweep

    sec = cfg["validate"]["momentum"]
    betas = [float(b) for b in sec["betas"]]
    rows: dict[str, list[float]] = {k: [] for k in ("c_loss", "c_max", "rises", "lazy")}
    numbers: list[Number] = []
    for beta in betas:
        res = run_sweep(_config(cfg, sec, arch="mlp", optimizer="momentum", momentum=beta))
        edges = predicted_edges("momentum", beta)
        why = _why(sec, res)
        tag = f"validate.momentum_{beta:g}"
        cl, cm = res.c_loss, res.c_max
        numbers.append(
            Number.make(
                f"{tag}.c_loss",
                f"ReLU MLP c_loss under heavy ball beta={beta:g}" + _side(cl),
                cl.value,
                uncertainty=bracket_se(cl.uncertainty),
                ci_low=None if cl.value is None else cl.value - cl.uncertainty,
                ci_high=cl.value,
                predicted=edges["loss_rises"],
                **_verdict(
                    why,
                    "=",
                    "derived loss-rises edge of the heavy-ball uv model (one mode of the "
                    "linear dynamics; a network's loss sums many modes)",
                ),
            )
        )
        numbers.append(
            Number.make(
                f"{tag}.c_max",
                f"ReLU MLP c_max under heavy ball beta={beta:g}" + _side(cm) + _collapsed(res),
                cm.value,
                uncertainty=bracket_se(cm.uncertainty),
                ci_low=cm.value,
                ci_high=None if cm.value is None else cm.value + cm.uncertainty,
                predicted=edges["lazy_catapult"],
                **_verdict(
                    why,
                    ">",
                    "derived linear-stability edge 2+2beta: converging runs above it are "
                    "catapults (no large-|f| edge is derived under momentum)",
                ),
            )
        )
        for key, b in (("c_loss", cl), ("c_max", cm)):
            rows[key].append(np.nan if b.value is None else b.value)
        rows["rises"].append(edges["loss_rises"])
        rows["lazy"].append(edges["lazy_catapult"])
    ds = xr.Dataset(
        {
            "c_loss": (("beta",), rows["c_loss"]),
            "c_max": (("beta",), rows["c_max"]),
            "derived_loss_rises": (("beta",), rows["rises"]),
            "derived_lazy_catapult": (("beta",), rows["lazy"]),
        },
        coords={"beta": betas},
    )
    data = write_nc(ds, out, "momentum_edges")
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    ax.plot(betas, rows["c_loss"], "o", color="C0", label="measured c_loss")
    ax.plot(betas, rows["c_max"], "s", color="C3", label="measured c_max")
    ax.plot(betas, rows["rises"], "x--", color="C0", label="derived loss-rises edge")
    ax.plot(betas, rows["lazy"], "x--", color="k", label="derived stability edge 2+2beta")
    ax.set(xlabel="momentum beta", ylabel="c = eta*lambda0", yscale="log", title="heavy ball")
    ax.legend(fontsize=7)
    save_figure(fig, out, "momentum_edges")
    fig_ = Figure(
        "momentum_edges",
        "ReLU MLP under heavy-ball momentum: measured c_loss and c_max against the edges "
        "derived for the heavy-ball uv model.",
        data,
    )
    return numbers, [fig_]


def depth_width_section(cfg: dict[str, Any], out: Path) -> tuple[list[Number], list[Figure]]:
    """A small depth x width scan: c_max per cell and its heat map."""
    from catapultlab.validate import run_scan, scan_to_xarray
    from catapultlab.validate._scan import plot_scan

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
                Number.make(
                    f"validate.scan.c_max_d{depth}_w{width}",
                    f"ReLU MLP c_max at depth {depth}, width {width}"
                    + (f" ({why})" if why else "")
                    + _side(cm),
                    cm.value,
                    uncertainty=bracket_se(cm.uncertainty),
                )
            )
    fig_ = Figure(
        "depth_width_scan",
        "c_loss, c_sharp and c_max of a ReLU MLP over depth x width (one validate sweep "
        "per cell; out-of-grid cells labelled below/above).",
        data,
    )
    return numbers, [fig_]
