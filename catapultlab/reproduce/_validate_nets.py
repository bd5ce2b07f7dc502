"""Validate section: a ReLU or linear MLP ``c``-sweep on a real dataset, beside the theory.

The rows are :func:`catapultlab.validate.comparison_table`'s (every prediction from the
derived model's one table: ``c_loss`` against ``loss_rises``, ``c_max`` against
``catapult_divergent``, ``eta lambda_final`` and the best test accuracy against the lazy
edge), found by key and re-keyed per network; a sweep too small to have trained keeps
its numbers and drops its verdicts (:mod:`catapultlab.reproduce._verdicts`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import LAZY, edges
from catapultlab.reproduce._verdicts import inconclusive, rekeyed, without_verdict
from catapultlab.stats import Comparison

__all__ = ["NETWORKS", "network_rows", "network_section"]

NETWORKS = {"relu": ("relu", "ReLU MLP"), "linear": ("linear", "linear MLP")}
"""Preset section -> (activation, words)."""

ROWS = (
    ("c_loss", "c_loss", "c_loss (first c whose loss rises)", ""),
    ("c_max", "c_max", "c_max (largest c that does not diverge)", "paper: ~12 for ReLU networks"),
    ("eta_lam_final", "max_eta_lam_final_catapult", "max eta*lambda_final over catapult runs", ""),
    ("eta_sharp_final", "max_eta_sharp_final_catapult", "max eta*S_final over catapult runs", ""),
    (
        "c_best_test_acc",
        "c_best_test_acc",
        "c of the best test accuracy",
        "paper: best accuracy often at {predicted:g} < c < c_max",
    ),
    ("adam_precond_sharpness", "adam_precond_sharpness", "eta * preconditioned sharpness", ""),
    ("c_loss.own_model", "c_loss_own_model", "c_loss against its own model", ""),
    ("c_max.own_model", "c_max_own_model", "c_max against its own model", ""),
    ("eta_lam_final.own_model", "eta_lam_final_own_model", "eta*lambda_final, own model", ""),
    ("c_loss.own_model_inf", "c_loss_own_model_inf", "c_loss, own model at n = inf", ""),
    ("c_max.own_model_inf", "c_max_own_model_inf", "c_max, own model at n = inf", ""),
    (
        "eta_lam_final.own_model_inf",
        "eta_lam_final_own_model_inf",
        "eta*lambda_final, own model at n = inf",
        "",
    ),
    ("c_loss.own_init", "c_loss_own_init", "c_loss, map from its own init", ""),
    ("c_max.own_init", "c_max_own_init", "c_max, map from its own init", ""),
    ("eta_lam_final.own_init", "eta_lam_final_own_init", "eta*lambda_final, own init", ""),
    ("c_loss.linear_reference", "c_loss_linear_reference", "c_loss beside a linear model", ""),
    ("c_max.linear_reference", "c_max_linear_reference", "c_max beside a linear model", ""),
    ("own_model", "own_model", "own model", ""),
)
"""comparison_table row -> (report name, words, note); rows a sweep lacks are left out."""


def network_rows(res: Any, net: str, label: str) -> list[Comparison]:
    """The report rows of one sweep: ``lambda_0``, the compared rows, the best accuracy."""
    from catapultlab.validate import comparison_table

    table = {r.key: r for r in comparison_table(res)}
    why = inconclusive(res)
    rows = [
        Comparison.make(
            f"validate.{net}.lam0",
            f"{label} lambda_0 (top NTK eigenvalue, Theta = J J^T / m)",
            res.lam0,
        )
    ]
    for name, report_name, words, note in ROWS:
        row = table.get(f"validate.{name}")
        if row is None:
            continue
        note = note.format(predicted=row.predicted) if row.predicted is not None else ""
        row = rekeyed(row, f"validate.{net}.{report_name}", f"{label} {words}", note)
        rows.append(without_verdict(row, why))
    accuracies = [x.test_acc for x in res.runs if x.test_acc is not None]
    rows.append(
        Comparison.make(
            f"validate.{net}.best_test_acc",
            f"{label} best test accuracy",
            max(accuracies, default=None),
        )
    )
    return rows


@plotting.styled
def _draw(ds: Any, out: Path, name: str, title: str) -> None:
    """``figures/<name>``: training loss and ``eta lambda_t`` of every ``c``."""
    fig, ax = new_figure(2, 1, (11, 4))
    c = ds["c"].values
    cmax = float(ds.attrs["c_max"])  # NaN when the grid does not bracket it
    span = max(len(c) - 1, 1)
    cols = [(0.1 + 0.8 * i / span, 0.2, 0.9 - 0.8 * i / span) for i in range(len(c))]
    names = ds.attrs["phase_names"].split(",")
    for i, ci in enumerate(c):
        loss = ds["loss"].values[i]
        t = np.arange(loss.size)
        phase = names[int(ds["phase"].values[i])]
        ax[0, 0].plot(t + 1, loss, color=cols[i], lw=1, label=f"$c = {ci:.3g}$ ({phase})")
        el = ds["eta_lam"].values[i]
        ok = np.isfinite(el)
        ax[0, 1].plot(t[ok] + 1, el[ok], "o-", ms=2, lw=1, color=cols[i])
    ax[0, 0].axhline(ds.attrs["loss0"], color="k", ls=":", lw=0.8)
    ax[0, 0].set(
        xscale="log", yscale="log", xlabel="step $t + 1$", ylabel="train loss", title=title
    )
    ax[0, 0].legend(fontsize=6, ncol=2)
    lazy = edges()[LAZY]
    label = f"derived lazy edge $\\eta\\lambda = {lazy:g}$"
    ax[0, 1].axhline(lazy, color="k", ls="--", lw=1, label=label)
    if np.isfinite(cmax):
        label = f"measured $c_\\max = {cmax:.3g}$"
        ax[0, 1].axhline(cmax, color="r", ls="--", lw=1, label=label)
    ax[0, 1].set(xscale="log", yscale="log", xlabel="step $t + 1$", ylabel=r"$\eta\lambda_t$")
    ax[0, 1].legend(fontsize=7)
    save_figure(fig, out, name)


def _sweep_config(cfg: dict[str, Any], net: str) -> Any:
    """The :class:`catapultlab.validate.SweepConfig` of preset section ``net``."""
    from catapultlab.validate import SweepConfig

    p = {k: tuple(x) if isinstance(x, list) else x for k, x in cfg["validate"][net].items()}
    act = NETWORKS[net][0]
    return SweepConfig(
        arch="mlp", act=act, dataset=cfg["validate"]["dataset"], seed=cfg["seed"], **p
    )


def network_section(cfg: dict[str, Any], out: Path, net: str, echo: Any) -> tuple[Section, Any]:
    """Sweep one network (``relu`` or ``linear``): data, figure, rows; and the sweep result."""
    from catapultlab.validate import run_sweep, sweep_to_xarray

    label, dataset, p = NETWORKS[net][1], cfg["validate"]["dataset"], cfg["validate"][net]
    echo(
        f"  {label}: depth {p['depth']}, width {p['width']}, {len(p['c_values'])} c values, "
        f"{p['steps']} steps ..."
    )
    res = run_sweep(_sweep_config(cfg, net))
    ds = sweep_to_xarray(res)
    data = write_nc(ds, out, f"{net}_sweep")
    name = f"{net}_mlp_sweep"
    _draw(ds, out, name, f"{res.network}, {dataset}")
    caption = (
        f"{label} on {dataset}: training loss and eta*lambda_t for each c, with the derived "
        f"lazy edge (c = {edges()[LAZY]:g}) and the measured c_max marked."
    )
    return Section(network_rows(res, net, label), [Figure(name, caption, data)]), res
