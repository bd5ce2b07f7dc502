"""The one definition of phases and stopping, shared by sim/ and validate/.

A trajectory of losses ``L_0, L_1, ..., L_T`` is classified with one rule,
whatever produced it (the generated kernel, the pure NumPy path, exact
parameter-space GD, ``simulate`` or a real network in validate/):

* **divergent**: some loss is non-finite or exceeds ``diverge_loss``;
* otherwise, if the run has *converged* (its last loss is at most
  ``converge_loss`` and, where the caller knows it, it ends at a linearly stable
  fixed point: ``stable_end``):

  * **catapult** if some loss rose above ``L_0 (1 + rise_tol)`` *and*, where the
    step rule needs it, the top NTK eigenvalue fell by more than ``lam_drop``
    (relative to ``lam_0``);
  * **lazy** otherwise;

* otherwise the run's late-time behaviour decides (:func:`late_phase`, read off a window
  of its states after the step budget; the simulator iterates that window, validate reads
  its last measured steps):

  * **collapsed**: the top NTK eigenvalue fell to at most ``collapse_ratio * lam_0``
    (default 1e-3): the network stopped moving its outputs (a dead ReLU net; a model
    whose NTK decays with a power-law loss). Checked for every run that did not
    diverge, converged or not;
  * a fixed point with a loss that does not vanish (weight decay, labels the model
    cannot fit): the run *converged* after all (judged on the state: it returns to
    itself within ``return_rtol``), and is lazy or catapult as above;
  * **oscillating**: the run settled on a periodic orbit (period 2, 4, ... or 3, ...)
    or an aperiodic one (its step sizes stop shrinking): the edge of stability and the
    period-doubling route to chaos;
  * **unresolved**: still converging (its steps shrink) when the budget ran out.

Why the NTK test: under plain GD the loss can only rise when the linearised
dynamics are unstable (``eta lam > 2``), and then a converging run *must* have
lowered ``lam``: a rise already is a catapult. Under momentum the linear dynamics
overshoot: the loss rises at step 1 for ``c > 2`` (and, for large ``beta``, at
later steps already below that) while ``lam`` barely moves (its drift is O(1/n)).
That is not a catapult, so for step rules with a velocity a catapult must also
lower ``lam`` by more than :attr:`StopRule.lam_drop` (1 % by default).

Stopping (the kernel and every other path):

* **converged**: loss <= ``converge_loss`` (absolute, default 1e-8) and, for
  one-sample models, the fixed point reached is linearly stable (the derived
  :attr:`catapultlab.theory.Model.residual_multiplier` has modulus below 1);
* **diverged**: loss > ``diverge_ratio * n`` or not finite (the catapult peak grows
  like n; with the default 1e6 a run has diverged once ``|f - y| / sqrt(n) > ~1400``);
* **unresolved**: neither within ``steps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from catapultlab.records import short_repr

__all__ = [
    "Phase",
    "PHASE_NAMES",
    "StopRule",
    "classify_losses",
    "is_collapsed",
    "late_phase",
    "catapult_needs_drop",
    "phase_code_source",
    "refine_catapult",
    "return_periods",
    "SPIKE_FACTOR",
    "loss_spikes",
    "stop_index",
]


class Phase(IntEnum):
    """Outcome of one gradient-descent trajectory."""

    LAZY = 0
    CATAPULT = 1
    DIVERGENT = 2
    UNRESOLVED = 3
    OSCILLATING = 4
    COLLAPSED = 5


PHASE_NAMES: tuple[str, ...] = tuple(p.name.lower() for p in Phase)
"""Phase names in code order (``lazy, catapult, divergent, unresolved, oscillating,
collapsed``)."""


@dataclass(frozen=True)
class StopRule:
    """Stopping and classification thresholds.

    Attributes:
        converge_loss: converged once the loss is at most this.
        diverge_ratio: diverged once the loss exceeds ``diverge_ratio * n`` (or is not finite).
        rise_tol: relative slack for "the loss rose above its initial value".
        lam_drop: relative fall of the top NTK eigenvalue a catapult needs under step
            rules with a velocity (momentum, Nesterov).
        collapse_ratio: a run whose final top NTK eigenvalue is at most this times the
            initial one has collapsed.
        settle_window: late-time steps read to tell a fixed point, an orbit and a run still
            converging apart (:func:`late_phase`).
        return_rtol: relative tolerance of a return ``|x_{t+k} - x_t| / max |x|``.
    """

    __repr__ = short_repr

    converge_loss: float = 1e-8
    diverge_ratio: float = 1e6
    rise_tol: float = 0.0
    lam_drop: float = 0.01
    collapse_ratio: float = 1e-3
    settle_window: int = 256
    return_rtol: float = 1e-9

    def diverge_loss(self, n: float) -> float:
        """The absolute divergence threshold at width ``n``."""
        return float(self.diverge_ratio) * float(n)


def is_collapsed(lam0: np.ndarray, lam_final: np.ndarray, ratio: float) -> np.ndarray:
    """Has the top NTK eigenvalue collapsed (``lam_final <= ratio * lam0``)?

    Example:
        >>> is_collapsed(np.array([2.0, 2.0]), np.array([1e-4, 0.5]), 1e-3).tolist()
        [True, False]
    """
    return np.asarray(lam_final) <= ratio * np.asarray(lam0)


def return_periods(window: np.ndarray, rtol: float, max_period: int) -> np.ndarray:
    """Smallest return time ``k <= max_period`` of each run in a window (0: none).

    A run returns after ``k`` steps when ``max_t |x_{t+k} - x_t| <= rtol max_t |x_t|`` over
    the window: 1 is a fixed point, 2, 3, ... a periodic orbit, 0 neither (aperiodic, or
    still moving). The one rule for the map's late windows and for real networks' losses
    and sharpness.

    Args:
        window: ``(T, S, B)`` states (or ``(T, 1, B)`` series) of ``B`` runs.
        rtol: relative tolerance of a return.
        max_period: the largest return time looked for (below ``T``).

    Example:
        >>> x = np.array([1.0, 3.0, 1.0, 3.0, 1.0, 3.0])[:, None, None]
        >>> return_periods(x, 1e-9, 4).tolist()
        [2]
    """
    scale = np.abs(window).max(axis=(0, 1)) + 1e-300
    period = np.zeros(window.shape[2], dtype=int)
    for k in range(1, min(max_period, window.shape[0] - 1) + 1):
        err = np.abs(window[k:] - window[:-k]).max(axis=(0, 1)) / scale
        found = (period == 0) & (err <= rtol)
        period[found] = k
    return period


def late_phase(
    period: np.ndarray,
    shrinking: np.ndarray,
    rose: np.ndarray,
    lam_fell: np.ndarray,
    collapsed: np.ndarray,
    stable: np.ndarray | None = None,
) -> np.ndarray:
    """The phase of runs neither diverged nor converged by the loss test, from their late window.

    Args:
        period: the window's smallest return time (1: a fixed point; 0: none).
        shrinking: the run's step sizes shrink over the window (it is still converging).
        rose: its loss rose above the initial loss at some step.
        lam_fell: its NTK fell as the step rule's catapult needs (see the module docstring).
        collapsed: its NTK collapsed (:func:`is_collapsed`).
        stable: the fixed point is linearly stable at the rate (``None``: all are). A fixed
            point that is not is held only by rounding (a residual rounded to exactly zero,
            e.g. by a warmup that converged while the rate was small): unresolved, not
            converged.

    Returns:
        :class:`Phase` codes (int8): collapsed, else lazy/catapult at a stable fixed point,
        else oscillating on an orbit (or aperiodic and not shrinking), else unresolved.

    Example:
        >>> late_phase(np.array([1, 2, 0, 0]), np.array([0, 0, 0, 1]), np.ones(4, bool),
        ...            np.ones(4, bool), np.zeros(4, bool)).tolist()
        [1, 4, 4, 3]
    """
    period = np.asarray(period)
    fixed = np.where(np.asarray(rose) & np.asarray(lam_fell), Phase.CATAPULT, Phase.LAZY)
    orbit = (period >= 2) | ((period == 0) & ~np.asarray(shrinking, dtype=bool))
    held = period == 1
    if stable is not None:
        held &= np.asarray(stable, dtype=bool)
    out = np.where(held, fixed, np.where(orbit, Phase.OSCILLATING, Phase.UNRESOLVED))
    return np.where(np.asarray(collapsed, dtype=bool), Phase.COLLAPSED, out).astype(np.int8)


def catapult_needs_drop(step_rule: object, beta: float | None = None) -> bool:
    """Does a catapult under this step rule need the NTK test (see the module docstring)?

    A rule with a velocity does, unless its momentum ``beta`` is 0: that rule is plain GD
    step for step, and its phases must be GD's.

    Example:
        >>> from catapultlab.theory import StepRule
        >>> catapult_needs_drop(StepRule("momentum"), 0.9), catapult_needs_drop(StepRule("momentum"), 0.0)
        (True, False)
    """
    return bool(getattr(step_rule, "has_velocity", False)) and beta != 0


def classify_losses(
    loss: np.ndarray,
    *,
    converge_loss: float,
    diverge_loss: float,
    rise_tol: float = 0.0,
    stable_end: bool = True,
    lam_fell: bool = True,
) -> Phase:
    """Classify one loss trajectory (step 0 first) into a :class:`Phase`.

    Args:
        loss: losses ``L_0 .. L_T`` of one run.
        converge_loss: the run has converged if its last loss is at most this.
        diverge_loss: the run has diverged if any loss exceeds this or is not finite.
        rise_tol: relative slack; a loss counts as a rise only above ``L_0 (1 + rise_tol)``.
        stable_end: whether the last state is a linearly stable fixed point.
        lam_fell: whether the NTK fell by more than the step rule requires (always true
            where the rule needs no such test).

    Returns:
        The phase of the run.

    Example:
        >>> classify_losses(np.array([1.0, 0.5, 0.1]), converge_loss=0.2, diverge_loss=1e6)
        <Phase.LAZY: 0>
        >>> classify_losses(np.array([1.0, 4.0, 0.1]), converge_loss=0.2, diverge_loss=1e6)
        <Phase.CATAPULT: 1>
        >>> classify_losses(np.array([1.0, np.inf]), converge_loss=0.2, diverge_loss=1e6)
        <Phase.DIVERGENT: 2>
    """
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError("loss must be a non-empty 1-d array")
    if not np.all(np.isfinite(loss)) or np.any(loss > diverge_loss):
        return Phase.DIVERGENT
    if loss[-1] > converge_loss or not stable_end:
        return Phase.UNRESOLVED
    rose = bool(np.any(loss[1:] > loss[0] * (1.0 + rise_tol)))
    return Phase.CATAPULT if rose and lam_fell else Phase.LAZY


def refine_catapult(
    phase: np.ndarray, lam0: np.ndarray, lam_final: np.ndarray, lam_drop: float
) -> np.ndarray:
    """Apply the NTK test to kernel phase codes: a catapult whose NTK did not fall is lazy.

    Args:
        phase: phase codes from a loss-only classification.
        lam0: initial top NTK eigenvalues.
        lam_final: final ones.
        lam_drop: the relative fall a catapult needs.

    Returns:
        The refined codes (a copy).
    """
    out = np.array(phase, dtype=np.int8, copy=True)
    fell = lam_final < lam0 * (1.0 - lam_drop)
    out[(out == Phase.CATAPULT) & ~fell] = Phase.LAZY
    return out


def phase_code_source(diverged: str, converged: str, rose: str) -> str:
    """Branch-free integer expression of the phase code, for generated kernels.

    Args:
        diverged: name of a 0/1 integer: the run diverged.
        converged: name of a 0/1 integer: the run converged at a stable point.
        rose: name of a 0/1 integer: the loss rose.

    Returns:
        Source text evaluating to the :class:`Phase` code.

    Example:
        >>> phase_code_source("dv", "cv", "rs")
        '2 * dv + (1 - dv) * (cv * (0 + (1 - 0) * rs) + 3 * (1 - cv))'
    """
    lazy, cat, div, unres = (
        int(p) for p in (Phase.LAZY, Phase.CATAPULT, Phase.DIVERGENT, Phase.UNRESOLVED)
    )
    return (
        f"{div} * {diverged} + (1 - {diverged}) * ({converged} * ({lazy} + ({cat} - {lazy}) "
        f"* {rose}) + {unres} * (1 - {converged}))"
    )


def stop_index(
    losses: np.ndarray, diverge_loss: float, converge_loss: float, unstable: np.ndarray
) -> int:
    """First step at which a run stops (converged at a stable point, or diverged), else the last."""
    converged = (losses <= converge_loss) & ~unstable
    bad = ~(losses <= diverge_loss) | converged
    hit = np.nonzero(bad)[0]
    return int(hit[0]) if hit.size else len(losses) - 1


SPIKE_FACTOR = 2.0
"""A loss spike: the full-batch loss rises above this multiple of its running minimum."""


def loss_spikes(losses: np.ndarray, factor: float = SPIKE_FACTOR) -> list[tuple[int, int, int]]:
    """The loss spikes of a trajectory: ``[(start, peak, end)]`` steps.

    A spike is a maximal run of steps whose full-batch loss exceeds ``factor`` times the
    running minimum of the loss before it (the SGD catapults of Zhu et al., arXiv
    2306.04815); ``start`` is its first step, ``peak`` its largest loss, ``end`` the first
    step back below (or the last step). A run that never comes back is one spike.

    Example:
        >>> loss_spikes(np.array([1.0, 0.5, 0.4, 1.2, 3.0, 0.3, 0.2, 0.5, 0.1]))
        [(3, 4, 5), (7, 7, 8)]
    """
    losses = np.asarray(losses, dtype=float)
    floor = np.minimum.accumulate(np.where(np.isfinite(losses), losses, np.inf))
    before = np.concatenate([[np.inf], floor[:-1]])
    high = ~(losses <= factor * before)  # non-finite counts as high
    out, t = [], 0
    while t < losses.size:
        if not high[t]:
            t += 1
            continue
        start = t
        while t < losses.size and high[t]:
            t += 1
        run = losses[start:t]
        peak = start + int(np.argmax(np.where(np.isfinite(run), run, np.inf)))
        out.append((start, peak, min(t, losses.size - 1)))
    return out
