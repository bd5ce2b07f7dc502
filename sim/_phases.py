"""Phase definitions shared by the simulator and the validation layer.

A trajectory of losses ``L_0, L_1, ..., L_T`` is classified with one rule,
whatever produced it (an iterated map, parameter-space GD or a real network):

* **divergent**: some loss is non-finite or exceeds ``diverge_loss``;
* otherwise, if the run has *converged* (its last loss is at most
  ``converge_loss`` and, where the caller knows it, it ends at a linearly stable
  fixed point: ``stable_end``):

  * **lazy** if no loss ever rises above the initial loss ``L_0``
    (by more than the relative slack ``rise_tol``);
  * **catapult** if some loss rises above ``L_0`` and the run still converges;

* **unresolved**: neither diverged nor converged within the step budget.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Phase", "classify_losses", "PHASE_NAMES"]


class Phase(IntEnum):
    """Outcome of one gradient-descent trajectory."""

    LAZY = 0
    CATAPULT = 1
    DIVERGENT = 2
    UNRESOLVED = 3


PHASE_NAMES: tuple[str, ...] = tuple(p.name.lower() for p in Phase)


def classify_losses(
    loss: np.ndarray,
    *,
    converge_loss: float,
    diverge_loss: float,
    rise_tol: float = 0.0,
    stable_end: bool = True,
) -> Phase:
    """Classify one loss trajectory (step 0 first) into a :class:`Phase`.

    Args:
        loss: losses ``L_0 .. L_T`` of one run.
        converge_loss: the run has converged if its last loss is at most this.
        diverge_loss: the run has diverged if any loss exceeds this or is not finite.
        rise_tol: relative slack; a loss counts as a rise only above ``L_0 (1 + rise_tol)``.
        stable_end: whether the last state is a linearly stable fixed point (for the
            simulator: ``|1 - eta lam| < 1``); a tiny loss at an unstable one is not
            convergence.

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
    return Phase.CATAPULT if rose else Phase.LAZY
