"""Phase boundaries with bootstrap CIs, and scaling fits with CIs.

A boundary is where the fraction of "hits" (diverging or rising trajectories)
over an ensemble first reaches one half on the ``c`` grid, linearly
interpolated. The grid only brackets it when the fraction is below one half at
the first ``c`` and reaches it later: if the first ``c`` already has at least
half hits the boundary is *below the grid*, if no ``c`` reaches one half it is
*above the grid*; either way no value is reported (NaN / ``null``) and a flag
says which side it lies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab.records import short_repr

__all__ = [
    "half_crossing",
    "level_intervals",
    "Boundary",
    "boundary",
    "boundary_from_patterns",
    "boundary_with_ci",
    "Fit",
    "fit_line",
]


def half_crossing(c: np.ndarray, p: np.ndarray, level: float = 0.5) -> float:
    """Smallest ``c`` where ``p`` reaches ``level`` (linear interpolation).

    Returns ``-inf`` when ``p[0]`` already reaches ``level`` (the crossing lies below
    the grid) and ``+inf`` when no grid point reaches it (above the grid).

    Example:
        >>> half_crossing(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.25, 0.75]))
        2.5
        >>> half_crossing(np.array([1.0, 2.0]), np.array([0.5, 1.0]))
        -inf
        >>> half_crossing(np.array([1.0, 2.0]), np.array([0.0, 0.25]))
        inf
    """
    hit = np.nonzero(np.asarray(p) >= level)[0]
    if hit.size == 0:
        return float("inf")
    i = int(hit[0])
    if i == 0:
        return float("-inf")
    p0, p1 = p[i - 1], p[i]
    return float(c[i - 1] + (level - p0) / (p1 - p0) * (c[i] - c[i - 1]))


def level_intervals(c: np.ndarray, p: np.ndarray, level: float = 0.5) -> list[list[float | None]]:
    """Every interval of ``c`` where ``p`` is at least ``level``: all crossings, not the first.

    Each end is interpolated linearly as in :func:`half_crossing`; an interval that runs off
    the grid has ``None`` at that end.

    Example:
        >>> c = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
        >>> level_intervals(c, np.array([0.0, 1.0, 0.0, 0.5, 1.0]))
        [[1.5, 2.5], [4.0, None]]
    """
    c, p = np.asarray(c, dtype=float), np.asarray(p, dtype=float)
    above = p >= level
    out: list[list[float | None]] = []
    i = 0
    while i < c.size:
        if not above[i]:
            i += 1
            continue
        j = i
        while j + 1 < c.size and above[j + 1]:
            j += 1
        lo = None if i == 0 else _interpolate(c, p, i - 1, i, level)
        hi = None if j == c.size - 1 else _interpolate(c, p, j, j + 1, level)
        out.append([lo, hi])
        i = j + 1
    return out


def _interpolate(c: np.ndarray, p: np.ndarray, i: int, j: int, level: float) -> float:
    """Where the segment from ``(c[i], p[i])`` to ``(c[j], p[j])`` meets ``level``."""
    if p[j] == p[i]:
        return float(c[j])
    return float(c[i] + (level - p[i]) / (p[j] - p[i]) * (c[j] - c[i]))


@dataclass(frozen=True)
class Boundary:
    """A measured boundary on a ``c`` grid.

    Attributes:
        estimate: the 50% crossing; NaN when it lies outside the grid.
        low: lower end of the bootstrap percentile interval, widened by half a grid
            cell (NaN if unbounded).
        high: upper end, likewise.
        se: bootstrap standard error combined in quadrature with the grid
            resolution ``dc / sqrt(12)`` (the crossing is interpolated within a cell);
            NaN when the estimate is.
        below_grid: the first grid point already has at least half hits.
        above_grid: no grid point reaches half hits.
    """

    __repr__ = short_repr

    estimate: float
    low: float
    high: float
    se: float
    below_grid: bool
    above_grid: bool


def boundary(
    c: np.ndarray, hits: np.ndarray, *, resamples: int = 200, seed: int = 0, level: float = 0.95
) -> Boundary:
    """Where half the trajectories hit, with a bootstrap CI over trajectories.

    Args:
        c: the grid ``(C,)``, increasing.
        hits: ``(C, K)`` booleans, trajectory k at grid point i (same k across c).
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: CI level.

    Returns:
        :func:`boundary_from_patterns` of the hit patterns of ``hits``.

    Example:
        >>> hits = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], dtype=bool)
        >>> b = boundary(np.array([3.0, 3.5]), hits, resamples=20)
        >>> (b.estimate, b.below_grid, b.above_grid)
        (nan, True, False)
    """
    from catapultlab._patterns import HitPatterns

    return boundary_from_patterns(
        c, HitPatterns.of(hits), resamples=resamples, seed=seed, level=level
    )


def boundary_from_patterns(
    c: np.ndarray, patterns: Any, *, resamples: int = 200, seed: int = 0, level: float = 0.95
) -> Boundary:
    """:func:`boundary` from the counts of the distinct hit patterns (O(patterns) a resample).

    A bootstrap resample of ``K`` trajectories draws each with probability ``1/K``;
    summed over the trajectories sharing a pattern this is a multinomial over the
    ``J`` distinct patterns with probabilities ``count_j / K``, so the resampled hit
    fractions (and the CI) have exactly the distribution of resampling trajectories.

    Args:
        c: the grid ``(C,)``, increasing.
        patterns: a :class:`catapultlab.stats.HitPatterns` over that grid.
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: CI level.

    Returns:
        The :class:`Boundary`. Bootstrap replicates that fall outside the grid count
        as ``-inf`` / ``+inf``: an interval end they reach is reported as NaN.
    """
    c = np.asarray(c, dtype=np.float64)
    P, counts = patterns.table()
    K = int(counts.sum())
    raw = half_crossing(c, P.T @ counts / K)
    below, above = raw == -np.inf, raw == np.inf
    est = raw if np.isfinite(raw) else float("nan")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(99,)))
    w = rng.multinomial(K, counts / K, size=resamples).astype(np.float64)  # (R, J)
    p = w @ P / K  # (R, C)
    boots = np.array([half_crossing(c, row) for row in p])
    nan = float("nan")
    lo = hi = se = nan
    if resamples >= 2:
        a = (1 - level) / 2
        lo = float(np.quantile(boots, a, method="lower"))
        hi = float(np.quantile(boots, 1 - a, method="higher"))
        # the crossing is only known to within a grid cell: add its resolution
        dc = float(np.median(np.diff(c))) if c.size > 1 else 0.0
        lo, hi = (v if np.isfinite(v) else nan for v in (lo - dc / 2, hi + dc / 2))
        fin = boots[np.isfinite(boots)]
        if np.isfinite(est) and fin.size >= 2:
            se = float(np.sqrt(np.var(fin, ddof=1) + dc**2 / 12.0))
    return Boundary(est, lo, hi, se, bool(below), bool(above))


def boundary_with_ci(
    c: np.ndarray, hits: np.ndarray, *, resamples: int = 200, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of :func:`boundary` (NaN outside the grid)."""
    b = boundary(c, hits, resamples=resamples, seed=seed, level=level)
    return b.estimate, b.low, b.high


@dataclass(frozen=True)
class Fit:
    """``y = intercept + slope * x`` by least squares, with a CI on the slope.

    Attributes:
        slope: fitted slope.
        intercept: fitted intercept.
        slope_ci: ``(low, high)`` t-interval (NaN with fewer than 3 points).
        points: number of points.
        slope_se: standard error of the slope (NaN with fewer than 3 points).
    """

    __repr__ = short_repr

    slope: float
    intercept: float
    slope_ci: tuple[float, float]
    points: int
    slope_se: float = float("nan")


def fit_line(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> Fit:
    """Least-squares line with a t-interval on the slope (NaN where undetermined).

    Example:
        >>> f = fit_line(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.1, 4.9, 7.0]))
        >>> round(f.slope, 2), f.points
        (1.98, 4)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    nan = float("nan")
    if x.size < 2 or np.ptp(x) == 0:
        return Fit(nan, nan, (nan, nan), int(x.size))
    if x.size < 3:
        slope, intercept = np.polyfit(x, y, 1)
        return Fit(float(slope), float(intercept), (nan, nan), int(x.size))
    from scipy import stats  # a slow import (seconds on a loaded machine): only when fitting

    r = stats.linregress(x, y)
    t = stats.t.ppf(0.5 + level / 2, x.size - 2)
    return Fit(
        float(r.slope),
        float(r.intercept),
        (float(r.slope - t * r.stderr), float(r.slope + t * r.stderr)),
        int(x.size),
        float(r.stderr),
    )
