"""Projection of a Gram-state map onto the observables people reason with (f, Theta, lambda)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._derive import GramDerivation
from catapultlab.theory._exact import jacobian_at, random_point

__all__ = ["Projection", "project"]


@dataclass(frozen=True)
class Projection:
    """The update of a set of observables, and whether it closes in the observables.

    Attributes:
        observables: the observable symbols, in order.
        definitions: each observable as a (linear) function of the Gram state.
        maps: the new value of each observable written in the observables alone
            (only when every observable closes; empty otherwise).
        missing: for each observable, the state symbols its update still needs beyond
            the observables (empty tuple = that update closes in the observables).
    """

    __repr__ = short_repr

    observables: tuple[sp.Symbol, ...]
    definitions: dict[sp.Symbol, sp.Expr]
    maps: dict[sp.Symbol, sp.Expr]
    missing: dict[sp.Symbol, tuple[sp.Symbol, ...]]

    @property
    def closed(self) -> bool:
        """Do all observables close by themselves?"""
        return not any(self.missing.values())


POINTS = 3
"""Random rational points at which an identity is checked exactly (Schwartz-Zippel)."""


def project(derivation: GramDerivation, definitions: dict[sp.Symbol, sp.Expr]) -> Projection:
    """Decide which observable updates close in the observables, and write them there.

    The observables are linear in the Gram state.  An updated observable is a
    function of the observables alone iff its derivative along every state
    direction the observables cannot see (the null space of their Jacobian)
    vanishes identically.  Both sides are polynomial, so this is checked in exact
    rational arithmetic at :data:`POINTS` random points (Schwartz-Zippel: a false
    "closes" has probability below 1e-15); the state coordinates of a
    non-vanishing direction are reported as missing.  If everything closes, the
    closed maps are written in the observables by an exact linear elimination.

    Args:
        derivation: a closed Gram-state derivation.
        definitions: observable symbol -> its expression in the state.

    Returns:
        The projection.
    """
    state = list(derivation.state)
    rng = random.Random(0)
    jac = sp.Matrix([list(definitions.values())]).T.jacobian(state)
    everything = sorted(
        set().union(*(e.free_symbols for e in derivation.maps.values())) | set(state), key=str
    )
    need: dict[sp.Symbol, set[sp.Symbol]] = {obs: set() for obs in definitions}
    for _ in range(POINTS):
        point = random_point(everything, rng)
        params = {s: v for s, v in point.items() if s not in state}
        null = jac.xreplace(params).nullspace()
        if not null:
            continue
        # d/dt obs(M(p + t z)) at t = 0 is grad obs(M(p)) . J_M(p) z (chain rule, exact)
        at = {s: point[s] for s in state}
        maps_jac = jacobian_at([derivation.maps[s].xreplace(params) for s in state], state, at)
        moved = {s: derivation.maps[s].xreplace(point) for s in state}
        obs_jac = jacobian_at([e.xreplace(params) for e in definitions.values()], state, moved)
        for z in null:
            rates = obs_jac * (maps_jac * z)
            for obs, rate in zip(definitions, rates, strict=True):
                if sp.expand(rate) != 0:
                    need[obs] |= {s for s, zj in zip(state, z, strict=True) if zj != 0}
    missing = {obs: tuple(s for s in state if s in need[obs]) for obs in definitions}
    maps: dict[sp.Symbol, sp.Expr] = {}
    if not any(missing.values()):
        equations = [expr - obs for obs, expr in definitions.items()]
        solutions = sp.solve(equations, state, dict=True)
        # dependent observables (e.g. f_1, f_2 with d = 1) admit no joint elimination:
        # the closure verdict stands, the maps are then left in the Gram state only
        for obs, expr in definitions.items() if len(solutions) == 1 else ():
            elimination = solutions[0]
            new = expr.xreplace(derivation.maps)
            maps[obs] = sp.factor_terms(sp.expand(new.xreplace(elimination)))
    return Projection(tuple(definitions), dict(definitions), maps, missing)
