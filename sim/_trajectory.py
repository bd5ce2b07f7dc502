"""Full trajectories on request (``catapultlab simulate``): map or parameter-space GD.

:func:`simulate_trajectories` returns a :class:`Trajectory` (arrays); the JSON document
is :func:`trajectory_to_json`'s job (the CLI prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from catapultlab import CatapultError
from catapultlab.phases import (
    PHASE_NAMES,
    StopRule,
    catapult_needs_drop,
    classify_losses,
    refine_catapult,
    stop_index,
)
from catapultlab.records import short_repr
from catapultlab.sim._init import (
    check_reachable,
    initial_state,
    sample_gram_streams,
    top_ntk,
)
from catapultlab.sim._pure import run_pure
from catapultlab.sim._requests import check_simulate_request
from catapultlab.sim._settle import settle
from catapultlab.sim._setup import Setup
from catapultlab.sim._summary import ensemble_stats

__all__ = [
    "EXACT_MAX_WIDTH",
    "Trajectory",
    "exact_spec_trajectory",
    "simulate_trajectories",
    "trajectory_to_json",
]

EXACT_MAX_WIDTH = 10**7
"""Largest width the parameter-space simulator accepts (it stores the vectors)."""


@dataclass(frozen=True)
class Trajectory:
    """One simulated trajectory, step 0 first up to the step it stopped at, and its outcome.

    Attributes:
        model: model name.
        c: control parameter ``eta * lam0``.
        n: width.
        eta: learning rate.
        lam0: initial top NTK eigenvalue.
        f: outputs ``(T + 1, m)``.
        lam: top NTK eigenvalue ``(T + 1,)`` (NaN where the state is not finite).
        loss: loss ``(T + 1,)``.
        phase: the outcome (a name of :data:`catapultlab.phases.PHASE_NAMES`).
        exact: iterated on explicit width-n vectors (parameter-space GD).
        dtype: precision of the iteration.
        step_rule: the step rule's label.
        hyper: step-rule values.
        edges_c: the model's derived edges in ``c`` at these values.
        stop: the stopping thresholds.
        ensemble: phase fractions of the whole ensemble (``None`` for one trajectory).
    """

    __repr__ = short_repr

    model: str
    c: float
    n: int
    eta: float
    lam0: float
    f: np.ndarray
    lam: np.ndarray
    loss: np.ndarray
    phase: str
    exact: bool
    dtype: str
    step_rule: str
    hyper: dict[str, float]
    edges_c: dict[str, float | None]
    stop: StopRule
    ensemble: dict[str, float] | None = None

    @property
    def steps_taken(self) -> int:
        """Steps until the run stopped."""
        return int(self.loss.size - 1)

    @property
    def t_peak(self) -> int:
        """First step of the largest loss (a non-finite loss counts as the largest)."""
        return int(np.argmax(np.where(np.isfinite(self.loss), self.loss, np.inf)))

    @property
    def peak_loss(self) -> float:
        """The largest loss (step 0 included)."""
        return float(self.loss[self.t_peak])

    @property
    def eta_lam_final(self) -> float:
        """``eta`` times the last top NTK eigenvalue (NaN when not finite)."""
        return float(self.eta * self.lam[-1])


def _numbers(x: np.ndarray) -> list[Any]:
    """A JSON list of an array: non-finite entries as ``None``."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(x, dtype=float)]


def trajectory_to_json(t: Trajectory) -> dict[str, Any]:
    """The ``simulate --json`` document of a trajectory (non-finite numbers as ``null``).

    Keys: ``model, c, n, eta, lam0, f, lam, loss, phase, steps_taken, peak_loss, t_peak,
    eta_lam_final, exact, dtype, step_rule, hyper, edges_c, thresholds`` and ``ensemble``
    (phase fractions) when more than one trajectory was run.
    """
    f = _numbers(t.f[:, 0]) if t.f.shape[1] == 1 else [_numbers(row) for row in t.f]
    peak, final = t.peak_loss, t.eta_lam_final
    doc: dict[str, Any] = {
        "model": t.model,
        "c": float(t.c),
        "n": int(t.n),
        "eta": float(t.eta),
        "lam0": float(t.lam0),
        "f": f,
        "lam": _numbers(t.lam),
        "loss": _numbers(t.loss),
        "phase": t.phase,
        "steps_taken": t.steps_taken,
        "peak_loss": float(peak) if np.isfinite(peak) else None,
        "t_peak": t.t_peak,
        "eta_lam_final": float(final) if np.isfinite(final) else None,
        "exact": bool(t.exact),
        "dtype": t.dtype,
        "step_rule": t.step_rule,
        "hyper": dict(t.hyper),
        "edges_c": t.edges_c,
        "thresholds": {
            "converge_loss": t.stop.converge_loss,
            "diverge_loss": t.stop.diverge_loss(t.n),
            "rise_tol": t.stop.rise_tol,
        },
    }
    if t.ensemble is not None:
        doc["ensemble"] = dict(t.ensemble)
    return doc


def _observables(setup: Setup, states: np.ndarray, n: float) -> tuple[np.ndarray, np.ndarray]:
    """Outputs ``(T, m)`` and top NTK eigenvalue ``(T,)`` of states ``(T, S)``."""
    S = states.T  # (S, T)
    lam = top_ntk(setup, np.nan_to_num(S), n)
    lam = np.where(np.isfinite(S).all(axis=0), lam, np.nan)
    outs, _ = setup.numeric.observables(*S, 0.0, *setup.shared(n))
    f = np.stack([np.broadcast_to(np.asarray(o, dtype=float), S.shape[1:]) for o in outs], axis=1)
    return f, lam


class _Run(NamedTuple):
    """Trajectory 0 and the phase counts of the whole ensemble."""

    states: np.ndarray
    losses: np.ndarray
    eta: float
    lam0: float
    phase: int
    counts: np.ndarray


def simulate_trajectories(
    setup: Setup,
    *,
    c: float,
    n: float,
    steps: int,
    seed: int = 0,
    f0: float | None = None,
    lam0: float | None = None,
    exact: bool = False,
    ensemble: int = 1,
    dtype: str = "float64",
    stop: StopRule | None = None,
) -> Trajectory:
    """Trajectory 0 of ``f``, ``lam`` and the loss (step 0 first) plus the outcome.

    The map runs until the trajectory stops (converged, diverged or out of steps),
    so the arrays end at the stopping step. With ``exact`` the width-n parameter
    vectors are iterated instead (float64, ``n <= EXACT_MAX_WIDTH``). The ``ensemble``
    phase fractions of a map run stream through the sweep's chunks and reduction
    (:func:`catapultlab.sim._summary.ensemble_stats`): memory does not grow with it.
    :func:`trajectory_to_json` gives the ``simulate --json`` document.

    Example:
        >>> from catapultlab.sim import make_setup
        >>> t = simulate_trajectories(make_setup("uv", y=1.0), c=3.0, n=1000, steps=300)
        >>> t.phase, t.f.shape[1], t.loss.size == t.steps_taken + 1
        ('catapult', 1, True)
    """
    check_simulate_request(
        c=c,
        n=n,
        steps=steps,
        ensemble=ensemble,
        seed=seed,
        dtype=dtype,
        state_size=len(setup.numeric.state),
        exact=exact,
    )
    n = int(n)
    stop = stop or StopRule()
    args = (setup, c, n, steps, seed, f0, lam0, ensemble, stop)
    run = _exact_runs(*args) if exact else _map_run(*args, dtype)
    f, lam = _observables(setup, run.states, n)
    fractions = None
    if ensemble > 1:
        fractions = {
            f"p_{name}": float(k / ensemble)
            for name, k in zip(PHASE_NAMES, run.counts, strict=True)
        }
    return Trajectory(
        model=setup.name,
        c=float(c),
        n=n,
        eta=float(run.eta),
        lam0=float(run.lam0),
        f=f,
        lam=lam,
        loss=run.losses,
        phase=PHASE_NAMES[int(run.phase)],
        exact=bool(exact),
        dtype="float64" if exact else dtype,
        step_rule=setup.numeric.step.label,
        hyper=dict(setup.hyper),
        edges_c=setup.numeric.edges(**dict(setup.hyper)),
        stop=stop,
        ensemble=fractions,
    )


def _map_run(
    setup: Setup,
    c: float,
    n: int,
    steps: int,
    seed: int,
    f0: float | None,
    lam0: float | None,
    ensemble: int,
    stop: StopRule,
    dtype: str,
) -> _Run:
    """Trajectory 0 on the map (recorded); the ensemble streams through the sweep's chunks."""
    init = initial_state(setup, n, 1, f0=f0, lam0=lam0, seed=None if f0 is not None else seed)
    etas = c / init.lam0
    rec = run_pure(
        setup.numeric,
        init.state,
        etas,
        setup.shared(n),
        n=n,
        stop=stop,
        max_steps=steps,
        dtype=dtype,
        record=True,
        schedule=setup.schedule,
    )
    T = int(rec.run.steps[0])
    states = rec.states[: T + 1, :, 0].astype(float)  # type: ignore[index]
    losses = rec.losses[: T + 1, 0].astype(float)  # type: ignore[index]
    phases = rec.run.phase
    final = rec.run.state.astype(float)
    lam_end = top_ntk(setup, np.nan_to_num(final), n)
    if catapult_needs_drop(setup.numeric.step, dict(setup.hyper).get("beta")):
        phases = refine_catapult(phases, init.lam0, lam_end, stop.lam_drop)
    phases = settle(
        setup,
        phases,
        state=final,
        eta=etas * setup.schedule.factor(rec.run.steps),
        lam0=init.lam0,
        lam_final=lam_end,
        rose=rec.run.t_peak > 0,
        n=n,
        stop=stop,
    )
    counts = np.zeros(len(PHASE_NAMES), dtype=int)
    if ensemble > 1:
        counts = ensemble_stats(
            setup,
            c=c,
            n=n,
            ensemble=ensemble,
            steps=steps,
            seed=seed,
            stop=stop,
            dtype=dtype,
            f0=f0,
            lam0=lam0,
        ).phases
    return _Run(states, losses, float(etas[0]), float(init.lam0[0]), int(phases[0]), counts)


def _exact_params(
    setup: Setup, n: int, seed: int, f0: float | None, lam0: float | None, ensemble: int
) -> list[np.ndarray]:
    """The width-n parameter vectors ``(p, n)`` of each exact run (the map's own draws)."""
    from catapultlab.sim._exact import params_for_gram, uv_params_for_state

    if n > EXACT_MAX_WIDTH:
        raise CatapultError(f"--exact stores width-n vectors; n <= {EXACT_MAX_WIDTH:g} please")
    if (f0 is None) != (lam0 is None):
        raise CatapultError("give both --f0 and --lam0, or neither")
    if f0 is not None and not _is_uv_state(setup):
        raise CatapultError(
            "explicit --f0/--lam0 with --exact needs the uv parametrisation "
            "(f = u.v / sqrt(n), lam = (|u|^2 + |v|^2) / n)"
        )
    if f0 is not None:
        check_reachable(float(f0), float(lam0), n)  # type: ignore[arg-type]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n, 0)))
    if f0 is not None:
        return [uv_params_for_state(n, float(f0), float(lam0), rng) for _ in range(ensemble)]  # type: ignore[arg-type]
    grams = sample_gram_streams(len(setup.numeric.vectors), n, ensemble, seed, 0)
    return [params_for_gram(grams[k], n, rng) for k in range(ensemble)]


def _exact_runs(
    setup: Setup,
    c: float,
    n: int,
    steps: int,
    seed: int,
    f0: float | None,
    lam0: float | None,
    ensemble: int,
    stop: StopRule,
) -> _Run:
    """Parameter-space GD on explicit vectors, each run classified by the shared rule."""
    from catapultlab.sim._exact import run_exact

    needs_drop = catapult_needs_drop(setup.numeric.step, dict(setup.hyper).get("beta"))
    first: _Run | None = None
    phases = []
    for W in _exact_params(setup, n, seed, f0, lam0, ensemble):
        st0 = setup.numeric.state_from_gram((W @ W.T)[None], n)
        l0 = float(top_ntk(setup, st0, n)[0])
        ex = run_exact(setup, W, eta=c / l0, steps=steps)
        unstable = _unstable(setup, ex.states, c / l0, n)
        cut = stop_index(ex.losses, stop.diverge_loss(n), stop.converge_loss, unstable)
        lam_end = float(top_ntk(setup, np.nan_to_num(ex.states[cut][:, None]), n)[0])
        phase = classify_losses(
            ex.losses[: cut + 1],
            converge_loss=stop.converge_loss,
            diverge_loss=stop.diverge_loss(n),
            rise_tol=stop.rise_tol,
            stable_end=not unstable[cut],
            lam_fell=not needs_drop or lam_end < l0 * (1 - stop.lam_drop),
        )
        (phase,) = settle(
            setup,
            np.array([phase], dtype=np.int8),
            state=ex.states[cut][:, None],
            eta=np.array([c / l0 * setup.schedule.factor(cut)]),
            lam0=np.array([l0]),
            lam_final=np.array([lam_end]),
            rose=np.array([np.any(ex.losses[1 : cut + 1] > ex.losses[0])]),
            n=n,
            stop=stop,
        )
        phases.append(int(phase))
        if first is None:
            first = _Run(ex.states[: cut + 1], ex.losses[: cut + 1], c / l0, l0, int(phase), None)  # type: ignore[arg-type]
    assert first is not None
    counts = np.bincount(np.asarray(phases, dtype=int), minlength=len(PHASE_NAMES))
    return first._replace(counts=counts)


def _is_uv_state(setup: Setup) -> bool:
    """Is the model's (f, lam) the uv parametrisation that uv_params_for_state builds?"""
    from catapultlab.theory import uv_model

    model = setup.derived()
    uv = uv_model(model.step_rule)
    return model.projection.definitions == uv.projection.definitions


def _unstable(setup: Setup, states: np.ndarray, eta: float, n: float) -> np.ndarray:
    """Per step ``(T,)``: the residual multiplier has modulus >= 1 (all False without one)."""
    fmu2 = setup.numeric.mu2
    if fmu2 is None:
        return np.zeros(states.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        mu2 = fmu2(*states.T, eta, *setup.shared(n))
    return ~(np.broadcast_to(np.asarray(mu2, dtype=float), states.shape[:1]) < 1.0)


def exact_spec_trajectory(
    choice: tuple[Any, Any, tuple[tuple[str, float], ...]],
    *,
    c: float,
    n: float,
    steps: int,
    seed: int,
    y: float,
    ensemble: int = 1,
) -> Trajectory:
    """A declaration with no closed map, run in parameter space (``simulate --exact``).

    Args:
        choice: ``(spec, step kind, step-rule values)`` from the CLI's model options.
        c: ``eta lam0``.
        n: width (at most :data:`EXACT_MAX_WIDTH`).
        steps: step budget.
        seed: master seed.
        y: label.
        ensemble: runs (member 0 recorded; the phase fractions of all).
    """
    from catapultlab.sim._exact_phases import exact_phases
    from catapultlab.theory import StepRule

    spec, step, hyper = choice
    if spec.data:
        raise CatapultError("the exact simulator of an unclosed model takes no input data")
    if n > EXACT_MAX_WIDTH:
        raise CatapultError(f"--exact stores the vectors: n must be <= {EXACT_MAX_WIDTH:g}")
    spec = spec.with_step(StepRule(step.kind, step.weight_decay))
    values = dict(hyper)
    out = exact_phases(
        spec,
        c=c,
        n=int(n),
        steps=steps,
        ensemble=ensemble,
        seed=seed,
        y=y,
        beta=values.get("beta", 0.0),
        kappa=values.get("kappa", 0.0),
    )
    run = out.first
    return Trajectory(
        model=spec.name,
        c=float(c),
        n=int(n),
        eta=float(out.eta[0]),
        lam0=float(out.lam0[0]),
        f=run.outputs,
        lam=run.lam,
        loss=run.losses,
        phase=PHASE_NAMES[int(out.phase[0])],
        exact=True,
        dtype="float64",
        step_rule=spec.step.label,
        hyper=values,
        edges_c={},
        stop=StopRule(),
        ensemble=out.fractions() if ensemble > 1 else None,
    )
