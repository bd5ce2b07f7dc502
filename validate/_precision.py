"""Floating-point precision of a validation run.

float32 is the default. float64 runs execute inside ``jax.enable_x64(True)``
(a context manager, so the global JAX setting is restored afterwards); all
arrays are created with an explicit dtype.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from catapultlab import CatapultError

__all__ = ["DTYPES", "precision"]

DTYPES: tuple[str, ...] = ("float32", "float64")


@contextlib.contextmanager
def precision(dtype: str) -> Iterator[Any]:
    """Context in which JAX computes in ``dtype``; yields the ``jnp`` dtype.

    Raises:
        CatapultError: unknown dtype name.
    """
    import jax
    import jax.numpy as jnp

    if dtype == "float32":
        yield jnp.float32
    elif dtype == "float64":
        with jax.enable_x64(True):
            yield jnp.float64
    else:
        raise CatapultError(f"unknown dtype {dtype!r}; choose float32 or float64")
