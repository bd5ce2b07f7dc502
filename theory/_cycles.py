"""Exact late-time dynamics of a scalar ``(f, lambda)`` map with a label: the 2-cycle and its onsets.

Where a model's scalar map has an ``n``-free form (``f = n^a g``, ``y = n^a y~``) that is
also homogeneous in the label (``g = y~ phi``, ``lambda = y~ ell``, ``eta = eta_hat / y~``
leave the map unchanged), the late-time dynamics depend on the one number
``eta_hat = eta y~`` (for uv, ``eta y / sqrt(n)``), and the engine derives, exactly:

* the fixed points, their multipliers and the *neutral directions* a line of minima brings
  (multiplier 1 along the line);
* the reachable states: a bound ``|f| <= b lambda`` from the Gram matrix being positive
  semidefinite (for ``f`` an off-diagonal inner product and ``lambda`` a trace:
  ``|u.v| <= (|u|^2 + |v|^2) / 2``);
* the onset of period 2: where the flattest reachable fixed point loses stability (its
  multiplier reaches ``-1``);
* every 2-cycle in closed form: ``lambda`` is eliminated (the maps are linear in it), the
  residual variable ``s = eta_hat (phi - 1)`` (``eta (f - y) / sqrt(n)`` for uv) is found
  by a resultant and its factors, partners are matched on the factors' roots; each cycle's
  ``eta lambda`` values, the trace and determinant of its monodromy matrix, and the
  ``eta_hat`` where a multiplier reaches ``-1`` (the onset of period 4);
* which cycle is the attractor: real, reachable and stable just past the period-2 onset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy as sp

from catapultlab.records import short_repr

__all__ = ["ETA_HAT", "ScalarDynamics", "TwoCycle", "scalar_dynamics"]

ETA_HAT = sp.Symbol("eta_hat", positive=True)
"""The one parameter of a label-homogeneous scalar map: ``eta_hat = eta y~``."""

PHI, ELL = sp.symbols("phi ell", real=True)
"""The normalised state: ``g = y~ phi``, ``lambda = y~ ell``."""


class TwoCycle(NamedTuple):
    """One 2-cycle of the normalised map, in closed form.

    Attributes:
        residual: ``s = eta_hat (phi - 1)`` at its two points.
        eta_lam: ``eta lambda = eta_hat ell`` at its two points.
        trace: trace of its monodromy matrix ``J(x2) J(x1)``.
        det: its determinant.
        flip: the ``eta_hat`` values where a multiplier equals ``-1`` (period 4 is born).
        attractor: it is the attractor just past the period-2 onset (real, reachable,
            stable).
    """

    __repr__ = short_repr

    residual: tuple[sp.Expr, sp.Expr]
    eta_lam: tuple[sp.Expr, sp.Expr]
    trace: sp.Expr
    det: sp.Expr
    flip: tuple[sp.Expr, ...]
    attractor: bool


@dataclass(frozen=True)
class ScalarDynamics:
    """The exact late-time dynamics of a scalar map (see the module docstring).

    Attributes:
        eta_hat: what ``eta_hat`` is in the model's own symbols (``eta y / sqrt(n)`` for uv).
        maps: the normalised map ``{phi: ..., ell: ...}`` in ``eta_hat``.
        fixed_points: solutions of ``phi' = phi, ell' = ell`` (a missing key: any value).
        multipliers: the multipliers at the fixed point ``phi = 1``.
        neutral: how many of them equal 1 (directions along the line of minima).
        reachable: the bound ``|phi| <= reach * ell`` (``None`` if not derived).
        period_two: the ``eta_hat`` where the flattest reachable fixed point flips.
        cycles: every 2-cycle found.
        period_four: the onset of period 4 (the attractor cycle's flip), or ``None``.
    """

    __repr__ = short_repr

    eta_hat: sp.Expr
    maps: dict[sp.Symbol, sp.Expr]
    fixed_points: list[dict[sp.Symbol, sp.Expr]]
    multipliers: list[sp.Expr]
    neutral: int
    reachable: sp.Expr | None
    period_two: sp.Expr | None
    cycles: tuple[TwoCycle, ...]
    period_four: sp.Expr | None


def _normalised(model: Any) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr] | None:
    """The map in ``(phi, ell)`` and ``eta_hat``, if the n-free map is label-homogeneous."""
    maps = model.scaling.scaled_maps
    if set(maps) != {"ftilde", "lam"}:
        return None
    named = {s.name: s for e in maps.values() for s in e.free_symbols}
    g, lam, eta, yt = (named.get(k) for k in ("ftilde", "lam", "eta", "ytilde"))
    if None in (g, lam, eta, yt):
        return None
    sub = {g: yt * PHI, lam: yt * ELL, eta: ETA_HAT / yt}
    out = {
        PHI: sp.expand(maps["ftilde"].xreplace(sub) / yt),
        ELL: sp.expand(maps["lam"].xreplace(sub) / yt),
    }
    if any(e.has(yt) for e in out.values()):
        return None
    (y,) = model.labels
    exponent = model.scaling.output_exponent
    return out, model.params[0] * y / model.params[1] ** exponent


def _reach(model: Any) -> sp.Expr | None:
    """``b`` in ``|phi| <= b ell`` from the Gram matrix being PSD (f off-diagonal, lam a trace)."""
    from catapultlab.theory._algebra import symbol_words
    from catapultlab.theory._model import LAM, F

    defs = model.projection.definitions
    f_def, lam_def = sp.expand(defs.get(F, 0)), sp.expand(defs.get(LAM, 0))
    inner = f_def.free_symbols - {model.params[1]}
    if len(inner) != 1:  # f is not one off-diagonal inner product: no bound derived here
        return None
    (uv,) = inner
    a, b = symbol_words(uv)
    diag = [s for s in lam_def.free_symbols if s.name in (f"{a[-1]}_{a[-1]}", f"{b[-1]}_{b[-1]}")]
    if len(diag) != 2 or sp.simplify(lam_def.coeff(diag[0]) - lam_def.coeff(diag[1])) != 0:
        return None
    ratio = sp.simplify(f_def.coeff(uv) / lam_def.coeff(diag[0]))  # f / lam per unit
    exponent = model.scaling.output_exponent
    return sp.simplify(abs(ratio) / 2 / model.params[1] ** exponent)


def _jacobian(maps: dict[sp.Symbol, sp.Expr]) -> sp.Matrix:
    return sp.Matrix([[sp.diff(maps[a], b) for b in (PHI, ELL)] for a in (PHI, ELL)])


def _period_two(maps: dict, reach: sp.Expr | None) -> tuple[list, list, int, sp.Expr | None]:
    """Fixed points, the multipliers at ``phi = 1``, neutral count, the period-2 onset."""
    fixed = sp.solve([maps[PHI] - PHI, maps[ELL] - ELL], [PHI, ELL], dict=True)
    J = _jacobian(maps).subs(PHI, 1)
    mults = [sp.simplify(m) for m in J.eigenvals(multiple=True)]
    neutral = sum(1 for m in mults if sp.simplify(m - 1) == 0)
    flip = [m for m in mults if m.has(ELL)]
    if reach is None or not flip:
        return fixed, mults, neutral, None
    flattest = 1 / reach  # the reachable fixed points on phi = 1 have ell >= 1 / reach
    onset = sp.solve(sp.Eq(flip[0].subs(ELL, flattest), -1), ETA_HAT)
    return fixed, mults, neutral, (onset[0] if onset else None)


def scalar_dynamics(model: Any) -> ScalarDynamics | None:
    """The exact late-time dynamics of a model with a label-homogeneous scalar map.

    Returns ``None`` where the model has no scalar ``(f, lambda)`` map, no ``n``-free form,
    or a map that is not homogeneous in the label.

    Example:
        >>> from catapultlab.theory import uv_model
        >>> d = scalar_dynamics(uv_model())
        >>> d.eta_hat, d.period_two, d.period_four
        (eta*y/sqrt(n), 1, -1 + sqrt(5))
    """
    if model.scalar is None or model.scaling is None or not model.scaling.exists:
        return None
    return _cached_dynamics(model)


_DYNAMICS: dict[str, Any] = {}
"""Scalar dynamics solved in this process, by cache key."""


def _cached_dynamics(model: Any) -> ScalarDynamics | None:
    """:func:`_solve_dynamics` through memory and the on-disk cache (``dynamics/<key>.pkl``).

    The key is the model's content key and :func:`catapultlab.cache.code_version`, as for
    derived models; ``CATAPULTLAB_NO_MODEL_CACHE=1`` solves every time. A fresh solution is
    returned as stored (through a pickle round trip: SymPy rebuilds ``9*(x - 5)`` as
    ``9*x - 45``), so what is printed never depends on whether the cache was warm.
    """
    import hashlib
    import os
    import pickle

    from catapultlab.cache import NO_CACHE_ENV, code_version, read_entry, write_entry

    if not model.key or os.environ.get(NO_CACHE_ENV):
        return pickle.loads(pickle.dumps(_solve_dynamics(model)))
    key = hashlib.sha256(f"{code_version()}:{model.key}".encode()).hexdigest()[:24]
    if key not in _DYNAMICS:
        payload = read_entry("dynamics", f"{key}.pkl")
        try:
            (_DYNAMICS[key],) = pickle.loads(payload)  # a one-tuple: None is a result too
        except Exception:  # noqa: BLE001 - missing or unreadable: solved again
            payload = pickle.dumps((_solve_dynamics(model),))
            write_entry("dynamics", f"{key}.pkl", payload)
            (_DYNAMICS[key],) = pickle.loads(payload)
    return _DYNAMICS[key]


def _solve_dynamics(model: Any) -> ScalarDynamics | None:
    """The SymPy work of :func:`scalar_dynamics` (fixed points, 2-cycles, their flips)."""
    found = _normalised(model)
    if found is None:
        return None
    maps, eta_hat = found
    reach = _reach(model)
    fixed, mults, neutral, onset2 = _period_two(maps, reach)
    cycles = _two_cycles(maps, reach, onset2)
    attractor = [c for c in cycles if c.attractor]
    four = min(attractor[0].flip, key=float) if attractor and attractor[0].flip else None
    return ScalarDynamics(eta_hat, maps, fixed, mults, neutral, reach, onset2, cycles, four)


# -- 2-cycles ------------------------------------------------------------------------------

_S1, _S2 = sp.symbols("s1 s2", real=True)


def _eliminated(maps: dict) -> tuple[sp.Expr, sp.Expr, Any, Any]:
    """The 2-cycle equations in the residuals ``s1, s2`` after eliminating ``ell1, ell2``."""
    p1, l1, p2, l2 = sp.symbols("phi1 ell1 phi2 ell2", real=True)

    def image(p: sp.Expr, ell: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        return maps[PHI].subs({PHI: p, ELL: ell}), maps[ELL].subs({PHI: p, ELL: ell})

    (f1, g1), (f2, g2) = image(p1, l1), image(p2, l2)
    ell1 = sp.solve(f1 - p2, l1)[0]  # phi' is linear in ell
    ell2 = sp.solve(f2 - p1, l2)[0]
    shift = {p1: 1 + _S1 / ETA_HAT, p2: 1 + _S2 / ETA_HAT}
    a = sp.numer(sp.together((g1 - l2).subs({l1: ell1, l2: ell2}).subs(shift)))
    b = sp.numer(sp.together((g2 - l1).subs({l1: ell1, l2: ell2}).subs(shift)))
    e1 = sp.Lambda((_S1, _S2), ell1.subs(shift))
    e2 = sp.Lambda((_S1, _S2), ell2.subs(shift))
    return sp.expand(a), sp.expand(b), e1, e2


def _roots(resultant: sp.Expr) -> tuple[list[sp.Expr], dict[str, sp.Expr]]:
    """Roots in ``s1`` of the resultant's linear and quadratic factors, and each one's factor.

    ``s1 = 0`` (the fixed points) is left out. Cubic and quartic factors have closed forms
    too, but too large to be read; their cycles are left to the numerical continuation.
    """
    out, factor_of = [], {}
    for factor, _ in sp.factor_list(resultant, _S1)[1]:
        if not factor.has(_S1) or sp.degree(factor, _S1) > 2:
            continue
        for r in sp.solve(factor, _S1):
            if r != 0:
                out.append(r)
                factor_of[sp.srepr(r)] = factor
    return out, factor_of


def _pairs(a: sp.Expr, b: sp.Expr, roots: list[sp.Expr]) -> list[tuple[sp.Expr, sp.Expr]]:
    """The pairs of roots ``(s1, s2)`` that solve both equations, ``s1 != s2``.

    Each root is evaluated at three sampled ``eta_hat`` (40 digits, complex allowed) and the
    equations at every pair: a pair solves them when both vanish to 25 digits at every
    sample (an identity in ``eta_hat`` checked at random points).
    """
    rng = random.Random(0)
    samples = [sp.Rational(rng.randint(1100, 1900), 1000) for _ in range(3)]
    values = [[complex(sp.N(r.subs(ETA_HAT, k), 40)) for k in samples] for r in roots]
    fa = sp.lambdify((_S1, _S2, ETA_HAT), a, "mpmath")
    fb = sp.lambdify((_S1, _S2, ETA_HAT), b, "mpmath")
    import mpmath

    mpmath.mp.dps = 40
    out = []
    for i, r1 in enumerate(roots):
        for j, r2 in enumerate(roots):
            if i == j or max(abs(x - y) for x, y in zip(values[i], values[j], strict=True)) < 1e-20:
                continue
            ok = all(
                abs(f(mpmath.mpc(values[i][t]), mpmath.mpc(values[j][t]), samples[t])) < 1e-12
                for t in range(len(samples))
                for f in (fa, fb)
            )
            if ok:
                out.append((r1, r2))
    return out


def _two_cycles(maps: dict, reach: sp.Expr | None, onset2: sp.Expr | None) -> tuple:
    """Every closed-form 2-cycle, the attractor marked (see the module docstring)."""
    a, b, ell1, ell2 = _eliminated(maps)
    roots, factor_of = _roots(sp.resultant(a, b, _S2))
    monodromy = _monodromy(maps, ell1(_S1, _S2), ell2(_S1, _S2))
    unique: dict[frozenset, TwoCycle] = {}
    for r1, r2 in _pairs(a, b, roots):
        key = frozenset((sp.srepr(r1), sp.srepr(r2)))  # a cycle appears once per start
        if key not in unique:
            trace, det = (_at(e, r1, r2, factor_of) for e in monodromy)
            c = _cycle((r1, r2), (ell1(r1, r2), ell2(r1, r2)), trace, det)
            unique[key] = c._replace(attractor=_is_attractor(c, reach, onset2))
    return tuple(unique.values())


def _monodromy(maps: dict, l1: sp.Expr, l2: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Trace and determinant of ``J(x2) J(x1)`` as rational functions of ``s1, s2, eta_hat``."""
    J = _jacobian(maps)
    x1 = {PHI: 1 + _S1 / ETA_HAT, ELL: l1}
    x2 = {PHI: 1 + _S2 / ETA_HAT, ELL: l2}
    M = J.subs(x2) * J.subs(x1)
    return sp.cancel(sp.together(M.trace())), sp.cancel(sp.together(M.det()))


def _at(expr: sp.Expr, r1: sp.Expr, r2: sp.Expr, factor_of: dict) -> sp.Expr:
    """``expr(s1, s2)`` at a cycle: through Vieta's formulas when the two are conjugate.

    A quantity of the whole cycle (trace, determinant) is symmetric in its two points; at
    the two roots of one quadratic ``q s^2 + p s + r`` it is a rational function of
    ``eta_hat`` (``s1 + s2 = -p/q``, ``s1 s2 = r/q``), with no radicals to simplify.
    """
    from sympy.polys.polyfuncs import symmetrize

    f1, f2 = factor_of.get(sp.srepr(r1)), factor_of.get(sp.srepr(r2))
    direct = sp.factor(sp.simplify(expr.subs({_S1: r1, _S2: r2}))) if f1 != f2 else None
    if direct is not None or sp.degree(f1, _S1) != 2:
        return (
            direct if direct is not None else sp.factor(sp.simplify(expr.subs({_S1: r1, _S2: r2})))
        )
    q, p_, r = sp.Poly(f1, _S1).all_coeffs()
    parts = []
    for side in sp.fraction(expr):
        sym, rest, defs = symmetrize(sp.expand(side), _S1, _S2, formal=True)
        if rest != 0:  # pragma: no cover - a cycle quantity is symmetric
            return sp.factor(sp.simplify(expr.subs({_S1: r1, _S2: r2})))
        values = {d[0]: v for d, v in zip(defs, (-p_ / q, r / q), strict=True)}
        parts.append(sym.subs(values))
    return sp.factor(sp.cancel(parts[0] / parts[1]))


def _cycle(residual: tuple, ell: tuple, trace: sp.Expr, det: sp.Expr) -> TwoCycle:
    """A cycle's closed forms; a multiplier is -1 where ``1 + trace + det = 0``."""
    flip = tuple(
        k
        for k in sp.solve(sp.Eq(sp.numer(sp.together(1 + trace + det)), 0), ETA_HAT)
        if k.is_real and k > 0
    )
    eta_lam = tuple(sp.simplify(sp.radsimp(ETA_HAT * e)) for e in ell)
    return TwoCycle(tuple(sp.simplify(r) for r in residual), eta_lam, trace, det, flip, False)


def _is_attractor(c: TwoCycle, reach: Any, onset2: Any) -> bool:
    """Real, reachable and stable just past the period-2 onset (checked at 50 digits)."""
    if onset2 is None or reach is None:
        return False
    k = onset2 + sp.Rational(1, 1000)
    for s, el in zip(c.residual, c.eta_lam, strict=True):
        phi, ell = (
            sp.N((1 + s / ETA_HAT).subs(ETA_HAT, k), 50),
            sp.N((el / ETA_HAT).subs(ETA_HAT, k), 50),
        )
        if not (phi.is_real and ell.is_real) or abs(phi) > reach * ell * (1 + sp.Float(1e-20)):
            return False
    t, d = sp.N(c.trace.subs(ETA_HAT, k), 50), sp.N(c.det.subs(ETA_HAT, k), 50)
    disc = sp.sqrt(t**2 - 4 * d)
    return all(abs(m) < 1 for m in ((t + disc) / 2, (t - disc) / 2))
