"""The simulator: generated Numba kernels for a model's exact maps, ensembles and sweeps.

Everything here runs a :class:`Setup`: a model's :class:`~catapultlab.theory.NumericModel`
(plain data and printed code from theory) with its labels, inputs and step-rule values.
Kernels are generated from the numeric model's printed pieces (never retyped), run
blocks of trajectories in SIMD lanes with refill-on-stop, and are checked against a pure
NumPy path and exact parameter-space gradient descent.
"""

from __future__ import annotations

from catapultlab.lazy import attach

__all__ = [
    "COMMANDS",
    "phase_diagram",
    "MODELS",
    "Attractor",
    "Bifurcation",
    "Onset",
    "bifurcation",
    "bifurcation_figure",
    "bifurcation_to_json",
    "feigenbaum_ratios",
    "late_attractors",
    "multipliers",
    "newton_orbit",
    "period_onsets",
    "SEED_BLOCK",
    "ChunkTask",
    "Data",
    "ExactRun",
    "Init",
    "KernelRun",
    "Outcomes",
    "PureRun",
    "Setup",
    "SweepConfig",
    "Trajectory",
    "cache_dir",
    "check_reachable",
    "chunk_tasks",
    "gaussian_params",
    "initial_state",
    "kernel_module",
    "kernel_source",
    "local_runner",
    "make_setup",
    "parse_c_range",
    "parse_labels",
    "parse_widths",
    "phase_diagram_cy",
    "run_chunk",
    "run_ensemble",
    "run_exact",
    "run_exact_spec",
    "run_kernel",
    "run_map",
    "run_pure",
    "run_sweep",
    "sample_gram",
    "sample_gram_streams",
    "simulate_trajectories",
    "stack_over_y",
    "stacked_to_json",
    "sweep_to_json",
    "top_ntk",
    "trajectory_to_json",
    "uv_params_for_state",
]

_WHERE = {
    "_cli": ("COMMANDS",),
    "_figures": ("bifurcation_figure", "phase_diagram"),
    "_bifurcation": ("Bifurcation", "bifurcation", "bifurcation_to_json", "feigenbaum_ratios"),
    "_orbits": ("Attractor", "late_attractors"),
    "_onsets": ("Onset", "multipliers", "newton_orbit", "period_onsets"),
    "_codegen": ("kernel_source",),
    "_ensemble": (
        "SEED_BLOCK",
        "ChunkTask",
        "Outcomes",
        "chunk_tasks",
        "run_chunk",
        "run_ensemble",
    ),
    "_exact": (
        "ExactRun",
        "gaussian_params",
        "run_exact",
        "run_exact_spec",
        "uv_params_for_state",
    ),
    "_init": (
        "Init",
        "check_reachable",
        "initial_state",
        "sample_gram",
        "sample_gram_streams",
        "top_ntk",
    ),
    "_kernel": (
        "KernelRun",
        "cache_dir",
        "kernel_module",
        "run_kernel",
        "run_map",
    ),
    "_pure": (
        "PureRun",
        "run_pure",
    ),
    "_setup": (
        "MODELS",
        "Data",
        "Setup",
        "make_setup",
    ),
    "_grid": ("parse_c_range", "parse_widths"),
    "_runners": ("local_runner",),
    "_sweep": ("run_sweep",),
    "_sweep_config": ("SweepConfig",),
    "_sweep_json": ("sweep_to_json",),
    "_trajectory": ("Trajectory", "simulate_trajectories", "trajectory_to_json"),
    "_ysweep": (
        "parse_labels",
        "phase_diagram_cy",
        "stack_over_y",
        "stacked_to_json",
    ),
}
__getattr__, __dir__ = attach(__name__, _WHERE)
