"""Build a :class:`~catapultlab.theory.NumericModel` from a derived (SymPy) model.

Every function is printed from the Model's own expressions by
:func:`~catapultlab.theory._printer.function_source` (as ``lambdify`` would build it, so the
numbers are those of the lambdified expressions), and the kernel's pieces by
:func:`~catapultlab.theory._kernelspec.kernel_spec`.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._boundaries import LAM0
from catapultlab.theory._kernelspec import kernel_spec
from catapultlab.theory._limit import width_limit_of
from catapultlab.theory._numeric import NumericModel
from catapultlab.theory._printer import PrintedFunction, function_source
from catapultlab.theory._serialize import spec_to_json
from catapultlab.theory._spec import WIDTH
from catapultlab.theory._stepkind import StepKind
from catapultlab.theory._steprule import BETA, C_LIN, KAPPA

__all__ = ["build_numeric", "printed_functions"]


def _gram_index(model: Any) -> tuple[tuple[int, int] | None, ...]:
    names = model.gram.spec.vectors
    out: list[tuple[int, int] | None] = []
    for s in model.gram.state:
        a, b = symbol_words(s)
        if a[-1] not in names or b[-1] not in names:
            out.append(None)  # a velocity: zero at init
        else:
            out.append((names.index(a[-1]), names.index(b[-1])))
    return tuple(out)


def _gram_to_state(model: Any) -> PrintedFunction:
    gram = tuple(model.gram.state)
    if tuple(model.state) == gram:
        exprs = list(gram)
    else:  # the state is a projection of the Gram state (uv: f, lam)
        exprs = [model.projection.definitions[s] for s in model.state]
    return function_source("gram_to_state", gram + (WIDTH,), exprs)


def _edges(model: Any) -> tuple[list[PrintedFunction], tuple[tuple[str, str], ...]]:
    """The boundaries' functions: closed forms in c, and the step rule's recursion."""
    kinds, values = [], []
    for name, eta in model.boundaries.items():
        if eta is None or eta.atoms(sp.Function):
            kinds.append((name, "none" if eta is None else "loss_rise"))
            values.append(sp.Integer(0))
        else:
            kinds.append((name, "closed"))
            values.append(eta * LAM0)
    printed = [function_source("edges_closed", (BETA, KAPPA, LAM0), values)]
    rec = model.linear
    if rec is not None:
        printed.append(function_source("recursion_matrix", (C_LIN, BETA), rec.matrix.tolist()))
        printed.append(function_source("stability_edge", (BETA,), rec.stability_edge))
    return printed, tuple(kinds)


def _jacobian(model: Any) -> list[list[sp.Expr]]:
    """``d map_i / d state_j``: the tangent map (periodic orbits, multipliers, Lyapunov)."""
    return [[sp.diff(model.maps[a], b) for b in model.state] for a in model.state]


def printed_functions(model: Any) -> tuple[str, tuple[tuple[str, str], ...], tuple]:
    """The printed NumPy functions of a derived model: ``(source, imports, edge kinds)``.

    The functions are those of :data:`catapultlab.theory._numeric.FUNCTIONS`; ``mu2`` only
    where the model has a residual multiplier.
    """
    args = tuple(model.state) + tuple(model.params)
    mu = model.residual_multiplier
    printed = [
        _gram_to_state(model),
        function_source("observables", args, (list(model.outputs), model.ntk.tolist())),
        function_source("step", args, [model.maps[s] for s in model.state], cse=True),
        function_source("loss", args, model.loss, cse=True),
        function_source("jacobian", args, _jacobian(model), cse=True),
    ]
    if mu is not None:
        printed.append(function_source("mu2", args, mu**2))
    edge_functions, kinds = _edges(model)
    printed += edge_functions
    printed += width_limit_of(model)[1]
    imports = tuple(sorted({pair for p in printed for pair in p.imports}))
    return "\n\n\n".join(p.source for p in printed) + "\n", imports, kinds


def build_numeric(model: Any, restriction: dict[str, Any] | None = None) -> NumericModel:
    """The numeric record of a derived, closed model.

    Args:
        model: a :class:`catapultlab.theory.Model`.
        restriction: the serialised restriction it was derived with (``None``: none).

    Returns:
        Its :class:`NumericModel`.
    """
    source, imports, kinds = printed_functions(model)
    limit, _ = width_limit_of(model)
    mu = model.residual_multiplier
    step = model.step_rule
    return NumericModel(
        key=model.key,
        name=model.name,
        step=StepKind(step.kind, step.weight_decay),
        state=tuple(s.name for s in model.state),
        params=tuple(p.name for p in model.params),
        labels=tuple(s.name for s in model.labels),
        data=tuple(s.name for s in model.data),
        hyper=tuple(s.name for s in model.hyper),
        outputs=len(model.outputs),
        vectors=tuple(model.gram.spec.vectors),
        gram_index=_gram_index(model),
        spec=spec_to_json(model.spec),
        restriction=restriction,
        source=source,
        imports=imports,
        edge_kinds=kinds,
        kernel=kernel_spec(
            model.state,
            model.params,
            model.maps,
            model.loss,
            None if mu is None else sp.expand(mu**2),
        ),
        limit=limit,
    )
