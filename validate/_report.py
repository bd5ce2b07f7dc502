"""Predictions beside measurements, JSON and xarray/netCDF output of a sweep.

Every prediction is :meth:`catapultlab.theory.Model.predict` of the model that predicts
the network (:func:`catapultlab.validate._predict.theory_model`: uv under the network's
step rule), through the one table of which edge each measured quantity is compared with
(:data:`catapultlab.theory.COMPARED_WITH`), and every row is a
:class:`catapultlab.stats.Comparison` judged by the one agreement rule; rows are found by
their ``key``:

* ``c_loss`` against the ``loss_rises`` edge; ``c_max`` against ``catapult_divergent``
  (the catapult paper reports ``c_max ~ 12`` for ReLU networks); each measured boundary
  with its bisection bracket as its interval and ``width / sqrt(12)`` as its s.e.;
* ``eta_lam_final``: the largest ``eta lambda_final`` over catapult runs ``<=`` the
  ``lazy_catapult`` edge (the catapult lands where linearised GD is stable), and the same
  for the Hessian sharpness ``eta S_final`` when it was tracked;
* ``c_best_test_acc``: the best test accuracy lies above the lazy edge ("often", per the
  paper);
* Adam: the preconditioned sharpness against ``(2 + 2 beta_1) / (1 - beta_1)`` in
  ``eta S`` units (Cohen et al. 2022, a hypothesis to measure; no verdict).

A step rule without a derived model gets rows with no prediction and the reason in
``source``; nothing is substituted.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.stats import Comparison, bracket_se
from catapultlab.validate._own_model import own_model_rows
from catapultlab.validate._predict import adam_edge, hyper_values, theory_model
from catapultlab.validate._sweep import OUTCOMES, Boundary, RunSummary, SweepResult

__all__ = [
    "comparison_table",
    "sweep_to_dict",
    "sweep_to_xarray",
    "write_netcdf",
]


def _predict(res: SweepResult) -> Any:
    """``predict(quantity) -> Prediction | None`` for this sweep, and why not when ``None``."""
    cfg = res.config
    try:
        model = theory_model(cfg.optimizer, cfg.weight_decay, cfg.weight_decay_mode)
    except CatapultError as exc:
        return lambda quantity: None, str(exc)
    hyper = hyper_values(cfg.optimizer, cfg.momentum, cfg.weight_decay)
    return lambda quantity: model.predict(quantity, **hyper, lam0=res.lam0), ""


def _boundary_row(name: str, words: str, b: Boundary, pred: Any, why: str) -> Comparison:
    lo, hi = (None, None) if b.bracket is None else b.bracket
    return Comparison.make(
        f"validate.{name}",
        f"{name}: {words}",
        b.value,
        uncertainty=bracket_se(b.uncertainty),
        ci_low=lo,
        ci_high=hi,
        predicted=None if pred is None else pred.value,
        relation="" if pred is None else pred.relation,
        source=why if pred is None else f"{pred.source}; interval: the bisection bracket",
    )


FINAL_WORDS = {
    "eta_lam_final": ("eta_ntk_final", "max eta*lambda_final over catapult runs"),
    "eta_sharp_final": ("eta_hessian_final", "max eta*S_final (Hessian) over catapult runs"),
}
"""Rows of the final sharpness: the run attribute and the words of each."""


def _final_row(name: str, runs: list[RunSummary], pred: Any, why: str) -> Comparison:
    key, words = FINAL_WORDS[name]
    vals = [(r.c, getattr(r, key)) for r in runs if getattr(r, key) is not None]
    worst = max((v for _, v in vals), default=None)
    seen = ", ".join(f"c={c:.3g}: {v:.3f}" for c, v in vals) or "no catapult run on this grid"
    return Comparison.make(
        f"validate.{name}",
        words,
        worst,
        predicted=None if pred is None else pred.value,
        relation="" if pred is None else pred.relation,
        source=(why if pred is None else pred.source) + f"; catapult runs: {seen}",
    )


def comparison_table(res: SweepResult) -> tuple[Comparison, ...]:
    """Predictions beside measurements for one sweep (see the module docstring)."""
    predict, why = _predict(res)
    rows = [
        _boundary_row(
            "c_loss", "smallest c whose loss rises above L0", res.c_loss, predict("c_loss"), why
        ),
        _boundary_row("c_max", "largest c that does not diverge", res.c_max, predict("c_max"), why),
    ]
    cat = [r for r in res.runs if r.phase == "catapult"]
    rows.append(_final_row("eta_lam_final", cat, predict("eta_lam_final"), why))
    if any(r.eta_hessian_final is not None for r in cat):
        rows.append(_final_row("eta_sharp_final", cat, predict("eta_sharp_final"), why))
    rows.append(_best_accuracy_row(res, predict("c_best_test_acc"), why))
    if res.config.optimizer == "adam":
        rows.append(_adam_row(res))
    rows += own_model_rows(res)
    return tuple(rows)


def _best_accuracy_row(res: SweepResult, pred: Any, why: str) -> Comparison:
    ok = [r for r in res.runs if r.test_acc is not None]
    best = max(ok, key=lambda r: r.test_acc) if ok else None
    seen = ", ".join(f"c={r.c:.3g}: {r.test_acc:.4f}" for r in ok)
    return Comparison.make(
        "validate.c_best_test_acc",
        "c of the best test accuracy",
        None if best is None else best.c,
        predicted=None if pred is None else pred.value,
        relation="" if pred is None else pred.relation,
        source=(why if pred is None else pred.source)
        + ("" if best is None else f"; best test acc {best.test_acc:.4f}; {seen}"),
    )


def _adam_row(res: SweepResult) -> Comparison:
    beta1 = res.config.optimizer_config().beta
    done = [r for r in res.runs if r.eta_precond_final is not None]
    worst = max((r.eta_precond_final for r in done), default=None)
    return Comparison.make(
        "validate.adam_precond_sharpness",
        "eta * preconditioned sharpness (final, max over runs)",
        worst,
        predicted=adam_edge(beta1),
        source=f"Cohen et al. 2022 edge (2+2b1)/(1-b1) at b1={beta1} (a literature value); "
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
    when not bracketed), ``sharpness_reduction``, ``runs``, ``comparison``, ``own_model``
    (the network's own model per c, :mod:`catapultlab.validate._own_model`), ``own_init``
    (the map from the network's own init, :mod:`catapultlab.validate._own_init`) and
    ``config``.
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
        "comparison": [r.to_dict() for r in comparison_table(res)],
        "own_model": _own_model_dict(res.own_model),
        "own_model_inf": _own_model_dict(res.own_model_inf),
        "own_init": _own_init_dict(res.own_init),
        "config": dataclasses.asdict(res.config),
    }


def _own_model_dict(e: Any) -> dict[str, Any] | None:
    """The own-model ensemble per c (``None`` when it was not run)."""
    if e is None:
        return None
    per_c = ("c", "p_rise", "p_divergent", "eta_lam_final", "spikes")
    n = "inf" if np.isinf(e.n) else e.n
    out: dict[str, Any] = {"n": n, "runs": e.runs, "batch": e.batch}
    return out | {k: [_clean(float(v)) for v in getattr(e, k)] for k in per_c}


def _own_init_dict(e: Any) -> dict[str, Any] | None:
    """The map from the network's own init (``None`` when it was not run)."""
    if e is None:
        return None
    out: dict[str, Any] = {"n": e.n, "batch": e.batch, "c": [float(c) for c in e.c]}
    out |= {"rose": [bool(v) for v in e.rose], "diverged": [bool(v) for v in e.diverged]}
    out["eta_lam_final"] = [_clean(float(v)) for v in e.eta_lam_final]
    return out | {k: getattr(e, k) if isinstance(getattr(e, k), str) else list(getattr(e, k))
                  for k in ("c_loss", "c_max")}  # fmt: skip


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
    for name in ("loss_period", "lam_period"):
        data[name] = (("c",), np.array([_number(getattr(r, name)) for r in res.runs]))
    for k, side in enumerate(("low", "high")):
        band = [np.nan if r.eta_lam_band is None else r.eta_lam_band[k] for r in res.runs]
        data[f"eta_lam_band_{side}"] = (("c",), np.array(band, dtype=float))
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
        comparison=json.dumps([r.to_dict() for r in comparison_table(res)]),
    )
    coords = {"c": np.array([r.c for r in res.runs]), "step": np.arange(steps + 1)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_netcdf(res: SweepResult, path: str) -> None:
    """Write :func:`sweep_to_xarray` to ``path`` (the one netCDF writer, :mod:`catapultlab.io`)."""
    from catapultlab import io

    io.write_netcdf(sweep_to_xarray(res), path)
