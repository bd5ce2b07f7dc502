"""Up-front checks of sweep, simulate and bench requests (CLI and Python API alike).

Each check runs before any model is built, sampled or compiled, and refuses with one
line naming the limit (see :mod:`catapultlab.checks` for the numeric limits). A sweep
streams: each chunk is reduced to statistics and dropped, so its memory does not grow
with the ensemble, and its size is bounded by :data:`MAX_SWEEP_TRAJECTORIES` (work, not
memory). Memory is estimated from what a run keeps: :data:`BENCH_BYTES_PER_TRAJECTORY`
per bench trajectory, and a stored ``(steps + 1) x (state + loss)`` float64 record per
simulated trajectory.
"""

from __future__ import annotations

from collections.abc import Sequence

from catapultlab import CatapultError
from catapultlab.checks import (
    check_cells,
    check_int,
    check_memory,
    check_positive,
    check_seed,
    check_steps,
    check_width,
)

__all__ = [
    "BENCH_BYTES_PER_TRAJECTORY",
    "MAX_SWEEP_TRAJECTORIES",
    "check_bench_request",
    "check_dtype",
    "check_simulate_request",
    "check_sweep_request",
]

MAX_SWEEP_TRAJECTORIES = 10**11
"""Most trajectories (over all cells) one sweep runs: 100 times the 1e9 the streaming
statistics are measured at (a 1e9 sweep peaks at about 220 MiB and takes tens of
minutes on 2 cores); split a larger study into several sweeps."""

BENCH_BYTES_PER_TRAJECTORY = 160
"""Bytes bench holds per kernel trajectory (initial state, eta, outputs, both dtypes)."""

DTYPES = ("float64", "float32")


def check_dtype(dtype: object) -> str:
    """``float64`` or ``float32``."""
    if dtype not in DTYPES:
        raise CatapultError(f"dtype must be float64 or float32, got {dtype!r}")
    return str(dtype)


def check_sweep_request(
    *,
    c: Sequence[float],
    n: Sequence[object],
    ensemble: object,
    steps: object,
    seed: object,
    dtype: object = "float64",
    labels: int = 1,
) -> None:
    """Refuse a sweep that is malformed or larger than :data:`MAX_SWEEP_TRAJECTORIES`.

    Example:
        >>> check_sweep_request(c=(1.0, 3.0), n=(10, 100), ensemble=1000, steps=100, seed=0)
    """
    dt = check_dtype(dtype)
    if not c or not n:
        raise CatapultError("a sweep needs at least one c value and one width")
    for v in c:
        check_positive("c", v)
    for w in n:
        check_width(w, infinite=True)
    k = check_int("ensemble size", ensemble, lo=1)
    check_steps(steps, dt)
    check_seed(seed)
    cells = check_cells(len(c), len(n), labels)
    if float(cells) * k > MAX_SWEEP_TRAJECTORIES:
        raise CatapultError(
            f"a sweep of {cells} cells x {k} trajectories = {float(cells) * k:.3g} trajectories "
            f"is more than the {MAX_SWEEP_TRAJECTORIES:.0e} one sweep runs; split it"
        )


def check_simulate_request(
    *,
    c: object,
    n: object,
    steps: object,
    ensemble: object,
    seed: object,
    dtype: object = "float64",
    state_size: int = 8,
    exact: bool = False,
    infinite: bool = False,
) -> None:
    """Refuse a simulate request that is malformed or whose stored record would not fit.

    Args:
        c: control parameter.
        n: width.
        steps: step budget (each step of each trajectory is stored).
        ensemble: trajectories.
        seed: master seed.
        dtype: precision.
        state_size: entries of the model's state (the record stores state and loss).
        exact: parameter-space GD (always float64: ``dtype="float32"`` conflicts).
        infinite: ``n = inf`` is allowed (block maps run their limit law).
    """
    dt = check_dtype(dtype)
    if exact and dt == "float32":
        raise CatapultError("--exact runs parameter-space GD in float64; --dtype float32 conflicts")
    check_positive("c", c)
    check_width(n, infinite=infinite)
    s = check_steps(steps, dt)
    k = check_int("ensemble size", ensemble, lo=1)
    check_seed(seed)
    check_memory(
        (s + 1.0) * k * (state_size + 1) * 8 * 2,
        f"simulate's stored record of {k} x {s + 1} steps",
    )


def check_bench_request(*, trajectories: object, steps: object, n: object, baseline: object) -> int:
    """Refuse a malformed bench request; return the baseline subsample size.

    ``baseline=None`` means ``min(trajectories, 200000)``; an explicit value must be an
    integer in ``[1, trajectories]``.
    """
    t = check_int("--trajectories", trajectories, lo=1)
    check_steps(steps, "float32")  # bench runs both dtypes
    check_width(n, "--n")
    check_memory(float(t) * BENCH_BYTES_PER_TRAJECTORY, f"bench with {t} trajectories")
    if baseline is None:
        return min(t, 200_000)
    b = check_int("--baseline-trajectories", baseline, lo=1)
    if b > t:
        raise CatapultError(f"--baseline-trajectories {b} exceeds --trajectories {t}")
    return b
