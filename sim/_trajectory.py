"""Full trajectories on request (``catapultlab simulate``): map or parameter-space GD."""

from __future__ import annotations

from typing import Any

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
from catapultlab.sim._init import (
    check_reachable,
    initial_state,
    sample_gram_streams,
    top_ntk,
)
from catapultlab.sim._pure import run_pure
from catapultlab.sim._requests import check_simulate_request
from catapultlab.sim._setup import Setup
from catapultlab.sim._summary import ensemble_stats

__all__ = ["simulate_trajectories", "EXACT_MAX_WIDTH"]

EXACT_MAX_WIDTH = 10**7
"""Largest width the parameter-space simulator accepts (it stores the vectors)."""


def _observables(setup: Setup, states: np.ndarray, n: float) -> tuple[list, list]:
    """F (per sample) and top NTK eigenvalue for states ``(T, S)``."""
    S = states.T  # (S, T)
    lam = top_ntk(setup, np.nan_to_num(S), n)
    lam = np.where(np.isfinite(S).all(axis=0), lam, np.nan)
    outs, _ = setup.numeric.observables(*S, 0.0, *setup.shared(n))
    f = np.stack([np.broadcast_to(np.asarray(o, dtype=float), S.shape[1:]) for o in outs], axis=1)
    if f.shape[1] == 1:
        return _clean(f[:, 0]), _clean(lam)
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in f], _clean(lam)


def _clean(x: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(x, dtype=float)]


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
) -> dict[str, Any]:
    """Trajectories of ``f``, ``lam`` and the loss (step 0 first) plus their outcome.

    The map runs until the trajectory stops (converged, diverged or out of steps),
    so the lists end at the stopping step. With ``exact`` the width-n parameter
    vectors are iterated instead (float64, ``n <= EXACT_MAX_WIDTH``). The ``ensemble``
    phase fractions of a map run stream through the sweep's chunks and reduction
    (:func:`catapultlab.sim._summary.ensemble_stats`): memory does not grow with it.

    Returns:
        A JSON-able dict: ``f``, ``lam``, ``loss``, ``phase``, ``steps_taken``,
        ``peak_loss``, ``t_peak``, ``eta``, ``lam0``, ``eta_lam_final`` of trajectory 0,
        and ``ensemble`` phase counts when ``ensemble > 1``.
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
    if exact:
        from catapultlab.sim._exact import params_for_gram, run_exact, uv_params_for_state

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
        p = len(setup.numeric.vectors)
        grams = None if f0 is not None else sample_gram_streams(p, n, ensemble, seed, 0)
        runs = []
        for k in range(ensemble):
            if grams is not None:  # the map's own initial states (same seed, same draws)
                W = params_for_gram(grams[k], n, rng)
            else:
                W = uv_params_for_state(n, float(f0), float(lam0), rng)  # type: ignore[arg-type]
            st0 = setup.numeric.state_from_gram((W @ W.T)[None], n)
            l0 = float(top_ntk(setup, st0, n)[0])
            ex = run_exact(setup, W, eta=c / l0, steps=steps)
            runs.append((ex.states, ex.losses, c / l0, l0))
        phases, cuts = [], []
        needs_drop = catapult_needs_drop(setup.numeric.step)
        for r_states, r_losses, r_eta, r_l0 in runs:
            unstable = _unstable(setup, r_states, r_eta, n)
            cut = stop_index(r_losses, stop.diverge_loss(n), stop.converge_loss, unstable)
            cuts.append(cut)
            lam_end = float(top_ntk(setup, np.nan_to_num(r_states[cut][:, None]), n)[0])
            phases.append(
                classify_losses(
                    r_losses[: cut + 1],
                    converge_loss=stop.converge_loss,
                    diverge_loss=stop.diverge_loss(n),
                    rise_tol=stop.rise_tol,
                    stable_end=not unstable[cut],
                    lam_fell=not needs_drop or lam_end < r_l0 * (1 - stop.lam_drop),
                )
            )
        states, losses, eta, l0 = runs[0]
        states, losses = states[: cuts[0] + 1], losses[: cuts[0] + 1]
        counts = np.bincount(np.asarray(phases, dtype=int), minlength=len(PHASE_NAMES))
    else:
        # trajectory 0 is recorded; the ensemble streams through the sweep's chunks
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
        )
        T = int(rec.run.steps[0])
        states = rec.states[: T + 1, :, 0].astype(float)  # type: ignore[index]
        losses = rec.losses[: T + 1, 0].astype(float)  # type: ignore[index]
        eta, l0 = float(etas[0]), float(init.lam0[0])
        phases = [int(p) for p in rec.run.phase]
        if catapult_needs_drop(setup.numeric.step):
            final = np.nan_to_num(rec.run.state.astype(float))
            lam_end = top_ntk(setup, final, n)
            phases = [
                int(p) for p in refine_catapult(rec.run.phase, init.lam0, lam_end, stop.lam_drop)
            ]
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
    f, lam = _observables(setup, states, n)
    phase = phases[0]
    peak_t = int(np.argmax(np.where(np.isfinite(losses), losses, np.inf)))
    lam_final = lam[-1]
    doc: dict[str, Any] = {
        "model": setup.name,
        "c": float(c),
        "n": n,
        "eta": float(eta),
        "lam0": float(l0),
        "f": f,
        "lam": lam,
        "loss": _clean(losses),
        "phase": PHASE_NAMES[int(phase)],
        "steps_taken": int(len(losses) - 1),
        "peak_loss": None if not np.isfinite(losses[peak_t]) else float(losses[peak_t]),
        "t_peak": peak_t,
        "eta_lam_final": None if lam_final is None else float(eta * lam_final),
        "exact": bool(exact),
        "dtype": "float64" if exact else dtype,
        "step_rule": setup.numeric.step.label,
        "hyper": dict(setup.hyper),
        "edges_c": setup.numeric.edges(**dict(setup.hyper)),
        "thresholds": {
            "converge_loss": stop.converge_loss,
            "diverge_loss": stop.diverge_loss(n),
            "rise_tol": stop.rise_tol,
        },
    }
    if ensemble > 1:
        doc["ensemble"] = {
            f"p_{name}": float(k / ensemble) for name, k in zip(PHASE_NAMES, counts, strict=True)
        }
    return doc


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
