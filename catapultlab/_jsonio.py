"""The one JSON encoder: strict JSON of results (no NaN), NumPy values as plain numbers.

Every JSON document catapultlab prints or writes goes through :func:`dumps`: non-finite
floats become ``null`` (strict JSON has no NaN), NumPy scalars and arrays become numbers
and lists, tuples become lists; dictionaries keep their order unless ``sort_keys``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["dumps", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with every non-finite float as ``None`` and NumPy values as Python ones.

    Example:
        >>> jsonable({"a": float("nan"), "b": np.arange(2), "c": (np.float32(1.5),)})
        {'a': None, 'b': [0, 1], 'c': [1.5]}
    """
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(
    value: Any, *, indent: int | None = None, sort_keys: bool = False, ensure_ascii: bool = True
) -> str:
    """Strict JSON text of ``value`` (see the module docstring).

    Example:
        >>> dumps({"c": 2.0, "x": float("inf")})
        '{"c": 2.0, "x": null}'
    """
    return json.dumps(
        jsonable(value),
        indent=indent,
        sort_keys=sort_keys,
        ensure_ascii=ensure_ascii,
        allow_nan=False,
    )
