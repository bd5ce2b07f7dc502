"""The bifurcation diagram of a model's map: late-time attractors over a grid of ``eta``.

:func:`bifurcation` reads the late-time attractor at every learning rate of a grid
(:func:`catapultlab.sim._orbits.late_attractors`) and, from the first periodic attractor
of the grid, follows the periodic orbit to the grid's end, locating every period
doubling by its multiplier crossing ``-1`` (:func:`catapultlab.sim._onsets.period_onsets`),
not by counting values in a scan. Successive onsets give Feigenbaum's ratio
``delta_k = (eta_k - eta_{k-1}) / (eta_{k+1} - eta_k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.sim._onsets import Onset, OrbitError, period_onsets
from catapultlab.sim._orbits import Attractor, late_attractors
from catapultlab.sim._setup import Setup

__all__ = [
    "Bifurcation",
    "bifurcation",
    "bifurcation_to_json",
    "closed_forms",
    "feigenbaum_ratios",
]

HISTOGRAM_BINS = 64
"""Bins of the ``eta * lambda`` histogram of an aperiodic attractor."""


@dataclass(frozen=True)
class Bifurcation:
    """A bifurcation scan.

    Attributes:
        model: model name.
        n: width.
        labels: the labels.
        step_rule: the step rule's label.
        hyper: step-rule values.
        state0: the initial state every learning rate starts from.
        attractors: one per learning rate of the grid.
        onsets: the period doublings met following the first periodic attractor.
        onset_note: why there are no (more) onsets, when that is known.
        edge: the model's derived linear-stability edge in ``eta * lambda`` (the edge of
            stability of a fixed point).
    """

    __repr__ = short_repr

    model: str
    n: float
    labels: tuple[float, ...]
    step_rule: str
    hyper: dict[str, float]
    state0: tuple[float, ...]
    attractors: tuple[Attractor, ...]
    onsets: tuple[Onset, ...]
    onset_note: str
    edge: float | None


def feigenbaum_ratios(onsets: tuple[Onset, ...]) -> list[dict[str, Any]]:
    """``delta_k = (eta_k - eta_{k-1}) / (eta_{k+1} - eta_k)`` of successive onsets.

    Example:
        >>> o = [Onset(2 ** (i + 1), eta, 0.0, (), 0) for i, eta in enumerate([1.0, 2.0, 2.25])]
        >>> feigenbaum_ratios(tuple(o))
        [{'periods': [2, 4, 8], 'delta': 4.0}]
    """
    out = []
    for a, b, c in zip(onsets, onsets[1:], onsets[2:], strict=False):
        out.append(
            {"periods": [a.period, b.period, c.period], "delta": (b.eta - a.eta) / (c.eta - b.eta)}
        )
    return out


def bifurcation(
    setup: Setup,
    eta: np.ndarray,
    *,
    n: float,
    state0: np.ndarray,
    transient: int = 20_000,
    max_period: int = 16,
    onsets: bool = True,
) -> Bifurcation:
    """Late-time attractors over the grid ``eta`` and the period-doubling onsets.

    Args:
        setup: model and data.
        eta: increasing learning rates.
        n: width.
        state0: the initial state of every run.
        transient: steps before the attractor is read.
        max_period: the last period whose onset is sought.
        onsets: follow the periodic orbit for the onsets (else only the scan).

    Raises:
        CatapultError: every learning rate of the grid diverges (no attractor to read).
    """
    eta = np.asarray(eta, dtype=float)
    found = late_attractors(setup, eta, n=n, state0=state0, transient=transient)
    if all(a.period is None for a in found):
        raise CatapultError(
            f"no attractor on this eta grid: every run diverges (eta {eta[0]:g} to {eta[-1]:g})"
        )
    doublings: list[Onset] = []
    note = ""
    start = next((a for a in found if a.period not in (None, 0)), None)
    if onsets and start is None:
        note = "no periodic attractor on the grid to follow"
    elif onsets:
        start, doublings = _leave_line_of_minima(setup, found, start, n)
        try:
            doublings += period_onsets(
                setup,
                np.array(start.state),
                eta=start.eta,
                eta_max=float(eta[-1]),
                n=n,
                period=int(start.period),
                max_period=max_period,
            )
        except OrbitError as exc:
            note = str(exc)
    return Bifurcation(
        model=setup.name,
        n=float(n),
        labels=setup.y,
        step_rule=setup.numeric.step.label,
        hyper=dict(setup.hyper),
        state0=tuple(float(v) for v in state0),
        attractors=tuple(found),
        onsets=tuple(doublings),
        onset_note=note,
        edge=setup.numeric.edges(**dict(setup.hyper)).get("lazy_catapult"),
    )


def _leave_line_of_minima(
    setup: Setup, found: list[Attractor], start: Attractor, n: float
) -> tuple[Attractor, list[Onset]]:
    """Where the first attractor is a fixed point on a line of minima, the period-2 onset.

    Fixed points that are not isolated cannot be followed in ``eta``: each learning rate
    lands on another point of the set (from a small init, the flattest one it reaches).
    So the onset of period 2 is where the flip multiplier of the fixed point *reached*
    extrapolates to ``-1`` (a line through the last two fixed-point attractors of the grid;
    its error is the change from a line through the last three), and the period-2
    attractor is followed from there. Returns the attractor to follow and the onset (none
    when the fixed points are isolated or no period-2 attractor is on the grid).
    """
    from catapultlab.sim._onsets import NEUTRAL, _flip, multipliers

    after = [a for a in found if a.eta > start.eta and a.period == 2]
    if start.period != 1 or not after:
        return start, []
    below = [a for a in found if a.period == 1 and a.eta < after[0].eta][-3:]
    mults = [multipliers(setup, np.array(a.state), a.eta, n, 1) for a in below]
    if len(below) < 2 or not np.any(np.abs(mults[-1] - 1) <= NEUTRAL):
        return start, []
    eta = np.array([a.eta for a in below])
    flip = np.array([_flip(m) for m in mults])

    def crossing(k: int) -> float:
        slope, intercept = np.polyfit(eta[-k:], flip[-k:], 1)
        return float((-1.0 - intercept) / slope)

    at = crossing(2)
    err = abs(crossing(3) - at) if len(below) == 3 else abs(after[0].eta - below[-1].eta)
    onset = Onset(
        2,
        at,
        err,
        (below[-1].state,),
        int(np.sum(np.abs(mults[-1] - 1) <= NEUTRAL)),
        "the fixed points form a set with neutral directions (each eta reaches another of "
        "them): the flip multiplier of the fixed point reached, extrapolated to -1",
    )
    return after[0], [onset]


def _attractor_json(a: Attractor) -> dict[str, Any]:
    doc: dict[str, Any] = {"eta": a.eta, "period": a.period, "lyapunov": a.lyapunov}
    if a.stable is False:
        doc["stable"] = False  # an unstable orbit held only by rounding (Attractor.stable)
    if a.period == 0:
        counts, edges = np.histogram(np.asarray(a.eta_lam), bins=HISTOGRAM_BINS)
        doc["eta_lam"] = {"histogram": {"edges": edges.tolist(), "counts": counts.tolist()}}
    else:
        doc["eta_lam"] = list(a.eta_lam)
    return doc


def closed_forms(model: Any, labels: tuple[float, ...], n: float) -> dict[str, Any] | None:
    """The exact onsets of a scalar map (:func:`catapultlab.theory.scalar_dynamics`), as text.

    ``None`` where the model's late-time dynamics have no closed form here (or, at ``y = 0``,
    no scale: ``eta_hat = eta y / sqrt(n)`` vanishes). The learning
    rates are given in ``eta_hat`` (a combination of ``eta``, the label and ``n``) and as
    ``eta`` at this run's label and width.
    """
    import sympy as sp

    from catapultlab.theory import scalar_dynamics

    d = scalar_dynamics(model)
    if d is None:
        return None
    (y,) = model.labels
    at = {y: labels[0], model.params[1]: n}
    solved = sp.solve(sp.Eq(d.eta_hat.subs(at), sp.Symbol("k")), model.params[0])
    if not solved:  # eta_hat does not involve eta here (y = 0: the label sets the scale)
        return None
    eta_per_eta_hat = solved[0]

    def eta(k: Any) -> float | None:
        return None if k is None else float(eta_per_eta_hat.subs(sp.Symbol("k"), k))

    attractor = [c for c in d.cycles if c.attractor]
    return {
        "eta_hat": str(d.eta_hat),
        "fixed_point_multipliers": [str(m) for m in d.multipliers],
        "neutral_directions": d.neutral,
        "reachable": None if d.reachable is None else f"|phi| <= {d.reachable} * ell",
        "period_2": {"eta_hat": str(d.period_two), "eta": eta(d.period_two)},
        "two_cycle": None
        if not attractor
        else {
            "residual_s": [str(s) for s in attractor[0].residual],
            "eta_lam": [str(e) for e in attractor[0].eta_lam],
            "monodromy_trace": str(attractor[0].trace),
            "monodromy_det": str(attractor[0].det),
        },
        "period_4": {"eta_hat": str(d.period_four), "eta": eta(d.period_four)},
        "method": "exact (SymPy): fixed-point multipliers and reachability; 2-cycles by "
        "resultant of the lambda-eliminated equations; flip where 1 + tr + det = 0",
    }


def bifurcation_to_json(result: Bifurcation, exact: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``bifurcation --json`` document (``attractors``, ``onsets``, ``feigenbaum``, ...).

    Args:
        result: the scan.
        exact: the closed forms (:func:`closed_forms`), when the model has them.
    """
    return {
        "model": result.model,
        "n": result.n,
        "y": list(result.labels),
        "step_rule": result.step_rule,
        "hyper": result.hyper,
        "state0": list(result.state0),
        "edge_of_stability_eta_lam": result.edge,
        "attractors": [_attractor_json(a) for a in result.attractors],
        "onsets": [
            {
                "period": o.period,
                "eta": o.eta,
                "eta_error": o.eta_error,
                "neutral_directions": o.neutral,
                "method": o.method,
            }
            for o in result.onsets
        ],
        "onset_note": result.onset_note,
        "feigenbaum": feigenbaum_ratios(result.onsets),
        "closed_forms": exact,
    }
