"""The generated kernel (early stop + peak tracking) against its bare map, per model.

For a model whose map is a handful of flops (uv: a 2-entry state) the per-step stop
tests and peak tracking cost as much as the map, so the kernel runs far below the bare
map; for a larger state (the full model, d = 2, m = 2: a 6-entry Gram state) the same
tests are a smaller share. Both in one process, on the same initial states.

Usage: python benchmarks/kernel_vs_map.py  (writes kernel_vs_map.json next to this file)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from catapultlab.io import atomic_write_text
from catapultlab.phases import StopRule
from catapultlab.sim import initial_state, make_setup
from catapultlab.sim._kernel import run_kernel, run_map

WIDTH = 1000
MAP_STEPS = 30  # the bare map's steps per trajectory (c ~ U[0.5, 1.5] stays normal)
MODELS = (("uv", {}, 2_000_000), ("full", {"inputs": 2, "samples": 2}, 200_000))


def _best(f, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(name: str, kw: dict, size: int) -> dict:
    """Kernel and bare-map rates of one model (float64, both threads)."""
    setup = make_setup(name, y=1.0, **kw)
    init = initial_state(setup, WIDTH, size, seed=0)
    shared = setup.shared(WIDTH)
    stop = StopRule()
    eta = np.random.default_rng(1).uniform(0.5, 3.5, size) / init.lam0
    eta_map = np.random.default_rng(2).uniform(0.5, 1.5, size) / init.lam0
    limits = dict(
        converge_loss=stop.converge_loss,
        diverge_loss=stop.diverge_loss(WIDTH),
        rise_tol=stop.rise_tol,
        max_steps=1000,
    )
    raw = run_kernel(setup, init.state, eta, shared, **limits)
    kernel = _best(lambda: run_kernel(setup, init.state, eta, shared, **limits))
    run_map(setup, init.state[:, :256], eta_map[:256], shared, steps=2)
    bare = _best(lambda: run_map(setup, init.state, eta_map, shared, steps=MAP_STEPS))
    useful = int(raw.steps.sum())
    out = {
        "model": name,
        "state_size": int(init.state.shape[0]),
        "trajectories": size,
        "mean_steps": useful / size,
        "kernel_traj_steps_per_s": useful / kernel,
        "map_traj_steps_per_s": size * MAP_STEPS / bare,
    }
    out["kernel_over_map"] = out["kernel_traj_steps_per_s"] / out["map_traj_steps_per_s"]
    return out


if __name__ == "__main__":
    rows = [measure(*m) for m in MODELS]
    for r in rows:
        print(
            f"{r['model']:5} S={r['state_size']:2d}  kernel {r['kernel_traj_steps_per_s']:.3g}"
            f"  map {r['map_traj_steps_per_s']:.3g} traj-steps/s  kernel/map "
            f"{r['kernel_over_map']:.2f}  (mean {r['mean_steps']:.1f} steps)"
        )
    atomic_write_text(Path(__file__).parent / "kernel_vs_map.json", json.dumps(rows, indent=1))
