"""The t_peak scaling fit: a bootstrap over trajectories, not the residuals of integer medians."""

from __future__ import annotations

import numpy as np

from catapultlab._bootstrap_fit import _resampled_medians
from catapultlab.stats import fit_line, median_line_bootstrap


def test_histogram_resampling_matches_direct_resampling() -> None:
    g = np.random.default_rng(3).integers(0, 50, 1001).astype(float)
    fast = _resampled_medians(*np.unique(g, return_counts=True), 3000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = np.array([np.median(g[rng.integers(0, g.size, g.size)]) for _ in range(3000)])
    # two estimates of the same bootstrap distribution (3000 draws each)
    assert abs(fast.mean() - slow.mean()) < 4 * slow.std() / np.sqrt(3000) * np.sqrt(2)
    assert abs(fast.std() / slow.std() - 1) < 0.1


def test_integer_medians_get_an_error_from_the_trajectories() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    rng = np.random.default_rng(0)
    groups = [np.round(3 * xi + rng.normal(0, 3, 301)) for xi in x]
    medians = np.array([np.median(g) for g in groups])
    assert np.array_equal(medians, 3 * x)  # integer medians exactly on a line ...
    assert fit_line(x, medians).slope_se < 1e-12  # ... so the residual error is zero
    fit = median_line_bootstrap(x, groups, seed=1)
    assert fit.se > 0.05 and fit.low < fit.slope < fit.high


def test_interval_covers_the_true_slope() -> None:
    x = np.log([1e2, 1e3, 1e4])
    covered = 0
    trials = 60
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        groups = [np.round(2.0 * xi + rng.normal(0, 4, 200)) for xi in x]
        fit = median_line_bootstrap(x, groups, resamples=300, seed=seed)
        covered += fit.low <= 2.0 <= fit.high
    # nominal 95% (rounding adds a little bias); binomial sd over 60 trials is ~3%
    assert covered >= 0.8 * trials


def test_too_few_groups_has_no_error_estimate() -> None:
    two = median_line_bootstrap([0.0, 1.0], [np.ones(5), 2 * np.ones(5)])
    assert np.isclose(two.slope, 1.0) and np.isnan(two.se)
    one = median_line_bootstrap([0.0, 1.0], [np.ones(5), np.array([np.nan])])
    assert np.isnan(one.slope)


def test_fit_from_histograms_equals_fit_from_members() -> None:
    rng = np.random.default_rng(5)
    groups = [np.round(2 * np.log(n) + rng.normal(0, 2, 300)) for n in (1e2, 1e3, 1e4, 1e5)]
    x = np.log([1e2, 1e3, 1e4, 1e5])
    hists = [np.unique(g, return_counts=True) for g in groups]
    a = median_line_bootstrap(x, groups, seed=2)
    b = median_line_bootstrap(x, hists, seed=2)
    assert (a.slope, a.intercept, a.se, a.low, a.high) == (
        b.slope,
        b.intercept,
        b.se,
        b.low,
        b.high,
    )
