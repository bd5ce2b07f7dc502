"""Full trajectories on request (``catapultlab simulate``): map or parameter-space GD."""

from __future__ import annotations

from typing import Any

import numpy as np

from catapultlab._errors import CatapultError
from catapultlab.sim._exact import gaussian_params, run_exact, uv_params_for_state
from catapultlab.sim._init import check_reachable, initial_state, state_from_gram, top_ntk
from catapultlab.sim._phases import PHASE_NAMES, classify_losses
from catapultlab.sim._pure import run_pure
from catapultlab.sim._requests import check_simulate_request
from catapultlab.sim._setup import Setup
from catapultlab.sim._stop import StopRule

__all__ = ["simulate_trajectories", "EXACT_MAX_WIDTH"]

EXACT_MAX_WIDTH = 10**7
"""Largest width the parameter-space simulator accepts (it stores the vectors)."""


def _observables(setup: Setup, states: np.ndarray, n: float) -> tuple[list, list]:
    """F (per sample) and top NTK eigenvalue for states ``(T, S)``."""
    S = states.T  # (S, T)
    lam = top_ntk(setup, np.nan_to_num(S), n)
    lam = np.where(np.isfinite(S).all(axis=0), lam, np.nan)
    if setup.name == "uv":
        f = S[0]
        return [None if not np.isfinite(v) else float(v) for v in f], _clean(lam)
    outs, _ = setup.model.numeric_observables(*S, 0.0, *setup.shared(n))
    f = np.stack([np.broadcast_to(np.asarray(o, dtype=float), S.shape[1:]) for o in outs], axis=1)
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
    vectors are iterated instead (float64, ``n <= EXACT_MAX_WIDTH``).

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
        state_size=len(setup.model.state),
        exact=exact,
    )
    n = int(n)
    stop = stop or StopRule()
    if exact:
        if n > EXACT_MAX_WIDTH:
            raise CatapultError(f"--exact stores width-n vectors; n <= {EXACT_MAX_WIDTH:g} please")
        if (f0 is None) != (lam0 is None):
            raise CatapultError("give both --f0 and --lam0, or neither")
        if f0 is not None and setup.name != "uv":
            raise CatapultError("explicit f0/lam0 is only defined for the uv model")
        if f0 is not None:
            check_reachable(float(f0), float(lam0), n)  # type: ignore[arg-type]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n, 0)))
        runs = []
        for _ in range(ensemble):
            if f0 is None:
                W = gaussian_params(setup, n, rng)
            else:
                W = uv_params_for_state(n, float(f0), float(lam0), rng)  # type: ignore[arg-type]
            st0 = state_from_gram(setup, (W @ W.T)[None], n)
            l0 = float(top_ntk(setup, st0, n)[0])
            ex = run_exact(setup, W, eta=c / l0, steps=steps)
            runs.append((ex.states, ex.losses, c / l0, l0))
        phases, cuts = [], []
        for r_states, r_losses, r_eta, _ in runs:
            unstable = _unstable(setup, r_states, r_eta, n)
            cut = _stop_index(r_losses, n, stop, unstable)
            cuts.append(cut)
            phases.append(
                classify_losses(
                    r_losses[: cut + 1],
                    converge_loss=stop.converge_loss,
                    diverge_loss=stop.diverge_loss(n),
                    rise_tol=stop.rise_tol,
                    stable_end=not unstable[cut],
                )
            )
        states, losses, eta, l0 = runs[0]
        states, losses = states[: cuts[0] + 1], losses[: cuts[0] + 1]
    else:
        init = initial_state(
            setup, n, ensemble, f0=f0, lam0=lam0, seed=None if f0 is not None else seed
        )
        etas = c / init.lam0
        rec = run_pure(
            setup.model,
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
        "thresholds": {
            "converge_loss": stop.converge_loss,
            "diverge_loss": stop.diverge_loss(n),
            "rise_tol": stop.rise_tol,
        },
    }
    if ensemble > 1:
        counts = np.bincount(np.asarray(phases, dtype=int), minlength=4)
        doc["ensemble"] = {
            f"p_{name}": float(k / ensemble) for name, k in zip(PHASE_NAMES, counts, strict=True)
        }
    return doc


def _unstable(setup: Setup, states: np.ndarray, eta: float, n: float) -> np.ndarray:
    """Per step ``(T,)``: the residual multiplier has modulus >= 1 (all False without one)."""
    fmu2 = setup.model.numeric_mu2
    if fmu2 is None:
        return np.zeros(states.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        mu2 = fmu2(*states.T, eta, *setup.shared(n))
    return ~(np.broadcast_to(np.asarray(mu2, dtype=float), states.shape[:1]) < 1.0)


def _stop_index(losses: np.ndarray, n: float, stop: StopRule, unstable: np.ndarray) -> int:
    """First step at which the kernel would stop (converged or diverged), else the last."""
    converged = (losses <= stop.converge_loss) & ~unstable
    bad = ~(losses <= stop.diverge_loss(n)) | converged
    hit = np.nonzero(bad)[0]
    return int(hit[0]) if hit.size else len(losses) - 1
