"""Tolerances for comparing the generated kernel with the pure path (used by the tests)."""

from __future__ import annotations

import numpy as np

TOL = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=2e-3, atol=1e-5)}
"""Kernel vs pure path: float64 tight, float32 loose (the kernel uses a factored map)."""


def assert_close(a: np.ndarray, b: np.ndarray, dtype: str = "float64") -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), **TOL[dtype])
