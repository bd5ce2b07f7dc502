"""Hit patterns across the ``c`` grid: the sufficient statistic of the boundary bootstrap.

Trajectory ``k`` at width ``n`` starts from the same initial state at every ``c``
(same seed block), so across a grid of ``C`` values it has one hit pattern (a
boolean per ``c``: diverged, or the loss rose). The boundary bootstrap resamples
trajectories, and a resample only sees how many trajectories carry each pattern:
the counts of the distinct patterns are sufficient. A pattern that is monotone in
``c`` (no hits, then only hits) is one threshold index ``t`` in ``0..C`` (the
first ``c`` with a hit; ``C`` for none), so most trajectories collapse into
``C + 1`` counts; the few non-monotone ones are kept as distinct packed patterns
with counts. Merging adds counts, so it is exact and does not depend on how the
trajectories were chunked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from catapultlab.records import short_repr

__all__ = ["HitPatterns"]


@dataclass(frozen=True)
class HitPatterns:
    """Counts of the hit patterns of some trajectories over a grid of ``C`` values.

    Attributes:
        monotone: int64 ``(C + 1,)``: trajectories whose first hit is at grid index ``t``
            and that hit at every later index (``t = C``: never hit).
        other: non-monotone patterns (``numpy.packbits`` of the ``C`` booleans) -> count.
    """

    __repr__ = short_repr

    monotone: np.ndarray
    other: dict[bytes, int] = field(default_factory=dict)

    @staticmethod
    def of(hits: np.ndarray) -> HitPatterns:
        """Patterns of ``hits`` ``(C, K)`` (trajectory ``k`` in column ``k`` at every ``c``).

        Example:
            >>> h = np.array([[0, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 1]], dtype=bool)
            >>> p = HitPatterns.of(h)
            >>> p.monotone.tolist(), list(p.other.values())
            ([0, 2, 1, 0], [1])
        """
        hits = np.asarray(hits, dtype=bool)
        C = hits.shape[0]
        mono = ~np.any(hits[:-1] & ~hits[1:], axis=0)  # no hit followed by a miss
        first = C - np.count_nonzero(hits, axis=0)[mono]
        counts = np.bincount(first, minlength=C + 1).astype(np.int64)
        other: dict[bytes, int] = {}
        rest = hits[:, ~mono]
        if rest.shape[1]:
            packed = np.packbits(rest, axis=0).T  # (K', ceil(C/8))
            u, c = np.unique(packed, axis=0, return_counts=True)
            other = {row.tobytes(): int(k) for row, k in zip(u, c, strict=True)}
        return HitPatterns(counts, other)

    @staticmethod
    def empty(C: int) -> HitPatterns:
        """No trajectories over ``C`` grid values."""
        return HitPatterns(np.zeros(C + 1, np.int64))

    @property
    def grid_size(self) -> int:
        """``C``."""
        return self.monotone.size - 1

    @property
    def total(self) -> int:
        """Number of trajectories."""
        return int(self.monotone.sum()) + sum(self.other.values())

    def merge(self, other: HitPatterns) -> HitPatterns:
        """Exact sum of counts."""
        rest = dict(self.other)
        for k, v in other.other.items():
            rest[k] = rest.get(k, 0) + v
        return HitPatterns(self.monotone + other.monotone, rest)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """``(patterns (J, C) float64, counts (J,) int64)`` in a canonical order.

        The ``C + 1`` monotone patterns come first (threshold ``0..C``), then the
        non-monotone ones sorted by their packed bytes.
        """
        C = self.grid_size
        mono = (np.arange(C)[None, :] >= np.arange(C + 1)[:, None]).astype(np.float64)
        keys = sorted(self.other)
        if keys:
            packed = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1)
            rest = np.unpackbits(packed, axis=1, count=C).astype(np.float64)
            mono = np.vstack([mono, rest])
        counts = np.concatenate(
            [self.monotone, np.asarray([self.other[k] for k in keys], dtype=np.int64)]
        )
        return mono, counts

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Flat arrays under ``prefix`` (for a file); inverse of :meth:`from_arrays`."""
        keys = sorted(self.other)
        width = -(-self.grid_size // 8)
        return {
            f"{prefix}/monotone": self.monotone,
            f"{prefix}/other": np.frombuffer(b"".join(keys), np.uint8).reshape(len(keys), width),
            f"{prefix}/other_counts": np.asarray([self.other[k] for k in keys], np.int64),
        }

    @staticmethod
    def from_arrays(a: dict[str, np.ndarray], prefix: str) -> HitPatterns:
        """Rebuild from :meth:`to_arrays`."""
        rows = np.asarray(a[f"{prefix}/other"], np.uint8)
        counts = np.asarray(a[f"{prefix}/other_counts"], np.int64)
        return HitPatterns(
            np.asarray(a[f"{prefix}/monotone"], np.int64),
            {r.tobytes(): int(k) for r, k in zip(rows, counts, strict=True)},
        )
