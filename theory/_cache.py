"""Derived models cached on disk, keyed by the declaration's content hash.

A warm ``sweep`` or ``simulate`` then spends no time in SymPy. Each entry is
``<user cache>/models/<key>.pkl``: a SHA-256 of the payload, a newline, and the
pickled ``(inner-product words, Model)``. The key covers the declaration's content
(outputs, parameters, data, step rule, a restriction), :data:`ENGINE_VERSION` and a
hash of the theory layer's source files;
a payload whose hash does not match is derived again (one warning line), never
loaded. Writes are atomic (temporary file in the same folder, then ``os.replace``).
The cache root is the package's one user cache (``$CATAPULTLAB_CACHE_DIR``, else the
platformdirs user cache; see :mod:`catapultlab._cache`); set
``CATAPULTLAB_NO_MODEL_CACHE=1`` to derive every time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import sympy as sp

from catapultlab.theory._algebra import _REGISTRY, symbol_words
from catapultlab.theory._derive import inner_symbols_in
from catapultlab.theory._derive_model import ENGINE_VERSION, derive_uncached, spec_key
from catapultlab.theory._model import Model
from catapultlab.theory._spec import ModelSpec

__all__ = ["derive", "model_cache_dir"]

_MEMORY: dict[str, Model] = {}


def model_cache_dir() -> Path | None:
    """Where derived models are stored (``None`` if the folder cannot be made)."""
    from catapultlab._cache import cache_root

    path = cache_root() / "models"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


@functools.cache
def _source_hash() -> str:
    """Hash of the theory layer's source: any code change derives models anew."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _key(spec: ModelSpec, restriction: ModelSpec | None) -> str:
    parts = spec_key(spec) + (spec_key(restriction) if restriction is not None else "")
    text = f"{ENGINE_VERSION}:{_source_hash()}:{parts}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _words(model: Model) -> dict[sp.Symbol, tuple]:
    outputs = inner_symbols_in(sp.Matrix([sp.sympify(f) for f in model.gram.spec.outputs]))
    return {s: symbol_words(s) for s in set(model.gram.state) | outputs}


def _load(path: Path) -> Model | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, _, payload = raw.partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        print(f"catapultlab: cached model {path.name} is corrupt; deriving again", file=sys.stderr)
        return None
    try:
        words, model = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - any unreadable payload is re-derived
        print(
            f"catapultlab: cached model {path.name} is unreadable; deriving again", file=sys.stderr
        )
        return None
    _REGISTRY.update(words)
    return model


def _store(path: Path, model: Model) -> None:
    payload = pickle.dumps((_words(model), model), protocol=pickle.HIGHEST_PROTOCOL)
    data = hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def derive(spec: ModelSpec, *, restriction: ModelSpec | None = None) -> Model:
    """Derive a :class:`Model` from a declaration, through a cache keyed by its content.

    The derivation itself is :func:`catapultlab.theory.derive_uncached`: the Gram lift
    and closure proof, the projection, the boundaries, the scaling and the catapult time.
    Derived models are kept in memory and on disk (see the module docstring).

    Args:
        spec: the declaration.
        restriction: as for :func:`derive`.

    Returns:
        The derived model, carrying ``spec``'s own name and description.

    Example:
        >>> from catapultlab.theory import StepRule, uv_spec
        >>> m = derive(uv_spec(StepRule("momentum")))
        >>> m.boundaries["lazy_catapult"], m.edges(beta=0.5)["lazy_catapult"]
        (2*(beta + 1)/lam0, 3.0)
    """
    key = _key(spec, restriction)
    model = _MEMORY.get(key)
    folder = None if os.environ.get("CATAPULTLAB_NO_MODEL_CACHE") else model_cache_dir()
    if model is None and folder is not None:
        model = _load(folder / f"{key}.pkl")
    if model is None:
        model = derive_uncached(spec, restriction=restriction)
        if folder is not None:
            _store(folder / f"{key}.pkl", model)
    _MEMORY[key] = model
    if (model.name, model.description) != (spec.name, spec.description):
        gram = dataclasses.replace(model.gram, spec=spec)
        model = dataclasses.replace(model, name=spec.name, description=spec.description, gram=gram)
    return model
