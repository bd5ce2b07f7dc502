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

from catapultlab.records import short_repr

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

    __repr__ = short_repr

    slope: float
    intercept: float
    se: float
    low: float
    high: float
    resamples: int


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _counts(g: object) -> tuple[np.ndarray, np.ndarray]:
    """Distinct finite values and counts of a group: raw members or ``(values, counts)``."""
    if isinstance(g, tuple):
        values, counts = (np.asarray(a) for a in g)
        ok = np.isfinite(values) & (counts > 0)
        return values[ok].astype(float), counts[ok].astype(np.int64)
    x = np.asarray(g, dtype=float)
    return np.unique(x[np.isfinite(x)], return_counts=True)


def _median(values: np.ndarray, counts: np.ndarray) -> float:
    """``numpy.median`` of the members that ``(values, counts)`` describe."""
    size = int(counts.sum())
    cum = np.cumsum(counts)
    lo = values[np.searchsorted(cum, (size - 1) // 2, side="right")]
    hi = values[np.searchsorted(cum, size // 2, side="right")]
    return float((lo + hi) / 2)


def _resampled_medians(
    values: np.ndarray, counts: np.ndarray, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Medians of ``resamples`` bootstrap samples, drawn as multinomial counts.

    Memory is ``resamples x distinct values`` (integer ``t_peak`` has few), not
    ``resamples x members``.
    """
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
        groups: the members of each group (NaN members are dropped), or
            ``(values, counts)`` pairs (an exact histogram of them).
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
    clean = [_counts(g) for g in groups]
    keep = [i for i, (v, _) in enumerate(clean) if v.size]
    nan = float("nan")
    if len(keep) < 2:
        return MedianFit(nan, nan, nan, nan, nan, 0)
    xs, clean = xs[keep], [clean[i] for i in keep]
    slope, intercept = _line(xs, np.array([_median(v, c) for v, c in clean]))
    if len(keep) < 3 or resamples < 2:
        return MedianFit(slope, intercept, nan, nan, nan, 0)
    rng = np.random.default_rng(seed)
    medians = np.stack([_resampled_medians(v, c, resamples, rng) for v, c in clean])
    xc = xs - xs.mean()
    slopes = (xc @ (medians - medians.mean(axis=0))) / (xc @ xc)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(slopes, [tail, 100 - tail])
    return MedianFit(
        slope, intercept, float(slopes.std(ddof=1)), float(low), float(high), resamples
    )
