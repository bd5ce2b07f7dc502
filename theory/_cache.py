"""Derived models in the one on-disk cache, keyed by the declaration's content.

A warm ``sweep`` or ``simulate`` then spends no time in SymPy. Each entry is a sealed
file of :mod:`catapultlab.cache` (``<cache>/models/<key>.pkl``) holding the pickled
``(inner-product words, Model)``. The key covers the declaration's content (outputs,
parameters, data, step rule, a restriction), :data:`ENGINE_VERSION` and
:func:`catapultlab.cache.code_version` (the package's source and the SymPy, NumPy and
Numba versions); an entry that fails its seal is derived again (one line), never loaded.
Set ``CATAPULTLAB_NO_MODEL_CACHE=1`` to derive every time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys

import sympy as sp

from catapultlab.cache import NO_CACHE_ENV, code_version, read_entry, write_entry
from catapultlab.theory._algebra import _REGISTRY, symbol_words
from catapultlab.theory._budget import derivation_budget
from catapultlab.theory._derive import inner_symbols_in
from catapultlab.theory._derive_model import ENGINE_VERSION, derive_uncached, spec_key
from catapultlab.theory._model import Model
from catapultlab.theory._spec import ModelSpec

__all__ = ["derive", "model_key"]

KIND = "models"

_MEMORY: dict[str, Model] = {}
"""Models derived in this process, by cache key (a model is kept as long as the process)."""


def model_key(spec: ModelSpec, restriction: ModelSpec | None = None) -> str:
    """The cache key of a derivation: declaration, restriction, engine and code versions."""
    parts = spec_key(spec) + (spec_key(restriction) if restriction is not None else "")
    text = f"{ENGINE_VERSION}:{code_version()}:{parts}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _words(model: Model) -> dict[sp.Symbol, tuple]:
    outputs = inner_symbols_in(sp.Matrix([sp.sympify(f) for f in model.gram.spec.outputs]))
    return {s: symbol_words(s) for s in set(model.gram.state) | outputs}


def _load(key: str) -> Model | None:
    payload = read_entry(KIND, f"{key}.pkl")
    if payload is None:
        return None
    try:
        words, model = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - any unreadable payload is derived again
        print(f"catapultlab: cached model {key}.pkl is unreadable; deriving again", file=sys.stderr)
        return None
    _REGISTRY.update(words)
    return model


def derive(spec: ModelSpec, *, restriction: ModelSpec | None = None) -> Model:
    """Derive a :class:`Model` from a declaration, through a cache keyed by its content.

    The derivation itself is :func:`catapultlab.theory.derive_uncached`: the Gram lift
    and closure proof, the projection, the boundaries, the scaling and the catapult time.
    Derived models are kept in memory and on disk (see the module docstring).

    Args:
        spec: the declaration.
        restriction: as for :func:`derive_uncached`.

    Returns:
        The derived model, carrying ``spec``'s own name and description.

    Example:
        >>> from catapultlab.theory import StepRule, uv_spec
        >>> m = derive(uv_spec(StepRule("momentum")))
        >>> m.boundaries["lazy_catapult"], m.edges(beta=0.5)["lazy_catapult"]
        (2*(beta + 1)/lam0, 3.0)
    """
    from catapultlab.theory._specs_check import check_spec

    check_spec(spec)  # before the content key reads the outputs (one line for bad input)
    key = model_key(spec, restriction)
    model = _MEMORY.get(key)
    cached = not os.environ.get(NO_CACHE_ENV)
    if model is None and cached:
        model = _load(key)
    if model is None:
        with derivation_budget(spec.name):
            model = derive_uncached(spec, restriction=restriction)
        if cached:
            payload = pickle.dumps((_words(model), model), protocol=pickle.HIGHEST_PROTOCOL)
            write_entry(KIND, f"{key}.pkl", payload)
    _MEMORY[key] = model
    if (model.name, model.description) != (spec.name, spec.description):
        gram = dataclasses.replace(model.gram, spec=spec)
        model = dataclasses.replace(model, name=spec.name, description=spec.description, gram=gram)
    return model
