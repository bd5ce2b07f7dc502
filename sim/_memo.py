"""Memoise functions of (unhashable) model objects by identity."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["memo_by_id"]

T = TypeVar("T")


def memo_by_id(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """Cache ``fn(obj)`` keyed by ``id(obj)`` (the object is kept alive by the cache)."""
    cache: dict[int, tuple[Any, T]] = {}

    @functools.wraps(fn)
    def wrapper(obj: Any) -> T:
        hit = cache.get(id(obj))
        if hit is None or hit[0] is not obj:
            hit = (obj, fn(obj))
            cache[id(obj)] = hit
        return hit[1]

    return wrapper
