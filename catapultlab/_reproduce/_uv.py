"""Vectorised uv-model ensembles for the reproduce pipeline (NumPy, float64).

The map is never typed here: each step calls
``catapultlab.theory.uv_model().numeric_map`` (lambdified from the derived maps)
on whole arrays of trajectories. Initial states are drawn exactly from the
distribution of ``u, v ~ N(0, I_n)``: the Gram matrix of ``(u, v)`` is
Wishart(n, I_2), sampled by the Bartlett decomposition, so an initial
``(f_0, lambda_0) = (u.v / sqrt(n), (u.u + v.v) / n)`` costs O(1) at any width.

Each trajectory gets ``eta = c / lambda_0`` and is classified with the rule of
:func:`catapultlab.sim._phases.classify_losses`, evaluated online (the running
maximum, its step, the last loss and a divergence flag are all the rule needs):

* ``diverge_loss = 1e6 n (1 + y^2)`` (the catapult peak is O(n), so a run above
  it is on its way to infinity; non-finite counts too);
* ``converge_loss = 1e-4 L_0`` (the last loss must fall four decades);
* ``rise_tol = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Ensemble", "sample_init", "run_ensemble", "trajectory", "thresholds"]

CONVERGE_FACTOR = 1e-4
DIVERGE_FACTOR = 1e6


def thresholds(loss0: np.ndarray, n: np.ndarray, y: float) -> tuple[np.ndarray, np.ndarray]:
    """``(converge_loss, diverge_loss)`` per trajectory (see the module docstring)."""
    return CONVERGE_FACTOR * loss0, DIVERGE_FACTOR * n * (1.0 + y * y)


def sample_init(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(f_0, lambda_0)`` samples of a width-``n`` uv model at initialisation."""
    a11 = np.sqrt(rng.chisquare(n, size))
    a22 = np.sqrt(rng.chisquare(n - 1, size)) if n > 1 else np.zeros(size)
    a21 = rng.standard_normal(size)
    uu, uv, vv = a11**2, a11 * a21, a21**2 + a22**2
    return uv / np.sqrt(n), (uu + vv) / n


@dataclass(frozen=True)
class Ensemble:
    """Per-trajectory summaries (flat arrays of equal length).

    Attributes:
        loss0: initial loss.
        peak: largest loss over the run.
        t_peak: step of the largest loss.
        final: last loss (of the frozen state for divergent runs).
        lam_final: last lambda.
        eta_lam_final: ``eta * lam_final``.
        phase: codes of :data:`catapultlab.sim._phases.PHASE_NAMES`.
    """

    loss0: np.ndarray
    peak: np.ndarray
    t_peak: np.ndarray
    final: np.ndarray
    lam_final: np.ndarray
    eta_lam_final: np.ndarray
    phase: np.ndarray


def run_ensemble(
    f0: np.ndarray,
    lam0: np.ndarray,
    c: np.ndarray,
    n: np.ndarray,
    y: float,
    steps: int,
) -> Ensemble:
    """Iterate many uv trajectories at once (all arrays broadcast to one flat shape).

    Args:
        f0: initial outputs.
        lam0: initial NTK values.
        c: ``eta lambda_0`` per trajectory.
        n: width per trajectory.
        y: the label.
        steps: GD steps.

    Returns:
        The per-trajectory summaries.
    """
    from catapultlab.sim._phases import Phase
    from catapultlab.theory import uv_model

    step = uv_model().numeric_map
    f0, lam0, c, n = (np.asarray(a, dtype=float) for a in np.broadcast_arrays(f0, lam0, c, n))
    f, lam, eta = f0.ravel().copy(), lam0.ravel().copy(), (c / lam0).ravel()
    n = n.ravel()
    loss0 = 0.5 * (f - y) ** 2
    conv, div = thresholds(loss0, n, y)
    peak, t_peak = loss0.copy(), np.zeros(f.shape, dtype=np.int64)
    rose = np.zeros(f.shape, dtype=bool)
    alive = np.ones(f.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            fn, ln = step(f, lam, eta, n, y)
            f = np.where(alive, fn, f)
            lam = np.where(alive, ln, lam)
            loss = 0.5 * (f - y) ** 2
            bad = alive & ~(np.isfinite(loss) & (loss <= div))
            alive &= ~bad
            up = alive & (loss > peak)
            peak = np.where(up, loss, peak)
            t_peak = np.where(up, t, t_peak)
            rose |= alive & (loss > loss0)
            if not alive.any():
                break
        final = 0.5 * (f - y) ** 2
    phase = np.full(f.shape, int(Phase.UNRESOLVED), dtype=np.int8)
    ok = alive & (final <= conv)
    phase[ok & rose] = int(Phase.CATAPULT)
    phase[ok & ~rose] = int(Phase.LAZY)
    phase[~alive] = int(Phase.DIVERGENT)
    return Ensemble(loss0, peak, t_peak, final, lam, eta * lam, phase)


def trajectory(
    f0: float, lam0: float, *, c: float, n: int, y: float, steps: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """One trajectory ``(f_t, lambda_t)`` through ``uv_model().step``; stops at divergence.

    Returns:
        ``f`` and ``lam`` (step 0 first, NaN after divergence) and ``eta``.
    """
    from catapultlab.theory import uv_model

    model = uv_model()
    eta = c / lam0
    _, div = thresholds(np.array(0.0), np.array(float(n)), y)
    f = np.full(steps + 1, np.nan)
    lam = np.full(steps + 1, np.nan)
    state = np.array([f0, lam0], dtype=float)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if not (np.all(np.isfinite(state)) and 0.5 * (state[0] - y) ** 2 <= div):
                break
            f[t], lam[t] = state
            state = model.step(state, eta=eta, n=float(n), y=y)
    return f, lam, eta
