"""Mergeable histograms with quantiles: exact for integers, log bins of bounded relative width.

Merging adds integer counts over identical bins, so it is exact, associative and
commutative: merged statistics do not depend on how values were split into chunks, nor on
the order chunks arrive in.

Why fixed bins rather than a KLL/REQ sketch: a KLL sketch's compactions depend on which
values arrive in which chunk (and on a random coin), so two chunkings of the same values
give different sketches even with a fixed merge order, and catapultlab's sweeps promise
numbers that do not depend on the chunk size. A bin here is the set of floats sharing
sign, exponent and the top :data:`MANTISSA_BITS` mantissa bits, so bins have relative
width at most ``2**-MANTISSA_BITS`` over the whole float range and need no range chosen in
advance. A reported quantile interpolates bin midpoints exactly as :func:`numpy.quantile`
(``linear``) interpolates order statistics, so it is within a relative
:data:`QUANTILE_RTOL` of the exact one, and :func:`quantile` also returns a bound on its
rank error (the mass of the bins the exact quantile may lie in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab.records import short_repr

__all__ = ["MANTISSA_BITS", "QUANTILE_RTOL", "Histogram", "log_keys", "key_midpoints", "quantile"]

MANTISSA_BITS = 10
"""Mantissa bits that name a log-histogram bin: bins have relative width <= 2**-10."""

QUANTILE_RTOL = 2.0 ** -(MANTISSA_BITS + 1)
"""Largest relative error of a log-histogram quantile of normal numbers (half a bin)."""

_SHIFT = 52 - MANTISSA_BITS


def log_keys(x: np.ndarray) -> np.ndarray:
    """Order-preserving int64 bin keys of finite float64 values.

    Example:
        >>> log_keys(np.array([1.0, 1.0001, 1.01, -1.0])).tolist()
        [1047552, 1047552, 1047562, -1047553]
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.size == 0 or not np.signbit(x).any():  # the usual case: no shift of the sign
        return x.view(np.int64) >> _SHIFT
    mag = np.abs(x).view(np.int64) >> _SHIFT
    return np.where(np.signbit(x) & (x != 0), -mag - 1, mag)


def key_midpoints(keys: np.ndarray) -> np.ndarray:
    """Midpoint value of each log-histogram bin."""
    keys = np.asarray(keys, dtype=np.int64)
    mag = np.where(keys < 0, -keys - 1, keys)
    lo = (mag << _SHIFT).view(np.float64)
    hi = ((mag + 1) << _SHIFT).view(np.float64)
    mid = lo + (hi - lo) / 2
    return np.where(keys < 0, -mid, mid)


def _count(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and their counts (a bincount when the keys are dense)."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo <= 4 * keys.size + 4096:
        c = np.bincount(keys - lo)
        nz = np.flatnonzero(c)
        return (nz + lo).astype(np.int64), c[nz].astype(np.int64)
    u, c = np.unique(keys, return_counts=True)
    return u.astype(np.int64), c.astype(np.int64)


@dataclass(frozen=True)
class Histogram:
    """Counts over sorted distinct keys: integers themselves, or log-bin keys.

    Attributes:
        keys: sorted distinct int64 keys.
        counts: int64 count of each key.
        log: keys are :func:`log_keys` bins (values are their midpoints), else the values.
    """

    __repr__ = short_repr

    keys: np.ndarray
    counts: np.ndarray
    log: bool

    @staticmethod
    def of(values: np.ndarray, *, log: bool) -> Histogram:
        """Histogram of finite ``values`` (log bins or exact integers)."""
        values = np.asarray(values)
        if values.dtype.kind == "f":
            finite = np.isfinite(values)
            values = values if finite.all() else values[finite]
        keys = log_keys(values) if log else values.astype(np.int64, copy=False)
        return Histogram(*_count(keys), log)

    @staticmethod
    def empty(*, log: bool) -> Histogram:
        """No values."""
        return Histogram(np.empty(0, np.int64), np.empty(0, np.int64), log)

    @property
    def total(self) -> int:
        """Number of values."""
        return int(self.counts.sum())

    def merge(self, other: Histogram) -> Histogram:
        """Exact sum of two histograms of the same kind."""
        at = np.searchsorted(self.keys, other.keys)
        if at.size == 0 or (
            at[-1] < self.keys.size
            and np.array_equal(self.keys[np.minimum(at, self.keys.size - 1)], other.keys)
        ):  # other's keys are all among ours (the common case once a cell has filled up)
            counts = self.counts.copy()
            counts[at] += other.counts
            return Histogram(self.keys, counts, self.log)
        keys = np.concatenate([self.keys, other.keys])
        u, inv = np.unique(keys, return_inverse=True)
        counts = np.zeros(u.size, np.int64)
        np.add.at(counts, inv, np.concatenate([self.counts, other.counts]))
        return Histogram(u, counts, self.log)

    def values(self) -> np.ndarray:
        """The value each key stands for (float64)."""
        return key_midpoints(self.keys) if self.log else self.keys.astype(np.float64)


def quantile(h: Histogram, q: float) -> tuple[float, float]:
    """``q``-quantile as :func:`numpy.quantile` (``linear``) of the binned values, and its rank error.

    Returns:
        ``(value, rank_error)``: NaN and 0 for an empty histogram. For integer
        histograms the value equals ``numpy.quantile`` of the raw values and the rank
        error is 0; for log bins the exact quantile lies in the bins the two bracketing
        order statistics fall in, and ``rank_error`` is their mass over the total (the
        largest possible ``|F(value) - F(exact)|`` of the empirical CDF ``F``).

    Example:
        >>> h = Histogram.of(np.array([3, 1, 2, 2, 7]), log=False)
        >>> quantile(h, 0.5), quantile(h, 0.75)
        ((2.0, 0.0), (3.0, 0.0))
    """
    K = h.total
    if K == 0:
        return float("nan"), 0.0
    # numpy's "linear" method: virtual index K q + (1 - q) - 1, lerp of its neighbours
    virtual = K * q + (1 - q) - 1
    i = int(np.floor(virtual))
    gamma = virtual - i
    i, j = min(max(i, 0), K - 1), min(max(i + 1, 0), K - 1)
    cum = np.cumsum(h.counts)
    bi, bj = (int(np.searchsorted(cum, k, side="right")) for k in (i, j))
    vals = h.values()
    a, b = vals[bi], vals[bj]
    d = b - a
    value = float(b - d * (1 - gamma) if gamma >= 0.5 else a + d * gamma)
    if not h.log:
        return value, 0.0
    below = int(cum[bi - 1]) if bi > 0 else 0
    return value, float((int(cum[bj]) - below) / K)
