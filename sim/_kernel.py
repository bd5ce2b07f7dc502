"""Generated kernels of a numeric model: written to the cache, compiled by Numba, called.

A kernel module is generated from a model's :class:`~catapultlab.theory.KernelSpec` (its
printed pieces, no SymPy) by :func:`catapultlab.sim._codegen.kernel_source`, and kept as a
sealed module in the one cache (:mod:`catapultlab.sim._compiled`), named by a hash of the
spec, the generator's source and the options: an edited template never runs a stale
kernel.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.records import short_repr
from catapultlab.sim._compiled import CompiledModule, compiled_module, kernel_dir
from catapultlab.theory import NumericModel, Schedule

__all__ = [
    "CALL_LOCK",
    "call_lock",
    "concurrent_calls_safe",
    "cache_dir",
    "kernel_module",
    "KernelRun",
    "run_kernel",
    "run_map",
    "DTYPES",
]

DTYPES = ("float64", "float32")

UNROLL = 4
"""Steps per lane between loads and stores for small models (state stays in registers)."""

CONTRACT = False
"""Allow fused multiply-add in kernels (off: results are plain IEEE arithmetic)."""

CALL_LOCK = threading.Lock()
"""One parallel compiled call at a time (kernels and the Gram sampler) where Numba's
threading layer is not thread-safe (``workqueue``); see :func:`call_lock`."""

SAFE_LAYERS = ("omp", "tbb")
"""Numba threading layers that take parallel calls from several threads at once."""


def concurrent_calls_safe() -> bool:
    """May several Python threads call parallel compiled functions at once?

    Known only after a parallel function has run (Numba picks its layer then).
    """
    import numba

    try:
        return numba.threading_layer() in SAFE_LAYERS
    except ValueError:  # no parallel function has run yet
        return False


def call_lock() -> Any:
    """The lock a parallel compiled call holds: none where the threading layer is thread-safe."""
    return contextlib.nullcontext() if concurrent_calls_safe() else CALL_LOCK


def cache_dir() -> Path:
    """The directory generated kernel modules are written to."""
    return kernel_dir()


@cache
def _generator_hash() -> str:
    """Hash of the code that writes kernel sources: an edit regenerates every kernel."""
    h = hashlib.sha256()
    for name in ("catapultlab.sim._codegen", "catapultlab.phases"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        h.update(Path(spec.origin).read_bytes())
    return h.hexdigest()[:16]


def _unroll(numeric: NumericModel) -> int:
    return UNROLL if numeric.kernel.ops <= 200 else 1


def kernel_tag(numeric: NumericModel, dtype: str, schedule: str = "constant") -> str:
    """The cache name of a model's kernel module for ``dtype`` (and a schedule kind)."""
    text = f"{numeric.kernel.key}:{_generator_hash()}:{dtype}:{_unroll(numeric)}:{CONTRACT}"
    if schedule != "constant":
        text += f":{schedule}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def kernel_module(
    numeric: NumericModel, dtype: str = "float64", schedule: str = "constant"
) -> CompiledModule:
    """The compiled kernel module of a numeric model for ``dtype`` (written and imported once).

    Its functions: ``run(state0, eta, shared, conv_loss, div_loss, rise_tol, max_steps,
    lanes, sched_len, block_size, out_state, out_peak, out_tpeak, out_steps, out_phase)``
    (the ensemble kernel) and ``run_map(state0, eta, shared, steps, lanes, out_state)``
    (the bare map: the bench's ceiling).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")

    def source() -> str:
        from catapultlab.sim._codegen import kernel_source

        unroll = _unroll(numeric)
        return kernel_source(
            numeric.kernel, dtype, unroll=unroll, contract=CONTRACT, schedule=schedule
        )

    return compiled_module(kernel_tag(numeric, dtype, schedule), source)


def run_map(
    numeric: NumericModel,
    state0: np.ndarray,
    eta: np.ndarray,
    shared: np.ndarray,
    *,
    steps: int,
    dtype: str = "float64",
    lanes: int = 128,
) -> np.ndarray:
    """Iterate the generated map ``steps`` times per trajectory with no tests at all.

    This is the arithmetic ceiling of a model's kernel on the machine at hand (what the
    same generated expressions cost with no loss, stopping or peak tracking);
    ``catapultlab bench`` reports it beside the real kernel. Pick a workload that stays
    in normal floating-point numbers: nothing here stops a converged run from
    drifting into subnormals.

    Returns:
        The final states ``(S, B)`` in ``dtype``.
    """
    state0 = np.ascontiguousarray(state0, dtype=np.float64)
    eta = np.ascontiguousarray(eta, dtype=np.float64)
    out = np.empty(state0.shape, dtype=np.dtype(dtype))
    module = kernel_module(numeric, dtype)
    with call_lock():
        module.call(
            "run_map",
            state0,
            eta,
            np.ascontiguousarray(shared, dtype=np.float64),
            int(steps),
            int(lanes),
            out,
        )
    return out


@dataclass(frozen=True)
class KernelRun:
    """Raw per-trajectory results of one kernel call.

    Attributes:
        state: final state, shape ``(S, B)`` in the kernel dtype.
        peak: largest loss seen (step 0 included), ``(B,)``.
        t_peak: first step at which it was reached, ``(B,)``.
        steps: steps taken before the run stopped, ``(B,)``.
        phase: :class:`catapultlab.phases.Phase` codes, ``(B,)`` int8.
    """

    __repr__ = short_repr

    state: np.ndarray
    peak: np.ndarray
    t_peak: np.ndarray
    steps: np.ndarray
    phase: np.ndarray


def run_kernel(
    numeric: NumericModel,
    state0: np.ndarray,
    eta: np.ndarray,
    shared: np.ndarray,
    *,
    converge_loss: float,
    diverge_loss: float,
    rise_tol: float,
    max_steps: int,
    dtype: str = "float64",
    lanes: int = 128,
    block_size: int | None = None,
    schedule: Schedule | None = None,
) -> KernelRun:
    """Run the generated kernel on a batch of trajectories.

    Args:
        numeric: the model.
        state0: initial states ``(S, B)``.
        eta: per-trajectory learning rates ``(B,)``.
        shared: the shared parameters (``model.params[1:]``), float64.
        converge_loss: a run has converged once its loss is at most this.
        diverge_loss: a run has diverged once its loss exceeds this or is not finite.
        rise_tol: relative slack of the "loss rose" test.
        max_steps: step budget.
        dtype: kernel precision.
        lanes: trajectories stepped together in the vector loop.
        block_size: trajectories per parallel block (default: about 8 blocks per thread).
        schedule: the learning-rate schedule (``eta`` is the target; constant by default).

    Returns:
        Raw results; they do not depend on ``lanes`` or ``block_size``.
    """
    import numba

    schedule = schedule or Schedule()
    module = kernel_module(numeric, dtype, schedule.kind)
    dt = np.dtype(dtype)
    state0 = np.ascontiguousarray(state0, dtype=np.float64)
    eta = np.ascontiguousarray(eta, dtype=np.float64)
    B = eta.shape[0]
    if dtype == "float32" and max_steps >= 2**24:
        raise ValueError("float32 kernels count steps exactly only below 2**24")
    if block_size is None:
        threads = numba.get_num_threads()
        block_size = max(lanes, -(-B // (8 * threads)))
    out_state = np.empty((state0.shape[0], B), dtype=dt)
    out_peak = np.empty(B, dtype=dt)
    out_tpeak = np.empty(B, dtype=np.int64)
    out_steps = np.empty(B, dtype=np.int64)
    out_phase = np.empty(B, dtype=np.int8)
    with call_lock():
        module.call(
            "run",
            state0,
            eta,
            np.ascontiguousarray(shared, dtype=np.float64),
            float(converge_loss),
            float(diverge_loss),
            float(rise_tol),
            int(max_steps),
            int(lanes),
            float(schedule.length),
            int(block_size),
            out_state,
            out_peak,
            out_tpeak,
            out_steps,
            out_phase,
        )
    return KernelRun(out_state, out_peak, out_tpeak, out_steps, out_phase)
