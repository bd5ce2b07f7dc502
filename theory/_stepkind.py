"""Which step rule, as plain data: its kind and weight decay (no SymPy).

:class:`catapultlab.theory.StepRule` adds the symbolic side (its symbols and
recursion); the simulator's cached plans use this part alone, so a warm start needs
no SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass

from catapultlab._errors import CatapultError

__all__ = ["KINDS", "DECAYS", "StepKind"]

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
