"""Trajectories of a block map (:class:`catapultlab.theory.BlockNumeric`) under GD or SGD.

SGD is a random composition of the same map on batches: step ``t`` applies the block map
with the rows of its batch (:meth:`catapultlab.batches.BatchRule.indices`, counter-based,
so a run replays bit for bit and a network can share the sequence). Every step records
the full-batch loss and the top NTK eigenvalue (matrix-free Lanczos on the derived
``Theta w``). Spikes are found by the one rule (:func:`catapultlab.phases.loss_spikes`);
for each, ``eta lambda`` before and after and the share of the residual change it made
that lies in the top NTK eigendirections before it.

The initial blocks of width-``n`` Gaussian matrices are drawn from their exact law (a
Wishart matrix with ``n`` degrees of freedom, Bartlett's construction through SciPy), so
a run costs nothing in ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab.batches import BatchRule, check_batch
from catapultlab.phases import SPIKE_FACTOR, StopRule, loss_spikes
from catapultlab.records import short_repr

__all__ = [
    "BlockRun",
    "block_init",
    "block_memory",
    "check_block_memory",
    "run_block",
    "top_ntk_pairs",
]

OVERLAP_TOP = 4
"""How many top NTK eigendirections a spike's residual is projected on."""


@dataclass(frozen=True)
class BlockRun:
    """One trajectory of a block map.

    Attributes:
        eta: learning rate.
        lam0: top NTK eigenvalue at init (full batch).
        losses: full-batch loss per step, step 0 first (stops at divergence).
        lam: top NTK eigenvalue per step (NaN where not measured, see ``lam_every``).
        diverged: the loss left ``diverge_loss`` or the finite numbers.
        rose: the full-batch loss rose above its initial value at some step.
        spikes: per spike ``{"start", "peak", "end", "eta_lam_before", "eta_lam_after",
            "top_overlap"}`` (``top_overlap[k]``: the share of what the spike added to the
            residual, its outputs at the peak minus those the step before it, in the top
            ``k + 1`` NTK eigendirections of that step: a catapult is ~1 at ``k = 0``).
        batch: the batch rule's label, ``"full"`` for GD.
        entry_step: at ``n = inf``, the batch counter where the orbit left the linear
            phase (0 at finite ``n``).
        growth: at ``n = inf``, the linear phase's log growth per step (NaN at finite
            ``n``).
        rescaled_losses: at ``n = inf``, the rescaled orbit's losses from its entry
            (``losses`` are then the kernel regime's, on the ``O(1)`` scale).
    """

    __repr__ = short_repr

    eta: float
    lam0: float
    losses: np.ndarray
    lam: np.ndarray
    diverged: bool
    rose: bool
    spikes: tuple[dict[str, Any], ...]
    batch: str
    entry_step: int = 0
    growth: float = float("nan")
    rescaled_losses: np.ndarray | None = None


STATES_HELD = 8
"""Block states a run holds at once (current, next, the step's temporaries, a spike's)."""


def block_memory(numeric: Any, m: int, d: int, k: int) -> float:
    """Bytes a block-map run needs (float64).

    :data:`STATES_HELD` states of the blocks, the data and its batch copies, and the
    eigensolver's Krylov vectors over the ``m k`` outputs.
    """
    cols = {"d": d, "k": k}
    kind = dict(numeric.factors)
    state = sum(cols[kind[a]] * cols[kind[b]] for _, a, b in numeric.pairs)
    return 8.0 * (STATES_HELD * state + 3 * m * (d + k) + 40 * m * k)


def check_block_memory(numeric: Any, m: int, d: int, k: int) -> None:
    """One line, before any compute, when a block-map run would not fit in memory."""
    from catapultlab.checks import check_memory

    check_memory(block_memory(numeric, m, d, k), f"a block map with d = {d}, m = {m}, k = {k}")


def block_init(
    numeric: Any, n: int, d: int, rng: np.random.Generator, outputs: int = 1
) -> dict[str, Any]:
    """The blocks of the Gaussian parameter matrices (N(0, 1) entries), at any ``n``.

    The Gram matrix of the columns of all parameters side by side (``[U V]`` for the full
    model) is Wishart with ``n`` degrees of freedom (Bartlett's construction, SciPy);
    velocities start at zero.
    """
    from scipy.stats import wishart

    p = parameter_columns(numeric, d, outputs)
    if n >= p:
        gram = wishart(df=int(n), scale=np.eye(p)).rvs(random_state=rng).reshape(p, p)
    else:
        W = rng.standard_normal((int(n), p))
        gram = W.T @ W
    return gram_blocks(numeric, gram, d, outputs)


def _columns(numeric: Any, d: int, k: int) -> dict[str, slice]:
    """Each parameter's columns in the side-by-side matrix ``[U V ...]`` (velocities: none)."""
    cols, where, p = {"d": d, "k": k}, {}, 0
    for name, kind in numeric.factors:
        if not name.startswith("vel_"):
            where[name] = slice(p, p + cols[kind])
            p += cols[kind]
    return where


def parameter_columns(numeric: Any, d: int, k: int) -> int:
    """How many columns the parameters have side by side (``d + k`` for the full model)."""
    return sum(s.stop - s.start for s in _columns(numeric, d, k).values())


def gram_blocks(numeric: Any, gram: np.ndarray, d: int, k: int) -> dict[str, Any]:
    """The blocks of the parameters' side-by-side Gram matrix (velocity blocks zero)."""
    where, cols, kind = _columns(numeric, d, k), {"d": d, "k": k}, dict(numeric.factors)
    return {
        name: gram[where[a], where[b]]
        if a in where and b in where
        else np.zeros((cols[kind[a]], cols[kind[b]]))
        for name, a, b in numeric.pairs
    }


def batch_rows(batch: BatchRule | None, seed: int, step: int, *arrays: Any) -> tuple[Any, ...]:
    """The rows of step ``step``'s batch of each array (all rows for full-batch GD)."""
    if batch is None:
        return arrays
    idx = batch.indices(arrays[0].shape[0], seed=int(seed), step=step)
    return tuple(a[idx] for a in arrays)


def top_ntk_pairs(numeric: Any, state: dict[str, Any], X: Any, n: float, k: int = 1) -> Any:
    """The top ``k`` eigenvalues (descending) and eigenvectors of ``Theta``, matrix-free.

    Lanczos on the derived ``Theta w``; eigenvectors over the ``m x outputs`` outputs,
    sample-major.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    shape = (X.shape[0], numeric.outputs(state))
    size = shape[0] * shape[1]
    if size <= max(2 * k + 1, 8):
        w, V = np.linalg.eigh(numeric.ntk(state, X, n))
        return w[::-1][:k], V[:, ::-1][:, :k]

    def matvec(w: np.ndarray) -> np.ndarray:
        return np.asarray(numeric.ntk_vector(state, X, n, w.reshape(shape))).reshape(-1)

    w, V = eigsh(
        LinearOperator((size, size), matvec=matvec, dtype=float), k=k, which="LA", tol=1e-10
    )
    order = np.argsort(w)[::-1]
    return w[order], V[:, order]


def _spike_rows(
    numeric: Any, states: dict, X: Any, Y: Any, n: float, eta: float, spans: list
) -> tuple[dict[str, Any], ...]:
    rows = []
    for start, peak, end in spans:
        before = max(start - 1, 0)
        lam_before, V = top_ntk_pairs(numeric, states[before], X, n, OVERLAP_TOP)
        rise = np.asarray(numeric.output(states[peak], X, n)).reshape(-1)  # sample-major
        rise -= np.asarray(numeric.output(states[before], X, n)).reshape(-1)
        share = np.cumsum((V.T @ rise) ** 2) / max(float(rise @ rise), 1e-300)
        rows.append(
            {
                "start": start,
                "peak": peak,
                "end": end,
                "eta_lam_before": eta * float(lam_before[0]),
                "eta_lam_after": eta * float(top_ntk_pairs(numeric, states[end], X, n)[0][0]),
                "top_overlap": [float(s) for s in share],
            }
        )
    return tuple(rows)


def _iterate(
    numeric: Any,
    state: dict[str, Any],
    data: tuple[np.ndarray, np.ndarray],
    *,
    eta: float,
    n: float,
    steps: int,
    batch: BatchRule | None,
    seed: int,
    bound: float,
    hyper: dict[str, float],
    keep: frozenset[int] = frozenset(),
    lam_every: int = 1,
    final: bool = True,
    first_step: int = 0,
) -> tuple[list[float], list[float], bool, dict[int, Any]]:
    """Full-batch losses, top NTK eigenvalues, divergence, and the states in ``keep``.

    The eigenvalue is measured at the start (unless ``lam_every`` is 0), every
    ``lam_every`` steps, and at the last step when ``final`` (NaN where not measured).
    Step ``t`` takes the batch of counter ``first_step + t``.
    """
    X, Y = data

    def lam_of(state: dict[str, Any]) -> float:
        return float(top_ntk_pairs(numeric, state, X, n)[0][0])

    losses, kept = [numeric.loss(state, X, Y, n)], {}
    lam = [lam_of(state) if (lam_every or final) else np.nan]
    if 0 in keep:
        kept[0] = state
    for t in range(int(steps)):
        Xb, Yb = batch_rows(batch, seed, first_step + t, X, Y)
        new = numeric.step_once(state, Xb, Yb, eta=eta, n=n, **hyper)
        losses.append(numeric.loss(new, X, Y, n))
        if not losses[-1] <= bound:
            return losses, lam, True, kept
        state = new
        last = t + 1 == int(steps)
        due = (lam_every and (t + 1) % lam_every == 0) or (last and final)
        lam.append(lam_of(state) if due else np.nan)
        if t + 1 in keep:
            kept[t + 1] = state
        if keep and t + 1 >= max(keep):
            break
    return losses, lam, False, kept


def run_block(
    numeric: Any,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n: float,
    c: float,
    steps: int,
    batch: BatchRule | None = None,
    seed: int = 0,
    init: dict[str, Any] | None = None,
    spike_factor: float = SPIKE_FACTOR,
    stop: StopRule | None = None,
    lam_every: int = 1,
    spike_details: bool = True,
    **hyper: float,
) -> BlockRun:
    """Iterate a block map from a Gaussian init (or ``init``) at ``eta = c / lam0``.

    The states at the spikes' peaks are recovered by replaying the run (the batches are
    counter-based), so memory does not grow with the number of steps.

    Args:
        numeric: the printed block map.
        X: inputs ``(m, d)``.
        Y: labels ``(m,)`` or ``(m, k)`` (``k`` outputs).
        n: width; ``inf`` runs the limit law (:mod:`catapultlab.sim._block_limit`:
            losses on the rescaled scale from the entry, labels vanish).
        c: ``eta lam0`` with ``lam0`` the full-batch top NTK eigenvalue at init.
        steps: number of steps.
        batch: SGD batches (``None``: full-batch GD).
        seed: seed of the init (stream 0) and of the batches (the same seed).
        init: the initial blocks (else drawn, :func:`block_init`).
        spike_factor: the spike rule's factor (:func:`catapultlab.phases.loss_spikes`).
        stop: the divergence threshold (``diverge_ratio * n``).
        lam_every: measure the top NTK eigenvalue every this many steps (always at the
            start and the last step, and at the spikes).
        spike_details: ``eta lambda`` around each spike and its top-direction share (one
            replay of the run); else only the spikes' steps.
        **hyper: the step rule's values (``beta``, ``kappa``).
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
    check_batch(batch, X.shape[0])
    check_block_memory(numeric, X.shape[0], X.shape[1], Y.shape[1])
    stop = stop or StopRule()
    if np.isinf(n):
        return _limit_run(numeric, X, Y, c, steps, batch, seed, init, stop, lam_every, hyper)
    rng = np.random.default_rng([int(seed), 0])
    state0 = init if init is not None else block_init(numeric, int(n), X.shape[1], rng, Y.shape[1])
    lam0 = float(top_ntk_pairs(numeric, state0, X, n)[0][0])
    eta = float(c) / lam0
    kw = dict(eta=eta, n=n, batch=batch, seed=seed, bound=stop.diverge_loss(n), hyper=hyper)
    losses, lam, diverged, _ = _iterate(
        numeric, state0, (X, Y), steps=steps, lam_every=lam_every, **kw
    )  # fmt: skip
    L, lam_arr = np.asarray(losses), np.asarray(lam)
    spans = [(a, p, min(e, lam_arr.size - 1)) for a, p, e in loss_spikes(L, spike_factor)]
    spans = [s for s in spans if s[1] < lam_arr.size]  # a divergent run's last spike: no state
    needed = frozenset(k for a, p, e in spans for k in (max(a - 1, 0), p, e))
    if spike_details and needed:
        _, _, _, states = _iterate(
            numeric, state0, (X, Y), steps=steps, keep=needed, lam_every=0, final=False, **kw
        )  # fmt: skip
        spikes = _spike_rows(numeric, states, X, Y, n, eta, spans)
    else:
        spikes = tuple({"start": a, "peak": p, "end": e} for a, p, e in spans)
    return BlockRun(
        eta=eta,
        lam0=lam0,
        losses=L,
        lam=lam_arr,
        diverged=diverged,
        rose=bool(np.nanmax(L[1:], initial=-np.inf) > L[0] * (1 + stop.rise_tol)),
        spikes=spikes,
        batch="full" if batch is None else batch.label,
    )


def _limit_run(
    numeric: Any,
    X: np.ndarray,
    Y: np.ndarray,
    c: float,
    steps: int,
    batch: BatchRule | None,
    seed: int,
    init: dict[str, Any] | None,
    stop: StopRule,
    lam_every: int,
    hyper: dict[str, float],
) -> BlockRun:
    """``n = inf``: the limit orbit (:mod:`catapultlab.sim._block_limit`); labels vanish."""
    from catapultlab import CatapultError
    from catapultlab.sim._block_limit import check_block_limit, run_block_limit

    if init is not None:
        raise CatapultError("--n inf starts from the limit law; an explicit init needs a finite n")
    check_block_limit(numeric, X.shape[1], Y.shape[1], hyper)
    return run_block_limit(
        numeric, (X, Y), c=c, steps=steps, batch=batch, seed=seed, stop=stop,
        lam_every=lam_every, hyper=hyper,
    )  # fmt: skip
