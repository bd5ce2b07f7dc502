"""The statistics every layer shares: merges, quantiles, bootstrap CIs, boundaries, fits.

* :class:`Histogram`, :func:`quantile`: mergeable histograms (exact for integers, log bins
  of relative width at most ``2**-10`` for floats) and quantiles with their rank error;
* :class:`HitPatterns`, :func:`boundary_from_patterns`, :func:`boundary`: where half of
  an ensemble's trajectories hit (diverge, or their loss rises) along a ``c`` grid, with a
  bootstrap CI over trajectories;
* :func:`fit_line`, :func:`median_line_bootstrap`: straight-line fits (scaling laws) with
  intervals;
* :data:`CONVENTION`, :data:`PLUS_MINUS`, :func:`bracket_se`: one uncertainty convention
  ("±" is one standard error; intervals are 95%);
* :class:`Comparison`, :func:`agrees`: a measurement beside its prediction, judged by one
  rule (validate's tables and the reproduce report alike).

Example:
    >>> h = Histogram.of(np.array([3, 1, 2, 2, 7]), log=False)
    >>> quantile(h, 0.5)
    (2.0, 0.0)
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - the docstring example uses it

from catapultlab._bootstrap_fit import MedianFit, median_line_bootstrap
from catapultlab._compare import RELATIONS, Comparison, agrees
from catapultlab._histogram import (
    MANTISSA_BITS,
    QUANTILE_RTOL,
    Histogram,
    key_midpoints,
    log_keys,
    quantile,
)
from catapultlab._patterns import HitPatterns
from catapultlab._stats import (
    Boundary,
    Fit,
    boundary,
    boundary_from_patterns,
    boundary_with_ci,
    fit_line,
    half_crossing,
)
from catapultlab._uncertainty import CONVENTION, PLUS_MINUS, bracket_se

__all__ = [
    "CONVENTION",
    "MANTISSA_BITS",
    "PLUS_MINUS",
    "QUANTILE_RTOL",
    "RELATIONS",
    "Boundary",
    "Comparison",
    "Fit",
    "Histogram",
    "HitPatterns",
    "MedianFit",
    "agrees",
    "boundary",
    "boundary_from_patterns",
    "boundary_with_ci",
    "bracket_se",
    "fit_line",
    "half_crossing",
    "key_midpoints",
    "log_keys",
    "median_line_bootstrap",
    "quantile",
]
