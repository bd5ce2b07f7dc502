"""Numeric models in the one on-disk cache: a warm run builds them with no SymPy.

Entries of :mod:`catapultlab.cache` under ``numeric/``, JSON (:meth:`NumericModel.to_json`):

* ``m_<model key>_<restriction hash>_<code version>.json``: the record of a derived model;
* ``r_<request hash>.json``: the record of a built-in model asked for by name (``uv``,
  ``full`` with its sizes, a step rule), so a warm ``catapultlab sweep uv`` neither builds
  the declaration nor derives it.

A record is used only when the declaration it stores equals the one asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

from catapultlab import CatapultError
from catapultlab.cache import NO_CACHE_ENV, code_version, read_entry, write_entry
from catapultlab.theory._numeric import NumericModel
from catapultlab.theory._stepkind import StepKind

__all__ = ["numeric_of", "builtin_numeric", "numeric_from_declaration"]

KIND = "numeric"


def _short(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _load(name: str) -> NumericModel | None:
    if os.environ.get(NO_CACHE_ENV):
        return None
    payload = read_entry(KIND, name)
    if payload is None:
        return None
    try:
        return NumericModel.from_json(payload.decode())
    except (ValueError, TypeError, KeyError):
        return None


def _store(name: str, numeric: NumericModel) -> None:
    if not os.environ.get(NO_CACHE_ENV):
        write_entry(KIND, name, numeric.to_json().encode())


def _entry_name(key: str, restriction: dict[str, Any] | None) -> str:
    return f"m_{key}_{_short(restriction)}_{code_version()}.json"


def numeric_of(model: Any) -> NumericModel:
    """The numeric record of a derived Model (cached by its content key).

    Args:
        model: a closed :class:`catapultlab.theory.Model`.
    """
    from catapultlab.theory._numeric_build import build_numeric
    from catapultlab.theory._serialize import spec_to_json

    restriction = None if model.restriction is None else spec_to_json(model.restriction)
    name = _entry_name(model.key, restriction)
    numeric = _load(name)
    if numeric is None or numeric.spec != spec_to_json(model.spec):
        numeric = build_numeric(model, restriction)
        _store(name, numeric)
    return numeric if numeric.name == model.name else dataclasses.replace(numeric, name=model.name)


def builtin_numeric(
    name: str, step: StepKind, *, inputs: int = 0, samples: int = 0
) -> NumericModel:
    """The numeric record of a built-in model by name, without SymPy when it is cached.

    Args:
        name: ``"uv"`` or ``"full"``.
        step: the step rule.
        inputs: input dimension d (``"full"``).
        samples: sample count m (``"full"``).
    """
    from catapultlab.theory._builtins import check_builtin

    check_builtin(name, inputs, samples)
    sizes = {"inputs": int(inputs), "samples": int(samples)} if name == "full" else {}
    request = {"model": name, **sizes, "step": [step.kind, step.weight_decay]}
    entry = f"r_{_short(request)}_{code_version()}.json"
    numeric = _load(entry)
    if numeric is None:
        from catapultlab.theory._builtins import builtin_model

        numeric = builtin_model(name, step, inputs=inputs, samples=samples).numeric()
        _store(entry, numeric)
    return numeric


def numeric_from_declaration(
    spec: dict[str, Any], restriction: dict[str, Any] | None, key: str
) -> NumericModel:
    """The numeric record of a serialised declaration (a resumed run, a worker).

    The cached record of model ``key`` is used when its declaration equals ``spec``;
    else the model is derived from ``spec``.

    Raises:
        CatapultError: the declaration hashes to another key than the recorded one.
    """
    numeric = _load(_entry_name(key, restriction))
    if numeric is not None and numeric.spec == spec and numeric.restriction == restriction:
        return numeric
    from catapultlab.theory._cache import derive
    from catapultlab.theory._serialize import spec_from_json

    model = derive(
        spec_from_json(spec),
        restriction=None if restriction is None else spec_from_json(restriction),
    )
    if model.key != key:
        raise CatapultError(
            f"model {spec.get('name')!r}: its declaration hashes to {model.key}, the recorded "
            f"run to {key} (another catapultlab version?)"
        )
    return model.numeric()
