"""One place for numerical tolerances, set by dtype and by sample size."""

from __future__ import annotations

import numpy as np

# relative tolerance of one float64 map step against parameter-space GD
_STEP_RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 2e-4}


def step_rtol(dtype: object = np.float64) -> float:
    """Relative tolerance for comparing one exact step computed two ways."""
    return _STEP_RTOL[np.dtype(dtype)]


def trajectory_rtol(dtype: object, steps: int) -> float:
    """Relative tolerance after ``steps`` steps (rounding errors add up ~ linearly)."""
    return step_rtol(dtype) * max(1, steps)


def mean_atol(std: float, samples: int, sigmas: float = 5.0) -> float:
    """Tolerance for a sample mean: ``sigmas`` standard errors."""
    return sigmas * std / np.sqrt(samples)
