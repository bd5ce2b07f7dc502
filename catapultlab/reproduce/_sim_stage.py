"""Stage b: uv-model ensembles on :mod:`catapultlab.sim`, one report section each.

1. the phase diagram over ``(c, n)`` (:mod:`~catapultlab.reproduce._sim_diagram`);
2. one trajectory per phase (:mod:`~catapultlab.reproduce._sim_single`);
3. the finite-width divergent boundary for ``y != 0`` and its label collapse
   (:mod:`~catapultlab.reproduce._sim_finite`);
4. peak loss, ``t_peak`` and lazy NTK drift against the width
   (:mod:`~catapultlab.reproduce._sim_scaling`).

This stage only chooses the grids, plots and turns the results into report numbers;
every prediction is the derived model's (:mod:`catapultlab.reproduce._predictions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catapultlab.reproduce._common import stage_result
from catapultlab.reproduce._sim_diagram import phase_diagram_section
from catapultlab.reproduce._sim_finite import finite_width_section
from catapultlab.reproduce._sim_scaling import scaling_section
from catapultlab.reproduce._sim_single import single_runs_section
from catapultlab.reproduce._sim_sweep import ENGINE

__all__ = ["ENGINE", "SECTIONS", "run_sim"]

SECTIONS = (phase_diagram_section, single_runs_section, finite_width_section, scaling_section)
"""The sim stage's report sections, in report order."""


def run_sim(cfg: dict[str, Any], out: Path, echo: Any) -> dict[str, Any]:
    """Run every sim section; write data and figures; return the stage result."""
    from catapultlab.progress import progress

    bar = progress(total=len(SECTIONS), desc="sim", unit="part", leave=False)
    sections = []
    for section in SECTIONS:
        sections.append(section(cfg, out))
        bar.update()
    bar.close()
    return stage_result(sections, engine=ENGINE)
