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

Names load on first use, so importing this module costs only what a caller uses.

Example:
    >>> import numpy as np
    >>> from catapultlab.stats import Histogram, quantile
    >>> h = Histogram.of(np.array([3, 1, 2, 2, 7]), log=False)
    >>> quantile(h, 0.5)
    (2.0, 0.0)
"""

from __future__ import annotations

from catapultlab.lazy import attach

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
    "level_intervals",
    "log_keys",
    "median_line_bootstrap",
    "quantile",
]

_WHERE = {
    "_bootstrap_fit": ("MedianFit", "median_line_bootstrap"),
    "_compare": ("RELATIONS", "Comparison", "agrees"),
    "_histogram": (
        "MANTISSA_BITS",
        "QUANTILE_RTOL",
        "Histogram",
        "key_midpoints",
        "log_keys",
        "quantile",
    ),
    "_patterns": ("HitPatterns",),
    "_stats": (
        "Boundary",
        "Fit",
        "boundary",
        "boundary_from_patterns",
        "boundary_with_ci",
        "fit_line",
        "half_crossing",
        "level_intervals",
    ),
    "_uncertainty": ("CONVENTION", "PLUS_MINUS", "bracket_se"),
}
__getattr__, __dir__ = attach(__name__, _WHERE, base="catapultlab")
