"""Which step rule, as plain data: its kind and weight decay (no SymPy).

:class:`catapultlab.theory.StepRule` adds the symbolic side (its symbols and
recursion); the simulator's cached plans use this part alone, so a warm start needs
no SymPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = ["KINDS", "DECAYS", "StepKind", "step_from_flags"]

KINDS = ("gd", "momentum", "nesterov")
DECAYS = (None, "l2", "decoupled")


@dataclass(frozen=True)
class StepKind:
    """A step rule's kind and weight decay, checked.

    Attributes:
        kind: ``"gd"``, ``"momentum"`` (heavy ball) or ``"nesterov"``.
        weight_decay: ``None``, ``"l2"`` (added to the gradient) or ``"decoupled"``.

    Example:
        >>> StepKind("nesterov", "l2").label
        'nesterov+l2'
    """

    __repr__ = short_repr

    kind: str = "gd"
    weight_decay: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CatapultError(
                f"unknown step rule {self.kind!r}; choose one of {', '.join(KINDS)}"
            )
        if self.weight_decay not in DECAYS:
            raise CatapultError(
                f"unknown weight decay {self.weight_decay!r}; choose None, 'l2' or 'decoupled'"
            )

    @property
    def has_velocity(self) -> bool:
        """Does the rule carry a velocity (trace) vector per parameter?"""
        return self.kind != "gd"

    @property
    def label(self) -> str:
        """A short name: ``gd``, ``momentum``, ``nesterov+l2`` ..."""
        return self.kind + (f"+{self.weight_decay}" if self.weight_decay else "")


def step_from_flags(
    momentum: float | None = None, nesterov: bool = False, weight_decay: float | None = None
) -> tuple[StepKind, tuple[tuple[str, float], ...]]:
    """The step rule and its values from ``--momentum``, ``--nesterov``, ``--weight-decay``.

    The one place flags become a step rule (every command, and the Python API's
    ``make_setup`` callers, go through it).

    Returns:
        ``(step, hyper)``: the rule and its values, e.g. ``(("beta", 0.9),)``.

    Raises:
        CatapultError: a momentum outside ``[0, 1)``, ``--nesterov`` without a momentum,
            or a negative or non-finite weight decay.

    Example:
        >>> step_from_flags(momentum=0.5, nesterov=True)
        (StepKind(kind='nesterov', weight_decay=None), (('beta', 0.5),))
    """
    if nesterov and momentum is None:
        raise CatapultError("--nesterov needs --momentum BETA")
    hyper: list[tuple[str, float]] = []
    kind = "gd"
    if momentum is not None:
        if not (math.isfinite(momentum) and 0.0 <= momentum < 1.0):
            raise CatapultError(f"--momentum must be in [0, 1), got {momentum!r}")
        kind = "nesterov" if nesterov else "momentum"
        hyper.append(("beta", float(momentum)))
    decay = None
    if weight_decay is not None:
        if not (math.isfinite(weight_decay) and weight_decay >= 0.0):
            raise CatapultError(
                f"--weight-decay must be a finite number >= 0, got {weight_decay!r}"
            )
        decay = "l2"
        hyper.append(("kappa", float(weight_decay)))
    return StepKind(kind, decay), tuple(hyper)
