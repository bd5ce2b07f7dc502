"""Refuse a bad declaration with one line, before any derivation starts."""

from __future__ import annotations

import sympy as sp

from catapultlab import CatapultError
from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._derive import NotClosedError, inner_symbols_in
from catapultlab.theory._spec import VELOCITY_PREFIX, WIDTH, ModelSpec

__all__ = ["check_spec"]


def _letters(symbol: sp.Symbol) -> set[str]:
    a, b = symbol_words(symbol)
    return {x.replace("^T", "") for x in a + b}


def _check_output(spec: ModelSpec, a: int, f: object, names: list[str], allowed: set) -> set:
    """Check output ``a``: a finite polynomial in declared inner products; its inner products."""
    if isinstance(f, str):  # sympify('u.v') would read an attribute of a symbol
        raise CatapultError(
            f"output {a + 1} of {spec.name!r} is the string {f!r}: build outputs with "
            "dot('u', 'v') (and SymPy arithmetic), not text"
        )
    f = sp.sympify(f)
    if f.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise CatapultError(f"output {a + 1} of {spec.name!r} has a non-finite number: {f}")
    inner = inner_symbols_in(f)
    for s in inner:
        unknown = _letters(s) - set(names)
        if unknown:
            raise CatapultError(
                f"output {a + 1} of {spec.name!r} uses undeclared parameter(s) "
                f"{', '.join(sorted(unknown))} (declared: {', '.join(names)})"
            )
    if not inner:
        raise CatapultError(
            f"output {a + 1} of {spec.name!r} does not depend on the parameters: {f}"
        )
    other = f.free_symbols - inner - allowed
    if other:
        raise CatapultError(
            f"output {a + 1} of {spec.name!r} has symbols that are neither inner products "
            f"(build them with dot(...)) nor n, labels or data: "
            f"{', '.join(sorted(map(str, other)))}"
        )
    try:
        sp.Poly(f, *sorted(inner, key=str))
    except sp.PolynomialError:
        bad = [t for t in sp.preorder_traversal(f) if isinstance(t, sp.Function)]
        term = bad[0] if bad else f
        raise NotClosedError(
            spec.name,
            [str(term)],
            0,
            detail=f"output {a + 1} is not a polynomial in inner products: "
            f"the term {term} has no exact Gram-state update",
        ) from None
    offset = sp.Poly(f, *sorted(inner, key=str)).coeff_monomial(1)
    frozen = sorted(map(str, sp.sympify(offset).free_symbols & set(spec.data)))
    if frozen:
        raise CatapultError(
            f"output {a + 1} of {spec.name!r} adds data {', '.join(frozen)} with no "
            "parameter (a bias?): data are frozen inputs, so it would never train, and "
            "scalar parameters are not supported; drop it or fold a fixed offset into "
            "the labels"
        )
    return inner


def check_spec(spec: ModelSpec) -> None:
    """Raise on an unknown vector, a non-polynomial output, or one without parameters.

    Args:
        spec: the declaration.

    Raises:
        CatapultError: unknown names, an output without parameters, unknown symbols.
        NotClosedError: a non-polynomial output (names the offending term).
    """
    if not isinstance(spec, ModelSpec):
        raise CatapultError(f"expected a ModelSpec, got {type(spec).__name__}")
    if not spec.vectors:
        raise CatapultError(f"model {spec.name!r} declares no parameter vectors")
    names = list(spec.vectors) + list(spec.matrices)
    if len(set(names)) != len(names):
        raise CatapultError(f"model {spec.name!r} declares a parameter name twice: {names}")
    for w in names:
        if not w.isidentifier() or w.startswith(VELOCITY_PREFIX) or "_" in w:
            raise CatapultError(
                f"parameter name {w!r} must be an identifier without '_' "
                f"(and not start with {VELOCITY_PREFIX!r})"
            )
    if len(spec.targets) != len(spec.outputs) or not spec.outputs:
        raise CatapultError(
            f"model {spec.name!r} needs one label per output, got {len(spec.outputs)} outputs "
            f"and {len(spec.targets)} labels"
        )
    allowed = {WIDTH, *spec.targets, *spec.data}
    for a, f in enumerate(spec.outputs):
        inner = _check_output(spec, a, f, names, allowed)
        f = sp.sympify(f)
        coeffs = sp.Poly(f, *sorted(inner, key=str)).coeffs()
        for coef in coeffs:
            if any(isinstance(t, sp.Function) for t in sp.preorder_traversal(coef)):
                raise NotClosedError(
                    spec.name,
                    [str(coef)],
                    0,
                    detail=f"output {a + 1} has a non-polynomial coefficient {coef}",
                )
