"""Exact evaluation at random rational points (Schwartz-Zippel checks).

An identity between polynomials is checked by evaluating both sides at random
rational points in exact arithmetic; a false identity survives with negligible
probability. The derivative information the checks need (a Jacobian, a directional
derivative) is read off each polynomial once, in SymPy's sparse polynomial form, not
by re-substituting and re-expanding the expression for every direction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

__all__ = ["random_point", "jacobian_at"]


def random_point(symbols: list[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Expr]:
    """A random exact rational point; the width is a perfect square so sqrt(n) stays rational.

    Args:
        symbols: the coordinates.
        rng: the random source (seeded by the caller, so checks are reproducible).

    Returns:
        ``symbol -> Rational``.

    Example:
        >>> import random, sympy as sp
        >>> n, x = sp.Symbol("n", positive=True), sp.Symbol("x")
        >>> p = random_point([n, x], random.Random(0))
        >>> sp.sqrt(p[n]).is_Integer, p[x].is_Rational
        (True, True)
    """
    point: dict[sp.Symbol, sp.Expr] = {}
    for s in symbols:
        if s.name == "n":
            point[s] = sp.Integer(rng.randint(2, 10**4) ** 2)
        else:
            point[s] = sp.Rational(rng.randint(-(10**6), 10**6), rng.randint(1, 997))
    return point


def _fraction(x: sp.Expr) -> Fraction:
    r = sp.Rational(x)
    return Fraction(int(r.p), int(r.q))


def jacobian_at(
    exprs: list[sp.Expr], variables: list[sp.Symbol], at: dict[sp.Symbol, sp.Expr]
) -> sp.Matrix:
    """The exact Jacobian ``d exprs_i / d variables_j`` at a rational point.

    Args:
        exprs: polynomials in ``variables`` whose every other symbol already has a
            value (rational, or an exact algebraic number such as ``sqrt(2)``).
        variables: the differentiation variables.
        at: an exact value for each variable.

    Returns:
        A ``len(exprs) x len(variables)`` matrix of exact numbers (expanded).


    Example:
        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> jacobian_at([x**2 * y, x + 3 * y], [x, y], {x: 2, y: sp.Rational(1, 2)})
        Matrix([
        [2, 4],
        [1, 3]])
    """
    k = len(variables)
    rational = all(sp.sympify(at[v]).is_Rational for v in variables)
    rows = []
    for e in exprs:
        poly = sp.Poly(e, *variables)
        if rational and (poly.domain.is_QQ or poly.domain.is_ZZ):
            values = [_fraction(at[v]) for v in variables]
            grad = _gradient(poly.terms(), values, _fraction, Fraction(0))
            rows.append([sp.Rational(g.numerator, g.denominator) for g in grad])
        else:  # algebraic numbers (sqrt(d) of a declared input size): exact SymPy arithmetic
            values = [sp.expand(at[v]) for v in variables]
            grad = _gradient(poly.terms(), values, sp.sympify, sp.Integer(0))
            rows.append([sp.expand(g) for g in grad])
    return sp.Matrix(rows) if rows else sp.zeros(0, k)


def _gradient(terms: list, values: list, number: Callable, zero: Any) -> list:
    """The gradient of ``sum coeff * prod x_i^a_i`` at ``values``."""
    grad = [zero] * len(values)
    for monom, coeff in terms:
        c = number(coeff)
        for j, a in enumerate(monom):
            if a == 0:
                continue
            term = c * a
            for i, b in enumerate(monom):
                if b:
                    term *= values[i] ** (b - 1 if i == j else b)
            grad[j] += term
    return grad
