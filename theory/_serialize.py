"""A declaration as plain JSON data, and back (for dask tasks, result files, hashes).

Expressions travel as ``sympy.srepr`` strings; inner-product symbols carry their
words so that a fresh process (a dask worker) rebuilds exactly the same symbols.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from catapultlab import CatapultError
from catapultlab.theory._algebra import _REGISTRY, symbol_words
from catapultlab.theory._derive import inner_symbols_in
from catapultlab.theory._spec import ModelSpec
from catapultlab.theory._steprule import StepRule

__all__ = ["spec_to_json", "spec_from_json"]


def _words(spec: ModelSpec) -> list[list[Any]]:
    out = []
    for f in spec.outputs:
        for s in sorted(inner_symbols_in(sp.sympify(f)), key=str):
            a, b = symbol_words(s)
            out.append([s.name, list(a), list(b)])
    return out


def spec_to_json(spec: ModelSpec) -> dict[str, Any]:
    """Plain data for a declaration.

    Example:
        >>> from catapultlab.theory import uv_spec
        >>> spec_from_json(spec_to_json(uv_spec())) == uv_spec()
        True
    """
    return {
        "name": spec.name,
        "description": spec.description,
        "vectors": list(spec.vectors),
        "matrices": list(spec.matrices),
        "outputs": [sp.srepr(sp.sympify(f)) for f in spec.outputs],
        "targets": [sp.srepr(y) for y in spec.targets],
        "data": [sp.srepr(x) for x in spec.data],
        "words": _words(spec),
        "step": spec.step.to_json(),
    }


def spec_from_json(data: dict[str, Any]) -> ModelSpec:
    """Rebuild a declaration from :func:`spec_to_json` data (registers its symbols)."""
    try:
        for name, a, b in data["words"]:
            _REGISTRY[sp.Symbol(name, real=True)] = (tuple(a), tuple(b))

        def parse(text: str) -> sp.Expr:
            return sp.sympify(text)

        return ModelSpec(
            name=str(data["name"]),
            vectors=tuple(data["vectors"]),
            matrices=tuple(data["matrices"]),
            outputs=tuple(parse(t) for t in data["outputs"]),
            targets=tuple(parse(t) for t in data["targets"]),
            data=tuple(parse(t) for t in data["data"]),
            description=str(data["description"]),
            step=StepRule(**data["step"]),
        )
    except (KeyError, TypeError, ValueError, sp.SympifyError) as err:
        raise CatapultError(f"not a serialised model declaration: {err}") from err
