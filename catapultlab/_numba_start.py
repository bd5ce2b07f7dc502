"""Start Numba without importing ``scipy.linalg`` (our kernels use no BLAS).

When Numba first loads or compiles a function it imports ``numba.np.arraymath``,
which checks at import time that a BLAS is available for ``np.dot`` by importing
``scipy.linalg.cython_blas``; that runs ``scipy/linalg/__init__`` (0.3-2.5 s of a warm
sweep's start). :func:`light_numba_start` imports ``numba.np.arraymath`` with that check
answered by ``importlib.util.find_spec("scipy")`` (is SciPy installed?) instead, then
puts the real check back, so a function that does use BLAS still imports and checks
SciPy when it is compiled. It does nothing once ``arraymath`` is imported, or when
this Numba lacks the hook.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["light_numba_start"]


def _scipy_installed() -> None:
    if importlib.util.find_spec("scipy") is None:
        raise ImportError("scipy 0.16+ is required for linear algebra")


def light_numba_start() -> None:
    """Import Numba's array-math registry without importing ``scipy.linalg`` (idempotent)."""
    if "numba.np.arraymath" in sys.modules:
        return
    try:
        from numba.np import linalg
    except ImportError:  # pragma: no cover - another Numba layout
        return
    original = getattr(linalg, "ensure_blas", None)
    if original is None:  # pragma: no cover
        return
    linalg.ensure_blas = _scipy_installed
    try:
        from numba.np import arraymath
    finally:
        linalg.ensure_blas = original
    if getattr(arraymath, "ensure_blas", None) is _scipy_installed:
        arraymath.ensure_blas = original
