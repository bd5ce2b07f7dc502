"""Which theory edge each layer's measured boundary is compared with: one table.

The simulator and the network sweeps measure boundaries under their own names; each is
compared with one derived edge of the model (:attr:`catapultlab.theory.Model.boundaries`),
in units of ``c = eta lambda_0``:

====================  =====================  ========  ==============================================
measured quantity     theory edge            relation  what is measured
====================  =====================  ========  ==============================================
``c_loss_rises``      ``loss_rises``         ``=``     sim: c where half the trajectories' losses rise
``c_loss``            ``loss_rises``         ``=``     validate: smallest c whose loss rises above L0
``c_divergent``       ``catapult_divergent`` ``=``     sim: c where half the trajectories diverge
``c_max``             ``catapult_divergent`` ``=``     validate: largest c that does not diverge
``eta_lam_final``     ``lazy_catapult``      ``<=``    a catapult lands where linearised GD is stable
``eta_sharp_final``   ``lazy_catapult``      ``<=``    the same for the Hessian sharpness
``c_best_test_acc``   ``lazy_catapult``      ``>``     the best test accuracy lies above the lazy edge
====================  =====================  ========  ==============================================

:func:`prediction` reads the table; :meth:`catapultlab.theory.Model.predict` and
:meth:`catapultlab.theory.NumericModel.predict` answer with it, so validate and reproduce
compare the same quantity with the same edge.
"""

from __future__ import annotations

from typing import NamedTuple

from catapultlab.records import short_repr

__all__ = ["COMPARED_WITH", "Prediction", "prediction"]


class Compared(NamedTuple):
    """One row of :data:`COMPARED_WITH`."""

    edge: str
    relation: str
    measured: str


COMPARED_WITH: dict[str, Compared] = {
    "c_loss_rises": Compared("loss_rises", "=", "c where half the trajectories' losses rise"),
    "c_loss": Compared("loss_rises", "=", "smallest c whose loss rises above L0"),
    "c_divergent": Compared("catapult_divergent", "=", "c where half the trajectories diverge"),
    "c_max": Compared("catapult_divergent", "=", "largest c that does not diverge"),
    "eta_lam_final": Compared("lazy_catapult", "<=", "eta * lambda at the end of a catapult"),
    "eta_sharp_final": Compared("lazy_catapult", "<=", "eta * Hessian sharpness at the end"),
    "c_best_test_acc": Compared("lazy_catapult", ">", "c of the best test accuracy"),
}
"""Each layer's measured quantity -> the theory edge it is compared with (module docstring)."""


class Prediction(NamedTuple):
    """What theory predicts for one measured quantity.

    Attributes:
        quantity: the measured quantity (a key of :data:`COMPARED_WITH`).
        edge: the theory edge it is compared with.
        value: the edge in ``c`` (``None`` where the model has no such edge).
        relation: how the measurement is compared (``"="``, ``"<="``, ``">"``).
        source: how the edge was obtained (the model's boundary note).
    """

    __repr__ = short_repr

    quantity: str
    edge: str
    value: float | None
    relation: str
    source: str


def prediction(
    quantity: str, edges: dict[str, float | None], notes: dict[str, str], model: str
) -> Prediction:
    """The prediction for ``quantity`` from a model's edges in ``c`` and their notes.

    Raises:
        KeyError: a quantity the table does not know.
    """
    row = COMPARED_WITH[quantity]
    how = notes.get(row.edge, "")
    return Prediction(
        quantity,
        row.edge,
        edges.get(row.edge),
        row.relation,
        f"{model} {row.edge}" + (f" ({how})" if how else ""),
    )
