"""Predictions beside measurements, JSON and xarray/netCDF output of a sweep.

Predicted values and where they come from (nothing here is tuned; every edge is
looked up through :func:`catapultlab.validate._predict.predicted_edges`):

* ``lazy_catapult``: the lazy/catapult edge of the derived model (for GD the uv
  model's f-multiplier reaching -1) -- compared with ``c_loss`` through the
  ``loss_rises`` edge;
* ``catapult_divergent``: the derived model's maximal stable ``c`` -- compared with
  ``c_max`` (the catapult paper reports ``c_max ~ 12`` for ReLU networks);
* ``eta lambda_final <= lazy_catapult`` in catapult runs (the catapult lands where
  linearised GD is stable) -- the largest measured value is reported, and the same
  for the Hessian sharpness ``eta S_final`` when it was tracked;
* best test accuracy above the lazy edge ("often", per the paper);
* Adam: the preconditioned sharpness against ``(2 + 2 beta_1) / (1 - beta_1)`` in
  ``eta S`` units (Cohen et al. 2022, a hypothesis to measure).

A step rule whose edges are not derived in this build gets rows with no prediction
and the reason in ``notes``; nothing is substituted.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.validate._predict import adam_edge, predicted_edges
from catapultlab.validate._sweep import OUTCOMES, RunSummary, SweepResult

__all__ = [
    "ComparisonRow",
    "comparison_table",
    "sweep_to_dict",
    "sweep_to_xarray",
    "write_netcdf",
]


@dataclass(frozen=True)
class ComparisonRow:
    """One prediction next to its measurement."""

    quantity: str
    predicted: float | None
    measured: float | None
    uncertainty: float | None
    agrees: bool | None
    notes: str


def _edges(res: SweepResult) -> tuple[dict[str, float | None], str]:
    cfg = res.config
    try:
        return predicted_edges(cfg.optimizer, cfg.momentum, cfg.weight_decay), ""
    except CatapultError as exc:
        return dict.fromkeys(("lazy_catapult", "loss_rises", "catapult_divergent")), str(exc)


def _near(pred: float | None, value: float | None, unc: float | None) -> bool | None:
    if pred is None or value is None:
        return None
    return abs(value - pred) <= (unc or 0.0)


def _final_row(name: str, runs: list[RunSummary], key: str, lazy: float | None) -> ComparisonRow:
    vals = [(r.c, getattr(r, key)) for r in runs if getattr(r, key) is not None]
    worst = max((v for _, v in vals), default=None)
    return ComparisonRow(
        f"max {name} over catapult runs",
        lazy,
        worst,
        None,
        None if worst is None or lazy is None else worst <= lazy,
        ("catapult runs: " + ", ".join(f"c={c:.3g}: {v:.3f}" for c, v in vals))
        if vals
        else "no catapult run on this grid",
    )


def comparison_table(res: SweepResult) -> tuple[ComparisonRow, ...]:
    """Predictions beside measurements for one sweep (see module docstring)."""
    edges, why = _edges(res)
    lazy, rises, cmax = edges["lazy_catapult"], edges["loss_rises"], edges["catapult_divergent"]
    note = f" ({why})" if why else ""
    cl, cm = res.c_loss, res.c_max
    rows = [
        ComparisonRow(
            "lazy/catapult boundary (c_loss)",
            rises,
            cl.value,
            cl.uncertainty,
            _near(rises, cl.value, cl.uncertainty),
            f"derived loss-rises edge; c_loss = smallest c whose loss rises above L0{note}",
        ),
        ComparisonRow(
            "maximal stable c (c_max)",
            cmax,
            cm.value,
            cm.uncertainty,
            _near(cmax, cm.value, cm.uncertainty),
            f"derived catapult/divergent edge; the catapult paper reports ~12 for ReLU{note}",
        ),
    ]
    cat = [r for r in res.runs if r.phase == "catapult"]
    rows.append(_final_row("eta*lambda_final", cat, "eta_ntk_final", lazy))
    if any(r.eta_hessian_final is not None for r in cat):
        rows.append(_final_row("eta*S_final (Hessian)", cat, "eta_hessian_final", lazy))
    ok = [r for r in res.runs if r.test_acc is not None]
    best = max(ok, key=lambda r: r.test_acc) if ok else None
    rows.append(
        ComparisonRow(
            "c of best test accuracy (> lazy edge predicted)",
            lazy,
            None if best is None else best.c,
            None,
            None if best is None or lazy is None else best.c > lazy,
            ""
            if best is None
            else f"best test acc {best.test_acc:.4f}; "
            + ", ".join(f"c={r.c:.3g}: {r.test_acc:.4f}" for r in ok),
        )
    )
    if res.config.optimizer == "adam":
        rows.append(_adam_row(res))
    return tuple(rows)


def _adam_row(res: SweepResult) -> ComparisonRow:
    beta1 = res.config.optimizer_config().beta
    edge = adam_edge(beta1)
    done = [r for r in res.runs if r.eta_precond_final is not None]
    worst = max((r.eta_precond_final for r in done), default=None)
    return ComparisonRow(
        "eta * preconditioned sharpness (final, max over runs)",
        edge,
        worst,
        None,
        None,
        f"Cohen et al. 2022 edge (2+2b1)/(1-b1) at b1={beta1}; "
        + ", ".join(f"c={r.c:.3g}: {r.eta_precond_final:.3f}" for r in done),
    )


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def sweep_to_dict(res: SweepResult) -> dict[str, Any]:
    """JSON-ready summary of a sweep.

    Keys: ``lam0``, ``c_loss``, ``c_sharp``, ``c_max`` (``None`` if not bracketed),
    their uncertainties (final bracket widths), ``*_side`` (``below``/``above`` the grid
    when not bracketed), ``sharpness_reduction``, ``runs``, ``comparison`` and ``config``.
    """
    return {
        "network": res.network,
        "lam0": res.lam0,
        "lam0_residual": res.lam0_residual,
        "loss0": res.loss0,
        "c_loss": res.c_loss.value,
        "c_loss_uncertainty": res.c_loss.uncertainty,
        "c_sharp": res.c_sharp.value,
        "c_sharp_uncertainty": res.c_sharp.uncertainty,
        "c_max": res.c_max.value,
        "c_max_uncertainty": res.c_max.uncertainty,
        "c_loss_side": res.c_loss.side,
        "c_sharp_side": res.c_sharp.side,
        "c_max_side": res.c_max.side,
        "sharpness_reduction": res.sharpness_reduction,
        "runs": [{k: _clean(v) for k, v in dataclasses.asdict(r).items()} for r in res.runs],
        "comparison": [dataclasses.asdict(r) for r in comparison_table(res)],
        "config": dataclasses.asdict(res.config),
    }


def _attr(v: Any) -> Any:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, tuple | list):
        return np.asarray(v, dtype=float)
    return v


def _number(v: float | None) -> float:
    """A number attribute: NaN where there is none (not the string ``"none"``)."""
    return float("nan") if v is None else float(v)


def sweep_to_xarray(res: SweepResult) -> Any:
    """The sweep as an ``xarray.Dataset`` with dims ``(c, step)``; config as attributes.

    Variables: ``loss``, ``train_acc`` (every step), ``lam``, ``eta_lam``,
    ``lam_residual``, ``test_acc`` (NaN off the measured steps and after
    divergence), ``eta``, ``phase`` (codes of ``attrs["phase_names"]``).
    """
    import xarray as xr

    steps = res.config.steps
    n = len(res.runs)
    grid = {
        k: np.full((n, steps + 1), np.nan)
        for k in ("loss", "train_acc", "lam", "lam_residual", "test_acc")
    }
    for i, tr in enumerate(res.trajectories):
        grid["loss"][i, : tr.loss.size] = tr.loss
        grid["train_acc"][i, : tr.train_acc.size] = tr.train_acc
        grid["lam"][i, tr.measure_steps] = tr.lam
        grid["lam_residual"][i, tr.measure_steps] = tr.lam_residual
        grid["test_acc"][i, tr.measure_steps] = tr.test_acc
    eta = np.array([r.eta for r in res.runs])
    dims = ("c", "step")
    data = {k: (dims, v) for k, v in grid.items()}
    data["eta_lam"] = (dims, grid["lam"] * eta[:, None])
    data["eta"] = (("c",), eta)
    data["phase"] = (
        ("c",),
        np.array([OUTCOMES.index(r.phase) for r in res.runs], np.int8),
        {  # validate's outcomes: the shared phases plus "collapsed"
            "flag_values": np.arange(len(OUTCOMES), dtype=np.int8),
            "flag_meanings": " ".join(OUTCOMES),
        },
    )
    attrs = {f"config_{k}": _attr(v) for k, v in dataclasses.asdict(res.config).items()}
    attrs.update(
        network=res.network,
        lam0=res.lam0,
        lam0_residual=res.lam0_residual,
        loss0=res.loss0,
        phase_names=",".join(OUTCOMES),
        c_loss=_number(res.c_loss.value),
        c_sharp=_number(res.c_sharp.value),
        c_loss_side=_attr(res.c_loss.side),
        c_sharp_side=_attr(res.c_sharp.side),
        c_max_side=_attr(res.c_max.side),
        sharpness_reduction=_number(res.sharpness_reduction),
        c_max=_number(res.c_max.value),
        config=json.dumps(dataclasses.asdict(res.config), sort_keys=True),
        comparison=json.dumps([dataclasses.asdict(r) for r in comparison_table(res)]),
    )
    coords = {"c": np.array([r.c for r in res.runs]), "step": np.arange(steps + 1)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_netcdf(res: SweepResult, path: str) -> None:
    """Write :func:`sweep_to_xarray` to ``path`` (the one netCDF writer, :mod:`catapultlab.io`)."""
    from catapultlab import io

    io.write_netcdf(sweep_to_xarray(res), path)
