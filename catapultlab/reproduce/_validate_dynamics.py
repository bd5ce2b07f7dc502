"""Validate sections on late-time dynamics and warmup, each beside the map.

* :func:`late_time_section`: a linear MLP trained with labels from a small init sharpens
  progressively; its late-time band of ``eta lambda_t`` over ``c`` is drawn beside the uv
  bifurcation diagram (late ``eta lambda`` of the map at ``y = 1``, ``n = 1`` from a small
  init ``(f0, lam0)``), both against ``c = eta lam0``. The map's first period doubling is
  compared with its closed form; the network's late band with the edge of stability.
* :func:`warmup_section`: the largest trainable ``c`` (where half the runs diverge) under
  linear warmup over ``T`` steps, for the uv map (an ensemble at width ``n``) and a ReLU MLP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import LAZY, edges
from catapultlab.stats import Comparison

__all__ = ["late_time_section", "warmup_section"]


def _map_attractors(sec: dict[str, Any]) -> tuple[np.ndarray, list[Any], float]:
    """The uv map's late attractors over its c grid (c = eta lam0), and the onset grid step."""
    from catapultlab.sim import bifurcation, make_setup

    f0, lam0 = sec["map_f0"], sec["map_lam0"]
    c = np.linspace(*sec["map_c"])
    setup = make_setup("uv", y=1.0)
    scan = bifurcation(
        setup, c / lam0, n=1.0, state0=np.array([f0, lam0]), transient=sec["transient"],
        onsets=False,
    )  # fmt: skip
    return c, list(scan.attractors), float(c[1] - c[0]) / lam0


def _period_two_onset() -> float:
    """The derived eta where uv at y = n = 1 leaves its fixed points (theory.scalar_dynamics)."""
    import sympy as sp

    from catapultlab.theory import ETA, scalar_dynamics, uv_model

    model = uv_model()
    d = scalar_dynamics(model)
    at = {s: 1 for s in model.params if s.name in ("y", "n")}
    (eta,) = sp.solve(sp.Eq(d.eta_hat.subs(at), d.period_two), ETA)
    return float(eta)


def _network(cfg: dict[str, Any], sec: dict[str, Any]) -> Any:
    from catapultlab.validate import SweepConfig, run_sweep

    keys = ("act", "depth", "width", "steps", "train_size", "test_size", "init_scale")
    sc = SweepConfig(
        arch="mlp", dataset=cfg["validate"]["dataset"], seed=cfg["seed"], bisect=0,
        c_values=tuple(sec["net_c"]), late_window=sec["late_window"],
        measure_count=8, **{k: sec[k] for k in keys},
    )  # fmt: skip
    return run_sweep(sc)


def _late_data(c: np.ndarray, found: list[Any], res: Any) -> Any:
    import xarray as xr

    width = max(1, max((len(a.eta_lam) for a in found if a.period), default=1))
    points = np.full((len(c), min(width, 64)), np.nan)
    for i, a in enumerate(found):
        values = np.asarray(a.eta_lam, dtype=float)[: points.shape[1]]
        points[i, : values.size] = values
    band = np.array([r.eta_lam_band or (np.nan, np.nan) for r in res.runs], dtype=float)
    return xr.Dataset(
        {
            "map_eta_lam": (("map_c", "point"), points),
            "map_period": ("map_c", [np.nan if a.period is None else a.period for a in found]),
            "net_eta_lam_low": ("net_c", band[:, 0]),
            "net_eta_lam_high": ("net_c", band[:, 1]),
            "net_lam_period": ("net_c", [np.nan if r.lam_period is None else r.lam_period
                                         for r in res.runs]),
        },
        coords={"map_c": c, "net_c": [r.c for r in res.runs]},
        attrs={"network": res.network, "lam0": res.lam0},
    )  # fmt: skip


@plotting.styled
def _draw_late(ds: Any, out: Path, edge: float) -> None:
    fig, ax = new_figure(2, 1, (11, 4))
    c = ds["map_c"].values
    for j in range(ds["map_eta_lam"].shape[1]):  # "." at 1.5 pt: a pixel "," vanished
        label = "late attractor points" if j == 0 else None
        ax[0, 0].plot(c, ds["map_eta_lam"].values[:, j], ".", ms=1.5, color="k", label=label)
    ax[0, 0].set(
        xlabel=r"$c = \eta\lambda_0$",
        ylabel=r"late $\eta\lambda$",
        title="uv map, $y = 1$, $n = 1$",
    )
    nc = ds["net_c"].values
    lo, hi = ds["net_eta_lam_low"].values, ds["net_eta_lam_high"].values
    ax[0, 1].vlines(nc, lo, hi, color="tab:blue", lw=3)
    ax[0, 1].plot(nc, (lo + hi) / 2, "o", ms=3, color="tab:blue", label="late band")
    ax[0, 1].set(
        xlabel=r"$c = \eta\lambda_0$", ylabel=r"late $\eta\lambda_t$", title=ds.attrs["network"]
    )
    for a in ax[0]:
        a.axhline(edge, color="darkred", ls="--", lw=1, label=f"edge of stability {edge:g}")
        a.legend(fontsize=7)
    save_figure(fig, out, "late_time_bifurcation")


def late_time_section(cfg: dict[str, Any], out: Path) -> Section:
    """The late-time sharpness of a real network beside the uv bifurcation diagram."""
    sec = cfg["validate"]["late_time"]
    c, found, step = _map_attractors(sec)
    res = _network(cfg, sec)
    edge = edges()[LAZY]
    ds = _late_data(c, found, res)
    data = write_nc(ds, out, "late_time_bifurcation")
    _draw_late(ds, out, edge)
    lam0 = sec["map_lam0"]
    doubled = [a.eta for a in found if a.period == 2]
    rows = [
        Comparison.make(
            "validate.late_time.map_period_two_eta",
            "uv map (y = n = 1): first eta of the scan on a 2-cycle",
            doubled[0] if doubled else None,
            predicted=_period_two_onset(),
            relation="=",
            tolerance=1.01 * step,
            source="derived: the flattest reachable minimum loses stability at eta_hat = 1 "
            "(theory.scalar_dynamics); tolerance: the scan's grid step",
        )
    ]
    late = [r for r in res.runs if r.eta_lam_band and r.eta_lam_band[1] >= 0.95 * edge]
    lows = [r.eta_lam_band[0] for r in late]
    highs = [r.eta_lam_band[1] for r in late]
    rows.append(
        Comparison.make(
            "validate.late_time.net_band_at_edge",
            f"{res.network}: late eta*lambda_t of the runs that reached the edge (mean of band "
            "centres; interval: the union of their bands)",
            float(np.mean([(a + b) / 2 for a, b in zip(lows, highs, strict=True)]))
            if late
            else None,
            ci_low=min(lows, default=None),
            ci_high=max(highs, default=None),
            predicted=edge,
            relation="=",
            source="progressive sharpening to the edge of stability (Cohen et al. 2021; "
            "Kalra, He & Barkeshli 2023), hypothesis",
        )
    )
    periods = [r.c for r in res.runs if r.lam_period not in (None, 1)]
    rows.append(
        Comparison.make(
            "validate.late_time.net_first_oscillating_c",
            f"{res.network}: smallest c whose late lambda_t does not settle (period != 1)",
            min(periods, default=None),
        )
    )
    caption = (
        f"Left: late-time eta*lambda of the uv map (y = 1, n = 1) from a small init "
        f"(f0 = {sec['map_f0']:g}, lam0 = {lam0:g}) against c = eta lam0: a fixed point, the "
        "2-cycle from the derived onset, period doubling and chaos. Right: the band of "
        f"eta*lambda_t over the last {sec['late_window']} steps of a {res.network} trained "
        f"with one-hot labels from an init scaled by {sec['init_scale']:g}."
    )
    return Section(rows, [Figure("late_time_bifurcation", caption, data)])


def _map_c_max(sec: dict[str, Any], T: int) -> tuple[float | None, float | None]:
    """``c_divergent`` (and its s.e.) of the uv map under warmup over ``T`` steps."""
    from catapultlab.sim import SweepConfig, make_setup, run_sweep
    from catapultlab.theory import Schedule

    setup = make_setup("uv", y=0.0, schedule=Schedule("warmup", T))
    ds = run_sweep(
        SweepConfig(setup, tuple(sec["c"]), (sec["map_n"],), sec["map_ensemble"], sec["steps"])
    )
    value, se = float(ds["c_divergent"].values[0]), float(ds["c_divergent_se"].values[0])
    return (None if not np.isfinite(value) else value), (None if not np.isfinite(se) else se)


def _net_c_max(cfg: dict[str, Any], sec: dict[str, Any], T: int) -> Any:
    from catapultlab.validate import SweepConfig, run_sweep

    keys = ("act", "depth", "width", "train_size", "test_size", "bisect")
    sc = SweepConfig(
        arch="mlp", dataset=cfg["validate"]["dataset"], seed=cfg["seed"],
        c_values=tuple(sec["c"]), steps=sec["net_steps"], schedule=f"warmup:{T}",
        measure_count=6, late_window=0, **{k: sec[k] for k in keys},
    )  # fmt: skip
    return run_sweep(sc).c_max


@plotting.styled
def warmup_section(cfg: dict[str, Any], out: Path) -> Section:
    """The largest trainable c under linear warmup: the uv map against a ReLU MLP."""
    import xarray as xr

    sec = cfg["validate"]["warmup"]
    Ts = [int(t) for t in sec["T"]]
    maps = [_map_c_max(sec, T) for T in Ts]
    nets = [_net_c_max(cfg, sec, T) for T in Ts]
    nan = float("nan")
    ds = xr.Dataset(
        {
            "map_c_max": ("T", [nan if v is None else v for v, _ in maps]),
            "map_c_max_se": ("T", [nan if s is None else s for _, s in maps]),
            "net_c_max": ("T", [nan if b.value is None else b.value for b in nets]),
        },
        coords={"T": Ts},
        attrs={"map_n": sec["map_n"], "c_grid": list(sec["c"])},
    )
    data = write_nc(ds, out, "warmup_c_max")
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    ax.errorbar(Ts, ds["map_c_max"].values, yerr=2 * np.nan_to_num(ds["map_c_max_se"].values),
                fmt="o-", label=f"uv map, $n = {sec['map_n']}$ (2 s.e.)")  # fmt: skip
    ax.plot(Ts, ds["net_c_max"].values, "s-", label="ReLU MLP (bisected)")
    ax.set(xscale="log", yscale="log", xlabel="warmup length $T$ (steps)", ylabel=r"$c_\max$")
    ax.legend(fontsize=8)
    save_figure(fig, out, "warmup_c_max")
    rows = []
    for T, (value, se), net in zip(Ts, maps, nets, strict=True):
        rows.append(
            Comparison.make(
                f"validate.warmup.map_c_max_T{T}",
                f"uv map c_max (half diverge) under warmup T = {T}",
                value,
                uncertainty=se,
            )
        )
        rows.append(
            Comparison.make(
                f"validate.warmup.net_c_max_T{T}",
                f"ReLU MLP c_max under warmup T = {T}" + ("" if net.value else f" ({net.side})"),
                net.value,
            )
        )
    caption = (
        "Largest trainable c = eta lam0 (eta the target rate) under linear warmup over T "
        "steps: the uv map (c where half an ensemble diverges) and a ReLU MLP on "
        f"{cfg['validate']['dataset']} (bisected c_max). The map's one residual mode decays "
        "while the rate is below the edge and regrows at the target with the NTK unmoved, "
        "so warmup does not move the map's c_max; where the network's rises (Kalra & "
        "Barkeshli 2024: a catapult during warmup lowers the sharpness), the one-mode map "
        "does not describe it."
    )
    return Section(rows, [Figure("warmup_c_max", caption, data)])
