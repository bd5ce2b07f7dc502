"""SGD minibatches: one sampling rule, drawn from counter-based streams, shared by every layer.

A :class:`BatchRule` says how the ``B`` samples of step ``t`` are drawn from ``m``:

* ``shuffle`` (the default, a data loader with ``shuffle=True, drop_last=True``): epoch
  ``e`` is a fresh permutation of the samples, cut into ``floor(m / B)`` batches in order;
  the last ``m mod B`` samples of each permutation are dropped, so every batch has ``B``;
* ``without-replacement``: each step draws ``B`` distinct samples, independently of the
  other steps;
* ``with-replacement``: each step draws ``B`` samples uniformly, repeats allowed.

Every draw comes from a Philox generator keyed by ``(seed, counter)``, the counter being
the step (or the epoch for ``shuffle``): the batch of any step is known without drawing the
ones before it, so a trajectory replays bit for bit and a real network and the map can
share one batch sequence (:meth:`BatchRule.indices`). The same rule, under the same
names, is what ``--batch B --sampling RULE`` means in ``simulate``, ``sweep`` and
``validate``.

Example:
    >>> rule = BatchRule(4, "shuffle")
    >>> first_epoch = np.concatenate([rule.indices(10, seed=0, step=t) for t in (0, 1)])
    >>> len(set(first_epoch.tolist()))  # two batches of one permutation: no repeats
    8
    >>> (rule.indices(10, seed=0, step=1) == rule.indices(10, seed=0, step=1)).all()
    np.True_
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = ["SAMPLING", "BatchRule", "check_batch"]

SAMPLING = ("shuffle", "without-replacement", "with-replacement")
"""The sampling rules."""


def _stream(seed: int, counter: int) -> np.random.Generator:
    """An independent Philox stream for ``(seed, counter)`` (the key is both)."""
    key = np.array([seed % 2**64, counter % 2**64], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key))


@dataclass(frozen=True)
class BatchRule:
    """Batch size and sampling rule (see the module docstring).

    Attributes:
        size: ``B``, samples per step.
        sampling: one of :data:`SAMPLING`.
    """

    __repr__ = short_repr

    size: int
    sampling: str = "shuffle"

    def __post_init__(self) -> None:
        if self.sampling not in SAMPLING:
            raise CatapultError(
                f"unknown --sampling {self.sampling!r}; choose one of {', '.join(SAMPLING)}"
            )
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)):
            raise CatapultError(f"--batch must be an integer, got {self.size!r}")
        if self.size < 1:
            raise CatapultError(f"--batch must be at least 1, got {self.size}")

    @property
    def label(self) -> str:
        """``B=32,shuffle``."""
        return f"B={self.size},{self.sampling}"

    def check(self, samples: int) -> None:
        """Refuse a rule the data cannot satisfy (``B > m``)."""
        if self.size > samples:
            raise CatapultError(
                f"--batch {self.size} is larger than the {samples} training samples"
            )

    def indices(self, samples: int, *, seed: int, step: int) -> np.ndarray:
        """The sample indices of step ``step`` (``shuffle``: a slice of its epoch's permutation)."""
        B, m = int(self.size), int(samples)
        if self.sampling == "with-replacement":
            return _stream(seed, step).integers(0, m, B)
        if self.sampling == "without-replacement":
            return _stream(seed, step).choice(m, B, replace=False)
        per_epoch = m // B
        epoch, k = divmod(int(step), per_epoch)
        return _stream(seed, epoch).permutation(m)[k * B : (k + 1) * B]


def check_batch(batch: BatchRule | None, samples: int) -> None:
    """One line for a batch rule the data cannot satisfy (``None``: full batch, always fine)."""
    if batch is not None:
        batch.check(samples)
