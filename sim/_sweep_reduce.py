"""A sweep's merged statistics reduced to its result: fractions, quartiles, boundaries, fits.

Per cell: ``p_lazy, p_catapult, p_divergent, p_unresolved`` and ``p_rise``; quartiles of
``eta * lam_final``, ``peak_loss / n`` and ``t_peak`` over the converged runs with their
rank errors. Per width: ``c_divergent`` and ``c_loss_rises`` with bootstrap CIs
(:func:`catapultlab.stats.boundary_from_patterns`). Per ``c`` where every width is mostly
catapult: the peak-loss and ``t_peak`` scaling fits.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from catapultlab.io import PlainDataset, Variable
from catapultlab.phases import Phase
from catapultlab.sim._cellstats import GROUPS
from catapultlab.sim._limit import finite_widths
from catapultlab.sim._summary import HITS, SweepStats
from catapultlab.sim._sweep_config import SweepConfig
from catapultlab.stats import (
    QUANTILE_RTOL,
    boundary_from_patterns,
    fit_line,
    level_intervals,
    median_line_bootstrap,
    quantile,
)

__all__ = ["QUANTILES", "QUANTILE_ERRORS", "reduce_sweep"]

QUANTILES = (0.25, 0.5, 0.75)


def _quartiles(h: Any) -> tuple[np.ndarray, np.ndarray]:
    """Quartiles of a histogram and their rank errors."""
    pairs = [quantile(h, q) for q in QUANTILES]
    return np.array([v for v, _ in pairs]), np.array([e for _, e in pairs])


def _cell_arrays(cfg: SweepConfig, acc: SweepStats) -> dict[str, np.ndarray]:
    """Per-cell fractions, quartiles (with rank errors) and catapult medians."""
    C, N, Q = len(cfg.c), len(cfg.n), len(QUANTILES)
    a = {f"p_{ph.name.lower()}": np.zeros((C, N)) for ph in Phase}
    a["p_rise"] = np.zeros((C, N))
    for name in ("eta_lam_final", "peak_loss_over_n", "t_peak"):
        a[name] = np.full((C, N, Q), np.nan)
        a[f"{name}_rank_error"] = np.zeros((C, N, Q))
    for name in ("catapult_median_peak_loss", "catapult_median_t_peak"):
        a[name] = np.full((C, N), np.nan)
    a["catapult_median_peak_loss_rank_error"] = np.zeros((C, N))
    for (ic, jn), st in acc.cells.items():
        K = st.total
        for ph in Phase:
            a[f"p_{ph.name.lower()}"][ic, jn] = st.phases[ph] / K
        a["p_rise"][ic, jn] = st.rose / K
        for name in ("eta_lam_final", "peak_loss_over_n", "t_peak"):
            a[name][ic, jn], a[f"{name}_rank_error"][ic, jn] = _quartiles(st.hist(GROUPS, name))
        peak, err = quantile(st.hist(("catapult",), "peak_loss_over_n"), 0.5)
        # at n = inf the peak loss is infinite: its rescaled value is peak_loss_over_n
        a["catapult_median_peak_loss"][ic, jn] = (
            peak * cfg.n[jn] if np.isfinite(cfg.n[jn]) else np.nan
        )
        a["catapult_median_peak_loss_rank_error"][ic, jn] = err
        a["catapult_median_t_peak"][ic, jn] = quantile(st.hist(("catapult",), "t_peak"), 0.5)[0]
    return a


def reduce_sweep(cfg: SweepConfig, acc: SweepStats) -> Any:
    C, N = len(cfg.c), len(cfg.n)
    cell = _cell_arrays(cfg, acc)
    p = {ph.name.lower(): cell[f"p_{ph.name.lower()}"] for ph in Phase}
    cat_peak = cell["catapult_median_peak_loss"]
    cat_tpeak = cell["catapult_median_t_peak"]
    c = np.asarray(cfg.c, dtype=float)
    bounds = {
        f"{name}{suffix}": np.full(N, np.nan)
        for name in HITS
        for suffix in ("", "_lo", "_hi", "_se")
    }
    flags = {
        f"{name}_{side}_grid": np.zeros(N, dtype=np.int8)
        for name in HITS
        for side in ("below", "above")
    }
    for jn in range(N):
        for name in HITS:
            b = boundary_from_patterns(
                c, acc.patterns[(name, jn)], resamples=cfg.bootstrap, seed=cfg.seed + jn
            )
            bounds[name][jn], bounds[f"{name}_lo"][jn], bounds[f"{name}_hi"][jn] = (
                b.estimate,
                b.low,
                b.high,
            )
            bounds[f"{name}_se"][jn] = b.se
            flags[f"{name}_below_grid"][jn] = b.below_grid
            flags[f"{name}_above_grid"][jn] = b.above_grid
    finite = finite_widths(cfg.n)  # fits in log n: the limit column has no log n
    logn = np.log(np.asarray(cfg.n, dtype=float)[finite])
    fit_c = [ic for ic in range(C) if len(finite) >= 2 and np.all(p["catapult"][ic][finite] >= 0.5)]
    fits: dict[str, list[float]] = {
        k: []
        for k in (
            "peak_exponent",
            "peak_exponent_lo",
            "peak_exponent_hi",
            "peak_exponent_se",
            "peak_prefactor",
            "tpeak_slope",
            "tpeak_slope_lo",
            "tpeak_slope_hi",
            "tpeak_slope_se",
            "tpeak_intercept",
        )
    }
    for ic in fit_c:
        f1 = fit_line(logn, np.log(cat_peak[ic][finite]))
        f2 = fit_line(logn, cat_tpeak[ic][finite])
        # integer medians: the uncertainty is a bootstrap over the catapult trajectories
        members = [
            acc.cells[(ic, jn)].hist(("catapult",), "t_peak") if (ic, jn) in acc.cells else None
            for jn in finite
        ]
        members = [(h.values(), h.counts) if h is not None else np.empty(0) for h in members]
        bt = median_line_bootstrap(logn, members, resamples=cfg.bootstrap, seed=cfg.seed + ic)
        fits["peak_exponent"].append(f1.slope)
        fits["peak_exponent_lo"].append(f1.slope_ci[0])
        fits["peak_exponent_hi"].append(f1.slope_ci[1])
        fits["peak_exponent_se"].append(f1.slope_se)
        fits["peak_prefactor"].append(float(np.exp(f1.intercept)))
        fits["tpeak_slope"].append(f2.slope)
        fits["tpeak_slope_lo"].append(bt.low)
        fits["tpeak_slope_hi"].append(bt.high)
        fits["tpeak_slope_se"].append(bt.se)
        fits["tpeak_intercept"].append(f2.intercept)
    intervals = _divergent_intervals(c, p["divergent"])
    return _result(cfg, cell, bounds, flags, fits, c, fit_c, intervals)


def _divergent_intervals(c: np.ndarray, p_divergent: np.ndarray) -> np.ndarray:
    """``(n, interval, end)``: every interval of c where at least half diverge, per width.

    An end off the grid is infinite; rows past a width's last interval are NaN.
    """
    per_n = [level_intervals(c, p_divergent[:, j]) for j in range(p_divergent.shape[1])]
    out = np.full((len(per_n), max(1, *(len(v) for v in per_n)), 2), np.nan)
    for j, rows in enumerate(per_n):
        for k, (lo, hi) in enumerate(rows):
            out[j, k] = (-np.inf if lo is None else lo, np.inf if hi is None else hi)
    return out


DEPRECATED = {"c_catapult": "c_loss_rises"}
"""Old name -> name, kept as a copy for one release (removed in catapultlab 0.2).

``c_catapult`` was the 50% crossing of "the loss rose": the catapult edge under plain GD,
but not under momentum, where the loss rises without a catapult. The data are unchanged.
"""


def _deprecated_aliases(bounds: dict[str, Any], flags: dict[str, Any]) -> dict[str, Variable]:
    out = {}
    for old, new in DEPRECATED.items():
        for key, values in {**bounds, **flags}.items():
            if key.startswith(new):
                note = {"deprecated": f"alias of {key}; removed in catapultlab 0.2"}
                out[old + key[len(new) :]] = Variable(("n",), values, note)
    return out


def _result(
    cfg: SweepConfig,
    cell: dict[str, np.ndarray],
    bounds: dict[str, np.ndarray],
    flags: dict[str, np.ndarray],
    fits: dict[str, list[float]],
    c: np.ndarray,
    fit_c: list[int],
    intervals: np.ndarray,
) -> PlainDataset:
    data = {
        "divergent_intervals": Variable(
            ("n", "interval", "end"),
            intervals,
            {
                "comment": "every crossing of p_divergent = 1/2; an end off the grid is infinite, "
                "rows past a width's last interval are NaN"
            },
        ),
        **{
            k: Variable(("c", "n", "quantile")[: v.ndim], v, _error_attrs(k))
            for k, v in cell.items()
        },
        **{k: Variable(("n",), v, {}) for k, v in bounds.items()},
        **{k: Variable(("n",), v, {}) for k, v in flags.items()},
        **_deprecated_aliases(bounds, flags),
        **{
            f"fit_{k}": Variable(("c_fit",), np.asarray(v, dtype=float), {})
            for k, v in fits.items()
        },
    }
    coords = {
        "c": c,
        "n": np.asarray(cfg.n, dtype=float),
        "quantile": np.asarray(QUANTILES),
        "c_fit": np.asarray([cfg.c[i] for i in fit_c], dtype=float),
    }
    attrs = {
        "config": json.dumps(cfg.as_dict(), sort_keys=True),
        "config_hash": cfg.key(),
        "model": cfg.setup.name,
        "ensemble": int(cfg.ensemble),
        "steps": int(cfg.steps),
        "seed": int(cfg.seed),
        "dtype": cfg.dtype,
        "converge_loss": float(cfg.stop.converge_loss),
        "diverge_ratio": float(cfg.stop.diverge_ratio),
        "rise_tol": float(cfg.stop.rise_tol),
        "description": "catapultlab sweep; phases per sim/_phases.py, thresholds per sim/_stop.py",
        **QUANTILE_ERRORS,
    }
    return PlainDataset(data, {k: Variable((k,), v, {}) for k, v in coords.items()}, attrs)


QUANTILE_ERRORS = {
    "quantile_method": "numpy linear interpolation of order statistics; eta_lam_final and "
    "peak_loss_over_n from fixed-bin log histograms (sim/_cellstats.py), t_peak exact",
    "quantile_relative_error": QUANTILE_RTOL,
    "quantile_rank_error": "per value in <name>_rank_error: the largest |F(reported) - "
    "F(exact)| of the cell's empirical CDF F",
}
"""Error statement of the reported quantiles (netCDF attributes and JSON)."""


def _error_attrs(name: str) -> dict[str, Any]:
    if name in ("eta_lam_final", "peak_loss_over_n", "catapult_median_peak_loss"):
        return {"relative_error_bound": QUANTILE_RTOL, "rank_error": f"{name}_rank_error"}
    if name in ("t_peak", "catapult_median_t_peak"):
        return {"relative_error_bound": 0.0, "rank_error": 0.0}
    return {}
