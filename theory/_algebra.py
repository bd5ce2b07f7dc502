"""Width-free vector algebra: vectors as linear combinations of *words*.

A word is a tuple ``(L1, ..., Lk, base)``: the width-n base vector ``base`` with
the width-n x width-n matrices ``L1 ... Lk`` applied to it (``"W"`` or its
transpose ``"W^T"``).  Gradient descent moves every parameter by a linear
combination of such words, with coefficients that are scalar functions of inner
products, so every quantity a model needs is a polynomial in inner-product
symbols.  No width-n array is ever formed: the width n stays a symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sympy as sp

__all__ = [
    "Word",
    "VecExpr",
    "transpose_letter",
    "inner_symbol",
    "dot",
    "symbol_words",
    "is_inner",
    "pretty_inner",
    "vec",
    "vec_add",
    "vec_scale",
    "inner",
    "apply_letter",
]

Word = tuple[str, ...]
VecExpr = dict[Word, sp.Expr]

_T = "^T"
_REGISTRY: dict[sp.Symbol, tuple[Word, Word]] = {}


def transpose_letter(letter: str) -> str:
    """``W`` <-> ``W^T``."""
    return letter[: -len(_T)] if letter.endswith(_T) else letter + _T


def _canonical(a: Word, b: Word) -> tuple[str, tuple[str, ...], str]:
    """Write ``a . b`` as ``a0 . (M b0)`` with every matrix letter moved right."""
    chain = tuple(transpose_letter(x) for x in reversed(a[:-1])) + b[:-1]
    first = (a[-1], chain, b[-1])
    second = (b[-1], tuple(transpose_letter(x) for x in reversed(chain)), a[-1])
    return min(first, second)


def _name(a0: str, chain: tuple[str, ...], b0: str) -> str:
    middle = "".join(f"{x.replace(_T, 'T')}_" for x in chain)
    return f"{a0}_{middle}{b0}"


def pretty_inner(symbol: sp.Symbol) -> str:
    """Human-readable form of an inner-product symbol, e.g. ``u·W^T W u``."""
    a, b = symbol_words(symbol)
    chain = " ".join(b[:-1])
    return f"{a[-1]}·{chain + ' ' if chain else ''}{b[-1]}"


def inner_symbol(a: Word, b: Word) -> sp.Symbol:
    """The real symbol standing for the inner product ``a . b`` (symmetric, canonical)."""
    a0, chain, b0 = _canonical(a, b)
    symbol = sp.Symbol(_name(a0, chain, b0), real=True)
    _REGISTRY[symbol] = ((a0,), chain + (b0,))
    return symbol


def dot(a: Word | str, b: Word | str) -> sp.Symbol:
    """The inner product of two parameter words, for declaring outputs.

    Args:
        a: a vector name (``"u"``) or a word (``("W", "u")`` for ``W u``).
        b: the same.

    Returns:
        The inner-product symbol.

    Example:
        >>> dot("u", "v"), dot("v", ("W", "u"))
        (u_v, u_WT_v)
    """
    wa = (a,) if isinstance(a, str) else tuple(a)
    wb = (b,) if isinstance(b, str) else tuple(b)
    return inner_symbol(wa, wb)


def is_inner(symbol: sp.Basic) -> bool:
    """Is ``symbol`` an inner-product symbol (made by :func:`inner_symbol`)?"""
    return symbol in _REGISTRY


def symbol_words(symbol: sp.Symbol) -> tuple[Word, Word]:
    """The two words whose inner product a symbol stands for."""
    return _REGISTRY[symbol]


def vec(word: Word | str) -> VecExpr:
    """A single word as a vector expression."""
    return {(word,) if isinstance(word, str) else word: sp.Integer(1)}


def vec_add(*terms: Mapping[Word, sp.Expr]) -> VecExpr:
    """Sum of vector expressions."""
    out: VecExpr = {}
    for term in terms:
        for word, coef in term.items():
            out[word] = out.get(word, sp.Integer(0)) + coef
    return {w: c for w, c in out.items() if c != 0}


def vec_scale(coef: sp.Expr, term: Mapping[Word, sp.Expr]) -> VecExpr:
    """A scalar times a vector expression."""
    return {w: coef * c for w, c in term.items()}


def inner(x: Mapping[Word, sp.Expr], y: Mapping[Word, sp.Expr]) -> sp.Expr:
    """Inner product of two vector expressions, in inner-product symbols."""
    return sp.Add(*(cx * cy * inner_symbol(wx, wy) for wx, cx in x.items() for wy, cy in y.items()))


def apply_letter(
    letter: str,
    term: Mapping[Word, sp.Expr],
    updates: Mapping[str, Iterable[tuple[sp.Expr, Word, Word]]] | None = None,
) -> VecExpr:
    """Apply a matrix letter to a vector expression.

    Args:
        letter: ``"W"`` or ``"W^T"``.
        term: the vector expression it acts on.
        updates: if given, the matrix is the *updated* ``W + sum coef * left right^T``;
            ``updates[W]`` lists ``(coef, left, right)``.

    Returns:
        The resulting vector expression.
    """
    out = vec_add(*({(letter,) + w: c} for w, c in term.items()))
    if updates is None:
        return out
    base = letter[: -len(_T)] if letter.endswith(_T) else letter
    extra: list[VecExpr] = []
    for coef, left, right in updates.get(base, ()):
        if letter.endswith(_T):
            left, right = right, left
        extra.append(vec_scale(coef * inner(vec(right), term), vec(left)))
    return vec_add(out, *extra)
