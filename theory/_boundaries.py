"""Phase boundaries derived from a closed scalar (f, lambda) map.

Everything here is computed from the map; no boundary is typed in:

* fixed points of the map and the Jacobian there -> the lazy/catapult boundary,
  where a multiplier of the linearised f-update leaves the unit disk;
* the leading behaviour of ``lambda' - lambda`` at large ``|f|`` -> the
  catapult/divergent boundary, where lambda starts to grow instead of shrink;
* a change of variables ``f = n^a g`` (and ``y = n^a y~``) that removes ``n``;
* the leading-order catapult time from the linearised growth of ``f``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from catapultlab.records import short_repr

__all__ = ["ScalarBoundaries", "derive_scalar_boundaries", "LAM0", "C"]

LAM0 = sp.Symbol("lam0", positive=True)
"""The NTK eigenvalue at initialisation."""

C = sp.Symbol("c", positive=True)
"""The control parameter c = eta * lam0."""


@dataclass(frozen=True)
class ScalarBoundaries:
    """What :func:`derive_scalar_boundaries` finds.

    Attributes:
        fixed_points: solutions of ``f' = f, lam' = lam`` (a missing ``lam`` key: any lam).
        jacobian: the Jacobian of ``(f', lam')`` on the label fixed point ``f = y``.
        multipliers: its eigenvalues.
        lazy_catapult: learning rate (in ``lam0``) where the f-multiplier reaches -1.
        catapult_divergent: learning rate where lambda stops shrinking at large |f|.
        large_f_growth: the leading coefficient of ``lam' - lam`` as ``|f| -> oo``.
        scaling_exponent: ``a`` such that ``f = n^a g, y = n^a y~`` removes n (None if none).
        scaled_maps: the maps of ``(ftilde, lam)`` in that scaling (free of n).
        catapult_time: leading-order steps until |f| reaches its nonlinear scale,
            as a function of ``n`` and ``c`` (for ``|f_0| = O(1)``).
        catapult_time_exact_linear: ``log(|f_nl| / |f_0|) / log|mu|`` before the leading-order step.
    """

    __repr__ = short_repr

    fixed_points: list[dict[sp.Symbol, sp.Expr]]
    jacobian: sp.Matrix
    multipliers: list[sp.Expr]
    lazy_catapult: sp.Expr
    catapult_divergent: sp.Expr
    large_f_growth: sp.Expr
    scaling_exponent: sp.Expr | None
    scaled_maps: dict[str, sp.Expr]
    catapult_time: sp.Expr
    catapult_time_exact_linear: sp.Expr


def _positive_root(expr: sp.Expr, eta: sp.Symbol) -> sp.Expr:
    roots = [r for r in sp.solve(sp.Eq(expr, 0), eta) if r != 0]
    positive = [r for r in roots if sp.ask(sp.Q.positive(r)) is not False]
    if len(positive) != 1:
        raise ValueError(f"expected one positive learning-rate root of {expr}, got {roots}")
    return sp.simplify(positive[0])


def _n_exponents(expr: sp.Expr, n: sp.Symbol) -> set[sp.Expr]:
    exps = set()
    for term in sp.Add.make_args(sp.expand(sp.powsimp(sp.expand(expr), force=True))):
        _, e = sp.powsimp(term, force=True).as_coeff_exponent(n)
        exps.add(sp.simplify(e))
    return exps


def _scaling(
    fmap: sp.Expr, lmap: sp.Expr, f: sp.Symbol, lam: sp.Symbol, y: sp.Symbol, n: sp.Symbol
) -> tuple[sp.Expr | None, dict[str, sp.Expr]]:
    a = sp.Symbol("a", real=True)
    g, yt = sp.Symbol("ftilde", real=True), sp.Symbol("ytilde", real=True)
    sub = {f: n**a * g, y: n**a * yt}
    g_new = sp.expand(fmap.xreplace(sub) / n**a)
    l_new = sp.expand(lmap.xreplace(sub))
    equations = {e for e in _n_exponents(g_new, n) | _n_exponents(l_new, n) if e != 0}
    solutions = sp.solve(list(equations), a, dict=True) if equations else [{a: sp.Integer(0)}]
    if len(solutions) != 1:
        return None, {}
    exponent = solutions[0][a]
    scaled = {
        "ftilde": sp.simplify(sp.powsimp(g_new.subs(a, exponent), force=True)),
        "lam": sp.simplify(sp.powsimp(l_new.subs(a, exponent), force=True)),
    }
    if any(e.has(n) for e in scaled.values()):
        return None, {}
    return exponent, scaled


def derive_scalar_boundaries(
    fmap: sp.Expr,
    lmap: sp.Expr,
    *,
    f: sp.Symbol,
    lam: sp.Symbol,
    eta: sp.Symbol,
    n: sp.Symbol,
    y: sp.Symbol,
) -> ScalarBoundaries:
    """Derive the phase boundaries of a closed map ``(f, lam) -> (fmap, lmap)``.

    Args:
        fmap: the new f in ``f, lam, eta, n, y``.
        lmap: the new lambda.
        f: output symbol.
        lam: NTK symbol.
        eta: learning rate symbol.
        n: width symbol.
        y: label symbol.

    Returns:
        The derived boundaries and scalings.
    """
    fixed = sp.solve([sp.expand(fmap - f), sp.expand(lmap - lam)], [f, lam], dict=True)
    jac = sp.Matrix([fmap, lmap]).jacobian([f, lam]).subs(f, y)
    jac = jac.applyfunc(sp.simplify)
    multipliers = list(jac.eigenvals())
    f_multiplier = sp.simplify(jac[0, 0])
    # |mu| = 1 with mu = d f'/d f at the fixed point: mu = -1 is the period-doubling edge
    lazy_catapult = _positive_root(f_multiplier + 1, eta).subs(lam, LAM0)
    growth = sp.Poly(sp.expand(lmap - lam), f).LC()
    catapult_divergent = _positive_root(growth, eta).subs(lam, LAM0)
    exponent, scaled = _scaling(fmap, lmap, f, lam, y, n)
    # linearised growth of f about f = 0 (label 0): f_t = mu^t f_0, nonlinear once g = O(1)
    mu = sp.diff(fmap, f).subs({f: 0, y: 0}).subs(eta, C / lam)
    f0 = sp.Symbol("f0", positive=True)
    nonlinear_scale = n ** (exponent if exponent is not None else sp.Rational(1, 2))
    exact_time = sp.log(nonlinear_scale / f0) / sp.log(sp.Abs(sp.simplify(mu)))
    leading = sp.limit(exact_time / sp.log(n), n, sp.oo) * sp.log(n)
    return ScalarBoundaries(
        fixed_points=fixed,
        jacobian=jac,
        multipliers=multipliers,
        lazy_catapult=lazy_catapult,
        catapult_divergent=catapult_divergent,
        large_f_growth=sp.factor(growth),
        scaling_exponent=exponent,
        scaled_maps=scaled,
        catapult_time=sp.simplify(leading),
        catapult_time_exact_linear=exact_time,
    )
