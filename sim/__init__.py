"""The simulator: generated Numba kernels for a model's exact maps, ensembles and sweeps.

Kernels are generated from the theory layer's sympy maps (never retyped), run
blocks of trajectories in SIMD lanes with refill-on-stop, and are checked against
a pure NumPy path and exact parameter-space gradient descent.
"""

from __future__ import annotations

from catapultlab.sim._codegen import KernelSpec, kernel_source, kernel_spec
from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    Outcomes,
    chunk_tasks,
    run_chunk,
    run_ensemble,
)
from catapultlab.sim._exact import ExactRun, gaussian_params, run_exact
from catapultlab.sim._init import Init, check_reachable, initial_state, sample_gram, top_ntk
from catapultlab.sim._kernel import KernelRun, cache_dir, compiled_kernel, run_kernel
from catapultlab.sim._phases import PHASE_NAMES, Phase, classify_losses
from catapultlab.sim._pure import PureRun, run_pure
from catapultlab.sim._setup import MODELS, Setup, make_setup
from catapultlab.sim._stop import StopRule
from catapultlab.sim._sweep import (
    SweepConfig,
    parse_c_range,
    parse_widths,
    run_sweep,
    sweep_to_json,
    write_netcdf,
)
from catapultlab.sim._trajectory import simulate_trajectories

__all__ = [
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
    "parse_widths",
    "run_chunk",
    "run_ensemble",
    "run_exact",
    "run_kernel",
    "run_pure",
    "run_sweep",
    "sample_gram",
    "simulate_trajectories",
    "sweep_to_json",
    "top_ntk",
    "write_netcdf",
]
