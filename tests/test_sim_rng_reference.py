"""The compiled samplers equal, draw for draw, the straightforward implementation they
were sped up from (kept here as the reference: one loop per normal, gamma's constants
per draw, chi-square through gamma)."""

import numba
import numpy as np
import pytest

from catapultlab.sim import _rng
from catapultlab.sim._rng import SLOT, gamma, mix64, normal, stream_key, uniform

_G, _S11, _M7 = _rng._GOLDEN, _rng._S11, _rng._MASK7
_X, _RATIO = _rng._ZIG_X, _rng._ZIG_RATIO


@numba.njit
def _ref_normal(key, counter):
    c = counter << np.uint64(8)
    for m in range(32):
        bits = mix64(key + (c + np.uint64(2 * m)) * _G)
        u = 2.0 * ((float(bits >> _S11) + 0.5) * (1.0 / 9007199254740992.0)) - 1.0
        i = bits & _M7
        if abs(u) < _RATIO[i]:
            return u * _X[i]
        if i == 0:
            return _rng._normal_tail(key, c + np.uint64(64), u < 0.0)
        x = u * _X[i]
        f0 = np.exp(-0.5 * (_X[i] * _X[i] - x * x))
        f1 = np.exp(-0.5 * (_X[i + 1] * _X[i + 1] - x * x))
        if f1 + uniform(key, c + np.uint64(2 * m + 1)) * (f0 - f1) < 1.0:
            return x
    return 0.0


@numba.njit
def _ref_gamma(key, slot, shape):
    base = slot * np.uint64(1 << 32)
    boost = 1.0
    a = shape
    k = np.uint64(0)
    if a < 1.0:
        boost = uniform(key, base) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        k += np.uint64(1)
        x = _ref_normal(key, base + k)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(key, ((base + k) << np.uint64(8)) + np.uint64(255))
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v * boost
        if np.log(u) < 0.5 * x2 + d - d * v + d * np.log(v):
            return d * v * boost


@numba.njit
def _ref_gram(p, n, seed, first, out):
    for t in range(out.shape[2]):
        key = stream_key(seed, np.uint64(n), first + np.uint64(t))
        for i in range(p):
            out[i, i, t] = np.sqrt(2.0 * _ref_gamma(key, np.uint64(i), 0.5 * float(n - i)))
            for j in range(i):
                out[i, j, t] = _ref_normal(key, np.uint64(p * SLOT + i * p + j))
        for i in range(p - 1, -1, -1):
            for j in range(i, -1, -1):
                acc = 0.0
                for k in range(j + 1):
                    acc += out[i, k, t] * out[j, k, t]
                out[i, j, t] = acc
        for i in range(p):
            for j in range(i):
                out[j, i, t] = out[i, j, t]


@numba.njit
def _pairs(size, shape):
    out = np.empty((4, size))
    for t in range(size):
        key = stream_key(np.uint64(3), np.uint64(11), np.uint64(t))
        out[0, t] = normal(key, np.uint64(t % 7))
        out[1, t] = _ref_normal(key, np.uint64(t % 7))
        out[2, t] = gamma(key, np.uint64(2), shape)
        out[3, t] = _ref_gamma(key, np.uint64(2), shape)
    return out


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 5e5])
def test_normal_and_gamma_equal_the_reference(shape):
    out = _pairs(200_000, shape)  # ~2000 normals leave the ziggurat's first rectangle
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[2], out[3])


@pytest.mark.parametrize("p, n", [(2, 2), (2, 3), (3, 3), (2, 1000), (6, 7), (2, 10**12)])
def test_gram_streams_equal_the_reference(p, n):
    size = 20_000
    got = np.empty((p, p, size))
    ref = np.empty((p, p, size))
    _rng.gram_streams(p, n, np.uint64(9), np.uint64(123), got)
    _ref_gram(p, n, np.uint64(9), np.uint64(123), ref)
    np.testing.assert_array_equal(got, ref)
