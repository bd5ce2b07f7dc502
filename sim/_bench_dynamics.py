"""Bench rows for the dynamics commands: ``bifurcation`` (attractors per second) and ``--n inf``.

* ``bifurcation``: the whole ``catapultlab bifurcation`` process on the uv map at
  ``y = n = 1`` (:data:`BIFURCATION_ARGS`), the late-attractor scan alone in this process
  (:func:`catapultlab.sim.late_attractors`), and the bare generated map for the same
  orbits and steps (the arithmetic ceiling, Numba, no tests).
* ``--n inf``: the whole ``sweep --n inf`` process of heavy ball 0.5 over
  ``c = 3.8:5.5:0.05`` against the same sweep at a large finite width (``--n 1e8``), the
  brute-force way to approach the limit, in the same run.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["BIFURCATION_ARGS", "dynamics_rows", "format_dynamics_table"]

BIFURCATION_ETA = (0.8, 1.32, 0.002)
TRANSIENT = 3000
BIFURCATION_ARGS = [
    "bifurcation", "uv", "--y", "1", "--n", "1", "--eta", "0.8:1.32:0.002",
    "--f0", "0.01", "--lam0", "0.3", "--transient", str(TRANSIENT), "--json",
]  # fmt: skip
"""The timed bifurcation: 260 learning rates, onsets followed up to period 16."""
LIMIT_ARGS = ["sweep", "uv", "--momentum", "0.5", "--y", "0", "--c", "3.8:5.5:0.05"]
"""The timed limit sweep (35 cells), run at ``--n inf`` and at ``--n 1e8``."""


def _attractor_rows() -> list[dict[str, Any]]:
    from catapultlab.sim._bench import _sweep_process
    from catapultlab.sim._kernel import run_map
    from catapultlab.sim._orbits import late_attractors
    from catapultlab.sim._setup import make_setup

    eta = np.arange(*BIFURCATION_ETA)
    setup = make_setup("uv", y=1.0)
    state0 = np.array([0.01, 0.3])
    _sweep_process(BIFURCATION_ARGS)  # fills the caches (model, kernels)
    wall, rss = _sweep_process(BIFURCATION_ARGS)
    states = np.repeat(state0[:, None], eta.size, axis=1)
    run_map(setup.numeric, states, eta, setup.shared(1.0), steps=2)  # compile / load
    t0 = time.perf_counter()
    late_attractors(setup, eta, n=1.0, state0=state0, transient=TRANSIENT)
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_map(setup.numeric, states, eta, setup.shared(1.0), steps=TRANSIENT)
    ceiling = time.perf_counter() - t0
    rows = [
        {"method": "bifurcation process (whole)", "seconds": wall, "peak_rss": rss},
        {"method": "late_attractors (in process)", "seconds": scan},
        {"method": "map only, transient (ceiling)", "seconds": ceiling},
    ]
    for r in rows:
        r.update(unit="attractors/s", count=eta.size, rate=eta.size / r["seconds"])
    return rows


def _limit_rows(ensemble: int, steps: int) -> list[dict[str, Any]]:
    from catapultlab.sim._bench import _sweep_process

    rows = []
    for width in ("inf", "1e8"):
        args = [*LIMIT_ARGS, "--n", width, "--ensemble", str(ensemble), "--steps", str(steps)]
        _sweep_process([*args, "--json"])  # fills the caches
        wall, rss = _sweep_process([*args, "--json"])
        cells = round((5.5 - 3.8) / 0.05) + 1
        rows.append(
            {
                "method": f"sweep --n {width} process (whole)",
                "seconds": wall,
                "peak_rss": rss,
                "unit": "traj/s",
                "count": cells * ensemble,
                "rate": cells * ensemble / wall,
            }
        )
    return rows


def dynamics_rows(*, ensemble: int = 2000, steps: int = 3000) -> list[dict[str, Any]]:
    """The dynamics rows (module docstring), each with ``speedup`` over the first of its group.

    Args:
        ensemble: trajectories per cell of the limit sweeps.
        steps: their step budget.
    """
    out = []
    for group in (_attractor_rows(), _limit_rows(ensemble, steps)):
        for r in group:
            r["ratio"] = group[0]["seconds"] / r["seconds"]
        out += group
    return out


def format_dynamics_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`dynamics_rows`."""
    head = f"{'method':34} {'count':>8} {'seconds':>9} {'rate':>12} {'unit':>13} {'x whole':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['method']:34} {r['count']:>8} {r['seconds']:>9.3f} {r['rate']:>12.4g} "
            f"{r['unit']:>13} {r['ratio']:>8.2f}"
        )
    lines.append(
        "x whole: the group's first row's seconds over this row's (bifurcation: "
        f"{' '.join(BIFURCATION_ARGS[1:-1])}; the ceiling iterates the bare map over the "
        "transient only); limit: "
        f"{' '.join(LIMIT_ARGS[1:])} at --n inf against --n 1e8"
    )
    return "\n".join(lines)
