"""The divergence boundary as what it is: a set of c, from the model's infinite-width law.

:func:`divergence_set` evaluates the ``n = inf`` law (:mod:`catapultlab.sim._limit`) on a
``c`` grid by quadrature over the entry phase (``K`` midpoints of ``[0, 1)`` times both
signs; for a random center the Gram fluctuations are drawn) and reports the intervals of
``c`` where ``p_divergent`` is 0, strictly between 0 and 1, or 1. Each interval's ends are
known to half a grid step; the fraction inside a "between" interval to ``1 / (2K)``; a run
that has neither diverged nor converged within the step budget counts as not divergent.

:func:`divergence_vs_label` does the same with the labels held on the outputs' nonlinear
scale, ``y~ = y / n^(b_f)`` fixed (every orbit then starts at the center: one run per ``c``),
which gives ``c_div(y~)``: where the label's own scale moves the edge.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from catapultlab.phases import Phase, StopRule
from catapultlab.sim._kernel import run_kernel
from catapultlab.sim._limit import check_limit, limit_entries, limit_law
from catapultlab.sim._setup import Setup

__all__ = ["divergence_set", "divergence_vs_label", "set_intervals"]


def _power(value: float) -> str:
    """An exponent as people write it: ``0.5 -> 1/2``."""
    from fractions import Fraction

    return str(Fraction(value).limit_denominator(24))


def _c_grid(c_max: float, dc: float) -> np.ndarray:
    return np.round(np.arange(1, int(round(c_max / dc)) + 1) * dc, 12)


def _divergent(setup: Setup, c: np.ndarray, phases: int, steps: int, seed: int) -> np.ndarray:
    """``(len(c), 2 * phases)`` booleans: which quadrature orbits diverge at each c."""
    numeric, limit = setup.numeric, setup.numeric.limit
    K = 2 * phases
    phase = np.tile((np.arange(phases) + 0.5) / phases, 2)
    sign = np.repeat([1.0, -1.0], phases)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((len(limit.variances), K)) * np.sqrt(limit.variances)[:, None]
    stop = StopRule()
    tile = (1, len(c))
    start = limit_entries(
        setup,
        np.repeat(c, K),
        np.tile(z, tile),
        np.tile(phase, len(c)),
        stop=stop,
        sign=np.tile(sign, len(c)),
    )
    run = run_kernel(
        numeric,
        start.state,
        start.eta,
        setup.shared(np.inf),
        converge_loss=start.converge_loss,
        diverge_loss=start.diverge_loss,
        rise_tol=stop.rise_tol,
        max_steps=steps,
    )
    return (run.phase == Phase.DIVERGENT).reshape(len(c), K)


def set_intervals(c: np.ndarray, p: np.ndarray, dc: float) -> list[dict[str, Any]]:
    """Runs of ``c`` where ``p`` is 0, between, or 1: ``[{"c", "p_divergent", "p_range"}]``.

    An interval's ends are the midpoints between grid points of different classes (each
    known to ``dc / 2``); the first starts at 0 and the last is open.

    Example:
        >>> set_intervals(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.5, 1.0]), 1.0)[1]
        {'c': [1.5, 2.5], 'p_divergent': 'between', 'p_range': [0.5, 0.5]}
    """
    kind = np.where(p == 0, 0, np.where(p == 1, 2, 1))
    names = ("0", "between", "1")
    out: list[dict[str, Any]] = []
    start = 0
    for i in range(1, len(c) + 1):
        if i < len(c) and kind[i] == kind[start]:
            continue
        lo = 0.0 if start == 0 else round(float(c[start] - dc / 2), 10)
        hi = None if i == len(c) else round(float(c[i] - dc / 2), 10)
        block = p[start:i]
        out.append(
            {
                "c": [lo, hi],
                "p_divergent": names[kind[start]],
                "p_range": [float(block.min()), float(block.max())],
            }
        )
        start = i
    return out


def divergence_set(
    setup: Setup,
    *,
    c_max: float,
    dc: float = 0.01,
    phases: int = 32,
    steps: int = 3000,
    seed: int = 0,
) -> dict[str, Any]:
    """The set of c where the ``n = inf`` law diverges (labels fixed, so ``y~ -> 0``).

    Args:
        setup: model and step-rule values (its labels are ignored: ``y~ = 0``).
        c_max: the grid's upper end.
        dc: grid step.
        phases: quadrature points in the entry phase (each with both signs).
        steps: step budget per orbit, counted from the entry.
        seed: seed of the Gram fluctuations (they matter only for a random center).

    Returns:
        ``{"method", "regime", "intervals", "first_divergent"}`` (see :func:`set_intervals`).
    """
    setup = replace(setup, data=replace(setup.data, y=(0.0,) * setup.samples, labels_scaled=False))
    check_limit(setup)
    c = _c_grid(c_max, dc)
    p = _divergent(setup, c, phases, steps, seed).mean(axis=1)
    hit = np.flatnonzero(p > 0)
    entry = limit_law(setup, float(c[-1]))["entry"]
    how = (
        f"entering along the unstable manifold of the init's center at {phases} phases x 2 signs"
        if entry != "center"
        else "starting at the init's center, which the limit map moves (e.g. weight decay "
        "shrinks the NTK over the linear phase, which lasts ~log n steps)"
    )
    return {
        "method": (
            f"infinite-width law: orbits of the limit map {how}; c grid step {dc:g} "
            f"(ends to +-{dc / 2:g}); budget {steps} steps from the entry (runs still open "
            "count as not divergent)"
        ),
        "entry": entry,
        "regime": f"n -> oo with y / n^({_power(setup.numeric.limit.label_exponent)}) -> 0",
        "intervals": set_intervals(c, p, dc),
        "first_divergent": None if hit.size == 0 else round(float(c[hit[0]] - dc / 2), 10),
        "resolution": dc / 2,
    }


def divergence_vs_label(
    setup: Setup,
    labels: tuple[float, ...],
    *,
    c_max: float,
    dc: float = 0.01,
    steps: int = 3000,
) -> list[dict[str, Any]]:
    """``c_div(y~)``: the divergent set at ``n = inf`` with labels ``y~`` on the nonlinear scale.

    Returns:
        Per label: ``{"ytilde", "c_divergent", "divergent_intervals"}`` (the first c that
        diverges, to ``dc / 2``, and every interval of c that does).
    """
    c = _c_grid(c_max, dc)
    out = []
    for value in labels:
        scaled = replace(
            setup, data=replace(setup.data, y=(float(value),) * setup.samples, labels_scaled=True)
        )
        check_limit(scaled)
        p = _divergent(scaled, c, 1, steps, 0)[:, 0].astype(float)
        rows = [r for r in set_intervals(c, p, dc) if r["p_divergent"] == "1"]
        out.append(
            {
                "ytilde": float(value),
                "c_divergent": rows[0]["c"][0] if rows else None,
                "divergent_intervals": [r["c"] for r in rows],
            }
        )
    return out
