"""Sim section 1: the uv phase diagram over ``(c, n)`` at label ``y = 0``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.reproduce._common import Figure, Section, write_nc
from catapultlab.reproduce._predictions import DIVERGENT, LAZY, compared, edges, theory_model
from catapultlab.reproduce._sim_sweep import DIAGRAM, ENGINE, boundary_row, uv_sweep
from catapultlab.stats import Comparison

__all__ = ["phase_diagram_section"]

CAPTION = (
    "uv-model phase fractions over (c, n) from catapultlab.sim, with the measured "
    "boundaries (50% crossings, 95% bootstrap intervals) and the derived ones (dashed)."
)


def _draw(ds: Any, out: Path, y: float) -> None:
    """``figures/uv_phase_diagram.png|pdf`` by :func:`catapultlab.sim.phase_diagram`."""
    from catapultlab.sim import phase_diagram

    (out / "figures").mkdir(parents=True, exist_ok=True)
    phase_diagram(
        ds,
        [out / "figures" / f"uv_phase_diagram.{ext}" for ext in ("png", "pdf", "svg")],
        model=theory_model(),
        title=f"uv model, $y = {y:g}$: phase fractions",
    )


def _catapult_landing(cells: dict[tuple[float, int], Any]) -> float | None:
    """The largest ``eta lambda_final`` over every catapult trajectory of the diagram."""
    from catapultlab.phases import Phase

    finals = [o.eta_lam_final[o.phase == Phase.CATAPULT] for o in cells.values()]
    values = np.concatenate(finals) if finals else np.empty(0)
    return float(values.max()) if values.size else None


def phase_diagram_section(cfg: dict[str, Any], out: Path) -> Section:
    """The phase diagram, its boundaries at the largest width and where catapults land."""
    s = cfg["sim"]
    y, ns = float(s["diagram_y"]), list(s["diagram_n"])
    ds, cells = uv_sweep(cfg, y=y, c=s["diagram_c"], n=ns, ensemble=s["ensemble"], part=DIAGRAM)
    edge = edges()
    ds.attrs.update(
        y=y,
        derived_c_lazy_catapult=edge[LAZY],
        derived_c_catapult_divergent=edge[DIVERGENT],
        engine=ENGINE,
    )
    data = write_nc(ds, out, "uv_phase_diagram")
    _draw(ds, out, y)
    j = len(ns) - 1
    numbers = [
        boundary_row(
            "sim.c_catapult_largest_n",
            f"uv c_loss_rises at n={ns[j]} (y={y:g}; half the losses rise: the catapult edge under GD)",
            ds,
            "c_loss_rises",
            j,
            **compared("c_loss_rises"),
        ),
        boundary_row(
            "sim.c_divergent_largest_n",
            f"uv c_divergent at n={ns[j]} (y={y:g})",
            ds,
            "c_divergent",
            j,
            **compared("c_divergent"),
        ),
        Comparison.make(
            "sim.max_eta_lam_final_catapult",
            "uv max eta*lambda_final over catapult runs",
            _catapult_landing(cells),
            **compared("eta_lam_final", "Theorem 1: a catapult lands where GD is linearly stable"),
        ),
    ]
    return Section(numbers, [Figure("uv_phase_diagram", CAPTION, data)])
