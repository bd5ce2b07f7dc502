"""Ensembles of trajectories, streamed in chunks of fixed seed blocks.

Trajectory ``k`` of a cell at width ``n`` draws its initial Gram state from its
own counter-based stream keyed by ``(seed, n, k)``
(:func:`catapultlab.sim.sample_gram_streams`, compiled and parallel). A runtime
chunk is a whole number of ``SEED_BLOCK`` trajectories, and neither the draws nor
the kernel (lanes are independent IEEE computations) depend on the chunk size, the
thread count or the backend. Every ``c`` at a given
``n`` sees the same initial conditions (common random numbers: phase fractions are
then monotone in ``c`` whenever each trajectory's outcome is).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from catapultlab import CatapultError
from catapultlab.checks import check_int, check_positive, check_seed, check_steps, check_width
from catapultlab.phases import Phase, StopRule, catapult_needs_drop, refine_catapult
from catapultlab.records import short_repr
from catapultlab.sim._init import initial_state, top_ntk
from catapultlab.sim._kernel import run_kernel
from catapultlab.sim._limit import limit_start
from catapultlab.sim._pure import run_pure
from catapultlab.sim._settle import settle
from catapultlab.sim._setup import Setup

__all__ = [
    "SEED_BLOCK",
    "ChunkTask",
    "Outcomes",
    "run_chunk",
    "run_ensemble",
    "chunk_tasks",
    "validate_common",
]

SEED_BLOCK = 1024
"""Trajectories per seed block: the unit of chunking."""


def validate_common(
    *,
    c: float | None = None,
    n: float | None = None,
    steps: object = None,
    ensemble: object = None,
    seed: object = None,
    dtype: str = "float64",
) -> None:
    """Raise :class:`CatapultError` on a bad c, width, step count, size or seed.

    The limits are those of :mod:`catapultlab.checks` (widths below 2**53, seeds in
    ``[0, 2**32)``, float32 step budgets below 2**24).
    """
    if c is not None:
        check_positive("c", c)
    if n is not None:
        check_width(n, infinite=True)
    if steps is not None:
        check_steps(steps, dtype)
    if ensemble is not None:
        check_int("ensemble size", ensemble, lo=1)
    if seed is not None:
        check_seed(seed)


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of one cell: plain data (picklable), so it can travel to a dask worker.

    Attributes:
        setup: the model and its data.
        c: control parameter ``eta * lam0``.
        n: width.
        seed: master seed.
        first_block: first seed block of the chunk.
        sizes: trajectories in each of its blocks.
        steps: step budget.
        stop: thresholds.
        dtype: kernel precision.
        backend: ``"kernel"`` (generated Numba) or ``"numpy"`` (pure path).
        f0: explicit uv f0 (with ``lam0``), else Gaussian init.
        lam0: explicit uv lam0.
        keep_state: return final states.
        grid: what ``c`` holds: ``"c"`` (``eta lam0``, per trajectory ``eta = c / lam0``) or
            ``"eta"`` (a fixed learning rate for every trajectory).
    """

    __repr__ = short_repr

    setup: Setup
    c: float
    n: float
    seed: int
    first_block: int
    sizes: tuple[int, ...]
    steps: int
    stop: StopRule = field(default_factory=StopRule)
    dtype: str = "float64"
    backend: str = "kernel"
    f0: float | None = None
    lam0: float | None = None
    keep_state: bool = False
    grid: str = "c"


@dataclass(frozen=True)
class Outcomes:
    """Per-trajectory outcomes.

    Attributes:
        phase: :class:`Phase` codes (int8).
        rose: the loss rose above its initial value at some step.
        eta: learning rates.
        lam0: initial top NTK eigenvalue.
        eta_lam_final: ``eta`` times the final top NTK eigenvalue.
        peak_loss: largest loss (step 0 included).
        t_peak: first step reaching it.
        steps: steps until the run stopped.
        state: final states ``(S, B)`` when requested, else None.
    """

    __repr__ = short_repr

    phase: np.ndarray
    rose: np.ndarray
    eta: np.ndarray
    lam0: np.ndarray
    eta_lam_final: np.ndarray
    peak_loss: np.ndarray
    t_peak: np.ndarray
    steps: np.ndarray
    state: np.ndarray | None = None

    @staticmethod
    def concat(parts: list[Outcomes]) -> Outcomes:
        """Concatenate outcomes in order."""
        names = ["phase", "rose", "eta", "lam0", "eta_lam_final", "peak_loss", "t_peak", "steps"]
        kw = {k: np.concatenate([getattr(p, k) for p in parts]) for k in names}
        states = [p.state for p in parts]
        kw["state"] = None if any(s is None for s in states) else np.concatenate(states, axis=1)
        return Outcomes(**kw)

    def arrays(self) -> dict[str, np.ndarray]:
        """The outcome arrays by name (for saving)."""
        out = {
            k: getattr(self, k)
            for k in [
                "phase",
                "rose",
                "eta",
                "lam0",
                "eta_lam_final",
                "peak_loss",
                "t_peak",
                "steps",
            ]
        }
        if self.state is not None:
            out["state"] = self.state
        return out


class _Start(NamedTuple):
    state0: np.ndarray
    lam0: np.ndarray
    eta: np.ndarray
    shared: np.ndarray
    converge_loss: float
    diverge_loss: float


def _start(task: ChunkTask) -> _Start:
    """Initial states, rates and thresholds of a chunk (at ``n = inf``: its limit orbits)."""
    setup = task.setup
    if np.isinf(task.n):
        s = limit_start(
            setup,
            task.c,
            seed=task.seed,
            first_block=task.first_block,
            sizes=task.sizes,
            block=SEED_BLOCK,
            stop=task.stop,
        )
        shared = setup.shared(task.n)
        eta = np.full_like(s.eta, task.c) if task.grid == "eta" else s.eta
        return _Start(s.state, s.lam0, eta, shared, s.converge_loss, s.diverge_loss)
    init = initial_state(
        setup,
        task.n,
        sum(task.sizes),
        f0=task.f0,
        lam0=task.lam0,
        seed=None if task.f0 is not None else task.seed,
        first=task.first_block * SEED_BLOCK,
    )
    return _Start(
        init.state,
        init.lam0,
        np.full_like(init.lam0, task.c) if task.grid == "eta" else task.c / init.lam0,
        setup.shared(task.n),
        task.stop.converge_loss,
        task.stop.diverge_loss(task.n),
    )


def run_chunk(task: ChunkTask) -> Outcomes:
    """Run one chunk (a pure function of ``task``)."""
    setup = task.setup
    state0, lam0, eta, shared, converge_loss, diverge_loss = _start(task)
    if task.backend == "kernel":
        raw = run_kernel(
            setup.numeric,
            state0,
            eta,
            shared,
            converge_loss=converge_loss,
            diverge_loss=diverge_loss,
            rise_tol=task.stop.rise_tol,
            max_steps=task.steps,
            dtype=task.dtype,
            schedule=setup.schedule,
        )
    elif task.backend == "numpy":
        raw = run_pure(
            setup.numeric,
            state0,
            eta,
            shared,
            n=1.0 if np.isinf(task.n) else task.n,  # thresholds on the rescaled scale
            stop=replace(task.stop, converge_loss=converge_loss),
            max_steps=task.steps,
            dtype=task.dtype,
            schedule=setup.schedule,
        ).run
    else:
        raise CatapultError(f"unknown backend {task.backend!r}")
    final = raw.state.astype(np.float64, copy=False)  # the kernel's own arrays: no copies
    finite = np.isfinite(final)
    with np.errstate(all="ignore"):
        if finite.all():  # the usual chunk (nothing diverged): no masking passes
            lam_final = top_ntk(setup, final, task.n)
        else:
            lam_final = top_ntk(setup, np.where(finite, final, 0.0), task.n)
            lam_final = np.where(finite.all(axis=0), lam_final, np.nan)
    phase = raw.phase.astype(np.int8, copy=False)
    rose = (phase == Phase.CATAPULT) | (phase == Phase.DIVERGENT)
    rose |= (phase == Phase.UNRESOLVED) & (raw.t_peak > 0)
    if catapult_needs_drop(setup.numeric.step, dict(setup.hyper).get("beta")):
        phase = refine_catapult(phase, lam0, lam_final, task.stop.lam_drop)
    phase = settle(
        setup,
        phase,
        state=final,
        eta=eta * setup.schedule.factor(raw.steps),
        lam0=lam0,
        lam_final=lam_final,
        rose=rose,
        n=task.n,
        stop=task.stop,
    )
    peak = raw.peak.astype(np.float64, copy=False)
    return Outcomes(
        phase=phase,
        rose=rose,
        eta=eta,
        lam0=lam0,
        eta_lam_final=eta * lam_final,
        peak_loss=peak,
        t_peak=raw.t_peak.astype(np.int64, copy=False),
        steps=raw.steps.astype(np.int64, copy=False),
        state=final if task.keep_state else None,
    )


def chunk_tasks(
    setup: Setup,
    *,
    c: float,
    n: int,
    ensemble: int,
    steps: int,
    seed: int,
    chunk: int = 64 * SEED_BLOCK,
    **kw: object,
) -> list[ChunkTask]:
    """Split an ensemble of one cell into chunk tasks of ``ceil(chunk / SEED_BLOCK)`` blocks."""
    validate_common(
        c=c, n=n, steps=steps, ensemble=ensemble, seed=seed, dtype=str(kw.get("dtype", "float64"))
    )
    if chunk < 1:
        raise CatapultError(f"chunk size must be >= 1, got {chunk!r}")
    nblocks = -(-ensemble // SEED_BLOCK)
    sizes = [SEED_BLOCK] * nblocks
    sizes[-1] = ensemble - SEED_BLOCK * (nblocks - 1)
    per = max(1, -(-chunk // SEED_BLOCK))
    return [
        ChunkTask(
            setup=setup,
            c=float(c),
            n=float(n) if np.isinf(n) else int(n),
            seed=int(seed),
            first_block=b,
            sizes=tuple(sizes[b : b + per]),
            steps=int(steps),
            **kw,
        )  # type: ignore[arg-type]
        for b in range(0, nblocks, per)
    ]


def run_ensemble(
    setup: Setup,
    *,
    c: float,
    n: int,
    ensemble: int,
    steps: int,
    seed: int = 0,
    chunk: int = 64 * SEED_BLOCK,
    stop: StopRule | None = None,
    dtype: str = "float64",
    backend: str = "kernel",
    f0: float | None = None,
    lam0: float | None = None,
    keep_state: bool = False,
) -> Outcomes:
    """Run ``ensemble`` trajectories of one cell, chunk by chunk.

    Args:
        setup: model and data.
        c: control parameter; each trajectory gets ``eta = c / lam0``.
        n: width.
        ensemble: number of trajectories.
        steps: step budget.
        seed: master seed.
        chunk: trajectories per chunk (rounded up to whole seed blocks).
        stop: thresholds (default :class:`StopRule`).
        dtype: ``"float64"`` or ``"float32"``.
        backend: ``"kernel"`` or ``"numpy"``.
        f0: explicit uv initial output (with ``lam0``).
        lam0: explicit uv initial NTK.
        keep_state: keep final states.

    Returns:
        The outcomes, trajectory 0 first.

    Example:
        >>> from catapultlab.sim import make_setup
        >>> out = run_ensemble(make_setup("uv", y=1.0), c=3.0, n=256, ensemble=8, steps=500)
        >>> sorted(set(out.phase.tolist()))
        [1]
    """
    tasks = chunk_tasks(
        setup,
        c=c,
        n=n,
        ensemble=ensemble,
        steps=steps,
        seed=seed,
        chunk=chunk,
        stop=stop or StopRule(),
        dtype=dtype,
        backend=backend,
        f0=f0,
        lam0=lam0,
        keep_state=keep_state,
    )
    return Outcomes.concat([run_chunk(t) for t in tasks])
