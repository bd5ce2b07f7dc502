"""The one place validate looks up derived phase edges (in units of ``c = eta lambda_0``).

For plain gradient descent the edges come from the theory layer's uv model,
``catapultlab.theory.uv_model().boundaries`` (SymPy learning rates in the symbol
``LAM0``; ``c = eta * lam0``):

* ``lazy_catapult``: the f-multiplier of the linearised map reaches -1;
* ``loss_rises``: the theory's own ``loss_rises`` edge when it has one; in the uv model
  the loss of the linearised map grows exactly when ``|f-multiplier| > 1``, so until
  theory names it separately it is the ``lazy_catapult`` edge;
* ``catapult_divergent``: lambda stops shrinking at large ``|f|``.

Momentum and Nesterov (with or without weight decay) take the edges the theory layer
derives for that step rule (``uv_model(StepRule(...)).edges(beta=..., kappa=...)``):
the linear-stability edge ``2 + 2 beta`` (heavy ball), the loss-rises edge, and no
large-|f| edge (none is derived under momentum). Adam has no derived map: refused.
"""

from __future__ import annotations

import functools
from typing import Any

from catapultlab import CatapultError

__all__ = ["EDGE_KEYS", "adam_edge", "predicted_edges", "step_rule_of"]

EDGE_KEYS: tuple[str, ...] = ("lazy_catapult", "loss_rises", "catapult_divergent")


@functools.cache
def _gd_edges() -> dict[str, float | None]:
    import sympy as sp

    from catapultlab.theory import LAM0, uv_model

    bounds = uv_model().boundaries
    exprs = {
        "lazy_catapult": bounds.get("lazy_catapult"),
        "loss_rises": bounds.get("loss_rises", bounds.get("lazy_catapult")),
        "catapult_divergent": bounds.get("catapult_divergent"),
    }
    out: dict[str, float | None] = {}
    for key, expr in exprs.items():
        c = None if expr is None else sp.simplify(sp.sympify(expr) * LAM0)
        out[key] = None if c is None or c.free_symbols else float(c)
    return out


def step_rule_of(optimizer: str, weight_decay: float = 0.0, mode: str = "decoupled") -> Any:
    """The theory layer's :class:`StepRule` for an optax optimizer (``None`` for Adam).

    ``momentum``/``nesterov`` are ``optax.trace(beta, nesterov)``: the heavy-ball and
    Nesterov rules of the theory layer; ``l2`` decay goes into the gradient,
    ``decoupled`` after the trace (AdamW-style).
    """
    from catapultlab.theory import StepRule

    if optimizer not in ("gd", "momentum", "nesterov"):
        return None
    return StepRule(optimizer, (mode if weight_decay else None))


def predicted_edges(
    optimizer: str = "gd",
    momentum: float | None = None,
    weight_decay: float = 0.0,
    mode: str = "decoupled",
    lam0: float = 1.0,
) -> dict[str, float | None]:
    """Derived edges in ``c`` units for one step rule, from the theory layer's uv model.

    Args:
        optimizer: ``gd``, ``momentum``, ``nesterov`` or ``adam``.
        momentum: the momentum coefficient (unused for ``gd``; default 0.9 otherwise).
        weight_decay: weight decay ``K``.
        mode: ``decoupled`` or ``l2`` (how the decay enters).
        lam0: the initial NTK eigenvalue (enters only with weight decay, as ``K / lam0``).

    Returns:
        ``{"lazy_catapult": c, "loss_rises": c, "catapult_divergent": c}`` (``None`` where
        the model has no such edge, e.g. no large-|f| edge under momentum).

    Raises:
        CatapultError: Adam (its edge is a literature value, see :func:`adam_edge`).

    Example:
        >>> predicted_edges("gd")
        {'lazy_catapult': 2.0, 'loss_rises': 2.0, 'catapult_divergent': 4.0}
        >>> predicted_edges("momentum", 0.5)["lazy_catapult"]
        3.0
    """
    if optimizer == "gd" and not momentum and weight_decay == 0:
        return dict(_gd_edges())
    rule = step_rule_of(optimizer, weight_decay, mode)
    if rule is None:
        raise CatapultError(f"derived edges for {optimizer} are not in this build")
    from catapultlab.theory import uv_model

    beta = 0.0 if optimizer == "gd" else (0.9 if momentum is None else float(momentum))
    return uv_model(rule).edges(beta=beta, kappa=float(weight_decay), lam0=float(lam0))


def adam_edge(beta1: float) -> float:
    """Adam's stability edge for ``eta`` times the preconditioned sharpness.

    ``(2 + 2 beta_1) / (1 - beta_1)`` (Cohen et al. 2022, "Adaptive gradient methods at
    the edge of stability"): a literature value reported beside measurements, not a
    derived edge of this package.

    Example:
        >>> round(adam_edge(0.9), 9)
        38.0
    """
    return (2.0 + 2.0 * beta1) / (1.0 - beta1)
