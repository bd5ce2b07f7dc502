"""The width scaling of a model, derived from its declaration and its Gaussian init.

Two sets of power laws in ``n`` are derived, never assumed:

* **init exponents**: under the standard init (entries N(0, 1)) a Gram entry
  ``<w_i, w_i>`` is of order ``n``, ``<w_i, w_j>`` (``i != j``) of order ``sqrt(n)``
  (its standard deviation), and a velocity starts at zero. A state variable's init
  exponent is the leading exponent of its definition; the learning rate scales as
  ``eta ~ n^(-e_lambda)`` so that ``c = eta lambda_0`` is of order one, and a weight
  decay ``kappa`` like ``lambda``;
* **rescaling exponents** ``b``: with every state variable ``s = n^(b_s) s~``,
  ``eta = n^(b_eta) eta~``, labels ``y = n^(b_f) y~`` (labels scale like outputs) and
  the NTK kept at its init order, every term of every map must lose ``n``. This is a
  linear system in the exponents, solved exactly; no solution or several mean the model
  has no (unique) ``n``-removing rescaling, and :class:`Scaling` says so.

The output's nonlinear scale is ``n^(b_f)``, its init scale ``n^(e_f)``: the linear
catapult growth ``|f_t| ~ |z|^t |f_0|`` reaches the nonlinear scale after
``(b_f - e_f) log n / log |z|`` steps, ``z`` the step rule's fastest multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._spec import ETA, WIDTH

__all__ = ["Scaling", "derive_scaling", "leading_exponent"]

_ZERO = None  # marker: the quantity vanishes at init


@dataclass(frozen=True)
class Scaling:
    """The derived width scaling of a model (see the module docstring).

    Attributes:
        init_exponents: init order ``n^e`` of each state variable (``None``: zero at init).
        eta_exponent: ``eta ~ n^(b_eta)`` (so that ``eta lambda_0 = O(1)``).
        exponents: rescaling exponent ``b_s`` of each state variable (empty if none).
        output_exponent: ``b_f``, the nonlinear scale of the outputs (and labels).
        output_init_exponent: ``e_f``, the init scale of the outputs.
        scaled_maps: the maps in the rescaled variables (free of ``n``), by name.
        reason: why there is no rescaling (empty when there is one).
    """

    __repr__ = short_repr

    init_exponents: dict[sp.Symbol, sp.Expr | None]
    eta_exponent: sp.Expr
    exponents: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    output_exponent: sp.Expr | None = None
    output_init_exponent: sp.Expr | None = None
    scaled_maps: dict[str, sp.Expr] = field(default_factory=dict)
    reason: str = ""

    @property
    def exists(self) -> bool:
        """Was an ``n``-removing rescaling found?"""
        return not self.reason


def _scaled(s: sp.Symbol) -> sp.Symbol:
    """The rescaled variable ``s~ = s / n^p``, named ``<name>tilde`` (``f -> ftilde``)."""
    return sp.Symbol(f"{s.name}tilde", real=True)


def leading_exponent(expr: sp.Expr, exponents: dict[sp.Symbol, sp.Expr | None]) -> sp.Expr | None:
    """The largest power of ``n`` among the terms of ``expr`` (``None`` if it vanishes).

    Args:
        expr: a polynomial in the symbols of ``exponents`` (coefficients may hold ``n``).
        exponents: ``s -> e_s`` with ``s ~ n^(e_s)``; ``None`` means ``s = 0``.

    Returns:
        The leading exponent (terms are assumed not to cancel).
    """
    sub = {s: (0 if e is None else WIDTH**e * _scaled(s)) for s, e in exponents.items()}
    powers = _term_exponents(sp.expand(expr.xreplace(sub)))
    return max(powers, key=lambda e: float(e)) if powers else None


def _term_exponents(expr: sp.Expr) -> list[sp.Expr]:
    out = []
    for term in sp.Add.make_args(sp.powsimp(expr, force=True)):
        if term == 0:
            continue
        _, e = sp.powsimp(term, force=True).as_coeff_exponent(WIDTH)
        out.append(sp.nsimplify(e))
    return out


def _init_exponents(
    state: tuple[sp.Symbol, ...],
    definitions: dict[sp.Symbol, sp.Expr],
    gram_init: dict[sp.Symbol, sp.Expr | None],
) -> dict[sp.Symbol, sp.Expr | None]:
    if all(s in gram_init for s in state):
        return {s: gram_init[s] for s in state}
    return {s: leading_exponent(definitions[s], gram_init) for s in state}


def derive_scaling(
    *,
    state: tuple[sp.Symbol, ...],
    maps: dict[sp.Symbol, sp.Expr],
    outputs: tuple[sp.Expr, ...],
    ntk: sp.Matrix,
    labels: tuple[sp.Symbol, ...],
    hyper: tuple[sp.Symbol, ...],
    definitions: dict[sp.Symbol, sp.Expr],
    gram_init: dict[sp.Symbol, sp.Expr | None],
    max_terms: int = 4000,
    max_scaled: int = 4,
) -> Scaling:
    """Derive init exponents and the ``n``-removing rescaling of a closed map.

    Args:
        state: the model's state symbols.
        maps: their one-step maps.
        outputs: the outputs in the state.
        ntk: the NTK in the state.
        labels: label symbols (scale like the outputs).
        hyper: step-rule symbols (``beta`` is O(1); ``kappa`` scales like ``lambda``).
        definitions: observable state symbol -> its Gram expression.
        gram_init: init exponent of each Gram entry.
        max_terms: refuse (reason given) when the expanded maps are larger.
        max_scaled: write out the rescaled maps only for states this small (the
            equations already prove they are free of n).

    Returns:
        The scaling; ``reason`` names the failure when there is no rescaling.
    """
    init = _init_exponents(state, definitions, gram_init)
    ntk_init = [leading_exponent(e, init) for e in ntk if e != 0]
    ntk_init = [e for e in ntk_init if e is not None]
    lam_exponent = max(ntk_init, key=float) if ntk_init else sp.Integer(0)
    eta_exp = -lam_exponent
    out = Scaling(init_exponents=init, eta_exponent=eta_exp)
    b = {s: sp.Symbol(f"b_{i}") for i, s in enumerate(state)}
    b_f = sp.Symbol("b_f")
    weights = dict(b)
    weights[ETA] = eta_exp
    weights |= {y: b_f for y in labels}
    weights |= {k: lam_exponent for k in hyper if k.name == "kappa"}
    pieces = [(maps[s], b[s]) for s in state] + [(f, b_f) for f in outputs]
    pieces += [(e, lam_exponent) for e in ntk if e != 0]
    equations = _exponent_equations(pieces, weights, max_terms)
    if isinstance(equations, str):
        return _no(out, equations)
    unknowns = list(b.values()) + [b_f]
    solutions = sp.linsolve(list(equations), unknowns)
    if not solutions:
        return _no(out, "no power-law rescaling of the state removes n from every map")
    (solution,) = solutions
    if any(v.free_symbols for v in solution):
        return _no(out, "the n-removing rescaling is not unique")
    values = dict(zip(unknowns, solution, strict=True))
    exponents = {s: values[b[s]] for s in state}
    powers = {
        **{s: exponents[s] for s in state},
        ETA: eta_exp,
        **{y: values[b_f] for y in labels},
        **{k: lam_exponent for k in hyper if k.name == "kappa"},
    }
    renamed = {k for k in hyper if k.name == "kappa"}  # kappa is always written kappatilde
    scaled = _scaled_maps(state, maps, powers, renamed) if len(state) <= max_scaled else {}
    if any(e.has(WIDTH) for e in scaled.values()):  # pragma: no cover - the equations say not
        return _no(out, "the rescaled maps still depend on n")
    f_init = [leading_exponent(f, init) for f in outputs]
    f_init = [e for e in f_init if e is not None]
    return Scaling(
        init_exponents=init,
        eta_exponent=eta_exp,
        exponents=exponents,
        output_exponent=values[b_f],
        output_init_exponent=max(f_init, key=float) if f_init else None,
        scaled_maps=scaled,
    )


def _exponent_equations(
    pieces: list[tuple[sp.Expr, sp.Expr]], weights: dict[sp.Symbol, sp.Expr], max_terms: int
) -> set[sp.Expr] | str:
    """Linear equations in the unknown exponents that make every term scale as its target.

    Each piece is ``(expression, target exponent)``; every monomial of the expression in
    the weighted symbols must scale like ``n^target``. Returns why not, as text, when a
    coefficient is not a power of ``n`` or the expansion exceeds ``max_terms`` terms.
    """
    gens = list(weights)
    # data enter coefficients only: fix them at random rationals (exponents are generic)
    free = set().union(*(e.free_symbols for e, _ in pieces)) - set(gens) - {WIDTH}
    data = {x: sp.Rational(3 + 2 * i, 7 + i) for i, x in enumerate(sorted(free, key=str))}
    equations: set[sp.Expr] = set()
    for expr, target in pieces:
        poly = sp.Poly(sp.expand(expr.xreplace(data)), *gens)
        if len(poly.terms()) > max_terms:
            return f"the expanded maps exceed {max_terms} terms"
        for monom, coeff in poly.terms():
            powers = _term_exponents(sp.expand(coeff))
            if any(p is None for p in powers):
                return f"a coefficient is not a power of n: {coeff}"
            base = sum(k * weights[g] for k, g in zip(monom, gens, strict=True))
            equations |= {sp.expand(base + p - target) for p in powers}
    return equations


def _scaled_maps(
    state: tuple[sp.Symbol, ...],
    maps: dict[sp.Symbol, sp.Expr],
    powers: dict[sp.Symbol, sp.Expr],
    renamed: set[sp.Symbol],
) -> dict[str, sp.Expr]:
    """The maps in the rescaled variables ``x = n^p x~``.

    A symbol keeps its name when ``p = 0``, except those in ``renamed``.
    """
    sub = {
        k: WIDTH**v * (k if v == 0 and k not in renamed else _scaled(k)) for k, v in powers.items()
    }
    scaled = {}
    for s in state:
        e = sp.powsimp(sp.expand(maps[s].xreplace(sub) / WIDTH ** powers[s]), force=True)
        scaled[(s if powers[s] == 0 else _scaled(s)).name] = sp.expand(e, force=True)
    return scaled


def _no(base: Scaling, reason: str) -> Scaling:
    return Scaling(
        init_exponents=base.init_exponents, eta_exponent=base.eta_exponent, reason=reason
    )


def _exponent_of(term: sp.Expr) -> sp.Expr | None:
    """The exponent of ``n`` in a product term (symbolic in the unknown exponents)."""
    total = sp.Integer(0)
    for factor in sp.Mul.make_args(term):
        base, ex = factor.as_base_exp()
        if base == WIDTH:
            total += ex
        elif isinstance(base, sp.Pow) and base.base == WIDTH:
            total += base.exp * ex
        elif factor.has(WIDTH):
            return None
    return total
