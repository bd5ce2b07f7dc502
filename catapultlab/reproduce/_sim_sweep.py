"""The uv-model sweeps of the sim stage: one :func:`catapultlab.sim.run_sweep` call each.

Every simulated number comes from :mod:`catapultlab.sim`: ensembles, phase fractions,
boundaries with bootstrap CIs from :func:`~catapultlab.sim.run_sweep` (kernel backend);
this module adds each cell's per-trajectory outcomes (for per-member statistics) and the
report row of a measured boundary.
"""

from __future__ import annotations

from typing import Any

from catapultlab.stats import Comparison

__all__ = [
    "COLLAPSE",
    "DIAGRAM",
    "ENGINE",
    "FINITE",
    "SCALING",
    "SINGLE",
    "boundary_row",
    "uv_sweep",
]

ENGINE = "catapultlab.sim (run_sweep + simulate_trajectories, kernel backend)"
"""What computed the sim stage's numbers (stored beside its data)."""

# seed offsets of the parts (each part draws its own initial conditions)
DIAGRAM, SINGLE, FINITE, SCALING = range(4)
COLLAPSE = 7


def uv_sweep(
    cfg: dict[str, Any], *, y: float, c: list[float], n: list[int], ensemble: int, part: int
) -> tuple[Any, dict[tuple[float, int], Any]]:
    """A sweep of the uv model over ``(c, n)`` plus each cell's per-trajectory outcomes.

    Args:
        cfg: the run configuration (``seed``; ``sim.steps`` and ``sim.bootstrap``).
        y: the label.
        c: the ``c`` grid.
        n: the widths.
        ensemble: trajectories per cell.
        part: the seed offset of the calling part (:data:`DIAGRAM`, ...).

    Returns:
        The sweep's dataset and ``{(c, n): Outcomes}``.
    """
    from catapultlab.sim import Outcomes, SweepConfig, local_runner, make_setup, run_sweep

    s = cfg["sim"]
    sweep = SweepConfig(
        setup=make_setup("uv", y=y),
        c=tuple(c),
        n=tuple(int(v) for v in n),
        ensemble=int(ensemble),
        steps=int(s["steps"]),
        seed=int(cfg["seed"]) + part,
        backend="kernel",
        bootstrap=int(s["bootstrap"]),
    )
    parts: dict[tuple[float, int], list[tuple[int, Any]]] = {}

    def runner(tasks: list[Any]) -> Any:
        for i, out in local_runner(tasks):
            t = tasks[i]
            parts.setdefault((t.c, t.n), []).append((t.first_block, out))
            yield i, out

    ds = run_sweep(sweep, runner=runner)
    cells = {
        k: Outcomes.concat([o for _, o in sorted(v, key=lambda p: p[0])]) for k, v in parts.items()
    }
    return ds, cells


def boundary_row(key: str, quantity: str, ds: Any, name: str, j: int, **kw: Any) -> Comparison:
    """The report row of boundary ``name`` (``c_loss_rises`` or ``c_divergent``) at width ``j``."""
    return Comparison.make(
        key,
        quantity,
        ds[name].values[j],
        uncertainty=ds[f"{name}_se"].values[j],
        ci_low=ds[f"{name}_lo"].values[j],
        ci_high=ds[f"{name}_hi"].values[j],
        **kw,
    )
