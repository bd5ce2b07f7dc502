"""The network's own model: a linear network's edges predicted from the full model of its data.

A one-hidden-layer linear MLP without biases in NTK parametrisation *is* the full model
``f(x) = V^T U x / sqrt(n d)`` with the data's ``d`` inputs, ``m`` samples and ``k``
outputs. Its block map (:func:`catapultlab.theory.full_block_map`) is iterated from
Gaussian inits at the network's width, on the network's own inputs and labels, with its
step rule and its batches (:func:`catapultlab.sim.block_edges`), over a ``c`` grid that
spans the sweep's. The ensemble's ``c_loss``, ``c_max`` (bootstrap CIs) and
``eta lambda_final`` are the predictions the network's measurements are set beside; the
d = m = 1 restriction (uv) stays as the named second reference.

For any other network (ReLU, deeper, biases) there is no closed model: the report says so,
and with ``--own-model-runs N`` it shows the linear full model of the same data as a
reference line, labelled as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catapultlab.stats import Comparison

__all__ = [
    "DEFAULT_RUNS",
    "INF_N",
    "OWN_MODEL_POINTS",
    "is_own_model",
    "own_model_edges",
    "own_model_rows",
    "own_model_runs",
]

OWN_MODEL_POINTS = 25
"""Points of the map's ``c`` grid (evenly over the sweep's range)."""


def is_own_model(cfg: Any) -> bool:
    """Is the network exactly the full model (linear, one hidden layer, no bias, NTK)?"""
    return (cfg.arch, cfg.act, cfg.depth, cfg.param) == ("mlp", "linear", 1, "ntk")


DEFAULT_RUNS = 8
"""Inits per ``c`` of the own-model ensemble when the network is the full model."""


def own_model_runs(cfg: Any) -> int:
    """``cfg.own_model_runs``, or by default :data:`DEFAULT_RUNS` for the full model, else 0."""
    if cfg.own_model_runs is not None:
        return int(cfg.own_model_runs)
    return DEFAULT_RUNS if is_own_model(cfg) else 0


INF_N = float("inf")
"""The width of the own model's second ensemble: the block map's ``n = inf`` law
(:mod:`catapultlab.sim._block_limit`: the kernel regime decides the loss rise, the
rescaled map entered along its growing directions the catapult and divergence)."""


def own_model_edges(cfg: Any, data: Any, n: float | None = None) -> Any:
    """The block-map ensemble for this sweep at width ``n`` (default: the network's).

    Returns ``None`` when it is off, or the step rule has no derived map.
    """
    from catapultlab.batches import BatchRule
    from catapultlab.phases import StopRule
    from catapultlab.sim import block_edges
    from catapultlab.theory import full_block_map
    from catapultlab.validate._predict import hyper_values, step_rule_of

    runs = own_model_runs(cfg)
    if runs < 1 or cfg.init_scale != 1.0:
        return None
    rule = step_rule_of(cfg.optimizer, cfg.weight_decay, cfg.weight_decay_mode)
    if rule is None:
        return None
    hyper = hyper_values(cfg.optimizer, cfg.momentum, cfg.weight_decay)
    numeric = full_block_map(rule).numeric()
    c = np.linspace(min(cfg.c_values), max(cfg.c_values), OWN_MODEL_POINTS)
    batch = None if cfg.batch_size is None else BatchRule(cfg.batch_size, cfg.sampling)
    values = {k: hyper[k] for k in numeric.hyper}
    stop = StopRule(rise_tol=cfg.effective_rise_tol)  # "the loss rose" as the sweep says it
    return block_edges(
        numeric, np.asarray(data.x_train, float), np.asarray(data.y_train, float),
        n=cfg.width if n is None else n, c=c, runs=runs, steps=cfg.steps, batch=batch,
        seed=cfg.seed, stop=stop, **values,
    )  # fmt: skip


def _row(key: str, words: str, b: Any, e: Any, which: str, what: str) -> Comparison:
    """The network's one-init edge beside the ensemble's half-crossing.

    The network is one init, so the uncertainty is that of *one draw*: the s.d. of single
    inits' edges in the ensemble, with the network's bracket and the half-crossing's s.e.
    """
    pred = getattr(e, which)
    lo, hi = (None, None) if b.bracket is None else b.bracket
    spread = e.init_spread(which)
    se_net = None if b.uncertainty is None else b.uncertainty / np.sqrt(12.0)
    se_map = pred.se if np.isfinite(pred.se) else None
    parts = [s for s in (se_net, se_map, spread if np.isfinite(spread) else None) if s]
    # at n = inf the init's fluctuation vanishes: the law's draws differ in their entry only
    who = "the limit law's draws (entry phase)" if np.isinf(e.n) else "single inits' edges"
    spread_words = (
        f"{who} spread with s.d. {spread:.3g}"
        if np.isfinite(spread)
        else "fewer than two draws bracket their own edge"
    )
    return Comparison.make(
        key,
        words,
        b.value,
        uncertainty=float(np.sqrt(sum(s * s for s in parts))) if parts else None,
        ci_low=lo,
        ci_high=hi,
        predicted=None if not np.isfinite(pred.estimate) else float(pred.estimate),
        relation="=",
        source=f"{what}: half-crossing {pred.estimate:.4g} [{pred.low:.4g}, {pred.high:.4g}] "
        f"(95% bootstrap CI); the network is one init and {spread_words}; the uncertainty "
        "combines that spread, the bracket's and the half-crossing's s.e.",
    )


def own_model_rows(res: Any) -> list[Comparison]:
    """Rows of the network's own model (module docstring); empty when it was not run."""
    e, cfg = res.own_model, res.config
    if e is None:
        if is_own_model(cfg):
            return []
        return [_no_closed_model_row(cfg)]
    what = (
        f"full model of this data at n = {e.n:g} ({e.runs} inits per c, {e.batch})"
        if is_own_model(cfg)
        else f"REFERENCE ONLY: the linear full model of this data at n = {e.n:g} (no "
        f"closed model for a {cfg.act} network of depth {cfg.depth})"
    )
    tag = "own_model" if is_own_model(cfg) else "linear_reference"
    rows = _edge_rows(res, e, what, tag)
    limit = getattr(res, "own_model_inf", None)
    if limit is not None and is_own_model(cfg):
        what = (
            f"full model of this data at n = inf, its limit law ({limit.runs} draws per c, "
            f"{limit.batch})"
        )
        rows += _edge_rows(res, limit, what, "own_model_inf")
    own = getattr(res, "own_init", None)
    return rows + ([] if own is None else _own_init_rows(res, own))


def _own_init_rows(res: Any, own: Any) -> list[Comparison]:
    """The network's brackets beside the map's from the same init, batches and ``c`` values."""
    what = (
        f"the full model's map from this network's own init at n = {own.n} ({own.batch}, "
        "the same batch sequence), float64, at the c values the network ran"
    )
    rows = []
    for which, b in (("c_loss", res.c_loss), ("c_max", res.c_max)):
        pred = getattr(own, which)
        lo, hi = (None, None) if b.bracket is None else b.bracket
        if isinstance(pred, str):
            rows.append(Comparison.make(
                f"validate.{which}.own_init", f"{which} against the map from its own init",
                b.value, source=f"{what}: {pred} the network's c values",
            ))  # fmt: skip
            continue
        rows.append(Comparison.make(
            f"validate.{which}.own_init", f"{which} against the map from its own init",
            b.value, ci_low=lo, ci_high=hi, predicted=0.5 * (pred[0] + pred[1]), relation="=",
            source=f"{what}: bracket [{pred[0]:.4g}, {pred[1]:.4g}] (prediction: its midpoint)",
        ))  # fmt: skip
    return rows + [_own_init_final_row(res, own, what)]


OWN_INIT_RTOL = 1e-2
"""Relative slack of the own-init ``eta lambda_final``: a float32 network (LOBPCG to
``1e-4``) against the float64 map through a catapult, which amplifies round-off."""


def _own_init_final_row(res: Any, own: Any, what: str) -> Comparison:
    """The network's largest catapult ``eta lambda_final`` beside the map's at the same ``c``."""
    key, words = "validate.eta_lam_final.own_init", "eta*lambda_final against its own init's map"
    cat = [r for r in res.runs if r.phase == "catapult" and r.eta_ntk_final is not None]
    if not cat:
        return Comparison.make(key, words, None, source=f"{what}: no catapult run on this grid")
    run = max(cat, key=lambda r: r.eta_ntk_final)
    i = int(np.argmin(np.abs(own.c - run.c)))
    return Comparison.make(
        key,
        words,
        run.eta_ntk_final,
        predicted=float(own.eta_lam_final[i]),
        relation="=",
        tolerance=OWN_INIT_RTOL * abs(run.eta_ntk_final),
        source=f"{what}: the map's eta*lambda at the last step at c = {own.c[i]:.4g}; "
        f"tolerance {OWN_INIT_RTOL:g} relative (float32 network, float64 map)",
    )


def _edge_rows(res: Any, e: Any, what: str, tag: str) -> list[Comparison]:
    """``c_loss``, ``c_max`` and ``eta_lam_final`` of the network beside ensemble ``e``."""
    return [
        _row(f"validate.c_loss.{tag}", "c_loss against the network's own model", res.c_loss,
             e, "c_loss", what),
        _row(f"validate.c_max.{tag}", "c_max against the network's own model", res.c_max,
             e, "c_max", what),
        _final_row(res, e, what, tag),
    ]  # fmt: skip


def _final_row(res: Any, e: Any, what: str, tag: str) -> Comparison:
    """The network's largest catapult ``eta lambda_final`` beside the map's at that ``c``."""
    cat = [r for r in res.runs if r.phase == "catapult" and r.eta_ntk_final is not None]
    key, words = f"validate.eta_lam_final.{tag}", "eta*lambda_final against its own model"
    if not cat:
        return Comparison.make(key, words, None, source=f"{what}: no catapult run on this grid")
    run = max(cat, key=lambda r: r.eta_ntk_final)
    i = int(np.argmin(np.abs(e.c - run.c)))
    median, sd = float(e.eta_lam_final[i]), float(e.eta_lam_final_sd[i])
    if not np.isfinite(median):
        return Comparison.make(
            key,
            words,
            run.eta_ntk_final,
            source=f"{what}: every run of the map diverges at c = {e.c[i]:.3g} (its c_max is "
            f"{e.c_max.estimate:.4g}), where the network's catapult run at c = {run.c:.3g} "
            "lands: no prediction there",
        )
    return Comparison.make(
        key,
        words,
        run.eta_ntk_final,
        uncertainty=sd if np.isfinite(sd) else None,
        predicted=median if np.isfinite(median) else None,
        relation="=",
        source=f"{what}: median eta*lambda_final of the map's runs at c = {e.c[i]:.3g} (the "
        f"network's catapult run at c = {run.c:.3g}); uncertainty: their s.d.",
    )


def _no_closed_model_row(cfg: Any) -> Comparison:
    return Comparison.make(
        "validate.own_model",
        "the network's own model",
        None,
        source=f"no closed model for a {cfg.act} network of depth {cfg.depth} "
        f"({cfg.arch}); --own-model-runs N shows the linear full model of the same data "
        "as a reference line",
    )
