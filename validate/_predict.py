"""The one place validate looks up derived phase edges (in units of ``c = eta lambda_0``).

For plain gradient descent the edges come from the theory layer's uv model,
``catapultlab.theory.uv_model().boundaries`` (SymPy learning rates in the symbol
``LAM0``; ``c = eta * lam0``):

* ``lazy_catapult``: the f-multiplier of the linearised map reaches -1;
* ``loss_rises``: the theory's own ``loss_rises`` edge when it has one; in the uv model
  the loss of the linearised map grows exactly when ``|f-multiplier| > 1``, so until
  theory names it separately it is the ``lazy_catapult`` edge;
* ``catapult_divergent``: lambda stops shrinking at large ``|f|``.

Other step rules (momentum, Nesterov, Adam) need their own derived maps; until the
theory layer provides them this module refuses rather than substitute the GD values.
"""

from __future__ import annotations

import functools

from catapultlab._errors import CatapultError

__all__ = ["EDGE_KEYS", "adam_edge", "predicted_edges"]

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


def predicted_edges(
    optimizer: str = "gd", momentum: float | None = None, weight_decay: float = 0.0
) -> dict[str, float | None]:
    """Derived edges in ``c`` units for one step rule.

    Args:
        optimizer: ``gd``, ``momentum``, ``nesterov`` or ``adam``.
        momentum: the momentum coefficient (unused for ``gd``).
        weight_decay: weight decay ``K``.

    Returns:
        ``{"lazy_catapult": c, "loss_rises": c, "catapult_divergent": c}`` (``None`` where
        the model has no such edge).

    Raises:
        CatapultError: the step rule has no derived edges in this build.

    Example:
        >>> predicted_edges("gd")
        {'lazy_catapult': 2.0, 'loss_rises': 2.0, 'catapult_divergent': 4.0}
    """
    if optimizer == "gd" and not momentum and weight_decay == 0:
        return dict(_gd_edges())
    what = optimizer if optimizer != "gd" else "gd with weight decay"
    raise CatapultError(f"derived edges for {what} are not in this build")


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
