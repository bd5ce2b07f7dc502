"""Late-time attractors of a model's map: fixed point, period-k orbit, chaos, or divergence.

Every learning rate of a scan is iterated at once (the printed NumPy map works on arrays),
from the same initial state: a transient, then a window of states in which the period is
read off the returns (``|x_{t+k} - x_t|`` below a relative tolerance over the whole
window), and the largest Lyapunov exponent is the mean log growth of a tangent vector
under the printed Jacobian. An orbit whose loss leaves the divergence threshold is
divergent; one with no period up to :data:`MAX_PERIOD` is aperiodic (chaos, or an orbit
still drifting: its Lyapunov exponent tells them apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab.phases import StopRule, return_periods
from catapultlab.records import short_repr
from catapultlab.sim._setup import Setup

__all__ = ["MAX_PERIOD", "Attractor", "late_attractors", "iterate_orbits"]

MAX_PERIOD = 64
"""Longest period read off a late-time window; beyond it an orbit counts as aperiodic."""


@dataclass(frozen=True)
class Attractor:
    """The late-time behaviour of one learning rate.

    Attributes:
        eta: the learning rate.
        period: 1 (a fixed point), 2, 4, ... (a periodic orbit), 0 (aperiodic) or ``None``
            (divergent).
        eta_lam: ``eta`` times the top NTK eigenvalue at the points of the orbit (one
            period, sorted; every sampled point for an aperiodic orbit).
        lyapunov: the largest Lyapunov exponent per step (``None`` if divergent).
        state: a point of the orbit (the last state of the window).
    """

    __repr__ = short_repr

    eta: float
    period: int | None
    eta_lam: tuple[float, ...]
    lyapunov: float | None
    state: tuple[float, ...]

    @property
    def stable(self) -> bool | None:
        """Is a periodic orbit stable (largest Lyapunov exponent <= 0)?

        ``False`` flags an unstable orbit the run sits on only because the perturbation
        away from it vanished in float64 (a residual rounded to exactly 0, e.g. after a
        warmup converged at a small rate to a minimum too sharp for the target rate);
        ``None`` for aperiodic and divergent runs.
        """
        if not self.period or self.lyapunov is None:
            return None
        return bool(self.lyapunov <= 1e-9)


def iterate_orbits(
    setup: Setup, state0: np.ndarray, eta: np.ndarray, n: float, steps: int, bound: float
) -> tuple[np.ndarray, np.ndarray]:
    """Iterate the map ``steps`` times for every learning rate at once.

    The setup's learning-rate schedule applies from step 0 (``eta`` is the target).

    Args:
        setup: model and data.
        state0: ``(S,)`` or ``(S, B)`` initial state(s).
        eta: ``(B,)`` learning rates.
        n: width.
        steps: number of steps.
        bound: a run whose loss exceeds this (or is not finite) is marked divergent and
            frozen.

    Returns:
        ``(state (S, B), diverged (B,))``.
    """
    numeric = setup.numeric
    eta = np.asarray(eta, dtype=float)
    state = np.broadcast_to(
        np.asarray(state0, dtype=float).reshape(-1, 1), (len(numeric.state), eta.size)
    ).copy()
    dead = np.zeros(eta.size, dtype=bool)
    if setup.schedule.kind != "constant":
        return _iterate_numpy(setup, state, dead, eta, n, int(steps), bound)
    return _iterate_compiled(setup, state, dead, eta, n, int(steps), bound)


CHUNK = 512
"""Steps the compiled map runs between divergence checks."""


def _iterate_compiled(
    setup: Setup,
    state: np.ndarray,
    dead: np.ndarray,
    eta: np.ndarray,
    n: float,
    steps: int,
    bound: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`iterate_orbits` for a constant rate: the generated Numba map in chunks.

    A run whose loss is above ``bound`` (or not finite) at the end of a chunk is redone
    over that chunk step by step (:func:`_iterate_numpy`), which freezes it where it first
    crossed, as the step-by-step path would have.
    """
    from catapultlab.sim._kernel import run_map

    numeric, shared = setup.numeric, setup.shared(n)
    done = 0
    while done < steps and not dead.all():
        length = min(CHUNK, steps - done)
        live = np.flatnonzero(~dead)
        new = run_map(numeric, state[:, live], eta[live], shared, steps=length)
        with np.errstate(all="ignore"):
            loss = np.asarray(numeric.loss(*new, eta[live], *shared), dtype=float)
        bad = ~(loss * np.ones(live.size) <= bound)
        if bad.any():
            idx = live[bad]
            redo, died = _iterate_numpy(
                setup, state[:, idx], np.zeros(idx.size, bool), eta[idx], n, length, bound
            )
            new[:, bad] = redo
            dead[idx] = died
        state[:, live] = new
        done += length
    return state, dead


def _iterate_numpy(
    setup: Setup,
    state: np.ndarray,
    dead: np.ndarray,
    eta: np.ndarray,
    n: float,
    steps: int,
    bound: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`iterate_orbits` step by step in NumPy (any schedule, from step 0)."""
    numeric, shared, schedule = setup.numeric, setup.shared(n), setup.schedule
    with np.errstate(all="ignore"):
        for t in range(steps):
            eta_t = eta if schedule.kind == "constant" else eta * schedule.factor(t)
            new = np.array(numeric.map(*state, eta_t, *shared), dtype=float).reshape(state.shape)
            loss = np.asarray(numeric.loss(*new, eta, *shared), dtype=float) * np.ones(eta.size)
            dead |= ~(loss <= bound)
            state = np.where(dead, state, new)
    return state, dead


def _window(setup: Setup, state: np.ndarray, eta: np.ndarray, n: float, length: int) -> np.ndarray:
    """``length`` consecutive states ``(length, S, B)`` from ``state``."""
    numeric, shared = setup.numeric, setup.shared(n)
    out = np.empty((length, *state.shape))
    with np.errstate(all="ignore"):
        for t in range(length):
            out[t] = state
            state = np.array(numeric.map(*state, eta, *shared), dtype=float).reshape(state.shape)
    return out


def _periods(window: np.ndarray, rtol: float) -> np.ndarray:
    """Smallest return time ``k <= MAX_PERIOD`` of each orbit (:func:`return_periods`)."""
    return return_periods(window, rtol, MAX_PERIOD)


def _lyapunov(setup: Setup, window: np.ndarray, eta: np.ndarray, n: float) -> np.ndarray:
    """Mean log growth per step of a tangent vector along each orbit of the window."""
    numeric, shared = setup.numeric, setup.shared(n)
    S, B = window.shape[1:]
    v = np.ones((S, B)) / np.sqrt(S)
    total = np.zeros(B)
    with np.errstate(all="ignore"):
        for x in window:
            J = np.array(
                [
                    [np.broadcast_to(np.asarray(e, float), (B,)) for e in row]
                    for row in numeric.jacobian(*x, eta, *shared)
                ]
            )
            v = np.einsum("ijb,jb->ib", J, v)
            norm = np.sqrt((v**2).sum(axis=0)) + 1e-300
            total += np.log(norm)
            v = v / norm
    return total / window.shape[0]


def late_attractors(
    setup: Setup,
    eta: np.ndarray,
    *,
    n: float,
    state0: np.ndarray,
    transient: int = 20_000,
    window: int = 512,
    rtol: float = 1e-9,
    stop: StopRule | None = None,
) -> list[Attractor]:
    """The late-time attractor reached from ``state0`` at each learning rate.

    Args:
        setup: model and data.
        eta: learning rates.
        n: width.
        state0: ``(S,)`` initial state.
        transient: steps before the window (the orbit settles).
        window: states read for the period, the ``eta lambda`` values and the Lyapunov
            exponent (at least ``2 * MAX_PERIOD``).
        rtol: relative tolerance of a return (``|x_{t+k} - x_t| / max |x|``).
        stop: divergence threshold (``diverge_ratio * n``).

    Returns:
        One :class:`Attractor` per learning rate, in order.
    """
    stop = stop or StopRule()
    eta = np.asarray(eta, dtype=float)
    state, dead = iterate_orbits(setup, state0, eta, n, transient, stop.diverge_loss(n))
    win = _window(setup, state, eta, n, max(window, 2 * MAX_PERIOD))
    dead |= ~np.isfinite(win).all(axis=(0, 1))
    period = _periods(np.where(dead, 0.0, win), rtol)
    lyap = _lyapunov(setup, np.where(dead, 0.0, win), eta, n)
    shared = setup.shared(n)
    out = []
    for b, e in enumerate(eta):
        if dead[b]:
            out.append(Attractor(float(e), None, (), None, tuple(state[:, b])))
            continue
        k = int(period[b])
        points = win[-k:, :, b] if k else win[:, :, b]
        lam = setup.numeric.top_ntk(points.T, shared)
        values = np.unique(np.round(e * lam, 12)) if k else e * lam
        out.append(
            Attractor(
                float(e), k, tuple(float(v) for v in values), float(lyap[b]), tuple(win[-1, :, b])
            )
        )
    return out
