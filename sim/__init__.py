"""The simulator: generated Numba kernels for a model's exact maps, ensembles and sweeps.

Kernels are generated from the theory layer's sympy maps (never retyped), run
blocks of trajectories in SIMD lanes with refill-on-stop, and are checked against
a pure NumPy path and exact parameter-space gradient descent.
"""

from __future__ import annotations

from catapultlab._lazy import attach

__all__ = [
    "phase_diagram",
    "MODELS",
    "PHASE_NAMES",
    "SEED_BLOCK",
    "ChunkTask",
    "ExactRun",
    "Init",
    "KernelRun",
    "KernelSpec",
    "Outcomes",
    "Phase",
    "PureRun",
    "Setup",
    "StopRule",
    "SweepConfig",
    "cache_dir",
    "check_reachable",
    "chunk_tasks",
    "classify_losses",
    "compiled_kernel",
    "gaussian_params",
    "initial_state",
    "kernel_source",
    "kernel_spec",
    "make_setup",
    "parse_c_range",
    "parse_labels",
    "parse_widths",
    "phase_diagram_cy",
    "run_chunk",
    "run_ensemble",
    "run_exact",
    "run_kernel",
    "run_map",
    "run_pure",
    "run_sweep",
    "setup_from_config",
    "step_rule_for",
    "sample_gram",
    "sample_gram_streams",
    "simulate_trajectories",
    "stack_over_y",
    "stacked_to_json",
    "sweep_to_json",
    "top_ntk",
    "uv_params_for_state",
    "write_netcdf",
]

_WHERE = {
    "_figures": ("phase_diagram",),
    "_codegen": (
        "KernelSpec",
        "kernel_source",
        "kernel_spec",
    ),
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
        "compiled_kernel",
        "run_kernel",
        "run_map",
    ),
    "_phases": (
        "PHASE_NAMES",
        "Phase",
        "classify_losses",
    ),
    "_pure": (
        "PureRun",
        "run_pure",
    ),
    "_setup": (
        "MODELS",
        "Setup",
        "make_setup",
        "setup_from_config",
        "step_rule_for",
    ),
    "_stop": ("StopRule",),
    "_sweep": (
        "SweepConfig",
        "parse_c_range",
        "parse_widths",
        "run_sweep",
        "sweep_to_json",
        "write_netcdf",
    ),
    "_trajectory": ("simulate_trajectories",),
    "_ysweep": (
        "parse_labels",
        "phase_diagram_cy",
        "stack_over_y",
        "stacked_to_json",
    ),
}
__getattr__, __dir__ = attach(__name__, _WHERE)
