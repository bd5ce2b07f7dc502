"""Validate section: final test accuracy against ``c`` for both network sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import LAZY, edges

__all__ = ["accuracy_section"]

COLORS = {"relu": "tab:blue", "linear": "tab:green"}

CAPTION = "Final test accuracy vs c for both networks (divergent runs omitted)."


def _accuracy(res: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sweep's ``c`` grid and final test accuracy (NaN where there is none)."""
    c = np.array([r.c for r in res.runs])
    acc = np.array([np.nan if r.test_acc is None else r.test_acc for r in res.runs])
    return c, acc


@plotting.styled
def _draw(sweeps: dict[str, Any], out: Path, dataset: str) -> None:
    """``figures/test_accuracy_vs_c``: accuracy per network, measured c_max, derived lazy edge."""
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    for net, res in sweeps.items():
        col = COLORS[net]
        ax.plot(*_accuracy(res), "o-", color=col, label=f"{res.network}")
        cmax = res.c_max.value
        if cmax is not None:
            ax.axvline(cmax, color=col, ls=":", lw=1, label=f"measured $c_\\max = {cmax:.3g}$")
    lazy = edges()[LAZY]
    ax.axvline(lazy, color="k", ls="--", lw=1, label=f"derived lazy edge $c = {lazy:g}$")
    ax.set(xscale="log", xlabel=r"$c = \eta\lambda_0$", ylabel="final test accuracy", title=dataset)
    plotting.plain_log_ticks(ax.xaxis)
    ax.legend(fontsize=7)
    save_figure(fig, out, "test_accuracy_vs_c")


def accuracy_section(cfg: dict[str, Any], out: Path, sweeps: dict[str, Any]) -> Section:
    """Test accuracy vs ``c`` of the network sweeps ``{"relu": result, "linear": result}``."""
    import xarray as xr

    _draw(sweeps, out, cfg["validate"]["dataset"])
    grids = {net: _accuracy(res) for net, res in sweeps.items()}
    ds = xr.Dataset(
        {f"{k}_test_acc": ((f"{k}_c",), acc) for k, (_, acc) in grids.items()},
        coords={f"{k}_c": c for k, (c, _) in grids.items()},
    )
    data = write_nc(ds, out, "test_accuracy_vs_c")
    return Section([], [Figure("test_accuracy_vs_c", CAPTION, data)])
