"""What the derived uv model predicts for the report: edges, exponents, times, never typed in.

Every predicted number the report shows comes from one derived
:class:`catapultlab.theory.Model` (``catapultlab.theory.uv_model()``, looked up at each
call, so the report follows the theory): :meth:`~catapultlab.theory.Model.predict` with
its one table of which edge each measured quantity is compared with
(:data:`catapultlab.theory.COMPARED_WITH`), :meth:`~catapultlab.theory.Model.edges`, the
peak-loss and NTK-drift exponents and the catapult time. Network sweeps are compared
through :func:`catapultlab.validate.comparison_table`, which asks the same table.

Example:
    >>> edges()["catapult_divergent"], compared("c_max")["relation"]
    (4.0, '=')
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LAZY",
    "DIVERGENT",
    "compared",
    "edges",
    "edge_formula",
    "theory_model",
    "width_power",
]

LAZY = "lazy_catapult"
"""The lazy/catapult edge (linear stability of the step rule)."""

DIVERGENT = "catapult_divergent"
"""The catapult/divergent edge (large-|f| growth)."""


def theory_model() -> Any:
    """The derived uv model under plain GD that predicts every uv and network number."""
    from catapultlab.theory import uv_model

    return uv_model()


def edges(**hyper: float) -> dict[str, float | None]:
    """The derived edges in units of ``c = eta lambda_0`` (``Model.edges``).

    Args:
        **hyper: step-rule values (``beta``, ``kappa``, ``lam0``).
    """
    return theory_model().edges(**hyper)


def compared(quantity: str, note: str = "") -> dict[str, Any]:
    """The prediction for a measured quantity as keyword arguments of ``Comparison.make``.

    Args:
        quantity: a key of :data:`catapultlab.theory.COMPARED_WITH` (``c_loss_rises``,
            ``c_divergent``, ``eta_lam_final``, ...).
        note: words appended to the prediction's source.

    Returns:
        ``{"predicted": ..., "relation": ..., "source": ...}`` from ``Model.predict``.
    """
    p = theory_model().predict(quantity)
    return {
        "predicted": p.value,
        "relation": p.relation,
        "source": p.source + (f"; {note}" if note else ""),
    }


def width_power(exponent: Any) -> str:
    """``n`` to a derived power, printed (``sqrt(n)`` for ``1/2``).

    Example:
        >>> width_power(theory_model().scaling.output_exponent)
        'sqrt(n)'
    """
    from catapultlab.theory import WIDTH

    return str(WIDTH**exponent)


def edge_formula(model: Any, edge: str) -> str:
    """A derived edge as a formula in ``c = eta lambda_0`` (``2*beta + 2`` under heavy ball).

    Example:
        >>> edge_formula(theory_model(), LAZY)
        '2'
    """
    import sympy as sp

    from catapultlab.theory import LAM0

    return str(sp.simplify(model.boundaries[edge] * LAM0))
