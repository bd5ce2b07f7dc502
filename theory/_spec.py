"""How a model is declared: width-n parameters, an output through inner products, MSE + GD."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._steprule import StepRule

__all__ = ["ModelSpec", "ETA", "WIDTH", "VELOCITY_PREFIX", "velocity_name"]

VELOCITY_PREFIX = "vel_"
"""Velocity (momentum trace) vectors are named ``vel_<parameter>``."""


def velocity_name(vector: str) -> str:
    """The name of a parameter vector's velocity: ``u`` -> ``vel_u``."""
    return VELOCITY_PREFIX + vector


ETA = sp.Symbol("eta", positive=True)
"""The learning rate."""

WIDTH = sp.Symbol("n", positive=True)
"""The width: kept as a symbol, never truncated or expanded in."""


def _exact(f: object) -> object:
    """``f`` with its floating-point numbers as the rationals they print as."""
    if isinstance(f, sp.Basic) and f.atoms(sp.Float):
        return f.xreplace({x: sp.Rational(str(x)) for x in f.atoms(sp.Float) if x.is_finite})
    return f


@dataclass(frozen=True)
class ModelSpec:
    """Declaration of a model whose parameters are width-n vectors (and matrices).

    Attributes:
        name: short model name (``"uv"``, ``"full"``...).
        vectors: names of the width-n parameter vectors (entries N(0, 1) at init).
        matrices: names of width-n x width-n parameter matrices (deeper models).
        outputs: the network output on each training sample, written through
            inner-product symbols (:func:`catapultlab.theory.inner_symbol`), the data
            and the width ``n``.
        targets: the label symbol of each training sample.
        data: the input symbols (constants of the dynamics).
        description: one line for people.
        step: the step rule (plain GD by default; momentum, Nesterov, weight decay).

    The loss is always ``L = (1/2m) sum_a (f_a - y_a)^2``; every parameter moves at once
    by the step rule with learning rate ``eta``.
    """

    __repr__ = short_repr

    name: str
    vectors: tuple[str, ...]
    outputs: tuple[sp.Expr, ...]
    targets: tuple[sp.Symbol, ...]
    data: tuple[sp.Symbol, ...] = ()
    matrices: tuple[str, ...] = ()
    description: str = ""
    step: StepRule = field(default_factory=StepRule)

    def __post_init__(self) -> None:
        # Python floats become exact rationals (0.5 -> 1/2, 0.7 -> 7/10): the engine's
        # exact checks (the linearisation against the step rule's recursion) need them
        object.__setattr__(self, "outputs", tuple(_exact(f) for f in self.outputs))

    @property
    def samples(self) -> int:
        """Number of training samples m."""
        return len(self.outputs)

    @property
    def velocities(self) -> tuple[str, ...]:
        """Names of the velocity vectors the step rule adds (empty for plain GD)."""
        return tuple(velocity_name(w) for w in self.vectors) if self.step.has_velocity else ()

    @property
    def hyper(self) -> tuple[sp.Symbol, ...]:
        """Hyper-parameter symbols of the step rule beyond ``eta`` (``beta``, ``kappa``)."""
        return self.step.symbols

    def with_step(self, step: StepRule) -> ModelSpec:
        """The same model under another step rule."""
        from dataclasses import replace

        return replace(self, step=step)

    def loss(self) -> sp.Expr:
        """The MSE loss ``(1/2m) sum_a (f_a - y_a)^2`` in inner-product symbols."""
        m = self.samples
        return sp.Rational(1, 2 * m) * sp.Add(
            *((f - y) ** 2 for f, y in zip(self.outputs, self.targets, strict=True))
        )
