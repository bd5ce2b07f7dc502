"""Initial conditions: the exact Gram state of Gaussian parameters, O(1) per trajectory.

At init every parameter vector (``u``, ``v``; ``u_1..u_d, v`` for the full model)
has i.i.d. N(0, 1) entries in R^n, so their Gram matrix is Wishart(n, I_p). It is
sampled through the Bartlett decomposition ``G = A A^T`` (``A`` lower triangular,
``A_ii^2 ~ chi2(n - i)``, ``A_ij ~ N(0, 1)`` below the diagonal): the cost does not
depend on n, so n = 1e12 costs what n = 10 does. For n < p (fewer dimensions than
vectors) the vectors are drawn directly. The model state is then read off the
Gram matrix (``f0 = u.v / sqrt(n)``, ``lam0 = (|u|^2 + |v|^2) / n`` for uv, via the
theory layer's projection; the Gram entries themselves for the full model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.sim._compiled import sampler
from catapultlab.sim._kernel import call_lock
from catapultlab.sim._setup import Setup

__all__ = [
    "sample_gram",
    "sample_gram_streams",
    "initial_state",
    "Init",
    "top_ntk",
    "check_reachable",
]


def sample_gram(p: int, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws of the Gram matrix of p Gaussian vectors in R^n, shape ``(size, p, p)``.

    Args:
        p: number of vectors.
        n: their dimension (width).
        size: number of draws.
        rng: random generator.
    """
    if n < p:
        X = rng.standard_normal((size, n, p))
        return np.einsum("bki,bkj->bij", X, X)
    A = np.zeros((p, p, size))  # entry-major: each A_ij is one contiguous array
    for i in range(p):
        A[i, i] = np.sqrt(rng.chisquare(n - i, size))
        if i:
            A[i, :i] = rng.standard_normal((size, i)).T
    G = np.empty((p, p, size))
    for i in range(p):  # G = A A^T, summed over k <= j in a fixed order
        for j in range(i + 1):
            acc = A[i, 0] * A[j, 0]
            for k in range(1, j + 1):
                acc += A[i, k] * A[j, k]
            G[i, j] = acc
            G[j, i] = acc
    return G.transpose(2, 0, 1)


def sample_gram_streams(p: int, n: int, size: int, seed: int, first: int = 0) -> np.ndarray:
    """Gram draws of trajectories ``first .. first + size - 1`` of the cell ``(seed, n)``.

    The compiled, parallel counterpart of :func:`sample_gram`: the same law (Bartlett
    for ``n >= p``, direct draws below), but each trajectory has its own counter-based
    stream (:mod:`catapultlab.sim._rng`), so a trajectory's draw does not depend on
    how the ensemble is split into calls, threads or workers.

    Args:
        p: number of vectors.
        n: their dimension (width).
        size: number of trajectories.
        seed: master seed (any integer; reduced mod 2**64).
        first: global index of the first trajectory.

    Returns:
        ``(size, p, p)`` Gram matrices (a view of an entry-major array).

    Example:
        >>> G = sample_gram_streams(2, 10**12, 4, seed=0)
        >>> bool(abs(G[:, 0, 0] / 1e12 - 1).max() < 1e-4)
        True
        >>> bool((sample_gram_streams(2, 50, 3, seed=1, first=7)[1] ==
        ...       sample_gram_streams(2, 50, 1, seed=1, first=8)[0]).all())
        True
    """
    out = np.empty((p, p, size))
    mask = (1 << 64) - 1
    with call_lock():
        sampler().call(
            "gram_streams", p, int(n), np.uint64(seed & mask), np.uint64(first & mask), out
        )
    return out.transpose(2, 0, 1)


def top_ntk(setup: Setup, state: np.ndarray, n: float) -> np.ndarray:
    """Top eigenvalue of the NTK of each state ``(S, B)`` -> ``(B,)``."""
    return setup.numeric.top_ntk(state, setup.shared(n))


def check_reachable(f0: float, lam0: float, n: float) -> None:
    """Refuse a uv state no real vectors reach: it needs ``|f0| <= sqrt(n) lam0 / 2``."""
    if not (np.isfinite(f0) and np.isfinite(lam0)) or lam0 <= 0:
        raise CatapultError(f"need finite f0 and lam0 > 0, got f0={f0!r}, lam0={lam0!r}")
    if abs(f0) > np.sqrt(n) * lam0 / 2 * (1 + 1e-12):
        raise CatapultError(
            f"unreachable initial state: |f0| = {abs(f0):g} > sqrt(n) lam0 / 2 = "
            f"{np.sqrt(n) * lam0 / 2:g} (no u, v in R^n give it)"
        )


@dataclass(frozen=True)
class Init:
    """Initial conditions of a batch.

    Attributes:
        state: ``(S, B)`` model states.
        lam0: ``(B,)`` top NTK eigenvalue at init.
    """

    __repr__ = short_repr

    state: np.ndarray
    lam0: np.ndarray


def initial_state(
    setup: Setup,
    n: int,
    size: int,
    rng: np.random.Generator | None = None,
    *,
    f0: float | None = None,
    lam0: float | None = None,
    seed: int | None = None,
    first: int = 0,
) -> Init:
    """Initial states: Gaussian init (exact Wishart Gram) or an explicit uv ``(f0, lam0)``.

    Args:
        setup: model and data.
        n: width.
        size: number of trajectories.
        rng: NumPy generator (the reference path; needs ``seed`` to be ``None``).
        f0: explicit initial output (uv only; with ``lam0``).
        lam0: explicit initial NTK (uv only; with ``f0``).
        seed: master seed of the compiled per-trajectory streams
            (:func:`sample_gram_streams`); used instead of ``rng``.
        first: global index of the first trajectory (with ``seed``).

    Returns:
        The batch's initial conditions.

    Raises:
        CatapultError: only one of f0/lam0, an explicit state for the full model, or an
            unreachable state.
    """
    if (f0 is None) != (lam0 is None):
        raise CatapultError("give both --f0 and --lam0, or neither")
    if f0 is not None and lam0 is not None:
        if setup.numeric.state != ("f", "lam"):
            raise CatapultError(
                f"explicit f0/lam0 needs a model iterated in (f, lam); {setup.name!r} is "
                f"iterated in its Gram state ({len(setup.numeric.state)} inner products)"
            )
        check_reachable(float(f0), float(lam0), n)
        state = np.empty((2, size))
        state[0] = f0
        state[1] = lam0
        return Init(state, np.full(size, float(lam0)))
    p = len(setup.numeric.vectors)
    if seed is not None:
        G = sample_gram_streams(p, int(n), size, seed, first)
    elif rng is not None:
        G = sample_gram(p, int(n), size, rng)
    else:
        raise ValueError("a seed or a random generator is needed for Gaussian init")
    state = setup.numeric.state_from_gram(G, n)
    return Init(state, top_ntk(setup, state, n))
