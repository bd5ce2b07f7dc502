"""The late-time outcome of runs the step budget left open: fixed point, orbit, collapse.

The kernel stops a run when its loss has converged (``loss <= converge_loss`` at a stable
point) or diverged. A run it leaves open is read off a window of its later states
(:data:`catapultlab.phases.StopRule.settle_window` more steps of the printed map, every
open run of a chunk at once) and classified by the one rule,
:func:`catapultlab.phases.late_phase`: a return to itself is a fixed point (converged,
judged on the state: weight decay and labels a model cannot fit have no zero loss), a
fixed point unstable at the rate is held only by rounding (unresolved), a
return after 2, 3, ... steps or no return with steps that do not shrink is an orbit
(oscillating), steps that keep shrinking mean it is still converging (unresolved). A run
whose NTK collapsed is collapsed, whether or not the kernel called it converged.
"""

from __future__ import annotations

import numpy as np

from catapultlab.phases import Phase, StopRule, catapult_needs_drop, is_collapsed, late_phase
from catapultlab.sim._orbits import MAX_PERIOD, _window
from catapultlab.sim._setup import Setup

__all__ = ["BLOCK", "settle", "still_shrinking"]

BLOCK = 8
"""Steps per block of the step-size envelope (longer than the usual short periods)."""


def still_shrinking(window: np.ndarray) -> np.ndarray:
    """Do the step sizes of each run shrink steadily over the window?

    The envelope (largest step in each block of :data:`BLOCK` steps, relative to the
    state's scale) must never grow and must end below where it started: a run converging
    geometrically, however slowly, passes; an orbit's envelope repeats or wanders.

    Args:
        window: states ``(T, S, B)``.

    Returns:
        ``(B,)`` booleans.
    """
    scale = np.abs(window).max(axis=(0, 1)) + 1e-300
    steps = np.abs(np.diff(window, axis=0)).max(axis=1) / scale  # (T-1, B)
    blocks = steps[: steps.shape[0] // BLOCK * BLOCK].reshape(-1, BLOCK, steps.shape[1])
    envelope = blocks.max(axis=1)
    never_grows = np.all(np.diff(envelope, axis=0) <= 0, axis=0)
    return never_grows & (envelope[-1] < envelope[0])


def _stable(setup: Setup, state: np.ndarray, eta: np.ndarray, n: float) -> np.ndarray:
    """Is the residual multiplier contracting at the (target) rate, ``mu2 < 1``?"""
    mu2 = setup.numeric.mu2
    if mu2 is None:
        return np.ones(state.shape[1], dtype=bool)
    with np.errstate(all="ignore"):
        value = np.asarray(mu2(*state, eta, *setup.shared(n)), dtype=float)
    return np.broadcast_to(value < 1.0, (state.shape[1],))


def settle(
    setup: Setup,
    phase: np.ndarray,
    *,
    state: np.ndarray,
    eta: np.ndarray,
    lam0: np.ndarray,
    lam_final: np.ndarray,
    rose: np.ndarray,
    n: float,
    stop: StopRule,
) -> np.ndarray:
    """Phase codes with the open runs classified by their late window (module docstring).

    Args:
        setup: model and data.
        phase: the codes so far (the kernel's, refined).
        state: final states ``(S, B)``.
        eta: learning rates ``(B,)``.
        lam0: initial top NTK eigenvalues.
        lam_final: final ones.
        rose: the loss rose above its initial value.
        n: width.
        stop: thresholds.

    Returns:
        The codes (a copy).
    """
    from catapultlab.sim._orbits import _periods

    out = np.array(phase, dtype=np.int8, copy=True)
    open_ = (out == Phase.UNRESOLVED) & np.isfinite(state).all(axis=0)
    if open_.any():
        idx = np.flatnonzero(open_)
        length = max(int(stop.settle_window), 2 * MAX_PERIOD + BLOCK)
        win = _window(setup, state[:, idx], eta[idx], n, length)
        good = np.isfinite(win).all(axis=(0, 1))
        win = np.where(good, win, 0.0)
        lam_end = setup.numeric.top_ntk(win[-1], setup.shared(n))
        fell = ~catapult_needs_drop(setup.numeric.step, dict(setup.hyper).get("beta")) | (
            lam_end < lam0[idx] * (1 - stop.lam_drop)
        )
        late = late_phase(
            _periods(win, stop.return_rtol),
            still_shrinking(win),
            np.asarray(rose)[idx],
            fell,
            np.zeros(idx.size, dtype=bool),
            stable=_stable(setup, win[-1], eta[idx], n),
        )
        out[idx] = np.where(good, late, Phase.UNRESOLVED)
    alive = out != Phase.DIVERGENT
    with np.errstate(invalid="ignore"):
        collapsed = alive & is_collapsed(lam0, lam_final, stop.collapse_ratio)
    out[collapsed] = Phase.COLLAPSED
    return out
