"""Stage c: real networks on :mod:`catapultlab.validate`, one report section each.

1. ReLU and linear MLP ``c``-sweeps on a real dataset
   (:mod:`~catapultlab.reproduce._validate_nets`);
2. test accuracy against ``c`` for both (:mod:`~catapultlab.reproduce._validate_accuracy`);
3. a linear network against the exact derived map
   (:mod:`~catapultlab.reproduce._validate_linear_map`);
4. the breadth sections of :mod:`catapultlab.reproduce._validate_breadth` (edge of
   stability, momentum against the derived edges, a small depth x width map) and of
   :mod:`catapultlab.reproduce._validate_dynamics` (late-time sharpness beside the
   bifurcation diagram, warmup), in the presets that have them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catapultlab.reproduce._common import Section, stage_result
from catapultlab.reproduce._validate_accuracy import accuracy_section
from catapultlab.reproduce._validate_breadth import (
    depth_width_section,
    eos_section,
    momentum_section,
)
from catapultlab.reproduce._validate_dynamics import late_time_section, warmup_section
from catapultlab.reproduce._validate_linear_map import linear_map_section
from catapultlab.reproduce._validate_nets import NETWORKS, network_section
from catapultlab.reproduce._validate_sgd import sgd_section

__all__ = ["BREADTH", "run_validate"]

BREADTH = (
    ("eos", "edge of stability", eos_section),
    ("momentum", "momentum against the derived edges", momentum_section),
    ("scan", "depth x width map", depth_width_section),
    ("late_time", "late-time sharpness beside the bifurcation diagram", late_time_section),
    ("warmup", "warmup and the largest trainable c", warmup_section),
    ("sgd", "SGD catapults: networks and the block map on the same batches", sgd_section),
)
"""Preset section, words and section function of each breadth section."""


def run_validate(cfg: dict[str, Any], out: Path, echo: Any) -> dict[str, Any]:
    """Run the network sweeps, the linear-map comparison and the breadth sections."""
    sections: list[Section] = []
    sweeps = {}
    for net in NETWORKS:
        section, sweeps[net] = network_section(cfg, out, net, echo)
        sections.append(section)
    sections.append(accuracy_section(cfg, out, sweeps))
    sections.append(linear_map_section(cfg, out))
    skipped = []
    for key, label, section in BREADTH:
        if key not in cfg["validate"]:  # the quick preset: too small for these, and kept fast
            skipped.append(label)
            continue
        echo(f"  {label} ...")
        sections.append(section(cfg, out))
    why = ", ".join(skipped) + " (run the default preset)" if skipped else ""
    return stage_result(sections, skipped=why)
