"""The step rule of a declaration, and what its linear recursion implies.

A step rule says how a gradient ``g`` moves the parameters (optax / PyTorch
conventions, velocity ``trace`` starting at zero):

* ``gd``:        ``theta' = theta - eta g``;
* ``momentum``:  ``trace' = beta trace + g``, ``theta' = theta - eta trace'`` (heavy ball);
* ``nesterov``:  ``trace' = beta trace + g``, ``theta' = theta - eta (beta trace' + g)``;
* weight decay ``kappa``: ``"l2"`` adds ``kappa theta`` to ``g`` before the rule
  (``optax.chain(add_decayed_weights(kappa), trace(beta), scale(-eta))``);
  ``"decoupled"`` adds ``-eta kappa theta`` after it (AdamW-style).

:func:`linear_recursion` applies the rule *symbolically* to a one-dimensional
quadratic ``L = h delta^2 / 2``: the result is the companion matrix of the rule in
``(delta, trace)``, a function of ``c = eta h`` and ``beta`` only. Near a
zero-residual fixed point every eigen-direction of the NTK follows this recursion
with ``h = lambda`` (checked for each model in :mod:`catapultlab.theory._derive_model`), so
its spectral radius gives the linear-stability edge, and its trajectory from
``trace = 0`` gives the edge where the loss first rises (evaluated without SymPy in
:mod:`catapultlab.theory._edges_numeric`). Nothing here is typed in:
``c = 2 + 2 beta`` for heavy ball is solved for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
import sympy as sp

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.theory._stepkind import StepKind

__all__ = [
    "BETA",
    "KAPPA",
    "StepRule",
    "LinearRecursion",
    "linear_recursion",
    "decay_stability_edge",
    "Q_DECAY",
]

BETA = sp.Symbol("beta", nonnegative=True)
"""The momentum coefficient (``trace' = beta trace + g``)."""

KAPPA = sp.Symbol("kappa", nonnegative=True)
"""The weight-decay coefficient."""


@dataclass(frozen=True)
class StepRule(StepKind):
    """How a gradient moves the parameters (part of a model's declaration).

    A :class:`StepKind` with its symbolic side.

    Attributes:
        kind: ``"gd"``, ``"momentum"`` (heavy ball) or ``"nesterov"``.
        weight_decay: ``None``, ``"l2"`` (added to the gradient) or ``"decoupled"``.

    Example:
        >>> StepRule("momentum").label
        'momentum'
        >>> StepRule("gd", weight_decay="l2").label
        'gd+l2'
    """

    __repr__ = short_repr

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """The hyper-parameters the rule adds to the maps (``beta``, ``kappa``), in order."""
        out: tuple[sp.Symbol, ...] = (BETA,) if self.has_velocity else ()
        return out + ((KAPPA,) if self.weight_decay else ())

    def update(
        self,
        theta: Any,
        trace: Any,
        grad: Any,
        eta: Any,
        *,
        beta: Any = BETA,
        kappa: Any = KAPPA,
    ) -> tuple[Any, Any]:
        """One step on any objects with ``+`` and scalar ``*`` (symbols, arrays).

        Args:
            theta: parameters.
            trace: velocity (ignored for ``gd``).
            grad: gradient of the loss at ``theta`` (without weight decay).
            eta: learning rate.
            beta: momentum (the symbol by default).
            kappa: weight decay (the symbol by default).

        Returns:
            ``(theta', trace')``.
        """
        g = grad + kappa * theta if self.weight_decay == "l2" else grad
        if self.kind == "gd":
            new_trace, step = trace, g
        else:
            new_trace = beta * trace + g
            step = new_trace if self.kind == "momentum" else beta * new_trace + g
        new_theta = theta - eta * step
        if self.weight_decay == "decoupled":
            new_theta = new_theta - eta * kappa * theta
        return new_theta, new_trace

    def to_json(self) -> dict[str, object]:
        """Plain data (for hashes and files)."""
        return {"kind": self.kind, "weight_decay": self.weight_decay}


C_LIN = sp.Symbol("c", positive=True)
"""``c = eta h`` in the recursion (``h`` the curvature; ``h = lambda`` at zero residual)."""


@dataclass(frozen=True)
class LinearRecursion:
    """The rule on ``L = h delta^2 / 2`` without weight decay: ``(delta, trace)`` linear.

    Attributes:
        rule: the step rule.
        matrix: companion matrix in ``(delta, eta * trace)`` (``(1, 1)`` for gd), in ``c, beta``.
        charpoly: its characteristic polynomial in ``z``.
        stability_edge: smallest ``c > 0`` where the spectral radius reaches 1.
        growth: the multiplier of largest modulus, as an expression in ``c, beta``
            (used for the catapult time), or ``None`` where it has no closed form.
    """

    rule: StepRule
    matrix: sp.Matrix
    charpoly: sp.Expr
    stability_edge: sp.Expr
    growth: sp.Expr | None

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the recursion, not its lambdified functions (rebuilt on demand)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("numeric_")}

    @cached_property
    def numeric_matrix(self) -> Any:
        """``numeric_matrix(c, beta)``: the companion matrix as nested lists (NumPy)."""
        return sp.lambdify((C_LIN, BETA), self.matrix.tolist(), modules="numpy")

    @cached_property
    def numeric_stability_edge(self) -> Any:
        """``numeric_stability_edge(beta)``: the linear-stability edge in ``c`` (NumPy)."""
        return sp.lambdify((BETA,), self.stability_edge, modules="numpy")

    def spectral_radius(self, c: float, beta: float) -> float:
        """Largest multiplier modulus at ``c, beta``."""
        A = np.array(self.matrix.subs({BETA: beta, C_LIN: c}), dtype=float)
        return float(np.max(np.abs(np.linalg.eigvals(A))))

    def growth_modulus(self, c: float, beta: float) -> float:
        """Modulus of the fastest linear mode (the catapult's exponential growth rate)."""
        return self.spectral_radius(c, beta)


def _positive_roots(expr: sp.Expr) -> list[sp.Expr]:
    roots = sp.solve(sp.Eq(sp.expand(expr), 0), C_LIN)
    return [sp.simplify(r) for r in roots if sp.ask(sp.Q.positive(r.subs(BETA, sp.Rational(1, 3))))]


@cache
def linear_recursion(rule: StepRule) -> LinearRecursion:
    """Apply ``rule`` to ``L = h delta^2 / 2`` symbolically; derive its edges.

    Args:
        rule: the step rule (weight decay is ignored here: with ``h -> h + kappa`` for
            ``"l2"``; the caller says so).

    Returns:
        The recursion, its characteristic polynomial and stability edge.

    Example:
        >>> linear_recursion(StepRule("momentum")).stability_edge
        2*beta + 2
        >>> linear_recursion(StepRule("gd")).stability_edge
        2
    """
    delta, v = sp.symbols("delta v", real=True)
    bare = StepRule(rule.kind)
    # eta * trace is the natural velocity coordinate: the recursion then depends on c only
    eta, h = sp.symbols("eta h", positive=True)
    new_delta, new_trace = bare.update(delta, v / eta, h * delta, eta)
    coords = [delta] if not bare.has_velocity else [delta, v]
    images = [new_delta] if not bare.has_velocity else [new_delta, eta * new_trace]
    images = [sp.expand(e.subs(h, C_LIN / eta)) for e in images]
    A = sp.Matrix([[sp.diff(e, x) for x in coords] for e in images])
    z = sp.Symbol("z")
    charpoly = sp.expand((z * sp.eye(A.shape[0]) - A).det())
    candidates = _positive_roots(charpoly.subs(z, -1)) + _positive_roots(charpoly.subs(z, 1))
    stable_below = []
    for r in candidates:
        for beta in (sp.Rational(1, 3), sp.Rational(4, 5)):
            point = float(r.subs(BETA, beta))
            rec = LinearRecursion(bare, A, charpoly, sp.Integer(0), None)
            below = rec.spectral_radius(point * (1 - 1e-6), float(beta))
            above = rec.spectral_radius(point * (1 + 1e-6), float(beta))
            if not (below < 1 < above):
                break
        else:
            stable_below.append(r)
    if len(stable_below) != 1:  # pragma: no cover - a new rule the engine cannot read
        raise CatapultError(f"no unique linear-stability edge for step rule {rule.label!r}")
    roots = sp.solve(charpoly, z)
    growth = None
    if len(roots) == 1:
        growth = roots[0]
    return LinearRecursion(bare, A, charpoly, stable_below[0], growth)


Q_DECAY = sp.Symbol("q", nonnegative=True)
"""``q = kappa / h``: the weight decay in units of the curvature."""


@cache
def decay_stability_edge(rule: StepRule) -> sp.Expr:
    """The stability edge in ``c = eta h`` of a rule *with* its weight decay, in ``beta, q``.

    The decay enters the recursion on ``L = h delta^2 / 2`` as ``kappa = q h``: ``"l2"``
    inside the velocity, ``"decoupled"`` outside it, so the two differ under momentum.

    Example:
        >>> decay_stability_edge(StepRule("momentum", "l2"))
        2*(beta + 1)/(q + 1)
        >>> decay_stability_edge(StepRule("gd", "decoupled"))
        2/(q + 1)
    """
    delta, v = sp.symbols("delta v", real=True)
    eta, h = sp.symbols("eta h", positive=True)
    new_delta, new_trace = rule.update(delta, v / eta, h * delta, eta, kappa=Q_DECAY * h)
    coords = [delta] if not rule.has_velocity else [delta, v]
    images = [new_delta] if not rule.has_velocity else [new_delta, eta * new_trace]
    images = [sp.expand(e.subs(h, C_LIN / eta)) for e in images]
    A = sp.Matrix([[sp.diff(e, x) for x in coords] for e in images])
    z = sp.Symbol("z")
    charpoly = sp.expand((z * sp.eye(A.shape[0]) - A).det())
    roots = sp.solve(sp.Eq(charpoly.subs(z, -1), 0), C_LIN)
    edge_fn = sp.lambdify((C_LIN, BETA, Q_DECAY), A.tolist(), "numpy")

    def radius(c: float, beta: float, q: float) -> float:
        return float(np.max(np.abs(np.linalg.eigvals(np.array(edge_fn(c, beta, q), float)))))

    for r in roots:
        ok = True
        for beta, q in ((1 / 3, 0.1), (0.8, 0.05)):
            point = float(r.subs({BETA: beta, Q_DECAY: q}))
            if not (
                point > 0
                and radius(point * (1 - 1e-6), beta, q) < 1 < radius(point * (1 + 1e-6), beta, q)
            ):
                ok = False
                break
        if ok:
            return sp.factor(r)
    raise CatapultError(
        f"no linear-stability edge for step rule {rule.label!r}"
    )  # pragma: no cover
