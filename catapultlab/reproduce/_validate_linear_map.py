"""Validate section: a real two-layer linear network against the exact derived full-model map.

The map is exact, so the prediction for the deviation is 0, judged within float64
round-off over the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.stats import Comparison

__all__ = ["ROUND_OFF", "linear_map_section"]

ROUND_OFF = 1e-8
"""The tolerance of the exact map's check: float64 round-off over the run."""

CAPTION = (
    "A real two-layer linear network (JAX, float64) against the exact derived full-model "
    "map from the same initialisation."
)


def _deviation(cmp: Any) -> float:
    """Largest relative deviation of ``f`` and ``lambda`` between network and map."""
    scale = max(np.max(np.abs(cmp.f_net)), 1.0)
    return max(
        np.max(np.abs(cmp.f_net - cmp.f_map)) / scale,
        np.max(np.abs(cmp.lam_net - cmp.lam_map) / np.abs(cmp.lam_net)),
    )


def _compare(cfg: dict[str, Any]) -> Any:
    """Run network and map for every ``c``; the trajectories (NaN-padded) as a dataset."""
    import xarray as xr

    from catapultlab.progress import progress
    from catapultlab.validate import compare_linear_network_with_map

    lm, seed = cfg["validate"]["linear_map"], cfg["seed"]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((lm["samples"], lm["inputs"]))
    y = rng.standard_normal(lm["samples"])
    cs, T = list(lm["c"]), int(lm["steps"])
    f = {k: np.full((len(cs), T + 1, lm["samples"]), np.nan) for k in ("f_net", "f_map")}
    lam = {k: np.full((len(cs), T + 1), np.nan) for k in ("lam_net", "lam_map")}
    devs = []
    for i, c in enumerate(progress(cs, desc="linear net vs map", leave=False)):
        cmp = compare_linear_network_with_map(x, y, width=lm["width"], c=c, steps=T, seed=seed)
        for k, arr in (*f.items(), *lam.items()):
            got = getattr(cmp, k)
            arr[i, : got.shape[0]] = got
        devs.append(_deviation(cmp))
    return xr.Dataset(
        {k: (("c", "step", "sample"), v) for k, v in f.items()}
        | {k: (("c", "step"), v) for k, v in lam.items()}
        | {"max_rel_deviation": (("c",), np.asarray(devs))},
        coords={"c": cs, "step": np.arange(T + 1)},
        attrs={"width": lm["width"], "x": json.dumps(x.tolist()), "y": json.dumps(y.tolist())},
    )


@plotting.styled
def _draw(ds: Any, out: Path) -> None:
    """``figures/linear_network_vs_map``: ``|f_t(x_1)|`` and ``lambda_t``, network and map."""
    fig, ax = new_figure(2, 1, (11, 4))
    for i, c in enumerate(ds["c"].values):
        col = f"C{i}"
        for who, style in (("network", "-"), ("exact map", "x")):
            k = "net" if who == "network" else "map"
            ms = {} if style == "-" else {"ms": 4}
            f, lam = ds[f"f_{k}"].values[i, :, 0], ds[f"lam_{k}"].values[i]
            ax[0, 0].plot(np.abs(f), style, color=col, label=f"{who}, $c = {c:g}$", **ms)
            ax[0, 1].plot(lam, style, color=col, label=f"{who}, $c = {c:g}$", **ms)
    title = f"linear net (width {ds.attrs['width']}) vs full-model map"
    ax[0, 0].set(yscale="log", xlabel="step $t$", ylabel="$|f_t(x_1)|$", title=title)
    ax[0, 1].set(xlabel="step $t$", ylabel=r"$\lambda_t$")
    ax[0, 0].legend(fontsize=6)
    ax[0, 1].legend(fontsize=6)
    save_figure(fig, out, "linear_network_vs_map")


def linear_map_section(cfg: dict[str, Any], out: Path) -> Section:
    """The network against the exact map: data, figure and the largest deviation."""
    ds = _compare(cfg)
    data = write_nc(ds, out, "linear_network_vs_map")
    _draw(ds, out)
    row = Comparison.make(
        "validate.linear_map.max_rel_deviation",
        "max relative deviation, linear network vs exact map (all c, all steps)",
        float(np.max(ds["max_rel_deviation"].values)),
        predicted=0.0,
        relation="=",
        tolerance=ROUND_OFF,
        source="the derived map is exact; tolerance: float64 round-off over the run",
    )
    return Section([row], [Figure("linear_network_vs_map", CAPTION, data)])
