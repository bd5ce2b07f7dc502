"""Periodic orbits of a model's map and the learning rates where they double their period.

A period-``k`` orbit is a zero of ``G(x) = F^k(x) - x``, found by Newton's method on the
printed map and its printed Jacobian (``dG = M - I`` with ``M = J(x_{k-1}) ... J(x_0)``,
the orbit's monodromy matrix). A line of minima (the fixed points of a model with a label
are not isolated) makes ``dG`` singular along it: every Newton step is a least-squares
step, and the multipliers equal to 1 are reported as *neutral directions*, not as
(in)stability.

An orbit followed in ``eta`` (continuation: each orbit is the Newton start of the next)
loses stability where its most negative real multiplier crosses ``-1``: that learning rate,
found by bisection, is the onset of period ``2k``. The new orbit is found by Newton
from the old one pushed along the multiplier's eigenvector, just past the onset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.sim._setup import Setup

__all__ = ["Onset", "OrbitError", "multipliers", "newton_orbit", "orbit_points", "period_onsets"]

NEUTRAL = 1e-6
"""A multiplier within this of 1 belongs to a neutral direction (a line of minima)."""


class OrbitError(CatapultError):
    """Newton's method found no periodic orbit near the guess."""


@dataclass(frozen=True)
class Onset:
    """Where an orbit of period ``period // 2`` loses stability and one of ``period`` is born.

    Attributes:
        period: the period born at ``eta``.
        eta: the learning rate (bisected until the bracket is below ``tol``).
        eta_error: the bisection bracket's half width.
        orbit: the old orbit's points at the onset, ``(period // 2, S)``.
        neutral: number of neutral multipliers (directions along a set of fixed points).
        method: how it was found.
    """

    __repr__ = short_repr

    period: int
    eta: float
    eta_error: float
    orbit: tuple[tuple[float, ...], ...]
    neutral: int
    method: str = "continuation of the periodic orbit (Newton), multiplier crossing -1, bisection"


def _step(setup: Setup, x: np.ndarray, eta: float, shared: np.ndarray) -> np.ndarray:
    return np.array(setup.numeric.map(*x, eta, *shared), dtype=float)


def _jac(setup: Setup, x: np.ndarray, eta: float, shared: np.ndarray) -> np.ndarray:
    return np.array(setup.numeric.jacobian(*x, eta, *shared), dtype=float)


def orbit_points(setup: Setup, x: np.ndarray, eta: float, n: float, k: int) -> np.ndarray:
    """``x, F(x), ..., F^{k-1}(x)`` as ``(k, S)``."""
    shared = setup.shared(n)
    out = [np.asarray(x, dtype=float)]
    for _ in range(k - 1):
        out.append(_step(setup, out[-1], eta, shared))
    return np.array(out)


def _monodromy(setup: Setup, x: np.ndarray, eta: float, n: float, k: int) -> tuple:
    """``(F^k(x), M)``: the image after ``k`` steps and the product of the Jacobians."""
    shared = setup.shared(n)
    M = np.eye(len(x))
    with np.errstate(all="ignore"):
        for _ in range(k):
            M = _jac(setup, x, eta, shared) @ M
            x = _step(setup, x, eta, shared)
    return x, M


def newton_orbit(
    setup: Setup, guess: np.ndarray, eta: float, n: float, k: int, *, tol: float = 1e-12
) -> np.ndarray:
    """A point of a period-``k`` orbit near ``guess`` (least-squares Newton on ``F^k(x) = x``).

    Raises:
        OrbitError: no convergence within 60 steps, or the iterate left the finite numbers.
    """
    x = np.asarray(guess, dtype=float).copy()
    for _ in range(60):
        image, M = _monodromy(setup, x, eta, n, k)
        g = image - x
        scale = np.abs(x).max() + 1e-300
        if not np.all(np.isfinite(g)):
            break
        if np.abs(g).max() <= tol * scale:
            return x
        dx = np.linalg.lstsq(M - np.eye(len(x)), -g, rcond=None)[0]
        x = x + dx
    raise OrbitError(f"no period-{k} orbit found near the guess at eta = {eta:.6g}")


def multipliers(setup: Setup, x: np.ndarray, eta: float, n: float, k: int) -> np.ndarray:
    """Eigenvalues of the orbit's monodromy matrix (its Floquet multipliers)."""
    return np.linalg.eigvals(_monodromy(setup, x, eta, n, k)[1])


def _flip(mults: np.ndarray) -> float:
    """The most negative real multiplier that is not neutral (``+inf`` if none is real)."""
    real = mults[(np.abs(mults.imag) < 1e-9) & (np.abs(mults - 1) > NEUTRAL)].real
    return float(real.min()) if real.size else float("inf")


def _neutral(mults: np.ndarray) -> int:
    return int(np.sum(np.abs(mults - 1) <= NEUTRAL))


def _bisect(setup: Setup, x: np.ndarray, lo: float, hi: float, n: float, k: int, tol: float):
    """The learning rate in ``[lo, hi]`` where the flip multiplier crosses -1, and the orbit."""
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        xm = newton_orbit(setup, x, mid, n, k)
        if _flip(multipliers(setup, xm, mid, n, k)) < -1.0:
            hi = mid
        else:
            lo, x = mid, xm
    return 0.5 * (lo + hi), 0.5 * (hi - lo), x


def _genuine(setup: Setup, x: np.ndarray, eta: float, n: float, k: int) -> bool:
    """Is ``x`` on an orbit of period exactly ``k`` (not on one of period ``k / 2``)?"""
    if k % 2:
        return True
    half = orbit_points(setup, x, eta, n, k // 2 + 1)[-1]
    return bool(np.abs(half - x).max() > 1e-6 * (np.abs(x).max() + 1e-300))


def _follow(setup: Setup, x: np.ndarray, eta: float, eta_max: float, n: float, k: int, h: float):
    """Continue the period-``k`` orbit from ``eta`` until its multiplier crosses -1.

    A step is halved until Newton converges to a genuine period-``k`` orbit (near a
    period doubling the new orbit lies close to the old one, which Newton also solves).
    """
    while eta < eta_max:
        nxt = min(eta + h, eta_max)
        try:
            x2 = newton_orbit(setup, x, nxt, n, k)
            if not _genuine(setup, x2, nxt, n, k):
                raise OrbitError("collapsed onto the orbit of half the period")
        except OrbitError:
            h /= 4
            if h < 1e-13:
                return None
            continue
        if _flip(multipliers(setup, x2, nxt, n, k)) < -1.0:
            return eta, nxt, x
        eta, x, h = nxt, x2, min(2 * h, (eta_max - eta) / 8 + 1e-15)
    return None


def _doubled(setup: Setup, x: np.ndarray, eta: float, n: float, k: int) -> np.ndarray:
    """A point of the period-``2k`` orbit born at a flip below ``eta``.

    Just past the flip the new orbit is the attractor: the old orbit pushed along the
    flip multiplier's eigenvector is iterated forward until it settles, then refined by
    Newton (which from too far would find the old, now unstable, orbit again).
    """
    from catapultlab.sim._orbits import iterate_orbits

    _, M = _monodromy(setup, x, eta, n, k)
    w, V = np.linalg.eig(M)
    v = np.real(V[:, int(np.argmin(np.abs(w + 1)))])
    scale = np.abs(x).max() + 1e-300
    start = x + 1e-3 * scale * v
    settled, dead = iterate_orbits(setup, start, np.array([eta]), n, 200_000 // max(k, 1), np.inf)
    if dead[0]:
        raise OrbitError(f"the orbit past the flip at eta = {eta:.6g} left the finite numbers")
    y = newton_orbit(setup, settled[:, 0], eta, n, 2 * k)
    if not _genuine(setup, y, eta, n, 2 * k):
        raise OrbitError(f"no period-{2 * k} orbit found past the flip at eta = {eta:.6g}")
    return y


def period_onsets(
    setup: Setup,
    x: np.ndarray,
    *,
    eta: float,
    eta_max: float,
    n: float,
    period: int = 1,
    max_period: int = 16,
    tol: float = 1e-11,
) -> list[Onset]:
    """The period-doubling onsets met when the attractor at ``eta`` is followed to ``eta_max``.

    Args:
        setup: model and data.
        x: a point of the attractor at ``eta`` (a fixed point, or a point of its orbit).
        eta: where to start.
        eta_max: where to stop.
        n: width.
        period: the attractor's period at ``eta``.
        max_period: the last period whose onset is sought.
        tol: width of each onset's final bisection bracket.

    Returns:
        The onsets in order of increasing ``eta`` (periods ``2 period``, ``4 period``, ...).
    """
    out: list[Onset] = []
    x = newton_orbit(setup, x, eta, n, period)
    h = (eta_max - eta) / 64
    while period < max_period:
        found = _follow(setup, x, eta, eta_max, n, period, h)
        if found is None:
            break
        lo, hi, x = found
        at, err, x = _bisect(setup, x, lo, hi, n, period, tol)
        mults = multipliers(setup, x, at, n, period)
        orbit = orbit_points(setup, x, at, n, period)
        out.append(Onset(2 * period, at, err, tuple(map(tuple, orbit)), _neutral(mults)))
        gap = at - (out[-2].eta if len(out) > 1 else eta)
        step = max(1e3 * tol, 1e-3 * gap)
        x, eta, period = _doubled(setup, x, at + step, n, period), at + step, 2 * period
        h = 1e-2 * gap
    return out
