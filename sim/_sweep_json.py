"""A sweep's JSON document and its table for people (the ``sweep`` command's output)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from catapultlab.phases import PHASE_NAMES
from catapultlab.sim._limit import width_label
from catapultlab.sim._sweep_reduce import QUANTILE_ERRORS, QUANTILES

__all__ = ["boundary_table", "sweep_to_json"]


def _boundaries_json(ds: Any) -> list[dict[str, Any]]:
    """Per width: each boundary with ``_lo``, ``_hi``, ``_se``, grid flags (and aliases)."""
    bounds = []
    for j, n in enumerate(ds["n"].values):
        b = {"n": width_label(n)}
        for name in ("c_divergent", "c_loss_rises"):
            b[name] = _num(ds[name].values[j])
            lo, hi = _num(ds[f"{name}_lo"].values[j]), _num(ds[f"{name}_hi"].values[j])
            b[f"{name}_lo"], b[f"{name}_hi"] = (None, None) if b[name] is None else (lo, hi)
            b[f"{name}_ci"] = None if b[name] is None else [lo, hi]  # deprecated: _lo, _hi
            b[f"{name}_se"] = _num(ds[f"{name}_se"].values[j])
            for side in ("below", "above"):
                b[f"{name}_{side}_grid"] = bool(ds[f"{name}_{side}_grid"].values[j])
        b |= {  # deprecated alias (removed in 0.2): c_catapult was the loss-rise crossing
            k.replace("c_loss_rises", "c_catapult"): v for k, v in b.items() if "c_loss_rises" in k
        }
        # every 50% crossing, not only the first: re-entrant windows show up here
        b["divergent_intervals"] = [
            [_num(lo), _num(hi)] for lo, hi in ds["divergent_intervals"].values[j] if lo == lo
        ]
        bounds.append(b)
    return bounds


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _cell(b: dict[str, Any], name: str, c_grid: tuple[float, ...]) -> list[str]:
    """Value, ± s.e. and 95% CI cells of one boundary; out of grid says which side."""
    if b[name] is not None:
        lo, hi = b[f"{name}_ci"]
        ci = "[" + ", ".join("open" if v is None else f"{v:.4f}" for v in (lo, hi)) + "]"
        se = "" if b[f"{name}_se"] is None else f"{b[f'{name}_se']:.4f}"
        return [f"{b[name]:.4f}", se, ci]
    if b[f"{name}_below_grid"]:
        return [f"below {c_grid[0]:g}", "", ""]
    if b[f"{name}_above_grid"]:
        return [f"above {c_grid[-1]:g}", "", ""]
    return ["none", "", ""]  # pragma: no cover - a boundary is on, below or above the grid


def boundary_table(
    boundaries: list[dict[str, Any]], *, c_grid: tuple[float, ...], label: float, grid: str = "c"
) -> str:
    """The sweep's boundary table for people (the rows of :func:`sweep_to_json`).

    Args:
        boundaries: ``sweep_to_json(ds)["boundaries"]`` (rows may carry a ``y``).
        c_grid: the swept ``c`` values (for out-of-grid boundaries).
        label: the label of rows without a ``y``.
        grid: ``"c"`` or ``"eta"`` (a fixed-learning-rate sweep: the boundaries are rates).

    Returns:
        A header that states the ± convention, then one line per ``(y, n)``.
    """
    from catapultlab.stats import CONVENTION, PLUS_MINUS

    names = ("c_divergent", "c_loss_rises")
    shown = [name.replace("c_", f"{grid}_", 1) for name in names]
    head = f"{'y':>6} {'n':>8}" + "".join(
        f" {name:>12} {PLUS_MINUS:>8} {'95% CI':>20}" for name in shown
    )
    lines = [
        f"{CONVENTION} s.e.: bootstrap over trajectories combined with the grid resolution "
        "dc/sqrt(12); CI: bootstrap percentile widened by half a grid cell.",
        head,
    ]
    for b in boundaries:
        row = f"{b.get('y', label):>6g} {b['n']!s:>8}"
        for name in names:
            value, se, ci = _cell(b, name, c_grid)
            row += f" {value:>12} {se:>8} {ci:>20}"
        lines.append(row)
    return "\n".join(lines)


def sweep_to_json(ds: Any) -> dict[str, Any]:
    """The ``--json`` document of a sweep dataset."""
    cells = []
    mid = QUANTILES.index(0.5)
    for i, c in enumerate(ds["c"].values):
        for j, n in enumerate(ds["n"].values):
            cells.append(
                {
                    "c": float(c),
                    "n": width_label(n),
                    **{
                        f"p_{name}": float(ds[f"p_{name}"].values[i, j])
                        for name in (*PHASE_NAMES, "rise")
                    },
                    "median_eta_lam_final": _num(ds["eta_lam_final"].values[i, j, mid]),
                    "quartiles_eta_lam_final": [_num(v) for v in ds["eta_lam_final"].values[i, j]],
                    "median_peak_loss_over_n": _num(ds["peak_loss_over_n"].values[i, j, mid]),
                    "quartiles_peak_loss_over_n": [
                        _num(v) for v in ds["peak_loss_over_n"].values[i, j]
                    ],
                    "median_t_peak": _num(ds["t_peak"].values[i, j, mid]),
                    "quartiles_t_peak": [_num(v) for v in ds["t_peak"].values[i, j]],
                    **{
                        f"rank_error_{k}": [float(v) for v in ds[f"{k}_rank_error"].values[i, j]]
                        for k in ("eta_lam_final", "peak_loss_over_n")
                        if f"{k}_rank_error" in ds
                    },
                }
            )
    bounds = _boundaries_json(ds)
    fits = {"peak_loss_vs_n": [], "t_peak_vs_log_n": []}
    for k, c in enumerate(ds["c_fit"].values):
        fits["peak_loss_vs_n"].append(
            {
                "c": float(c),
                "model": "peak_loss = A n^b",
                "exponent": _num(ds["fit_peak_exponent"].values[k]),
                "exponent_ci": [
                    _num(ds["fit_peak_exponent_lo"].values[k]),
                    _num(ds["fit_peak_exponent_hi"].values[k]),
                ],
                "exponent_se": _num(ds["fit_peak_exponent_se"].values[k]),
                "prefactor": _num(ds["fit_peak_prefactor"].values[k]),
            }
        )
        fits["t_peak_vs_log_n"].append(
            {
                "c": float(c),
                "model": "t_peak = a + b ln n",
                "slope": _num(ds["fit_tpeak_slope"].values[k]),
                "slope_ci": [
                    _num(ds["fit_tpeak_slope_lo"].values[k]),
                    _num(ds["fit_tpeak_slope_hi"].values[k]),
                ],
                "slope_se": _num(ds["fit_tpeak_slope_se"].values[k]),
                "intercept": _num(ds["fit_tpeak_intercept"].values[k]),
            }
        )
    return {
        "cells": cells,
        "boundaries": bounds,
        "fits": fits,
        "quantile_error": {k: ds.attrs[k] for k in QUANTILE_ERRORS if k in ds.attrs},
        "config": json.loads(ds.attrs["config"]),
    }
