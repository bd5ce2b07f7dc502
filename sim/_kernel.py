"""Write generated kernels to a cache directory, import them and call them.

Numba's on-disk cache (``cache=True``) needs a real source file, so each kernel
module lives at ``<cache>/kernels/k_<hash>_<dtype>.py`` where ``<cache>`` is the user
cache directory of :mod:`catapultlab._cache` (``$CATAPULTLAB_CACHE_DIR`` overrides it);
the hash covers the model's maps, loss and the generator version. Each file carries a
hash of its content, checked before import (:mod:`catapultlab.sim._kernel_cache`).
Numba stores its compiled objects under ``$NUMBA_CACHE_DIR`` (``<cache>/numba``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.sim._kernel_cache import kernel_dir, kernel_file

__all__ = [
    "CALL_LOCK",
    "call_lock",
    "concurrent_calls_safe",
    "cache_dir",
    "compiled_kernel",
    "kernel_artefact",
    "load_kernel_module",
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


def _stability(model: object) -> Any:
    """``mu^2`` of the model's residual multiplier, or ``None`` (no stability test)."""
    import sympy as sp

    mu = getattr(model, "residual_multiplier", None)
    return None if mu is None else sp.expand(mu**2)


@cache
def _generator_hash() -> str:
    """Hash of the code that writes kernel sources: an edit regenerates every kernel."""
    import catapultlab._phases as phases

    files = (Path(__file__).with_name("_codegen.py"), Path(phases.__file__))
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


def _model_hash(model: object) -> str:
    from catapultlab.sim._codegen import GENERATOR_VERSION

    maps = model.maps  # type: ignore[attr-defined]
    text = repr(
        (
            [str(s) for s in model.state],  # type: ignore[attr-defined]
            [str(p) for p in model.params],  # type: ignore[attr-defined]
            [str(maps[s]) for s in model.state],  # type: ignore[attr-defined]
            str(model.loss),  # type: ignore[attr-defined]
            str(_stability(model)),
            GENERATOR_VERSION,
            _generator_hash(),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def kernel_artefact(model: object, dtype: str) -> tuple[str, Callable[[], str]]:
    """The tag of a model's kernel module for ``dtype`` and a function generating its source."""
    import sympy as sp

    from catapultlab.sim._codegen import kernel_source, kernel_spec

    size = sum(sp.count_ops(e) for e in model.maps.values())  # type: ignore[attr-defined]
    unroll = UNROLL if size <= 200 else 1
    tag = f"{_model_hash(model)}_{dtype}_u{unroll}{'c' if CONTRACT else ''}"

    def source() -> str:
        spec = kernel_spec(model.state, model.params, model.maps, model.loss, _stability(model))  # type: ignore[attr-defined]
        return kernel_source(spec, dtype, unroll=unroll, contract=CONTRACT)

    return tag, source


_LOADED: dict[str, Any] = {}


def load_kernel_module(tag: str, source: Callable[[], str]) -> Any:
    """Import the verified kernel module ``tag`` (written from ``source()`` when needed), once."""
    if tag not in _LOADED:
        path = kernel_file(tag, source)
        name = f"catapultlab_kernel_{tag}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        _LOADED[tag] = module
    return _LOADED[tag]


@cache
def _compiled(model_hash: str, dtype: str, model_ref: int) -> Any:
    return load_kernel_module(*kernel_artefact(_MODELS[model_ref], dtype))


_MODELS: dict[int, object] = {}
_HASHES: dict[int, tuple[object, str]] = {}


def compiled_kernel(model: object, dtype: str = "float64") -> Callable[..., None]:
    """The generated ``run`` kernel of a closed model for ``dtype`` (written and imported once).

    Args:
        model: a closed :class:`catapultlab.theory.Model`.
        dtype: ``"float64"`` or ``"float32"``.

    Returns:
        The Numba dispatcher ``run(state0, eta, shared, conv_loss, div_loss, rise_tol,
        max_steps, lanes, check_every, block_size, out_state, out_peak, out_tpeak,
        out_steps, out_phase)``.
    """
    return _module(model, dtype).run


def _module(model: object, dtype: str) -> Any:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    if hasattr(model, "kernel_module"):  # a Setup: its cached plan knows the module
        return model.kernel_module(dtype)  # type: ignore[attr-defined]
    _MODELS[id(model)] = model
    known = _HASHES.get(id(model))
    if known is None or known[0] is not model:  # hashing the maps costs ~20 ms: once per model
        known = _HASHES[id(model)] = (model, _model_hash(model))
    return _compiled(known[1], dtype, id(model))


def run_map(
    model: object,
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
    with call_lock():
        _module(model, dtype).run_map(
            state0, eta, np.ascontiguousarray(shared, dtype=np.float64), int(steps), int(lanes), out
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
        phase: :class:`catapultlab.sim.Phase` codes, ``(B,)`` int8.
    """

    state: np.ndarray
    peak: np.ndarray
    t_peak: np.ndarray
    steps: np.ndarray
    phase: np.ndarray


def run_kernel(
    model: object,
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
    check_every: int = 8,
    block_size: int | None = None,
) -> KernelRun:
    """Run the generated kernel on a batch of trajectories.

    Args:
        model: the closed model.
        state0: initial states ``(S, B)``.
        eta: per-trajectory learning rates ``(B,)``.
        shared: the shared parameters (``model.params[1:]``), float64.
        converge_loss: a run has converged once its loss is at most this.
        diverge_loss: a run has diverged once its loss exceeds this or is not finite.
        rise_tol: relative slack of the "loss rose" test.
        max_steps: step budget.
        dtype: kernel precision.
        lanes: trajectories stepped together in the vector loop.
        check_every: steps between refills of finished lanes.
        block_size: trajectories per parallel block (default: about 8 blocks per thread).

    Returns:
        Raw results; they do not depend on ``lanes``, ``check_every`` or ``block_size``.
    """
    import numba

    kernel = compiled_kernel(model, dtype)
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
        kernel(
            state0,
            eta,
            np.ascontiguousarray(shared, dtype=np.float64),
            float(converge_loss),
            float(diverge_loss),
            float(rise_tol),
            int(max_steps),
            int(lanes),
            int(check_every),
            int(block_size),
            out_state,
            out_peak,
            out_tpeak,
            out_steps,
            out_phase,
        )
    return KernelRun(out_state, out_peak, out_tpeak, out_steps, out_phase)
