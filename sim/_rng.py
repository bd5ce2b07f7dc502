"""Counter-based random numbers for Numba kernels: one independent stream per trajectory.

Every draw is a pure function of ``(key, counter)``: the key is a hash of
``(seed, n, trajectory index)`` and the counter numbers the draws of that trajectory.
So a trajectory's initial state does not depend on which block, chunk, thread or
dask worker computes it, and trajectories can be sampled in any order in ``prange``.

The bits come from the SplitMix64 finaliser (Steele, Lea & Flood 2014) applied to
``key + counter * golden``, the construction ``java.util.SplittableRandom`` uses;
a Weyl sequence through this mixer passes BigCrush. On top of it:

* ``uniform``: the top 53 bits, shifted half a unit, so it lies in the open (0, 1);
* ``normal``: the 128-layer ziggurat (Marsaglia & Tsang 2000; Doornik 2005), exact;
* ``gamma``: Marsaglia & Tsang (2000), exact rejection sampling for shape >= 1, with
  the ``U^(1/a)`` boost for shape < 1; ``chi2(k) = 2 gamma(k / 2)``.

:func:`gram_streams` (Wishart draws through the Bartlett decomposition) lives here
too, so that Numba's cache, which tracks a function's own file only, is refreshed
whenever the samplers it inlines change. The simulator compiles a sealed copy of this file
from the cache (:func:`catapultlab.sim._compiled.sampler`), never the installed file
itself, so nothing is written inside the installed package; the module imports only
NumPy and Numba.

The NumPy ``Generator`` path in :func:`catapultlab.sim.sample_gram` is the reference
these samplers are tested against (in distribution).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["mix64", "stream_key", "uniform", "normal", "gamma", "chisquare", "gram_streams", "SLOT"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_DRAWS = np.uint64(1 << 32)
SLOT = 1 << 32
"""Counter stride between the sub-streams (slots) of one trajectory."""


@nb.njit(inline="always", cache=True)
def mix64(z: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser: a bijective 64-bit mixing of ``z``."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True)
def stream_key(seed: np.uint64, n: np.uint64, index: np.uint64) -> np.uint64:
    """The key of trajectory ``index`` of the cell ``(seed, n)``."""
    return mix64(mix64(mix64(seed + _GOLDEN) + n * _GOLDEN) + index * _GOLDEN)


@nb.njit(inline="always", cache=True)
def uniform(key: np.uint64, counter: np.uint64) -> float:
    """A uniform double in the open interval (0, 1)."""
    bits = mix64(key + counter * _GOLDEN) >> _S11
    return (float(bits) + 0.5) * (1.0 / 9007199254740992.0)


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    """Layer edges ``x`` and ratios ``x[i + 1] / x[i]`` of the 128-layer normal ziggurat."""
    x = np.zeros(_ZIG_C + 1)
    f = np.exp(-0.5 * _ZIG_R * _ZIG_R)
    x[0] = _ZIG_V / f  # the bottom layer: the base strip plus the tail, as one box
    x[1] = _ZIG_R
    for i in range(2, _ZIG_C):
        x[i] = np.sqrt(-2.0 * np.log(_ZIG_V / x[i - 1] + f))
        f = np.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_C = 128
_ZIG_R = 3.442619855899
"""Start of the right tail of the 128-layer ziggurat (Doornik 2005, ZIGNOR)."""
_ZIG_V = 9.91256303526217e-3
"""Area of each layer."""
_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_MASK7 = np.uint64(0x7F)


@nb.njit(cache=True)
def _normal_tail(key: np.uint64, c: np.uint64, negative: bool) -> float:
    """A normal draw beyond ``+-_ZIG_R`` (Marsaglia 1964), counters ``c .. c + 125``."""
    for _ in range(63):
        x = np.log(uniform(key, c)) / _ZIG_R
        y = np.log(uniform(key, c + np.uint64(1)))
        c += np.uint64(2)
        if -2.0 * y >= x * x:
            return x - _ZIG_R if negative else _ZIG_R - x
    return -_ZIG_R if negative else _ZIG_R  # 63 rejections: probability < 1e-60


@nb.njit(cache=True)
def _normal_attempts(key: np.uint64, counter: np.uint64) -> float:
    """:func:`normal` attempt by attempt, from the first (the rare path, not inlined)."""
    c = counter << np.uint64(8)
    for m in range(32):
        bits = mix64(key + (c + np.uint64(2 * m)) * _GOLDEN)
        u = 2.0 * ((float(bits >> _S11) + 0.5) * (1.0 / 9007199254740992.0)) - 1.0
        i = bits & _MASK7
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i]
        if i == 0:
            return _normal_tail(key, c + np.uint64(64), u < 0.0)
        x = u * _ZIG_X[i]
        f0 = np.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = np.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        if f1 + uniform(key, c + np.uint64(2 * m + 1)) * (f0 - f1) < 1.0:
            return x
    return 0.0  # 32 rejections in a row: probability below 1e-50


@nb.njit(inline="always", cache=True)
def normal(key: np.uint64, counter: np.uint64) -> float:
    """A standard normal from the counter window ``2**8 counter .. 2**8 counter + 254``.

    The 128-layer ziggurat of Marsaglia & Tsang (2000) in Doornik's (2005) ZIGNOR form:
    one 64-bit draw gives the uniform (top 53 bits) and the layer (low 7 bits); about
    99 % of draws return at once. Attempt ``m`` uses counters ``2m``, ``2m + 1`` of the
    window, the tail ``64 + ...``; the last counter (255) stays free for the caller.
    Only the first attempt's rectangle test is inlined; anything else goes to
    :func:`_normal_attempts`, which starts over from attempt 0 (same draws, same value).
    """
    bits = mix64(key + (counter << np.uint64(8)) * _GOLDEN)
    u = 2.0 * ((float(bits >> _S11) + 0.5) * (1.0 / 9007199254740992.0)) - 1.0
    i = bits & _MASK7
    if abs(u) < _ZIG_RATIO[i]:
        return u * _ZIG_X[i]
    return _normal_attempts(key, counter)


@nb.njit(inline="always", cache=True)
def _gamma_attempts(key: np.uint64, base: np.uint64, d: float, c: float, boost: float) -> float:
    """The Marsaglia-Tsang rejection loop of :func:`gamma` (``d = a - 1/3``, ``c = 1/sqrt(9d)``)."""
    k = np.uint64(0)
    while True:
        k += np.uint64(1)
        x = normal(key, base + k)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(key, ((base + k) << np.uint64(8)) + np.uint64(255))  # window's last
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:  # squeeze: accept without logarithms
            return d * v * boost
        if np.log(u) < 0.5 * x2 + d - d * v + d * np.log(v):
            return d * v * boost


@nb.njit(cache=True)
def gamma(key: np.uint64, slot: np.uint64, shape: float) -> float:
    """A Gamma(shape, 1) draw from the sub-stream ``slot`` (Marsaglia-Tsang, with squeeze).

    Attempt ``k`` uses the normal of counter ``slot 2**32 + k`` and, for its uniform,
    the last counter of that normal's window (the polar loop never reaches it).
    Each slot owns ``2**32`` attempts, far more than the rejection loop uses.
    """
    base = slot * _DRAWS
    boost = 1.0
    a = shape
    if a < 1.0:
        boost = uniform(key, base) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    return _gamma_attempts(key, base, d, 1.0 / np.sqrt(9.0 * d), boost)


@nb.njit(inline="always", cache=True)
def chisquare(key: np.uint64, slot: np.uint64, dof: float) -> float:
    """A chi-square draw with ``dof`` degrees of freedom from sub-stream ``slot``."""
    return 2.0 * gamma(key, slot, 0.5 * dof)


GRAM_BLOCK = 1024
"""Trajectories per parallel block of :func:`gram_streams`."""


@nb.njit(cache=True, nogil=True)
def _bartlett_block(
    p: int,
    nn: np.uint64,
    seed: np.uint64,
    first: np.uint64,
    lo: int,
    hi: int,
    ds: np.ndarray,
    cs: np.ndarray,
    out: np.ndarray,
) -> None:
    """Trajectories ``lo .. hi - 1`` for ``n >= p`` by Bartlett's decomposition.

    ``A`` is lower triangular with ``A_ii^2 ~ chi2(n - i)`` and ``A_ij ~ N(0, 1)``; it is
    built in a scratch matrix and only ``G = A A^T`` is written out. As a loop of its
    own it runs 59 -> 35 ns per uv trajectory on one core against the same steps written
    inside the ``prange`` on ``out`` (the same draws, value for value).
    """
    n = int(nn)
    A = np.zeros((p, p))
    for t in range(lo, hi):
        key = stream_key(seed, nn, first + np.uint64(t))
        for i in range(p):
            if ds[i] > 0.0:  # shape >= 1: gamma's constants, computed once per call
                g = _gamma_attempts(key, np.uint64(i) * _DRAWS, ds[i], cs[i], 1.0)
            else:
                g = gamma(key, np.uint64(i), 0.5 * float(n - i))
            A[i, i] = np.sqrt(2.0 * g)  # chisquare(key, i, n - i)
            for j in range(i):  # normals in slot p, after the p chi-square slots
                A[i, j] = normal(key, np.uint64(p * SLOT + i * p + j))
        for i in range(p):  # G = A A^T
            for j in range(i + 1):
                acc = 0.0
                for k in range(j + 1):
                    acc += A[i, k] * A[j, k]
                out[i, j, t] = acc
                out[j, i, t] = acc


@nb.njit(cache=True, nogil=True)
def _direct_block(
    p: int, nn: np.uint64, seed: np.uint64, first: np.uint64, lo: int, hi: int, out: np.ndarray
) -> None:
    """Trajectories ``lo .. hi - 1`` for ``n < p``: draw the n x p matrix X, ``G = X^T X``."""
    n = int(nn)
    for t in range(lo, hi):
        key = stream_key(seed, nn, first + np.uint64(t))
        for i in range(p):
            for j in range(i + 1):
                acc = 0.0
                for r in range(n):
                    acc += normal(key, np.uint64(r * p + i)) * normal(key, np.uint64(r * p + j))
                out[i, j, t] = acc
                out[j, i, t] = acc


@nb.njit(parallel=True, cache=True, nogil=True)
def gram_streams(p: int, n: int, seed: np.uint64, first: np.uint64, out: np.ndarray) -> None:
    """Fill ``out`` ``(p, p, B)`` with Gram draws; trajectory ``t`` uses key ``(seed, n, first + t)``.

    Blocks of :data:`GRAM_BLOCK` trajectories run in parallel; each block is one call of
    :func:`_bartlett_block` (``n >= p``) or :func:`_direct_block` (``n < p``).
    """
    nn = np.uint64(n)
    ds = np.zeros(p)  # per diagonal slot: gamma's d and c where its shape (n - i) / 2 >= 1
    cs = np.zeros(p)
    for i in range(p):
        a = 0.5 * float(n - i)
        if a >= 1.0:
            ds[i] = a - 1.0 / 3.0
            cs[i] = 1.0 / np.sqrt(9.0 * ds[i])
    T = out.shape[2]
    for blk in nb.prange((T + GRAM_BLOCK - 1) // GRAM_BLOCK):
        lo = blk * GRAM_BLOCK
        hi = min(T, lo + GRAM_BLOCK)
        if n < p:
            _direct_block(p, nn, seed, first, lo, hi, out)
        else:
            _bartlett_block(p, nn, seed, first, lo, hi, ds, cs, out)
