"""Derive a model's infinite-width limit: its rescaled map and the limit law of its init.

See :mod:`catapultlab.theory._limit_record` for what is derived. The expansion is exact:
every Gram entry is written ``G_ij = n delta_ij + sqrt(n) Z_ij``, ``n = epsilon^-2``, each
state variable's definition is rescaled by ``n^(-b_s)`` and expanded in ``epsilon`` to
first order. A negative power of ``epsilon`` means the rescaled init grows with ``n``: no
limit, and the reason says which variable.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._limit_record import WidthLimit
from catapultlab.theory._printer import PrintedFunction, function_source
from catapultlab.theory._spec import WIDTH

__all__ = ["derive_width_limit", "width_limit_of"]

_EPS = sp.Symbol("epsilon", positive=True)


def _gram_pairs(model: Any) -> list[tuple[sp.Symbol, tuple[int, int] | None]]:
    """Each Gram-state symbol and its vector pair (``None`` for a velocity)."""
    names = model.gram.spec.vectors
    out = []
    for s in model.gram.state:
        a, b = symbol_words(s)
        plain = len(a) == 1 and len(b) == 1 and a[0] in names and b[0] in names
        out.append((s, (names.index(a[0]), names.index(b[0])) if plain else None))
    return out


def _is_velocity(s: sp.Symbol) -> bool:
    """Does the Gram entry involve a momentum trace (zero at init)?"""
    return any(w[-1].startswith("vel_") for w in symbol_words(s))


def _definitions(model: Any) -> list[sp.Expr]:
    if tuple(model.state) == tuple(model.gram.state):
        return list(model.gram.state)
    return [model.projection.definitions[s] for s in model.state]


def _no_limit(reason: str) -> tuple[WidthLimit, list[PrintedFunction]]:
    return WidthLimit(reason=reason), []


def derive_width_limit(model: Any) -> tuple[WidthLimit, list[PrintedFunction]]:
    """The infinite-width limit of a derived model and its two printed functions.

    Args:
        model: a closed :class:`catapultlab.theory.Model`.

    Returns:
        The record and the printed ``limit_center`` / ``limit_fluctuation`` (none when
        there is no limit).

    Example:
        >>> from catapultlab.theory import uv_model
        >>> limit, printed = derive_width_limit(uv_model())
        >>> limit.state_exponents, limit.fluctuations
        ((0.5, 0.0), ('z_u_u', 'z_u_v', 'z_v_v'))
        >>> print(printed[0].source.splitlines()[-1].strip())
        return [0, 2]
    """
    scaling = model.scaling
    if scaling is None or not scaling.exists:
        why = "no width scaling was derived" if scaling is None else scaling.reason
        return _no_limit(f"the rescaled map keeps n ({why})")
    pairs = _gram_pairs(model)
    if any(g is None and not _is_velocity(s) for s, g in pairs):
        return _no_limit("a Gram entry is not an inner product of two parameter vectors")
    z = {s: sp.Symbol(f"z_{s.name}", real=True) for s, g in pairs if g is not None}
    sub = {WIDTH: _EPS**-2}
    for s, g in pairs:
        sub[s] = 0 if g is None else (_EPS**-2 if g[0] == g[1] else 0) + _EPS**-1 * z[s]
    center, fluct = [], []
    for sym, expr in zip(model.state, _definitions(model), strict=True):
        b = scaling.exponents[sym]
        scaled = sp.expand(sp.powsimp(expr.xreplace(sub) * _EPS ** (2 * b), force=True))
        series = sp.expand(sp.series(scaled, _EPS, 0, 2).removeO())
        low = [t for t in sp.Add.make_args(series) if t.as_coeff_exponent(_EPS)[1] < 0]
        if low:
            order = max(-t.as_coeff_exponent(_EPS)[1] / 2 for t in low)
            return _no_limit(
                f"the n-removing rescaling divides {sym.name} by n^({b}), but its init is "
                f"of order n^({b + order}): the rescaled init grows with n"
            )
        center.append(series.coeff(_EPS, 0))
        fluct.append(series.coeff(_EPS, 1))
    args = list(z.values())
    record = WidthLimit(
        state_exponents=tuple(float(scaling.exponents[s]) for s in model.state),
        eta_exponent=float(scaling.eta_exponent),
        label_exponent=float(scaling.output_exponent),
        ntk_exponent=float(-scaling.eta_exponent),
        output_init_exponent=float(scaling.output_init_exponent or 0),
        fluctuations=tuple(a.name for a in args),
        variances=tuple(2.0 if g[0] == g[1] else 1.0 for s, g in pairs if g is not None),
        random_center=any(c.free_symbols & set(args) for c in center),
    )
    printed = [
        function_source("limit_center", args, center),
        function_source("limit_fluctuation", args, fluct),
    ]
    return record, printed


def width_limit_of(model: Any) -> tuple[WidthLimit, list[PrintedFunction]]:
    """:func:`derive_width_limit` of ``model``, derived once per model object."""
    known = model.__dict__.get("_width_limit")
    if known is None:
        known = model.__dict__["_width_limit"] = derive_width_limit(model)
    return known
