"""The derivation engine: exact GD step on the parameters -> closed Gram-state map.

Given a :class:`ModelSpec`, :func:`derive_gram` does three things:

1. forms the exact gradient step on every width-n parameter symbolically: each
   vector moves by a linear combination of words, each matrix by a sum of outer
   products of words, with coefficients that are functions of inner products;
2. derives the exact update of the inner products (the Gram state) by expanding
   ``<a', b'>`` -- nothing is truncated, ``n`` stays a symbol;
3. proves closure: the new state must be a function of the old state and the
   hyper-parameters alone.  If the update needs inner products that are not yet
   in the state, they are added and the check repeats; if the state keeps
   growing past ``max_state`` the model has no (small) closed state and
   :class:`NotClosedError` names what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.theory._algebra import (
    VecExpr,
    Word,
    apply_letter,
    inner,
    inner_symbol,
    is_inner,
    pretty_inner,
    symbol_words,
    transpose_letter,
    vec,
    vec_add,
    vec_scale,
)
from catapultlab.theory._budget import stage
from catapultlab.theory._spec import ETA, ModelSpec, velocity_name

__all__ = ["GramDerivation", "NotClosedError", "derive_gram", "inner_symbols_in"]

MatrixStep = list[tuple[sp.Expr, Word, Word]]


class NotClosedError(CatapultError):
    """The model's inner products do not close on a finite state.

    Attributes:
        missing: the inner products the last update needed and the state lacked.
    """

    def __init__(
        self, model: str, missing: list[str], state_size: int, *, detail: str | None = None
    ) -> None:
        self.missing = missing
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        if detail is not None:
            message = f"model {model!r} has no closed state of inner products: {detail}"
        else:
            message = (
                f"model {model!r} has no closed state of inner products: after growing the "
                f"state to {state_size} inner products the update still needs {shown}"
            )
        super().__init__(message)


def inner_symbols_in(expr: sp.Expr | sp.MatrixBase) -> set[sp.Symbol]:
    """The inner-product symbols an expression depends on."""
    return {s for s in expr.free_symbols if is_inner(s)}


def _sort(symbols: set[sp.Symbol]) -> tuple[sp.Symbol, ...]:
    return tuple(sorted(symbols, key=lambda s: (len(s.name), s.name)))


def _vector_gradient(expr: sp.Expr, name: str) -> VecExpr:
    """Gradient of a scalar (a function of inner products) w.r.t. a width-n vector."""
    terms: list[VecExpr] = []
    for s in inner_symbols_in(expr):
        coef = sp.diff(expr, s)
        a, b = symbol_words(s)
        if a[-1] == name:
            terms.append(vec_scale(coef, vec(b)))
        if b[-1] == name:
            back = tuple(transpose_letter(x) for x in reversed(b[:-1])) + a
            terms.append(vec_scale(coef, vec(back)))
    return vec_add(*terms)


def _matrix_gradient(expr: sp.Expr, name: str) -> MatrixStep:
    """Gradient w.r.t. a width-n x width-n matrix, as a sum of outer products."""
    out: MatrixStep = []
    for s in inner_symbols_in(expr):
        coef = sp.diff(expr, s)
        a, b = symbol_words(s)
        chain, a0, b0 = b[:-1], a[-1], b[-1]
        for j, letter in enumerate(chain):
            left = tuple(transpose_letter(x) for x in reversed(chain[:j])) + (a0,)
            right = chain[j + 1 :] + (b0,)
            if letter == name:
                out.append((coef, left, right))
            elif letter == transpose_letter(name):
                out.append((coef, right, left))
    return out


def _ntk(spec: ModelSpec) -> sp.Matrix:
    """Theta_ab = (1/m) sum over parameters <df_a/dtheta, df_b/dtheta>."""
    m = spec.samples
    vec_grads = [{w: _vector_gradient(f, w) for w in spec.vectors} for f in spec.outputs]
    mat_grads = [{W: _matrix_gradient(f, W) for W in spec.matrices} for f in spec.outputs]
    theta = sp.zeros(m, m)
    for a in range(m):
        for b in range(a, m):
            total = sp.Add(*(inner(vec_grads[a][w], vec_grads[b][w]) for w in spec.vectors))
            for W in spec.matrices:
                for ca, la, ra in mat_grads[a][W]:
                    for cb, lb, rb in mat_grads[b][W]:
                        total += ca * cb * inner_symbol(la, lb) * inner_symbol(ra, rb)
            theta[a, b] = theta[b, a] = sp.expand(total / m)
    return theta


@dataclass(frozen=True)
class GramDerivation:
    """The exact GD step of a model, lifted to a closed state of inner products.

    Attributes:
        spec: the model declaration.
        vector_steps: ``w' = w + step[w]`` for each parameter vector (words -> coefficients).
        matrix_steps: ``W' = W + sum coef * left right^T`` for each parameter matrix.
        state: the closed state (inner-product symbols), in a fixed order.
        maps: the new value of each state symbol, in the old state, data and ``eta, n``.
        outputs: ``f_a`` in the state.
        ntk: the empirical NTK ``Theta = (1/m) J J^T`` in the state.
        rounds: how many times the state had to grow before it closed.
    """

    __repr__ = short_repr

    spec: ModelSpec
    vector_steps: dict[str, VecExpr]
    matrix_steps: dict[str, MatrixStep]
    state: tuple[sp.Symbol, ...]
    maps: dict[sp.Symbol, sp.Expr]
    outputs: tuple[sp.Expr, ...]
    ntk: sp.Matrix
    rounds: int = field(default=0)


def _updated_word(
    word: Word, vectors: dict[str, VecExpr], matrices: dict[str, MatrixStep]
) -> VecExpr:
    out = vectors[word[-1]]
    for letter in reversed(word[:-1]):
        out = apply_letter(letter, out, matrices)
    return out


class _Vec:
    """A vector expression with ``+``, ``-`` and scalar ``*`` (for :meth:`StepRule.update`)."""

    def __init__(self, terms: VecExpr) -> None:
        self.terms = terms

    def __add__(self, other: _Vec) -> _Vec:
        return _Vec(vec_add(self.terms, other.terms))

    def __sub__(self, other: _Vec) -> _Vec:
        return _Vec(vec_add(self.terms, vec_scale(sp.Integer(-1), other.terms)))

    def __mul__(self, coef: sp.Expr) -> _Vec:
        return _Vec(vec_scale(coef, self.terms))

    __rmul__ = __mul__


def _vector_steps(spec: ModelSpec, loss: sp.Expr) -> dict[str, VecExpr]:
    """``w' - w`` for every parameter and velocity vector under the spec's step rule."""
    out: dict[str, VecExpr] = {}
    rule = spec.step
    for w in spec.vectors:
        grad = _Vec(_vector_gradient(loss, w))
        trace = _Vec(vec(velocity_name(w))) if rule.has_velocity else _Vec({})
        new_w, new_trace = rule.update(_Vec(vec(w)), trace, grad, ETA)
        out[w] = (new_w - _Vec(vec(w))).terms
        if rule.has_velocity:
            out[velocity_name(w)] = (new_trace - trace).terms
    return out


def _size_words(spec: ModelSpec) -> str:
    """How large a declaration is, in words (for a refusal past the time budget)."""
    inner = inner_symbols_in(sp.Matrix(spec.outputs))
    terms = sum(len(sp.Add.make_args(sp.expand(f))) for f in spec.outputs)
    k = len(spec.vectors) + len(spec.velocities)
    return (
        f"its {len(spec.outputs)} output(s) expand to {terms} monomials in {len(inner)} inner "
        f"products of {k} vectors, so the Gram update holds up to about "
        f"{k * (k + 1) // 2 * terms**2:.2g} terms"
    )


def _matrix_factors(spec: ModelSpec, symbol: sp.Symbol) -> int:
    """How many matrix factors the two words of an inner product hold together."""
    a, b = symbol_words(symbol)
    return sum(w.replace("^T", "") in spec.matrices for w in (*a, *b))


def _close(
    spec: ModelSpec,
    state: set[sp.Symbol],
    updated_vectors: dict[str, Any],
    matrix_steps: dict[str, Any],
    max_state: int,
    max_rounds: int | None,
) -> tuple[set[sp.Symbol], dict[sp.Symbol, sp.Expr], int]:
    """Grow ``state`` until every update is a function of it: (state, maps, rounds)."""
    maps: dict[sp.Symbol, sp.Expr] = {}
    rounds = 0
    longest = max((_matrix_factors(spec, x) for x in state), default=0) + 2
    while True:
        for s in state - set(maps):
            a, b = symbol_words(s)
            new_a = _updated_word(a, updated_vectors, matrix_steps)
            new_b = _updated_word(b, updated_vectors, matrix_steps)
            maps[s] = inner(new_a, new_b)  # exact; left unexpanded (compact for codegen)
        needed: set[sp.Symbol] = set()
        for expr in maps.values():
            needed |= inner_symbols_in(expr)
        missing = needed - state
        if not missing:
            return state, maps, rounds
        grown = [x for x in _sort(missing) if _matrix_factors(spec, x) > longest]
        if grown:
            raise NotClosedError(
                spec.name,
                [pretty_inner(x) for x in grown],
                len(state),
                detail=f"the update needs ever longer words through the matrices "
                f"({pretty_inner(grown[0])} has {_matrix_factors(spec, grown[0])} matrix "
                f"factors, the declaration's inner products at most {longest - 2}): such a "
                "state grows without end",
            )
        if len(state | missing) > max_state or (max_rounds is not None and rounds >= max_rounds):
            raise NotClosedError(spec.name, [pretty_inner(s) for s in _sort(missing)], len(state))
        state = state | missing
        rounds += 1


def derive_gram(
    spec: ModelSpec, *, max_state: int | None = None, max_rounds: int | None = None
) -> GramDerivation:
    """Derive the exact Gram-state map of ``spec`` and prove it closes.

    The state grows until it closes. For a model of vectors alone it is bounded by size:
    it can only gain inner products of the declared vectors (and velocities), so it
    closes within ``k (k + 1) / 2`` of them (an 8-vector chain needs 3 rounds). Words
    through matrices can grow without end: a word with two more matrix factors than the
    declaration's inner products have (``W^T W W^T v`` from ``v . W u``), or a state past
    ``max_state``, stops it.

    Args:
        spec: the model declaration.
        max_state: give up (no closed state) once the state has more inner products
            (default: every inner product of the vectors and velocities, at least 40).
        max_rounds: give up once the state has grown this many times without closing
            (default: no round limit; the size bound decides).

    Returns:
        The derivation; every map is a function of the state, data, labels, ``eta``, ``n``.

    Raises:
        NotClosedError: the update keeps needing inner products outside the state.

    Example:
        >>> from catapultlab.theory import uv_spec
        >>> d = derive_gram(uv_spec())
        >>> [s.name for s in d.state]
        ['u_u', 'u_v', 'v_v']
    """
    if max_state is None:
        k = len(spec.vectors) + len(spec.velocities)
        max_state = max(40, k * (k + 1) // 2)
    stage("declaration size")
    size = _size_words(spec)
    stage("gradient step", size)
    loss = spec.loss()
    vector_steps = _vector_steps(spec, loss)
    if spec.matrices and (spec.step.has_velocity or spec.step.weight_decay):
        raise NotClosedError(
            spec.name,
            list(spec.matrices),
            0,
            detail="the Gram engine moves matrices by plain GD only (momentum or weight decay "
            f"on {', '.join(spec.matrices)}); the exact parameter-space simulator runs it",
        )
    matrix_steps = {
        W: [(-ETA * c, left, right) for c, left, right in _matrix_gradient(loss, W)]
        for W in spec.matrices
    }
    updated_vectors = {w: vec_add(vec(w), step) for w, step in vector_steps.items()}
    theta = _ntk(spec)
    state = set(inner_symbols_in(sp.Matrix(spec.outputs))) | inner_symbols_in(theta)
    stage("Gram update")
    state, maps, rounds = _close(spec, state, updated_vectors, matrix_steps, max_state, max_rounds)
    order = _sort(state)
    return GramDerivation(
        spec=spec,
        vector_steps=vector_steps,
        matrix_steps=matrix_steps,
        state=order,
        maps={s: maps[s] for s in order},
        outputs=tuple(spec.outputs),
        ntk=theta,
        rounds=rounds,
    )
