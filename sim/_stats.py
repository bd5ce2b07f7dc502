"""Phase boundaries with bootstrap CIs, and scaling fits with CIs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["half_crossing", "boundary_with_ci", "Fit", "fit_line"]


def half_crossing(c: np.ndarray, p: np.ndarray, level: float = 0.5) -> float:
    """Smallest ``c`` where ``p`` reaches ``level`` (linear interpolation); NaN if never.

    Example:
        >>> half_crossing(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.25, 0.75]))
        2.5
    """
    hit = np.nonzero(p >= level)[0]
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0:
        return float(c[0])
    p0, p1 = p[i - 1], p[i]
    return float(c[i - 1] + (level - p0) / (p1 - p0) * (c[i] - c[i - 1]))


def boundary_with_ci(
    c: np.ndarray, hits: np.ndarray, *, resamples: int = 200, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Where half the trajectories hit, with a bootstrap CI over trajectories.

    Args:
        c: the grid ``(C,)``.
        hits: ``(C, K)`` booleans, trajectory k at grid point i (same k across c).
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: CI level.

    Returns:
        ``(estimate, low, high)``; NaN where the grid never reaches one half.
    """
    hits = np.asarray(hits, dtype=np.float64)
    K = hits.shape[1]
    est = half_crossing(c, hits.mean(axis=1))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(99,)))
    boots = np.empty(resamples)
    for start in range(0, resamples, 32):
        m = min(32, resamples - start)
        w = rng.multinomial(K, np.full(K, 1.0 / K), size=m).T.astype(np.float64)  # (K, m)
        p = hits @ w / K  # (C, m)
        boots[start : start + m] = [half_crossing(c, p[:, j]) for j in range(m)]
    if np.all(np.isnan(boots)):
        return est, float("nan"), float("nan")
    a = (1 - level) / 2
    lo, hi = np.nanquantile(boots, [a, 1 - a])
    return est, float(lo), float(hi)


@dataclass(frozen=True)
class Fit:
    """``y = intercept + slope * x`` by least squares, with a CI on the slope.

    Attributes:
        slope: fitted slope.
        intercept: fitted intercept.
        slope_ci: ``(low, high)`` t-interval (NaN with fewer than 3 points).
        points: number of points.
    """

    slope: float
    intercept: float
    slope_ci: tuple[float, float]
    points: int


def fit_line(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> Fit:
    """Least-squares line with a t-interval on the slope (NaN where undetermined)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x)[ok], np.asarray(y)[ok]
    nan = float("nan")
    if x.size < 2 or np.ptp(x) == 0:
        return Fit(nan, nan, (nan, nan), int(x.size))
    if x.size < 3:
        slope, intercept = np.polyfit(x, y, 1)
        return Fit(float(slope), float(intercept), (nan, nan), int(x.size))
    r = stats.linregress(x, y)
    t = stats.t.ppf(0.5 + level / 2, x.size - 2)
    return Fit(
        float(r.slope),
        float(r.intercept),
        (float(r.slope - t * r.stderr), float(r.slope + t * r.stderr)),
        int(x.size),
    )
