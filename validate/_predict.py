"""Which derived model predicts a network's edges, and what it predicts.

A network trained with an optax optimizer is compared with the theory layer's uv model
under the same step rule (its ``d = m = 1`` restriction: the model this build derives
for every optimizer it supports). Every number comes from
:meth:`catapultlab.theory.Model.predict` and its one table of which edge each measured
quantity is compared with (:data:`catapultlab.theory.COMPARED_WITH`): ``c_loss`` with
``loss_rises``, ``c_max`` with ``catapult_divergent``, ``eta lambda_final`` with
``lazy_catapult``. Adam has no derived map: its rows carry no prediction, and
:func:`adam_edge` gives the literature value reported beside its measurement.
"""

from __future__ import annotations

from typing import Any

from catapultlab import CatapultError

__all__ = ["EDGE_KEYS", "adam_edge", "predicted_edges", "step_rule_of", "theory_model"]

EDGE_KEYS: tuple[str, ...] = ("lazy_catapult", "loss_rises", "catapult_divergent")


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


def theory_model(optimizer: str = "gd", weight_decay: float = 0.0, mode: str = "decoupled") -> Any:
    """The derived model that predicts a network's edges (uv under the optimizer's rule).

    Raises:
        CatapultError: Adam (no derived map in this build).
    """
    from catapultlab.theory import uv_model

    rule = step_rule_of(optimizer, weight_decay, mode)
    if rule is None:
        raise CatapultError(f"derived edges for {optimizer} are not in this build")
    return uv_model(rule)


def hyper_values(optimizer: str, momentum: float | None, weight_decay: float) -> dict[str, float]:
    """The step-rule values of an optimizer configuration (``beta`` 0.9 by default)."""
    beta = 0.0 if optimizer == "gd" else (0.9 if momentum is None else float(momentum))
    return {"beta": beta, "kappa": float(weight_decay)}


def predicted_edges(
    optimizer: str = "gd",
    momentum: float | None = None,
    weight_decay: float = 0.0,
    mode: str = "decoupled",
    lam0: float = 1.0,
) -> dict[str, float | None]:
    """Derived edges in ``c`` units for one step rule (:meth:`Model.edges` of :func:`theory_model`).

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
    model = theory_model(optimizer, weight_decay, mode)
    return model.edges(**hyper_values(optimizer, momentum, weight_decay), lam0=float(lam0))


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
