"""Predictions beside measurements, JSON and xarray/netCDF output of a sweep.

Predicted values and where they come from (nothing here is tuned):

* ``2``: the lazy/catapult boundary, from linearised GD ``r' = (I - eta Theta) r``,
  whose top mode is stable while ``|1 - eta lambda| < 1`` -- compared with ``c_loss``;
* ``4``: the uv/full model's maximal stable ``c`` (its ``lambda`` map
  ``lambda' - lambda`` changes sign at ``eta lambda = 4``) -- compared with ``c_max``
  (the catapult paper reports ``c_max ~ 12`` for ReLU networks);
* ``eta lambda_final <= 2`` in catapult runs (the catapult lands in a region
  where linearised GD is stable) -- the largest measured value is reported;
* best test accuracy at ``c > 2`` ("often", per the paper) -- the ``c`` of the best
  non-divergent test accuracy is reported.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab._atomic import atomic_write
from catapultlab.sim._phases import PHASE_NAMES
from catapultlab.validate._sweep import SweepResult

__all__ = ["ComparisonRow", "comparison_table", "sweep_to_dict", "sweep_to_xarray", "write_netcdf"]

LAZY_BOUNDARY = 2.0  # |1 - c| = 1 at c = 2 (linearised GD)
MODEL_C_MAX = 4.0  # sign change of the uv/full model's lambda map at eta*lambda = 4


@dataclass(frozen=True)
class ComparisonRow:
    """One prediction next to its measurement."""

    quantity: str
    predicted: float | None
    measured: float | None
    uncertainty: float | None
    agrees: bool | None
    notes: str


def comparison_table(res: SweepResult) -> tuple[ComparisonRow, ...]:
    """Predictions beside measurements for one sweep (see module docstring)."""
    rows = []
    cl = res.c_loss
    rows.append(
        ComparisonRow(
            "lazy/catapult boundary (c_loss)",
            LAZY_BOUNDARY,
            cl.value,
            cl.uncertainty,
            None if cl.value is None else abs(cl.value - LAZY_BOUNDARY) <= (cl.uncertainty or 0.0),
            "linearised GD is stable for c < 2; c_loss = smallest c whose loss rises above L0",
        )
    )
    cm = res.c_max
    rows.append(
        ComparisonRow(
            "maximal stable c (c_max)",
            MODEL_C_MAX,
            cm.value,
            cm.uncertainty,
            None if cm.value is None else abs(cm.value - MODEL_C_MAX) <= (cm.uncertainty or 0.0),
            "model value 4; the catapult paper reports ~12 for ReLU networks",
        )
    )
    cat = [r for r in res.runs if r.phase == "catapult" and r.eta_lam_final is not None]
    worst = max((r.eta_lam_final for r in cat), default=None)
    rows.append(
        ComparisonRow(
            "max eta*lambda_final over catapult runs",
            LAZY_BOUNDARY,
            worst,
            None,
            None if worst is None else worst <= LAZY_BOUNDARY,
            "catapult runs: " + ", ".join(f"c={r.c:.3g}: {r.eta_lam_final:.3f}" for r in cat),
        )
    )
    ok = [r for r in res.runs if r.test_acc is not None]
    best = max(ok, key=lambda r: r.test_acc) if ok else None
    rows.append(
        ComparisonRow(
            "c of best test accuracy (> 2 predicted)",
            LAZY_BOUNDARY,
            None if best is None else best.c,
            None,
            None if best is None else best.c > LAZY_BOUNDARY,
            ""
            if best is None
            else f"best test acc {best.test_acc:.4f}; "
            + ", ".join(f"c={r.c:.3g}: {r.test_acc:.4f}" for r in ok),
        )
    )
    return tuple(rows)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def sweep_to_dict(res: SweepResult) -> dict[str, Any]:
    """JSON-ready summary of a sweep.

    Keys: ``lam0``, ``c_loss``, ``c_sharp``, ``c_max`` (``None`` if not found),
    their uncertainties, ``runs``, ``comparison`` and ``config``.
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
    data["phase"] = (("c",), np.array([PHASE_NAMES.index(r.phase) for r in res.runs], np.int8))
    attrs = {f"config_{k}": _attr(v) for k, v in dataclasses.asdict(res.config).items()}
    attrs.update(
        network=res.network,
        lam0=res.lam0,
        lam0_residual=res.lam0_residual,
        loss0=res.loss0,
        phase_names=",".join(PHASE_NAMES),
        c_loss=_number(res.c_loss.value),
        c_sharp=_number(res.c_sharp.value),
        c_max=_number(res.c_max.value),
        config=json.dumps(dataclasses.asdict(res.config), sort_keys=True),
        comparison=json.dumps([dataclasses.asdict(r) for r in comparison_table(res)]),
    )
    coords = {"c": np.array([r.c for r in res.runs]), "step": np.arange(steps + 1)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_netcdf(res: SweepResult, path: str) -> None:
    """Write :func:`sweep_to_xarray` to ``path``.

    netCDF4 through h5netcdf when ``h5py`` is installed, otherwise classic netCDF
    (64-bit offset) through scipy; ``xarray.open_dataset`` reads either.
    """
    import importlib.util

    engine = "h5netcdf" if importlib.util.find_spec("h5py") is not None else "scipy"
    from catapultlab._cf import cf_attributes

    ds = cf_attributes(sweep_to_xarray(res))
    atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine=engine))
