"""Check a model's own linearisation against its step rule's recursion (exact arithmetic).

At a zero-residual fixed point (labels equal to the outputs, velocities zero) the
Jacobian of the exact Gram-state map is computed at a random rational point, with
rational ``eta`` and ``beta``. Its characteristic polynomial must contain the factor
``prod_i p(z; eta theta_i, beta)`` -- ``p`` the step rule's recursion polynomial,
``theta_i`` the NTK eigenvalues at the point (a resultant, so no eigenvalue is ever
computed) -- and its remaining factor must not depend on ``eta`` and have no root
outside the unit disk. Then the model's linear-stability edge is the rule's edge at
the top eigenvalue: it is derived from the model, not assumed.
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._derive import GramDerivation
from catapultlab.theory._exact import jacobian_at, random_point
from catapultlab.theory._spec import ETA, VELOCITY_PREFIX
from catapultlab.theory._steprule import BETA, C_LIN, LinearRecursion

__all__ = ["linearisation_matches"]

_Z = sp.Symbol("z")


def _rule_factor(rec: LinearRecursion, ntk: sp.Matrix, eta: sp.Expr, beta: sp.Expr) -> sp.Expr:
    theta = sp.Symbol("theta")
    p = rec.charpoly.subs({C_LIN: eta * theta, BETA: beta})
    chi = (theta * sp.eye(ntk.shape[0]) - ntk).det()
    res = sp.resultant(sp.expand(chi), sp.expand(p), theta)
    return sp.Poly(res, _Z).monic()


def linearisation_matches(gram: GramDerivation, rec: LinearRecursion, points: int = 2) -> bool:
    """Does the model's fixed-point linearisation contain its step rule's recursion?

    Args:
        gram: the closed Gram derivation (no weight decay).
        rec: the step rule's recursion.
        points: random points tried.

    Returns:
        ``True`` when, at every point, the recursion factor divides the Jacobian's
        characteristic polynomial and the rest is ``eta``-free with no root outside
        the unit disk.
    """
    spec = gram.spec
    rng = random.Random(7)
    symbols = sorted(set(gram.state) | set(spec.data) | {sp.Symbol("n", positive=True)}, key=str)
    for _ in range(points):
        point = random_point(symbols, rng)
        for s in gram.state:
            if any(w[-1].startswith(VELOCITY_PREFIX) for w in symbol_words(s)):
                point[s] = sp.Integer(0)
        width = {s: v for s, v in point.items() if s.name == "n"}
        fit = [f.xreplace(point).xreplace(width) for f in gram.outputs]
        labels = dict(zip(spec.targets, fit, strict=True))
        ntk = gram.ntk.xreplace(point)
        beta = sp.Rational(rng.randint(1, 9), 10)
        rests = []
        for eta in (sp.Rational(rng.randint(1, 50), 97), sp.Rational(rng.randint(51, 99), 97)):
            values = {ETA: eta, BETA: beta, **labels}
            values |= {s: point[s] for s in point if s not in gram.state}
            state = list(gram.state)
            maps = [gram.maps[r].xreplace(values) for r in state]
            J = jacobian_at(maps, state, {s: point[s] for s in state})
            full = sp.Poly((_Z * sp.eye(J.shape[0]) - J).det(method="berkowitz"), _Z)
            factor = _rule_factor(rec, ntk, eta, beta)
            quotient, remainder = sp.div(full, factor)
            if not remainder.is_zero:
                return False
            rests.append(quotient)
        if rests[0] != rests[1]:
            return False
        rest = rests[0].sqf_part()  # simple roots: no sqrt(eps) error from repeated ones
        roots = np.roots([float(c) for c in rest.all_coeffs()]) if rest.degree() > 0 else []
        if len(roots) and np.max(np.abs(roots)) > 1 + 1e-9:
            return False
    return True
