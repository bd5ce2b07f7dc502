"""Learning-rate schedules: ``eta_t = eta * s(t)``, where ``c = eta lam0`` is the target ``eta``.

The step from ``t`` to ``t + 1`` uses ``eta_t``:

* ``constant``: ``s(t) = 1``;
* ``warmup`` over ``T`` steps (linear): ``s(t) = min(1, (t + 1) / T)``, so the first step
  uses ``eta / T`` and step ``T - 1`` onward the target (``T = 1`` is no warmup);
* ``cosine`` decay over ``T`` steps: ``s(t) = (1 + cos(pi min(t, T) / T)) / 2``, from the
  target to 0 at step ``T`` (and 0 after it).

A schedule belongs to a run, not to the derived maps: the maps hold at every step with
that step's ``eta``. It is plain data (no SymPy), shared by the kernel, the pure path, the
exact parameter-space simulator and validate's optax schedules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = ["SCHEDULES", "Schedule"]

SCHEDULES = ("constant", "warmup", "cosine")
"""The schedule kinds."""


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule (see the module docstring).

    Attributes:
        kind: ``"constant"``, ``"warmup"`` or ``"cosine"``.
        length: ``T`` in steps (0 for ``constant``).

    Example:
        >>> Schedule("warmup", 4).factor(np.arange(6)).tolist()
        [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """

    __repr__ = short_repr

    kind: str = "constant"
    length: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise CatapultError(
                f"unknown schedule {self.kind!r}; choose one of {', '.join(SCHEDULES)}"
            )
        if self.kind == "constant" and self.length != 0:
            raise CatapultError("a constant schedule has no length")
        if self.kind != "constant" and not (isinstance(self.length, int) and self.length >= 1):
            raise CatapultError(
                f"the {self.kind} schedule needs a length T >= 1 (steps), got {self.length!r}"
            )

    @property
    def rises(self) -> bool:
        """Does the rate rise over the run (warmup)?

        Then the highest rate still to come is the target, and a state counts as converged
        only if it is stable at the target:
        a warmup run whose loss vanished while the rate was small is not done (its residual
        grows again once the rate passes the edge). Under decay the highest rate to come is
        the current one.
        """
        return self.kind == "warmup"

    def stability_factor(self, t: np.ndarray | int, dtype: str = "float64") -> np.ndarray:
        """The multiple of the target ``eta`` a converged state must be stable at, from step ``t``.

        1 while the rate :attr:`rises`, else :meth:`factor`.

        Example:
            >>> Schedule("warmup", 4).stability_factor(np.arange(3)).tolist()
            [1.0, 1.0, 1.0]
        """
        if self.rises or self.kind == "constant":
            return np.ones_like(np.asarray(t, dtype=np.dtype(dtype)))
        return self.factor(t, dtype)

    @property
    def label(self) -> str:
        """``constant``, ``warmup:T`` or ``cosine:T``."""
        return "constant" if self.kind == "constant" else f"{self.kind}:{self.length}"

    def factor(self, t: np.ndarray | int, dtype: str = "float64") -> np.ndarray:
        """``s(t)``, the multiple of the target ``eta`` the step from ``t`` uses.

        Computed in ``dtype`` with the kernel's operations in the kernel's order.
        """
        dt = np.dtype(dtype).type
        t = np.asarray(t, dtype=dt)
        one, length = dt(1.0), dt(self.length)
        if self.kind == "warmup":
            return np.minimum(one, (t + one) / length)
        if self.kind == "cosine":
            return dt(0.5) * (one + np.cos(dt(np.pi) * np.minimum(t, length) / length))
        return np.ones_like(t)

    @staticmethod
    def parse(warmup: int | None = None, schedule: str | None = None) -> Schedule:
        """The schedule of ``--warmup T`` or ``--schedule KIND:T`` (at most one of them).

        Raises:
            CatapultError: both given, or a malformed ``KIND:T``.

        Example:
            >>> Schedule.parse(schedule="cosine:100").label
            'cosine:100'
        """
        if warmup is not None and schedule is not None:
            raise CatapultError("give --warmup or --schedule, not both")
        if warmup is not None:
            return Schedule("warmup", _length(warmup, "--warmup"))
        if schedule is None or schedule == "constant":
            return Schedule()
        kind, sep, length = schedule.partition(":")
        if not sep:
            raise CatapultError(
                f"--schedule must be KIND:T (warmup:100, cosine:500), got {schedule!r}"
            )
        return Schedule(kind, _length(length, "--schedule"))


def _length(value: object, name: str) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CatapultError(f"{name} length must be an integer >= 1, got {value!r}") from None
    if not (np.isfinite(number) and number >= 1 and number == int(number)):
        raise CatapultError(f"{name} length must be an integer >= 1, got {value!r}")
    return int(number)
