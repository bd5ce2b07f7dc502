"""The compiled per-trajectory random streams: law, independence of the split, cost."""

import numba
import numpy as np
import pytest
from scipy import stats

from catapultlab.sim import initial_state, make_setup, sample_gram, sample_gram_streams
from catapultlab.sim._rng import gamma, normal, stream_key, uniform
from tests._tolerance import mean_atol

KS_P = 1e-3  # fixed seeds: a deterministic check that fails only on a real deviation


@numba.njit
def _draw(kind: int, size: int, seed: int, shape: float) -> np.ndarray:
    out = np.empty(size)
    for t in range(size):
        key = stream_key(np.uint64(seed), np.uint64(7), np.uint64(t))
        if kind == 0:
            out[t] = uniform(key, np.uint64(3))
        elif kind == 1:
            out[t] = normal(key, np.uint64(3))
        else:
            out[t] = gamma(key, np.uint64(1), shape)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_uniform_and_normal_laws(seed):
    u = _draw(0, 200_000, seed, 0.0)
    assert 0.0 < u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > KS_P
    z = _draw(1, 200_000, seed, 0.0)
    assert stats.kstest(z, "norm").pvalue > KS_P
    assert abs(z.mean()) < mean_atol(1.0, z.size)
    tail = (np.abs(z) > 3.0).mean()  # the ziggurat's tail branch starts at 3.44
    assert abs(tail - 2 * stats.norm.sf(3.0)) < mean_atol(np.sqrt(tail), z.size)


@pytest.mark.parametrize("shape", [0.5, 1.0, 2.5, 499.5])
def test_gamma_law(shape):
    g = _draw(2, 100_000, 3, shape)
    assert stats.kstest(g, stats.gamma(shape).cdf).pvalue > KS_P


@pytest.mark.parametrize(("p", "n"), [(2, 50), (3, 40), (3, 2)])
def test_streams_match_the_numpy_reference_in_distribution(p, n):
    a = sample_gram_streams(p, n, 20_000, seed=11)
    b = sample_gram(p, n, 20_000, np.random.default_rng(11))
    for i in range(p):
        for j in range(i + 1):
            assert stats.ks_2samp(a[:, i, j], b[:, i, j]).pvalue > KS_P, (i, j)
    np.testing.assert_array_equal(a, a.transpose(0, 2, 1))
    if n < p:  # rank-deficient Gram
        assert np.allclose(np.linalg.det(a), 0, atol=1e-8)


def test_streams_do_not_depend_on_the_split_or_threads():
    whole = sample_gram_streams(2, 100, 5000, seed=4)
    parts = np.concatenate(
        [
            sample_gram_streams(2, 100, k, seed=4, first=s)
            for s, k in [(0, 1), (1, 2999), (3000, 2000)]
        ]
    )
    np.testing.assert_array_equal(whole, parts)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        np.testing.assert_array_equal(whole, sample_gram_streams(2, 100, 5000, seed=4))
    finally:
        numba.set_num_threads(old)
    assert not np.array_equal(whole, sample_gram_streams(2, 100, 5000, seed=5))
    assert not np.array_equal(whole, sample_gram_streams(2, 101, 5000, seed=4))


def test_uv_state_from_streams_matches_direct_vectors():
    uv = make_setup("uv", y=1.0)
    n, size = 50, 4000
    init = initial_state(uv, n, size, seed=0)
    rng = np.random.default_rng(1)
    U = rng.standard_normal((size, n))
    V = rng.standard_normal((size, n))
    assert stats.ks_2samp(init.state[0], (U * V).sum(1) / np.sqrt(n)).pvalue > KS_P
    assert stats.ks_2samp(init.state[1], ((U**2).sum(1) + (V**2).sum(1)) / n).pvalue > KS_P


def test_huge_width_streams():
    uv = make_setup("uv", y=1.0)
    init = initial_state(uv, 10**12, 1000, seed=2)
    assert np.all(np.abs(init.state[1] - 2) < 1e-4)  # lam0 = (|u|^2 + |v|^2)/n -> 2
    assert abs(init.state[0].std() - 1.0) < 0.15  # f0 = u.v / sqrt(n) ~ N(0, 1)
