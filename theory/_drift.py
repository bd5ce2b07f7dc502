"""Small-learning-rate drift of the sharpness: when a model sharpens and when it flattens.

For a small step the NTK moves by ``Theta' - Theta = eta D(x) + O(eta^2)``, with
``D = sum_s dTheta/ds * dF_s/deta`` at ``eta = 0`` (``F`` the one-step map, ``x`` the state).
For one output the sharpness is ``lam = Theta`` and its drift is ``eta D``: it *sharpens*
where ``D > 0`` and *flattens* where ``D < 0``. For several outputs the top eigenvalue
drifts by ``eta v^T D v`` (``v`` its unit eigenvector); the matrix ``D`` is reported.
Written in the observables (``f``, ``lam``) where the state is projected on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._spec import ETA

__all__ = ["SharpnessDrift", "sharpness_drift"]


@dataclass(frozen=True)
class SharpnessDrift:
    """The leading-order drift ``Theta' - Theta = eta D + O(eta^2)``.

    Attributes:
        drift: ``D`` (a 1x1 or m x m matrix) in the model's state and parameters.
        factored: ``D`` factored (the 1x1 entry; ``None`` for several outputs).
        outputs: m.
    """

    __repr__ = short_repr

    drift: sp.Matrix
    factored: sp.Expr | None
    outputs: int

    @property
    def statement(self) -> str:
        """When the model sharpens and when it flattens, in words."""
        if self.factored is None:
            return (
                "the top NTK eigenvalue drifts by eta v^T D v (v its eigenvector): it "
                "sharpens where that is positive"
            )
        return f"lam' - lam = eta * ({self.factored}) + O(eta**2): sharpens where this is > 0"


def _in_outputs(model: Any) -> dict[sp.Symbol, sp.Expr]:
    """Inner products written through the outputs ``f``/``f_a`` where the outputs fix them.

    Where the outputs are linear in exactly as many Gram entries as there are outputs
    (uv: ``f = <u, v> / sqrt(n)``), those entries are solved for; otherwise nothing is.
    """
    outputs = list(model.outputs)
    if any(not isinstance(f, sp.Expr) for f in outputs):
        return {}
    gram = sorted(set().union(*(f.free_symbols for f in outputs)) & set(model.gram.state), key=str)
    if len(gram) != len(outputs) or any(sp.Poly(f, *gram).total_degree() != 1 for f in outputs):
        return {}
    names = ["f"] if len(outputs) == 1 else [f"f_{a + 1}" for a in range(len(outputs))]
    values = [sp.Symbol(k, real=True) for k in names]
    solved = sp.solve([f - v for f, v in zip(outputs, values, strict=True)], gram, dict=True)
    return solved[0] if len(solved) == 1 else {}


def sharpness_drift(model: Any) -> SharpnessDrift:
    """Derive the small-``eta`` drift of the NTK of a closed model.

    Example:
        >>> from catapultlab.theory import uv_model
        >>> sharpness_drift(uv_model()).factored
        4*f*(-f + y)/n
    """
    ntk = model.ntk
    drift = sp.zeros(*ntk.shape)
    for s in model.state:
        speed = sp.diff(model.maps[s], ETA).subs(ETA, 0)
        if speed != 0:
            drift += ntk.diff(s) * speed
    outputs = _in_outputs(model)
    one = drift.shape == (1, 1)
    tidy = sp.factor if one else sp.cancel  # several outputs: factoring the matrix is costly
    drift = drift.applyfunc(lambda e: tidy(sp.expand(e.xreplace(outputs))))
    return SharpnessDrift(drift=drift, factored=drift[0, 0] if one else None, outputs=ntk.shape[0])
