"""The pure NumPy path: the same stopping semantics as the kernel, via the printed map.

It iterates a :class:`~catapultlab.theory.NumericModel`'s printed NumPy map (no SymPy,
no Numba). It is the reference the generated kernel is tested against, records full
trajectories on request and is the NumPy baseline of ``catapultlab bench``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab.phases import Phase, StopRule
from catapultlab.records import short_repr
from catapultlab.sim._kernel import KernelRun
from catapultlab.theory import NumericModel, Schedule

__all__ = ["run_pure", "PureRun"]


@dataclass(frozen=True)
class PureRun:
    """Results of :func:`run_pure`.

    Attributes:
        run: per-trajectory results, as the kernel returns them.
        states: ``(T+1, S, B)`` states, step 0 first (only when recorded; frozen after the stop).
        losses: ``(T+1, B)`` losses (only when recorded).
    """

    __repr__ = short_repr

    run: KernelRun
    states: np.ndarray | None
    losses: np.ndarray | None


def run_pure(
    numeric: NumericModel,
    state0: np.ndarray,
    eta: np.ndarray,
    shared: np.ndarray,
    *,
    n: float,
    stop: StopRule,
    max_steps: int,
    dtype: str = "float64",
    record: bool = False,
    schedule: Schedule | None = None,
) -> PureRun:
    """Iterate the printed map of ``numeric`` on a batch with the kernel's stopping rules.

    Args:
        numeric: the model.
        state0: ``(S, B)`` initial states.
        eta: ``(B,)`` learning rates.
        shared: shared parameters (``model.params[1:]``).
        n: width (for the divergence threshold).
        stop: thresholds.
        max_steps: step budget.
        dtype: ``"float64"`` or ``"float32"``.
        record: keep every state and loss.
        schedule: the learning-rate schedule (``eta`` is the target; constant by default).

    Returns:
        The results (and trajectories if recorded).
    """
    dt = np.dtype(dtype).type
    st = [np.asarray(s, dtype=dt).copy() for s in state0]
    et = np.asarray(eta, dtype=dt)
    par = [dt(p) for p in shared]
    conv = dt(stop.converge_loss)
    div = dt(stop.diverge_loss(n))
    fmap, floss, fmu2 = numeric.map, numeric.loss, numeric.mu2
    schedule = schedule or Schedule()

    def unstable(st: list[np.ndarray]) -> np.ndarray:
        """Where the residual multiplier is not contracting (mu^2 >= 1) at the top rate to come.

        The target during warmup (:meth:`Schedule.stability_factor`).
        """
        if fmu2 is None:
            return np.zeros(B, dtype=bool)
        rate = et * schedule.stability_factor(t, dtype)  # exactly et at a constant rate
        return np.asarray(fmu2(*st, rate, *par), dtype=dt) * np.ones(B, dtype=dt) >= dt(1)

    B = et.shape[0]
    t = np.zeros(B, dtype=np.int64)
    with np.errstate(all="ignore"):
        loss = np.asarray(floss(*st, et, *par), dtype=dt) * np.ones(B, dtype=dt)
        l0 = loss * (dt(1) + dt(stop.rise_tol))
        pk = loss.copy()
        tp = np.zeros(B, dtype=np.int64)
        states = [np.stack(st)] if record else None
        losses = [loss.copy()] if record else None
        for _ in range(max_steps + 1):
            live = ((loss > conv) | unstable(st)) & (loss <= div) & (t < max_steps)
            up = loss > pk
            pk = np.where(up, loss, pk)
            tp = np.where(up, t, tp)
            if not live.any():
                break
            new = fmap(*st, et * schedule.factor(t, dtype), *par)  # (t): this step's rate
            st = [np.where(live, np.asarray(v, dtype=dt), s) for v, s in zip(new, st, strict=True)]
            t = t + live
            loss = np.asarray(floss(*st, et, *par), dtype=dt) * np.ones(B, dtype=dt)
            if record:
                states.append(np.stack(st))  # type: ignore[union-attr]
                losses.append(loss.copy())  # type: ignore[union-attr]
        phase = _phases(loss, conv, div, unstable(st), pk > l0)
    run = KernelRun(np.stack(st), pk, tp, t, phase)
    if record:
        return PureRun(run, *_padded(states, losses, max_steps + 1))  # type: ignore[arg-type]
    return PureRun(run, None, None)


def _phases(
    loss: np.ndarray, conv: Any, div: Any, unstable: np.ndarray, rose: np.ndarray
) -> np.ndarray:
    """The kernel's phase codes: converged at a stable point (lazy/catapult), divergent."""
    phase = np.full(loss.shape, Phase.UNRESOLVED, dtype=np.int8)
    done = (loss <= conv) & ~unstable
    phase[done] = np.where(rose[done], Phase.CATAPULT, Phase.LAZY)
    phase[~(loss <= div)] = Phase.DIVERGENT
    return phase


def _padded(states: list, losses: list, T: int) -> tuple[np.ndarray, np.ndarray]:
    """The recorded states and losses, padded to ``T`` steps with the frozen final state."""
    S, Lo = np.stack(states), np.stack(losses)
    if S.shape[0] < T:
        S = np.concatenate([S, np.repeat(S[-1:], T - S.shape[0], axis=0)])
        Lo = np.concatenate([Lo, np.repeat(Lo[-1:], T - Lo.shape[0], axis=0)])
    return S, Lo
