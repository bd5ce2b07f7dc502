"""The network's own init through its own model: the block map from the network's exact start.

A linear MLP is *one* draw of its init, and under SGD one batch sequence. Its edges vary
from init to init (digits, width 1024, ``B = 32``: single inits' ``c_loss`` from 1.4 to
2.2 in 12 draws), so the ensemble of :mod:`catapultlab.validate._own_model` predicts a
spread, not this run. This module predicts *this run*: the full model's block map started
from the blocks of the network's own ``(U, V)`` (in float64), fed the network's batch
sequence (the same counter-based stream, :class:`catapultlab.batches.BatchRule`), run at
the very ``c`` values the network ran (grid and bisection points) with the network's
thresholds (rise tolerance, divergence at ``diverge_factor L_0``). Its brackets come from
the same rule as the network's (:func:`catapultlab.validate.bisected_brackets`), so the
two agree exactly unless float32 round-off moves a run across a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from catapultlab.records import short_repr

__all__ = ["OwnInit", "own_init_edges"]


class _MapRun(NamedTuple):
    """What the boundary tests read from a run (:data:`BOUNDARY_TESTS`)."""

    phase: str
    rose: bool


@dataclass(frozen=True)
class OwnInit:
    """The map from the network's own init, at the ``c`` values the network ran.

    Attributes:
        n: the network's width.
        batch: ``"full"`` or the batch rule's label.
        c: the ``c`` values (ascending).
        rose: whether the map's full-batch loss rose (or it diverged), per ``c``.
        diverged: whether it diverged, per ``c``.
        c_loss: ``(lo, hi)`` bracket of the first rise, or ``"below"``/``"above"``.
        c_max: ``(lo, hi)`` bracket of the first divergence, or ``"below"``/``"above"``.
        eta_lam_final: ``eta lambda`` at the last step, per ``c`` (NaN where it diverged).
    """

    __repr__ = short_repr

    n: int
    batch: str
    c: np.ndarray
    rose: np.ndarray
    diverged: np.ndarray
    c_loss: tuple[float, float] | str
    c_max: tuple[float, float] | str
    eta_lam_final: np.ndarray


def _blocks(numeric: Any, params0: Any) -> dict[str, Any]:
    """The blocks of a one-hidden-layer linear MLP's ``U`` (n x d) and ``V`` (n x k)."""
    U = np.asarray(params0[0]["W"], dtype=np.float64)
    V = np.asarray(params0[1]["W"], dtype=np.float64).T
    (first, _), (second, _) = numeric.factors[:2]
    return numeric.blocks_from({first: U, second: V})


def own_init_edges(cfg: Any, data: Any, params0: Any, loss0: float, cs: list[float]) -> Any:
    """Run the map from the network's init at each of ``cs`` (module docstring).

    Returns ``None`` where the ensemble is off (:func:`own_model_runs` is 0), the network
    is not the full model, or its step rule has no derived map.
    """
    from catapultlab.batches import BatchRule
    from catapultlab.phases import StopRule
    from catapultlab.sim import run_block
    from catapultlab.theory import full_block_map
    from catapultlab.validate._own_model import is_own_model, own_model_runs
    from catapultlab.validate._predict import hyper_values, step_rule_of
    from catapultlab.validate._sweep import BOUNDARY_TESTS, bisected_brackets

    rule = step_rule_of(cfg.optimizer, cfg.weight_decay, cfg.weight_decay_mode)
    if not is_own_model(cfg) or own_model_runs(cfg) < 1 or cfg.init_scale != 1.0 or rule is None:
        return None
    numeric = full_block_map(rule).numeric()
    hyper = hyper_values(cfg.optimizer, cfg.momentum, cfg.weight_decay)
    X, Y = np.asarray(data.x_train, float), np.asarray(data.y_train, float)
    m = X.shape[0]
    batch = None if cfg.batch_size is None or cfg.batch_size >= m else BatchRule(
        cfg.batch_size, cfg.sampling
    )  # fmt: skip
    n = int(cfg.width)
    stop = StopRule(rise_tol=cfg.effective_rise_tol, diverge_ratio=cfg.diverge_factor * loss0 / n)
    init = _blocks(numeric, params0)
    runs: dict[float, _MapRun] = {}
    final: dict[float, float] = {}
    for c in sorted(cs):
        r = run_block(
            numeric, X, Y, n=n, c=float(c), steps=cfg.steps, batch=batch, seed=cfg.seed,
            init=init, lam_every=0, spike_details=False, stop=stop,
            **{k: hyper[k] for k in numeric.hyper},
        )  # fmt: skip
        runs[float(c)] = _MapRun("divergent" if r.diverged else "other", r.rose or r.diverged)
        final[float(c)] = float("nan") if r.diverged else r.eta * float(r.lam[-1])
    c_max, c_loss = bisected_brackets(runs, BOUNDARY_TESTS[:2], _no_new_runs, 0)
    order = sorted(runs)
    return OwnInit(
        n=n,
        batch="full" if batch is None else batch.label,
        c=np.asarray(order),
        rose=np.array([runs[c].rose for c in order]),
        diverged=np.array([runs[c].phase == "divergent" for c in order]),
        c_loss=c_loss,
        c_max=c_max,
        eta_lam_final=np.array([final[c] for c in order]),
    )


def _no_new_runs(c: float) -> Any:
    raise AssertionError(f"no bisection on the network's own c values (asked for c = {c})")
