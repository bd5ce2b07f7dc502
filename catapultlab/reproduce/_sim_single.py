"""Sim section 2: one uv trajectory per phase, from the same initialisation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import DIVERGENT, LAZY, compared, edges
from catapultlab.reproduce._sim_sweep import ENGINE, SINGLE
from catapultlab.stats import Comparison

__all__ = ["single_runs_section"]

PHASE_COLORS = ("tab:blue", "tab:orange", "tab:red", "0.6")

CAPTION = (
    "f_t and eta*lambda_t of one uv run in each phase (same initialisation; "
    "runs stop once converged or diverged; the y axes stop at 10x the largest "
    "value of the non-divergent runs, so the divergent curve leaves the plot)."
)


def _runs(cfg: dict[str, Any]) -> dict[str, Any]:
    """One :class:`catapultlab.sim.Trajectory` per named ``c`` of ``sim.single_c``."""
    from catapultlab.sim import make_setup, simulate_trajectories

    s = cfg["sim"]
    setup = make_setup("uv", y=0.0)
    n, steps, seed = int(s["single_n"]), int(s["single_steps"]), int(cfg["seed"]) + SINGLE
    return {
        name: simulate_trajectories(setup, c=float(c), n=n, steps=steps, seed=seed)
        for name, c in s["single_c"].items()
    }


def _padded(rows: list[np.ndarray], length: int) -> np.ndarray:
    """Rows of different lengths as one array, NaN after each row's end and where not finite."""
    out = np.full((len(rows), length), np.nan)
    for k, row in enumerate(rows):
        out[k, : row.size] = np.where(np.isfinite(row), row, np.nan)
    return out


def _dataset(cfg: dict[str, Any], runs: dict[str, Any]) -> Any:
    """The runs' ``f``, ``lambda`` and ``eta lambda`` against the step, NaN-padded."""
    import xarray as xr

    s = cfg["sim"]
    names, T = list(runs), int(s["single_steps"])
    t0 = runs[names[0]]
    F = _padded([t.f[:, 0] for t in runs.values()], T + 1)
    L = _padded([t.lam for t in runs.values()], T + 1)
    etas = np.array([t.eta for t in runs.values()])
    return xr.Dataset(
        {
            "f": (("run", "step"), F),
            "lam": (("run", "step"), L),
            "eta_lam": (("run", "step"), etas[:, None] * L),
            "c": (("run",), [s["single_c"][k] for k in names]),
            "eta": (("run",), etas),
            "measured_phase": (("run",), [t.phase for t in runs.values()]),
            "steps_taken": (("run",), [t.steps_taken for t in runs.values()]),
        },
        coords={"run": names, "step": np.arange(T + 1)},
        attrs={
            "n": int(s["single_n"]),
            "f0": float(t0.f[0, 0]),
            "lam0": float(t0.lam0),
            "y": 0.0,
            "engine": ENGINE,
        },
    )


@plotting.styled
def _draw(ds: Any, out: Path) -> None:
    """``figures/uv_single_runs``: ``|f_t|`` and ``eta lambda_t`` of each run, edges dashed."""
    fig, ax = new_figure(2, 1, (10, 3.8))
    F, EL = ds["f"].values, ds["eta_lam"].values
    phases = [str(p) for p in ds["measured_phase"].values]
    for k, name in enumerate(ds["run"].values):
        col = PHASE_COLORS[k]
        label = f"{name} (c={float(ds['c'].values[k]):g}) -> {phases[k]}"
        ax[0, 0].semilogy(np.abs(F[k]), color=col, label=label)
        ax[0, 1].plot(EL[k], color=col, label=str(name))
    bounded = [p != "divergent" for p in phases]
    _clip_to_bounded(ax[0, 0], np.abs(F), bounded)
    _clip_to_bounded(ax[0, 1], EL, bounded, floor=0.5)
    ax[0, 0].set(xlabel="step $t$", ylabel="$|f_t|$", title=f"uv model, $n = {ds.attrs['n']}$")
    edge = edges()
    for name, color in ((LAZY, "k"), (DIVERGENT, "darkred")):
        c = edge[name]
        ax[0, 1].axhline(c, color=color, ls="--", lw=1, label=f"$\\eta\\lambda = {c:g}$")
    ax[0, 1].set(xlabel="step $t$", ylabel=r"$\eta\lambda_t$", yscale="log")
    ax[0, 0].legend(fontsize=7)
    ax[0, 1].legend(fontsize=7)
    save_figure(fig, out, "uv_single_runs")


def _clip_to_bounded(ax: Any, values: np.ndarray, bounded: list[bool], floor: float = 0.0) -> None:
    """Log y range of the runs that stay bounded (x10 headroom), so a divergent curve is clipped."""
    v = np.abs(values[np.asarray(bounded)])
    v = v[np.isfinite(v) & (v > 0)]
    if v.size:
        low = float(v.min()) if floor <= 0 else min(floor, float(v.min()))
        ax.set_yscale("log")
        ax.set_ylim(max(low / 2, 1e-12), 10.0 * float(v.max()))


def _landing_row(name: str, run: Any) -> Comparison:
    """``eta lambda_final`` of one run beside the derived lazy edge (no verdict if divergent)."""
    key, words = f"sim.single_{name}_eta_lam_final", f"eta*lambda_final of the {name} run"
    quantity = f"{words} (classified {run.phase})"
    pred = compared("eta_lam_final")
    note = f"lazy: lambda barely moves; catapult: eta*lambda_final <= {pred['predicted']:g}"
    if name == "divergent":
        return Comparison.make(key, quantity, None, source=note)
    measured = None if run.phase == "divergent" else run.eta_lam_final
    return Comparison.make(key, quantity, measured, **compared("eta_lam_final", note))


def single_runs_section(cfg: dict[str, Any], out: Path) -> Section:
    """One trajectory per phase: data, figure and where each run's ``eta lambda`` ends."""
    runs = _runs(cfg)
    ds = _dataset(cfg, runs)
    data = write_nc(ds, out, "uv_single_runs")
    _draw(ds, out)
    numbers = [_landing_row(name, run) for name, run in runs.items()]
    return Section(numbers, [Figure("uv_single_runs", CAPTION, data)])
