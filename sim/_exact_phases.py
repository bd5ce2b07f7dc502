"""Phases from exact parameter-space steps, for any declaration (closed or not).

:func:`exact_phases` draws explicit width-``n`` parameters (vectors ``N(0, 1)^n``,
matrices ``N(0, 1)^(n x n)``), sets ``eta = c / lam0`` from each draw's own NTK, runs the
declared step rule (:func:`catapultlab.sim.run_exact_spec`) until the loss converges or
diverges, and classifies each run by the phase module's one rule
(:func:`catapultlab.phases.classify_losses`). It needs no closed map, so it is the
simulator of models that do not close, such as the deep linear net ``v^T W u / n``.

BLAS runs on ``blas_threads`` threads (default 1, through threadpoolctl): each step is a
few matrix-vector products, and a BLAS pool per call oversubscribes the cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab.checks import check_positive, check_seed, check_width
from catapultlab.phases import Phase, StopRule, catapult_needs_drop, classify_losses
from catapultlab.records import short_repr
from catapultlab.sim._exact import SpecRun, run_exact_spec

__all__ = ["ExactPhases", "exact_phases", "spec_params"]


@dataclass(frozen=True)
class ExactPhases:
    """Outcomes of exact parameter-space runs.

    Attributes:
        phase: :class:`~catapultlab.phases.Phase` codes ``(K,)``.
        eta: learning rates ``(K,)``.
        lam0: initial top NTK eigenvalues ``(K,)``.
        eta_lam_final: ``eta`` times the last top NTK eigenvalue ``(K,)``.
        peak_loss: largest losses ``(K,)``.
        steps: steps until each run stopped ``(K,)``.
        first: the recorded run of member 0.
    """

    __repr__ = short_repr

    phase: np.ndarray
    eta: np.ndarray
    lam0: np.ndarray
    eta_lam_final: np.ndarray
    peak_loss: np.ndarray
    steps: np.ndarray
    first: SpecRun

    def fractions(self) -> dict[str, float]:
        """Fraction of runs in each phase."""
        return {p.name.lower(): float(np.mean(self.phase == p)) for p in Phase}


def spec_params(spec: Any, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Gaussian parameters of a declaration: vectors ``(n,)``, matrices ``(n, n)``."""
    out = {k: rng.standard_normal(n) for k in spec.vectors}
    out |= {k: rng.standard_normal((n, n)) for k in spec.matrices}
    return out


def _stability_edge(spec: Any, beta: float) -> float:
    from catapultlab.theory import StepRule, linear_recursion

    rule = StepRule(spec.step.kind)
    return float(linear_recursion(rule).numeric_stability_edge(beta))


def exact_phases(
    spec: Any,
    *,
    c: float,
    n: int,
    steps: int,
    ensemble: int = 1,
    seed: int = 0,
    y: Any = 0.0,
    x: Any = None,
    beta: float = 0.0,
    kappa: float = 0.0,
    stop: StopRule | None = None,
    blas_threads: int = 1,
) -> ExactPhases:
    """Run ``ensemble`` exact parameter-space trajectories at ``c = eta lam0``; their phases.

    Args:
        spec: the declaration (:class:`catapultlab.theory.ModelSpec`), closed or not.
        c: ``eta lam0`` (each run's ``eta`` from its own ``lam0``).
        n: width.
        steps: step budget.
        ensemble: number of runs (member ``k`` draws from ``default_rng([seed, k])``).
        seed: master seed.
        y: labels.
        x: inputs (models with data).
        beta: momentum value.
        kappa: weight-decay value.
        stop: thresholds (default :class:`~catapultlab.phases.StopRule`).
        blas_threads: BLAS threads while running.

    Returns:
        The outcomes.

    Example:
        >>> from catapultlab.theory import deep_linear_spec
        >>> out = exact_phases(deep_linear_spec(), c=1.0, n=16, steps=300, ensemble=2)
        >>> out.fractions()["lazy"]
        1.0
    """
    from threadpoolctl import threadpool_limits

    check_positive("c", c)
    n = int(check_width(n))
    check_seed(seed)
    stop = stop or StopRule()
    edge = _stability_edge(spec, beta)
    needs_drop = catapult_needs_drop(spec.step, beta)
    rows, first = [], None
    with threadpool_limits(limits=int(blas_threads), user_api="blas"):
        for k in range(int(ensemble)):
            rng = np.random.default_rng([int(seed), k])
            run, eta = _one(spec, c, n, steps, rng, y, x, beta, kappa, stop)
            first = first or run
            lam_end = float(run.lam[-1])
            phase = classify_losses(
                run.losses,
                converge_loss=stop.converge_loss,
                diverge_loss=stop.diverge_loss(n),
                rise_tol=stop.rise_tol,
                stable_end=bool(eta * (lam_end + kappa) < edge),
                lam_fell=not needs_drop or lam_end < run.lam[0] * (1 - stop.lam_drop),
            )
            peak = np.where(np.isfinite(run.losses), run.losses, np.inf).max()
            rows.append((int(phase), eta, run.lam[0], eta * lam_end, peak, run.losses.size - 1))
    cols = list(zip(*rows, strict=True))
    return ExactPhases(
        phase=np.asarray(cols[0], dtype=np.int8),
        eta=np.asarray(cols[1]),
        lam0=np.asarray(cols[2]),
        eta_lam_final=np.asarray(cols[3]),
        peak_loss=np.asarray(cols[4]),
        steps=np.asarray(cols[5], dtype=np.int64),
        first=first,  # type: ignore[arg-type]
    )


def _one(
    spec: Any,
    c: float,
    n: int,
    steps: int,
    rng: np.random.Generator,
    y: Any,
    x: Any,
    beta: float,
    kappa: float,
    stop: StopRule,
) -> tuple[SpecRun, float]:
    """One run: its own ``lam0`` (a zero-step run) sets ``eta``."""
    params = spec_params(spec, n, rng)
    kw = dict(y=y, x=x, beta=beta, kappa=kappa)
    lam0 = float(run_exact_spec(spec, params, eta=0.0, steps=0, **kw).lam[0])
    eta = c / lam0
    limits = (stop.converge_loss, stop.diverge_loss(n))
    return run_exact_spec(spec, params, eta=eta, steps=steps, stop_at=limits, **kw), eta
