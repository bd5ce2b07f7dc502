"""Infinite width: the outcome law of a model as ``n -> oo``, from its limit map (``--n inf``).

The theory layer derives the limit (:class:`catapultlab.theory.WidthLimit`): the rescaled
map is the model's map at ``n = 1``, and the rescaled initial state is
``center(Z) + fluctuation(Z) / sqrt(n) + O(1/n)`` with Gaussian Gram fluctuations ``Z``.
Nothing here samples a large finite ``n``. A trajectory's limit is taken as follows.

* **The center is a fixed point** (labels vanish on the rescaled scale, ``y~ = 0``): the
  orbit starts infinitesimally close to it. The map's Jacobian at the center has a
  dominant multiplier ``mu`` (largest ``|mu|``), real, with right and left eigenvectors
  ``e`` and ``w``. Where ``|mu| > 1`` (past the linear-stability edge) the linear phase
  amplifies ``xi = w . fluctuation``: after ``t`` steps the orbit sits on the unstable
  manifold at ``xi mu^t / sqrt(n)`` along ``e``, and it enters the nonlinear region at a
  point fixed by ``sign(xi mu^t)`` and the *phase* ``phi = frac(log|xi mu^t / sqrt(n)| /
  log|mu|)``. As ``n`` grows, ``-log(n) / (2 log|mu|)`` sweeps the phase round the circle:
  the finite-``n`` law of ``phi`` oscillates in ``log n`` about the uniform law with the
  amplitude of the Fourier coefficients of ``log|xi|`` at ``2 pi k / log|mu|`` (for a
  Gaussian ``xi``: ``1 / sqrt(cosh(pi^2 k / log|mu|))``, 1.6% at ``c = 4``, 5% at
  ``c = 5.5`` for ``k = 1``), and its average over ``log n`` is uniform. The law reported
  at ``n = inf`` is that average: ``phi ~ U[0, 1)``, an independent sign for ``mu > 0``
  (one orbit for ``mu < 0``, which flips the sign each step), and the orbit starts at
  ``center + sign A |mu|^phi e`` with ``A`` = :data:`ENTRY_AMPLITUDE` (the error of that
  truncation is ``O(A)``; the tests compare ``A`` and ``A / 100``). Below the edge the
  orbit starts at ``center + A fluctuation / |fluctuation|`` and decays.
* **The center is not a fixed point** (``--y-scaled`` labels, or an output of order one
  on the rescaled scale): the orbit starts at the center itself (the ``1/sqrt(n)``
  correction does not matter at ``n = inf``).

Stop rules are those of a finite-``n`` run read on the rescaled scale: a run diverges
when its rescaled loss exceeds ``diverge_ratio`` (``diverge_loss(n) / n``), converges when
its loss falls to ``converge_loss`` times ``A^2`` (the entry's loss is of order ``A^2``),
and ``steps`` counts from the entry. A schedule of finite length is over before the
orbit reaches the nonlinear scale at infinite width, so it is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab import CatapultError
from catapultlab.phases import StopRule
from catapultlab.records import short_repr
from catapultlab.sim._setup import Setup

__all__ = [
    "ENTRY_AMPLITUDE",
    "NO_SCHEDULE_AT_INFINITY",
    "LimitStart",
    "check_limit",
    "finite_widths",
    "limit_entries",
    "limit_law",
    "limit_start",
    "loss_width",
    "phase_law_bound",
    "width_label",
]

ENTRY_AMPLITUDE = 1e-6
"""``A``: the distance from the center (in units of the state's scale) where a limit
orbit starts."""

_STREAM_TAG = 0x696E66  # "inf": the limit draws' streams differ from the Gram draws'


NO_SCHEDULE_AT_INFINITY = (
    "--n inf: a schedule of finite length ends before the orbit reaches the nonlinear scale "
    "at infinite width; use a finite --n"
)
"""Why a schedule is refused at ``n = inf``."""


def loss_width(n: float) -> float:
    """What divides a run's loss to put it on the rescaled scale: ``n``, or 1 at ``n = inf``.

    A limit orbit's loss is already rescaled (the limit of ``loss / n`` for outputs on the
    ``sqrt(n)`` scale).
    """
    return 1.0 if np.isinf(n) else float(n)


def width_label(n: float) -> int | str:
    """A width as JSON and tables show it: the integer, or ``"inf"``."""
    return "inf" if np.isinf(n) else int(n)


def finite_widths(widths: tuple[float, ...]) -> list[int]:
    """Indices of the finite widths (fits in ``log n`` use these)."""
    return [j for j, n in enumerate(widths) if np.isfinite(n)]


@dataclass(frozen=True)
class LimitStart:
    """Where the limit orbits of a batch start, and what they run with.

    Attributes:
        state: ``(S, B)`` rescaled initial states.
        lam0: ``(B,)`` the rescaled top NTK eigenvalue at the center.
        eta: ``(B,)`` rescaled learning rates ``c / lam0``.
        multiplier: ``(B,)`` the dominant multiplier at the center (NaN where the center
            is not a fixed point).
        converge_loss: the convergence threshold on the rescaled loss.
        diverge_loss: the divergence threshold on the rescaled loss.
    """

    __repr__ = short_repr

    state: np.ndarray
    lam0: np.ndarray
    eta: np.ndarray
    multiplier: np.ndarray
    converge_loss: float
    diverge_loss: float


def check_limit(setup: Setup) -> None:
    """Refuse, in one line, a setup without an infinite-width limit.

    Raises:
        CatapultError: the model keeps ``n`` after rescaling (or its init does), labels
            that grow on the rescaled scale, a weight decay on an NTK that scales with
            ``n``, or a schedule of finite length.
    """
    limit = setup.numeric.limit
    if not limit.exists:
        raise CatapultError(f"--n inf: {setup.name!r} has no infinite-width limit: {limit.reason}")
    if limit.label_exponent < 0 and any(setup.data.y) and not setup.data.labels_scaled:
        raise CatapultError(
            f"--n inf: fixed labels grow on {setup.name!r}'s nonlinear scale n^"
            f"({limit.label_exponent:g}); give them on that scale with --y-scaled"
        )
    if limit.ntk_exponent != 0 and dict(setup.hyper).get("kappa", 0.0):
        raise CatapultError(
            f"--n inf: the NTK of {setup.name!r} scales as n^({limit.ntk_exponent:g}), so a "
            f"fixed weight decay has no limit"
        )
    if setup.schedule.kind != "constant":
        raise CatapultError(NO_SCHEDULE_AT_INFINITY)


def _draws(
    setup: Setup, seed: int, first_block: int, sizes: tuple[int, ...], block: int
) -> np.ndarray:
    """``(F + 1, B)``: the Gram fluctuations (scaled to their variances) and a phase.

    Each seed block of ``block`` trajectories has its own stream, so a trajectory's draws
    do not depend on how the ensemble is split into chunks.
    """
    limit = setup.numeric.limit
    sd = np.sqrt(np.asarray(limit.variances, dtype=float))[:, None]
    parts = []
    for b, size in enumerate(sizes):
        rng = np.random.default_rng([int(seed), first_block + b, _STREAM_TAG])
        z = rng.standard_normal((len(sd), block)) * sd
        phase = rng.random((1, block))
        parts.append(np.concatenate([z, phase])[:, :size])
    return np.concatenate(parts, axis=1)


def _columns(values: list, size: int) -> np.ndarray:
    """Printed-function output (entries scalar or ``(B,)``) as ``(S, B)`` floats."""
    out = np.empty((len(values), size))
    for row, v in zip(out, values, strict=True):
        row[...] = v
    return out


def _jacobians(setup: Setup, state: np.ndarray, eta: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """``(B, S, S)`` Jacobians of the map."""
    S, B = state.shape
    rows = setup.numeric.jacobian(*state, eta, *shared)
    J = np.empty((B, S, S))
    for i in range(S):
        for j in range(S):
            J[:, i, j] = rows[i][j]
    return J


def _dominant_projector(J: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Dominant multiplier ``(B,)`` and the spectral projector onto its eigenspace ``(B, S, S)``.

    The eigenspace holds every multiplier equal to the dominant one (a degenerate NTK,
    such as orthogonal inputs of one norm, gives several): the linear phase amplifies the
    fluctuation's projection onto it, so the orbit enters along that projection.

    Raises:
        CatapultError: a complex dominant pair, or dominant multipliers ``mu`` and ``-mu``.
    """
    values, vectors = np.linalg.eig(J)
    top = values[np.arange(len(values)), np.argmax(np.abs(values), axis=1)]
    unstable = np.abs(top) > 1 + 1e-9
    if np.any(unstable & (np.abs(top.imag) > 1e-9 * np.abs(top))):
        raise CatapultError(
            f"--n inf at c = {c:g}: the dominant multiplier is complex, so the entry into the "
            "nonlinear region has no phase law here"
        )
    modulus = np.abs(values) >= np.abs(top)[:, None] * (1 - 1e-9)
    same = np.abs(values - top[:, None]) <= 1e-9 * np.abs(top)[:, None]
    if np.any(unstable & np.any(modulus & ~same, axis=1)):
        raise CatapultError(
            f"--n inf at c = {c:g}: dominant multipliers mu and -mu share a modulus, so the "
            "entry direction alternates between steps"
        )
    left = np.linalg.inv(vectors)
    keep = same[:, :, None] * left  # rows of the dominant eigenvalues
    projector = np.einsum("bsk,bkt->bst", vectors, keep).real
    return top.real, projector


def limit_start(
    setup: Setup,
    c: float,
    *,
    seed: int,
    first_block: int,
    sizes: tuple[int, ...],
    block: int,
    stop: StopRule,
    amplitude: float = ENTRY_AMPLITUDE,
) -> LimitStart:
    """Where the limit orbits of a chunk of trajectories start (see the module docstring).

    Args:
        setup: model and data (:func:`check_limit` must pass).
        c: ``eta lam0``.
        seed: master seed.
        first_block: the chunk's first seed block.
        sizes: trajectories in each of its blocks.
        block: trajectories per full seed block.
        stop: thresholds.
        amplitude: ``A``.

    Returns:
        The start of every orbit.
    """
    draws = _draws(setup, seed, first_block, sizes, block)
    return limit_entries(setup, c, draws[:-1], draws[-1], stop=stop, amplitude=amplitude)


def _entry_steps(
    projector: np.ndarray,
    mu: np.ndarray,
    fluct: np.ndarray,
    phase: np.ndarray,
    sign: np.ndarray | None,
) -> np.ndarray:
    """``(S, B)`` unit steps from the center: ``|mu|^phase`` along the amplified fluctuation.

    Past the edge (``|mu| > 1``) the step is the fluctuation's projection on the dominant
    eigenspace (max-norm 1, its sign replaced by ``sign`` when given) times
    ``|mu|^phase``; below it, the fluctuation itself (max-norm 1).
    """
    B = phase.size
    P = np.broadcast_to(projector, (B, *projector.shape[1:]))
    along = np.einsum("bst,tb->sb", P, fluct)
    along /= np.maximum(np.abs(along).max(axis=0), 1e-300)
    if sign is not None:
        lead = along[np.abs(along).argmax(axis=0), np.arange(B)]
        along *= sign * np.where(lead < 0, -1.0, 1.0)
    grows = np.abs(mu) > 1 + 1e-9
    below = fluct / np.maximum(np.abs(fluct).max(axis=0), 1e-300)
    return np.where(grows, np.abs(mu) ** phase * along, below)


def limit_entries(
    setup: Setup,
    c: float | np.ndarray,
    z: np.ndarray,
    phase: np.ndarray,
    *,
    stop: StopRule,
    sign: np.ndarray | None = None,
    amplitude: float = ENTRY_AMPLITUDE,
) -> LimitStart:
    """Limit orbits' starts for given Gram fluctuations ``z`` ``(F, B)`` and phases ``(B,)``.

    ``c`` is one value or one per orbit ``(B,)``.

    ``sign`` (``(B,)`` of +-1) replaces the sign of ``xi`` (a quadrature over the entry
    law instead of a sample of it).
    """
    numeric, limit = setup.numeric, setup.numeric.limit
    B = phase.size
    c_of = np.broadcast_to(np.asarray(c, dtype=float), (B,))
    center = _columns(numeric.functions["limit_center"](*z), B)
    fluct = _columns(numeric.functions["limit_fluctuation"](*z), B)
    shared = setup.shared(np.inf)
    lam0 = numeric.top_ntk(center, shared)
    eta = c_of / lam0
    with np.errstate(all="ignore"):
        moved = _columns(numeric.map(*center, eta, *shared), B) - center
    scale = np.maximum(np.abs(center).max(axis=0), 1.0)
    fixed = np.abs(moved).max(axis=0) <= 1e-12 * scale
    state = center.copy()
    mu = np.full(B, np.nan)
    if fixed.any():
        idx = np.flatnonzero(fixed)
        # one Jacobian per distinct c where the center is deterministic
        keys = (
            np.asarray(c_of, dtype=float)[idx] if not limit.random_center else np.arange(idx.size)
        )
        _, first, back = np.unique(keys, return_index=True, return_inverse=True)
        J = _jacobians(setup, center[:, idx[first]], eta[idx[first]], shared)
        top, projector = _dominant_projector(J, float(np.max(c_of)))
        top, projector = top[back], projector[back]
        mu[idx] = top
        signs = None if sign is None else sign[idx]
        step = _entry_steps(projector, mu[idx], fluct[:, idx], phase[idx], signs)
        state[:, idx] += amplitude * scale[idx] * step
    return LimitStart(
        state=state,
        lam0=lam0,
        eta=eta,
        multiplier=mu,
        converge_loss=stop.converge_loss * amplitude**2,
        diverge_loss=stop.diverge_loss(1.0),
    )


def phase_law_bound(multiplier: float, terms: int = 16) -> float:
    """How far a finite-``n`` outcome fraction can sit from the ``n = inf`` one (phase law).

    The entry phase at width ``n`` is ``frac((log|xi| - log(n) / 2) / log|mu|)`` with a
    Gaussian ``xi``; its density differs from the uniform one by at most
    ``2 sum_k |E[|xi|^(2 pi i k / log|mu|)]| = 2 sum_k 1 / sqrt(cosh(pi^2 k / log|mu|))``,
    which bounds ``|p(n) - p(inf)|`` for every outcome fraction ``p``, up to ``O(n^-1/2)``.

    Example:
        >>> round(phase_law_bound(-3.0), 4)
        0.032
        >>> phase_law_bound(0.5)  # a stable center: no phase
        0.0
    """
    log_mu = float(np.log(abs(multiplier)))
    if not np.isfinite(log_mu) or log_mu <= 0:
        return 0.0
    x = np.pi**2 * np.arange(1, terms + 1) / log_mu
    return float(2 * np.sum(np.sqrt(2.0 / (1.0 + np.exp(-2 * x))) * np.exp(-x / 2)))


def limit_law(setup: Setup, c: float) -> dict[str, object]:
    """What the ``n = inf`` law of a cell is (for a result's JSON).

    Returns:
        ``{"entry", "multiplier", "finite_n_bound"}``: where the orbits enter
        (``"unstable manifold"`` of the center, ``"center"`` when it is not a fixed point,
        ``"stable center"`` below the edge), the dominant multiplier there and
        :func:`phase_law_bound` (``None`` where the center is random).
    """
    if setup.numeric.limit.random_center:
        return {"entry": "random center", "multiplier": None, "finite_n_bound": None}
    start = limit_start(setup, c, seed=0, first_block=0, sizes=(1,), block=1, stop=StopRule())
    mu = float(start.multiplier[0])
    if not np.isfinite(mu):
        return {"entry": "center", "multiplier": None, "finite_n_bound": 0.0}
    entry = "unstable manifold" if abs(mu) > 1 + 1e-9 else "stable center"
    return {"entry": entry, "multiplier": mu, "finite_n_bound": phase_law_bound(mu)}
