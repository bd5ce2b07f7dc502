"""When a trajectory stops, and what counts as a rise: the documented thresholds.

* **converged**: loss <= ``converge_loss`` (absolute, default 1e-8; the loss starts
  O(1) under the standard init, and 1e-8 keeps every float32 quantity normal) *and*,
  for one-sample models, the fixed point reached is linearly stable: the derived
  residual multiplier ``1 - eta lam`` (:attr:`catapultlab.theory.Model.residual_multiplier`)
  has modulus below 1. Without that test a run at ``eta lam ~ 4`` that passes close to
  ``f = y`` by chance (about 1 in 1e5 at y = 0) would be called converged;
* **diverged**: loss > ``diverge_ratio * n`` or not finite. The catapult peak
  loss grows like n (f reaches O(sqrt n)), so the bound is a fixed multiple of n:
  with the default 1e6 a run has diverged once ``|f - y| / sqrt(n) > ~1400``,
  three orders of magnitude above any catapult peak at c < 4, and the map then
  blows up super-exponentially (one more step multiplies ``|f|`` by ~``(eta f)^2 / n``);
* **rose**: some loss exceeds ``L_0 (1 + rise_tol)`` (default 0: any rise counts);
* **unresolved**: neither within ``steps``.

These are exactly the rules of :func:`catapultlab.sim.classify_losses` applied to
the trajectory up to its stopping step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StopRule"]


@dataclass(frozen=True)
class StopRule:
    """Stopping and classification thresholds.

    Attributes:
        converge_loss: converged once the loss is at most this.
        diverge_ratio: diverged once the loss exceeds ``diverge_ratio * n`` (or is not finite).
        rise_tol: relative slack for "the loss rose above its initial value".
    """

    converge_loss: float = 1e-8
    diverge_ratio: float = 1e6
    rise_tol: float = 0.0

    def diverge_loss(self, n: float) -> float:
        """The absolute divergence threshold at width ``n``."""
        return float(self.diverge_ratio) * float(n)
