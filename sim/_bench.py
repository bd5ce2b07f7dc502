"""``catapultlab bench``: the generated kernel against NumPy and JAX on one workload.

Workload: the uv model at width ``n`` (default 1000), label 1, Gaussian init
(exact Wishart), ``c`` uniform on [0.5, 4.5] per trajectory, budget ``steps``; every
method stops each trajectory at convergence/divergence and tracks the peak loss
and its step. Rates are *useful* trajectory-steps per second (the sum over
trajectories of the steps each one needed), so early stopping is not counted as
free work. The Numba and JAX rows are the fastest of 3 calls (NumPy runs once);
the Numba rows run first, before NumPy or JAX start their thread pools. The kernel
rows time the kernel call only; an extra line per dtype adds the initial-state
sampling (compiled Wishart/Bartlett streams, in chunks of 65,536 trajectories as an
ensemble samples them) for an end-to-end rate. The NumPy and JAX baselines run on a
subsample and also report the lane-steps they actually computed (they step every
lane until the last one stops).

A fourth row, ``map only (ceiling)``, iterates the same generated map with no loss,
stopping or peak tracking (``c ~ U[0.05, 0.15]``, 400 steps, so every number
stays normal): the arithmetic ceiling of this machine for this map, against which the
kernel's stopping and refill overhead can be read off.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from catapultlab.phases import StopRule
from catapultlab.sim._init import initial_state
from catapultlab.sim._kernel import run_kernel, run_map
from catapultlab.sim._pure import run_pure
from catapultlab.sim._setup import make_setup
from catapultlab.theory import NumericModel

__all__ = ["run_bench", "format_table", "workload", "sweep_rows", "format_sweep_table"]


def workload(trajectories: int, n: float, seed: int = 0) -> tuple[Any, np.ndarray, np.ndarray]:
    """The bench workload: ``(setup, state0 (2, B), eta (B,))``.

    Gaussian init through the compiled per-trajectory streams, ``c ~ U[0.5, 4.5]``.
    """
    setup = make_setup("uv", y=1.0)
    init = initial_state(setup, int(n), trajectories, seed=seed)
    c = np.random.default_rng(seed).uniform(0.5, 4.5, trajectories)
    return setup, init.state, c / init.lam0


CEILING_C = (0.05, 0.15)
"""c range of the ceiling run: slow enough convergence that no number turns subnormal."""
CEILING_STEPS = 400
SAMPLING_CHUNK = 64 * 1024
"""Trajectories per sampling call in the end-to-end rate (the ensemble's default chunk)."""


def _jax_runner(numeric: NumericModel, dtype: str) -> Any:
    import jax
    import jax.numpy as jnp

    functions = numeric.functions_on("jax.numpy")
    fmap, floss = functions["step"], functions["loss"]

    def run(state0: Any, eta: Any, shared: Any, conv: Any, div: Any, steps: int) -> Any:
        def body(carry: Any, _: Any) -> Any:
            st, t, pk, tp = carry
            loss = floss(*st, eta, *shared)
            live = (loss > conv) & (loss <= div)
            up = loss > pk
            pk = jnp.where(up, loss, pk)
            tp = jnp.where(up, t, tp)
            new = fmap(*st, eta, *shared)
            st = tuple(jnp.where(live, a, b) for a, b in zip(new, st, strict=True))
            return (st, t + live.astype(t.dtype), pk, tp), None

        loss0 = floss(*state0, eta, *shared)
        z = jnp.zeros_like(eta, dtype=jnp.int32)
        carry, _ = jax.lax.scan(body, (tuple(state0), z, loss0, z), None, length=steps)
        return carry

    return jax.jit(run, static_argnums=(5,))


def _time_jax(
    setup: Any,
    state0: np.ndarray,
    eta: np.ndarray,
    n: float,
    steps: int,
    dtype: str,
    stop: StopRule,
) -> tuple[float, int]:
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(dtype == "float64"):
        run = _jax_runner(setup.numeric, dtype)
        dt = jnp.float64 if dtype == "float64" else jnp.float32
        st = tuple(jnp.asarray(s, dtype=dt) for s in state0)
        et = jnp.asarray(eta, dtype=dt)
        sh = tuple(jnp.asarray(v, dtype=dt) for v in setup.shared(n))
        conv, div = dt(stop.converge_loss), dt(stop.diverge_loss(n))
        jax.block_until_ready(run(st, et, sh, conv, div, steps))  # compile
        el, out = _best_of(
            REPEATS, lambda: jax.block_until_ready(run(st, et, sh, conv, div, steps))
        )
        return el, int(np.asarray(out[1]).sum())


REPEATS = 3
"""Timed repeats of the Numba rows; the fastest counts (the slower ones are noise of a
shared machine: page faults on fresh output arrays, other jobs)."""


def _best_of(repeats: int, fn: Any) -> tuple[float, Any]:
    """Fastest of ``repeats`` calls of ``fn``: ``(seconds, result)``."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_bench(
    trajectories: int = 10**7,
    steps: int = 1000,
    *,
    n: float = 1000.0,
    baseline: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Time the three methods in float64 then float32.

    Args:
        trajectories: trajectories for the kernel.
        steps: step budget.
        n: width.
        baseline: trajectories for NumPy and JAX (default ``min(trajectories, 2e5)``).
        seed: workload seed.

    Returns:
        One row per (dtype, method): seconds, trajectories, useful steps, rate and
        the kernel's speed-up over it.
    """
    from catapultlab.sim._requests import check_bench_request

    nb = check_bench_request(trajectories=trajectories, steps=steps, n=n, baseline=baseline)
    stop = StopRule()
    workload(256, n, seed)  # build the model and load the sampler, outside the timing
    w = _Workload(*workload(trajectories, n, seed), n=n, steps=steps, stop=stop)
    sampling = _sampling_seconds(w.setup, trajectories, n, seed)
    # Numba rows first, both dtypes, before NumPy or JAX has started any thread pool
    kernel = {d: _kernel_row(w, d, sampling) for d in ("float64", "float32")}
    ceiling = {d: _ceiling_row(w, d, nb, seed) for d in ("float64", "float32")}
    rows: list[dict[str, Any]] = []
    for dtype in ("float64", "float32"):
        group = [kernel[dtype], _numpy_row(w, dtype, nb), _jax_row(w, dtype, nb), ceiling[dtype]]
        for r in group:
            r["kernel_speedup"] = kernel[dtype]["rate"] / r["rate"]
        rows += group
    return rows


class _Workload(NamedTuple):
    """The bench's trajectories and thresholds."""

    setup: Any
    state0: np.ndarray
    eta: np.ndarray
    n: float
    steps: int
    stop: StopRule


def _sampling_seconds(setup: Any, trajectories: int, n: float, seed: int) -> float:
    """Time to draw every initial state as an ensemble does it: chunk by chunk."""
    t0 = time.perf_counter()
    for first in range(0, trajectories, SAMPLING_CHUNK):
        size = min(SAMPLING_CHUNK, trajectories - first)
        initial_state(setup, int(n), size, seed=seed, first=first)
    return time.perf_counter() - t0


def _kernel_row(w: _Workload, dtype: str, sampling: float) -> dict[str, Any]:
    """The generated kernel on the whole workload (best of :data:`REPEATS`)."""
    import numba

    kw = dict(
        converge_loss=w.stop.converge_loss,
        diverge_loss=w.stop.diverge_loss(w.n),
        rise_tol=w.stop.rise_tol,
        max_steps=w.steps,
        dtype=dtype,
    )
    shared = w.setup.shared(w.n)
    numeric = w.setup.numeric
    run_kernel(numeric, w.state0[:, :256], w.eta[:256], shared, **kw)  # compile / load
    el, raw = _best_of(REPEATS, partial(run_kernel, numeric, w.state0, w.eta, shared, **kw))
    useful = int(raw.steps.sum())
    return {
        "dtype": dtype,
        "method": "generated kernel",
        "seconds": el,
        "trajectories": int(w.eta.size),
        "useful_steps": useful,
        "rate": useful / el,
        "threads": numba.get_num_threads(),
        "sampling_seconds": sampling,
        "end_to_end_rate": useful / (el + sampling),
    }


def _ceiling_row(w: _Workload, dtype: str, nb: int, seed: int) -> dict[str, Any]:
    """The bare generated map, no stopping (the arithmetic ceiling), on slow-converging runs."""
    c = np.random.default_rng(seed + 1).uniform(*CEILING_C, nb)
    eta_c = c / w.state0[1, :nb]
    shared = w.setup.shared(w.n)
    numeric = w.setup.numeric
    run_map(numeric, w.state0[:, :256], eta_c[:256], shared, steps=2, dtype=dtype)
    bare = partial(run_map, numeric, w.state0[:, :nb], eta_c, shared, dtype=dtype)
    el, _ = _best_of(REPEATS, partial(bare, steps=CEILING_STEPS))
    return {
        "dtype": dtype,
        "method": "map only (ceiling)",
        "seconds": el,
        "trajectories": nb,
        "useful_steps": nb * CEILING_STEPS,
        "rate": nb * CEILING_STEPS / el,
        "lane_steps": nb * CEILING_STEPS,
    }


def _numpy_row(w: _Workload, dtype: str, nb: int) -> dict[str, Any]:
    """The pure NumPy path on the baseline subsample."""
    t0 = time.perf_counter()
    pure = run_pure(
        w.setup.numeric,
        w.state0[:, :nb],
        w.eta[:nb],
        w.setup.shared(w.n),
        n=w.n,
        stop=w.stop,
        max_steps=w.steps,
        dtype=dtype,
    )
    el = time.perf_counter() - t0
    useful = int(pure.run.steps.sum())
    return {
        "dtype": dtype,
        "method": "numpy vectorised",
        "seconds": el,
        "trajectories": nb,
        "useful_steps": useful,
        "rate": useful / el,
        "lane_steps": nb * int(pure.run.steps.max()),
    }


def _jax_row(w: _Workload, dtype: str, nb: int) -> dict[str, Any]:
    """JAX ``jit`` + ``lax.scan`` of the same printed map on the baseline subsample."""
    el, useful = _time_jax(w.setup, w.state0[:, :nb], w.eta[:nb], w.n, w.steps, dtype, w.stop)
    return {
        "dtype": dtype,
        "method": "jax jit+scan (cpu)",
        "seconds": el,
        "trajectories": nb,
        "useful_steps": useful,
        "rate": useful / el,
        "lane_steps": nb * w.steps,
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run_bench` rows."""
    head = (
        f"{'dtype':8} {'method':22} {'traj':>10} {'seconds':>9} {'traj-steps/s':>13} "
        f"{'lane-steps/s':>13} {'kernel x':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lane = r.get("lane_steps", r["useful_steps"]) / r["seconds"]
        lines.append(
            f"{r['dtype']:8} {r['method']:22} {r['trajectories']:>10.3g} "
            f"{r['seconds']:>9.3f} {r['rate']:>13.3e} {lane:>13.3e} {r['kernel_speedup']:>9.2f}"
        )
    for r in rows:
        if "end_to_end_rate" in r:
            lines.append(
                f"{r['dtype']:8} end to end (init sampling {r['sampling_seconds']:.3f} s "
                f"+ kernel): {r['end_to_end_rate']:.3e} traj-steps/s"
            )
    lines.append(
        "traj-steps/s: useful trajectory-steps per second (each trajectory counts the steps "
        "it needed before stopping); lane-steps/s: steps actually computed"
    )
    return "\n".join(lines)


SWEEP_C = (3.0, 3.9)
"""The issue's whole-sweep workload: ``--c 3.0:3.9:0.9`` (two cells per width)."""

_SWEEP_MAIN = (
    "import sys\n"
    "from catapultlab._cli import main\n"
    "code = main(sys.argv[1:])\n"
    "try:\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
    "    print('peak_rss_kib=' + hwm[0].split()[1], file=sys.stderr)\n"
    "except OSError:\n"
    "    pass\n"
    "sys.exit(code)\n"
)
"""The timed child: the CLI, then its own peak RSS (``VmHWM``) on stderr. The child's
``ru_maxrss`` from ``wait4`` would not do: Linux carries the parent's high-water mark
across ``fork`` + ``exec``, so it reports the benchmark process's RSS."""


def _sweep_process(args: list[str]) -> tuple[float, float | None]:
    """Run ``catapultlab ARGS`` in a fresh process: ``(wall seconds, peak RSS in bytes)``.

    The peak RSS is ``None`` where the child cannot read its own (no ``/proc``).
    """
    import re
    import subprocess
    import sys

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SWEEP_MAIN, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    with proc.stderr:  # read to EOF first (a full pipe would block the child), then reap
        err = proc.stderr.read().decode()
    proc.wait()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"sweep process failed ({proc.returncode}): {err.strip()}")
    own = re.search(r"^peak_rss_kib=(\d+)$", err, re.MULTILINE)
    return wall, None if own is None else int(own.group(1)) * 1024.0


def sweep_rows(
    ensemble: int, steps: int, *, n: float = 1e6, baseline: int = 2**16, seed: int = 0
) -> list[dict[str, Any]]:
    """Whole ``catapultlab sweep`` process against its kernel alone and a NumPy masked loop.

    The process (start, imports, model, cached compile, sampling, kernel, streaming
    statistics, bootstrap, JSON) runs ``--c 3.0:3.9:0.9 --n N --ensemble E --steps S``
    in float64; its useful trajectory-steps are counted by re-running its very chunks
    here, where the kernel calls alone are timed (same trajectories, same chunks). The
    NumPy masked loop steps every lane of ``baseline`` trajectories per ``c`` until the
    last one stops; its time is scaled to the whole ensemble (it is linear in it).

    Returns:
        Rows ``sweep process``, ``kernel only (same chunks)``, ``numpy masked loop``,
        each with seconds, rate, ``peak_rss`` (the process's) and the sweep's speed-up.
    """
    from catapultlab.sim._ensemble import chunk_tasks

    baseline = min(baseline, ensemble)
    args = ["sweep", "uv", "--c", "3.0:3.9:0.9", "--n", f"{int(n)}"]
    args += ["--ensemble", str(ensemble), "--steps", str(steps), "--seed", str(seed), "--json"]
    wall, rss = _sweep_process(args)
    setup, stop = make_setup("uv", y=1.0), StopRule()
    shared = setup.shared(n)
    kw = dict(
        converge_loss=stop.converge_loss,
        diverge_loss=stop.diverge_loss(n),
        rise_tol=stop.rise_tol,
        max_steps=steps,
    )
    kernel_s, useful, np_s, np_lanes = 0.0, 0, 0.0, 0
    for c in SWEEP_C:
        for t in chunk_tasks(setup, c=c, n=int(n), ensemble=ensemble, steps=steps, seed=seed):
            init = initial_state(setup, t.n, sum(t.sizes), seed=seed, first=t.first_block * 1024)
            t0 = time.perf_counter()
            raw = run_kernel(setup.numeric, init.state, c / init.lam0, shared, **kw)
            kernel_s += time.perf_counter() - t0
            useful += int(raw.steps.sum())
        init = initial_state(setup, int(n), baseline, seed=seed)
        t0 = time.perf_counter()
        pure = run_pure(
            setup.numeric, init.state, c / init.lam0, shared, n=n, stop=stop, max_steps=steps
        )
        np_s += (time.perf_counter() - t0) * ensemble / baseline
        np_lanes += baseline * int(pure.run.steps.max())
    trajectories = ensemble * len(SWEEP_C)
    rows = [
        {"method": "sweep process (whole)", "seconds": wall, "peak_rss": rss},
        {"method": "kernel only (same chunks)", "seconds": kernel_s},
        {"method": "numpy masked loop (scaled)", "seconds": np_s, "baseline": baseline},
    ]
    for r in rows:
        r.update(
            dtype="float64",
            trajectories=trajectories,
            useful_steps=useful,
            rate=useful / r["seconds"],
            sweep_speedup=r["seconds"] / wall,
        )
    rows[2]["lane_steps"] = np_lanes * ensemble // baseline
    return rows + [warm_sweep_row(steps, seed=seed)]


WARM_ENSEMBLE = 500
"""Trajectories per cell of the warm-start row (two cells: 1000 trajectories)."""


def warm_sweep_row(steps: int, *, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """A warm ``catapultlab sweep`` of 1000 trajectories: whole-process wall time and RSS.

    The same small sweep (``--c 3.0:3.9:0.9 --n N --ensemble 500``, written to a netCDF
    file) runs twice in fresh processes; the first fills the caches (plan, kernel, Numba),
    the second is timed. Its time is almost all start-up: imports, the cached plan, Numba's
    cache loads.
    """
    import tempfile
    from pathlib import Path

    args = ["sweep", "uv", "--c", "3.0:3.9:0.9", "--n", str(int(n))]
    args += ["--ensemble", str(WARM_ENSEMBLE), "--steps", str(steps), "--seed", str(seed)]
    with tempfile.TemporaryDirectory() as tmp:
        _sweep_process([*args, "--out", str(Path(tmp) / "warm.nc")])
        wall, rss = _sweep_process([*args, "--out", str(Path(tmp) / "timed.nc")])
    trajectories = 2 * WARM_ENSEMBLE
    return {
        "method": "warm sweep, 1000 traj",
        "dtype": "float64",
        "seconds": wall,
        "peak_rss": rss,
        "trajectories": trajectories,
        "useful_steps": trajectories,
        "rate": trajectories / wall,
        "sweep_speedup": None,
        "rate_unit": "traj/s",
    }


def format_sweep_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`sweep_rows`."""
    head = f"{'method':28} {'traj':>10} {'seconds':>9} {'traj-steps/s':>13} {'sweep x':>8} {'peak RSS':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        rss = "-" if r.get("peak_rss") is None else f"{r['peak_rss'] / 2**20:.0f} MiB"
        rate = "-" if "rate_unit" in r else f"{r['rate']:.3e}"
        speedup = "-" if "rate_unit" in r else f"{r['sweep_speedup']:.2f}"
        lines.append(
            f"{r['method']:28} {r['trajectories']:>10.3g} {r['seconds']:>9.2f} "
            f"{rate:>13} {speedup:>8} {rss:>9}"
        )
    lines.append(
        "sweep x: time of the row over the whole sweep process's time (numpy: scaled from "
        "its subsample); warm sweep: a second fresh process of a 1000-trajectory sweep "
        "(--n 1000 --ensemble 500, netCDF output) after a first one filled the caches"
    )
    return "\n".join(lines)
