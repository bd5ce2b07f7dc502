"""A line through per-group medians, with a bootstrap over the members of each group.

The ``t_peak`` scaling fit regresses the median ``t_peak`` of the catapult runs at
each width on ``ln n``. Those medians are integers, so the residuals of the line
say nothing about how well the medians are known (a least-squares standard error
of exactly 0 is common). Here the uncertainty comes from the trajectories: each
width's members are resampled with replacement (widths are independent ensembles),
the medians and the line recomputed, and the spread of the slopes reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MedianFit", "median_line_bootstrap"]


@dataclass(frozen=True)
class MedianFit:
    """Slope of the medians and its bootstrap uncertainty.

    Attributes:
        slope: least-squares slope of the medians against ``x``.
        intercept: its intercept.
        se: standard deviation of the bootstrap slopes (NaN when undetermined).
        low: lower end of the percentile interval.
        high: upper end.
        resamples: bootstrap resamples used.
    """

    slope: float
    intercept: float
    se: float
    low: float
    high: float
    resamples: int


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _resampled_medians(g: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``resamples`` bootstrap samples of ``g``, drawn as multinomial counts.

    Memory is ``resamples x distinct values`` (integer ``t_peak`` has few), not
    ``resamples x members``.
    """
    values, counts = np.unique(g, return_counts=True)
    size = int(counts.sum())
    cum = np.cumsum(rng.multinomial(size, counts / size, size=resamples), axis=1)
    lo = values[(cum <= (size - 1) // 2).sum(axis=1)]
    hi = values[(cum <= size // 2).sum(axis=1)]
    return (lo + hi) / 2


def median_line_bootstrap(
    x: Sequence[float],
    groups: Sequence[np.ndarray],
    *,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> MedianFit:
    """Fit ``median(groups[i]) = a + b x[i]``; bootstrap the members of every group.

    Args:
        x: one abscissa per group.
        groups: the members of each group (NaN members are dropped).
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: interval level.

    Returns:
        The fit; NaN everywhere with fewer than two non-empty groups, and a NaN
        uncertainty with fewer than three (a line through two points has no spread).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> g = [np.round(3 * np.log(n) + rng.normal(0, 2, 400)) for n in (1e2, 1e3, 1e4)]
        >>> fit = median_line_bootstrap(np.log([1e2, 1e3, 1e4]), g, seed=1)
        >>> round(fit.slope), 0 < fit.se < 0.5
        (3, True)
    """
    xs = np.asarray(x, dtype=float)
    clean = [np.asarray(g, dtype=float)[np.isfinite(g)] for g in groups]
    keep = [i for i, g in enumerate(clean) if g.size]
    nan = float("nan")
    if len(keep) < 2:
        return MedianFit(nan, nan, nan, nan, nan, 0)
    xs, clean = xs[keep], [clean[i] for i in keep]
    slope, intercept = _line(xs, np.array([np.median(g) for g in clean]))
    if len(keep) < 3 or resamples < 2:
        return MedianFit(slope, intercept, nan, nan, nan, 0)
    rng = np.random.default_rng(seed)
    medians = np.stack([_resampled_medians(g, resamples, rng) for g in clean])
    xc = xs - xs.mean()
    slopes = (xc @ (medians - medians.mean(axis=0))) / (xc @ xc)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(slopes, [tail, 100 - tail])
    return MedianFit(
        slope, intercept, float(slopes.std(ddof=1)), float(low), float(high), resamples
    )
