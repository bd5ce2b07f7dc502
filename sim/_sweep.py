"""Sweeps over (c, n): phase fractions, outcome quantiles, boundaries and scaling fits.

A sweep is a grid of cells; each cell is an ensemble split into chunk tasks
(:mod:`catapultlab.sim._ensemble`). Finished chunks are saved to a sidecar
directory ``<out>.parts/<config hash>/`` so that re-running an interrupted sweep
with the same ``--out`` only computes what is missing; the netCDF file is written
atomically (temporary file + ``os.replace``) and the sidecar removed afterwards.

Per cell (over its trajectories): ``p_lazy, p_catapult, p_divergent, p_unresolved``
and ``p_rise`` (the loss rose above its initial value); quartiles of
``eta * lam_final``, ``peak_loss / n`` and ``t_peak`` over the *converged* runs
(lazy + catapult). Per ``n``: ``c_divergent`` (where half diverge) and
``c_catapult`` (where half the losses rise) with bootstrap CIs and standard
errors (:func:`catapultlab.stats.boundary`); a boundary outside the ``c``
grid is NaN (``null`` in JSON) with ``<name>_below_grid`` / ``<name>_above_grid``
set (e.g. ``c_catapult_below_grid`` when the first ``c`` already has half its
losses rising). Per ``c`` where
every width is mostly catapult: fits ``log(peak_loss) = a + b log n`` and
``t_peak = a + b ln n`` on the catapult runs' medians (the ``t_peak`` slope's
interval and standard error from a bootstrap over those runs,
:func:`catapultlab.stats.median_line_bootstrap`: integer medians make
the residual-based error meaningless).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.checks import MAX_GRID_POINTS, check_width, range_count
from catapultlab.io import PlainDataset, Variable, write_netcdf
from catapultlab.phases import PHASE_NAMES, Phase, StopRule
from catapultlab.sim._cellstats import GROUPS
from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    Outcomes,
    chunk_tasks,
    run_chunk,
    validate_common,
)
from catapultlab.sim._parts import (
    TMP_PREFIX,
    clean_tmp,
    code_version,
    read_part,
    sweep_lock,
    write_part,
)
from catapultlab.sim._requests import check_sweep_request
from catapultlab.sim._setup import Setup
from catapultlab.sim._summary import HITS, ChunkSummary, SweepStats, summarise, summarise_chunk
from catapultlab.stats import (
    QUANTILE_RTOL,
    boundary_from_patterns,
    fit_line,
    median_line_bootstrap,
    quantile,
)

__all__ = [
    "SweepConfig",
    "parse_c_range",
    "parse_widths",
    "run_sweep",
    "sweep_result",
    "boundary_table",
    "sweep_to_json",
    "write_netcdf",
]

QUANTILES = (0.25, 0.5, 0.75)


def parse_c_range(text: str) -> tuple[float, ...]:
    """Parse ``A:B:STEP`` (inclusive) or a comma list into c values.

    Example:
        >>> parse_c_range("1:2:0.5")
        (1.0, 1.5, 2.0)
    """
    parts = text.split(":") if ":" in text else [v for v in text.split(",") if v.strip()]
    try:
        nums = [float(v) for v in parts]
    except ValueError:
        raise CatapultError(f"cannot parse --c {text!r}: expected A:B:STEP or a list") from None
    if ":" in text:
        if len(nums) != 3:
            raise CatapultError(f"--c range {text!r} needs exactly A:B:STEP")
        a, b, step = nums
        k = range_count(a, b, step, "--c")
        nums = [float(round(a + i * step, 12)) for i in range(k)]
    if not nums:
        raise CatapultError(f"--c range {text!r} is empty")
    if len(nums) > MAX_GRID_POINTS:
        raise CatapultError(f"--c lists {len(nums)} values; the limit is {MAX_GRID_POINTS}")
    for c in nums:
        validate_common(c=c)
    if nums != sorted(set(nums)):
        raise CatapultError(f"--c values must be increasing, got {text!r}")
    return tuple(nums)


def parse_widths(text: str) -> tuple[int, ...]:
    """Parse ``N1,N2,...`` (``1e6`` accepted) into widths (each below 2**53)."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError as exc:
            raise CatapultError(f"width must be an integer >= 1, got {part!r}") from exc
        out.append(check_width(v))
    if not out:
        raise CatapultError("--n needs at least one width")
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's numbers.

    Attributes:
        setup: the model and its data.
        c: control parameters (increasing).
        n: widths (increasing).
        ensemble: trajectories per cell.
        steps: step budget.
        seed: master seed.
        dtype: kernel precision.
        stop: thresholds.
        backend: ``"kernel"`` or ``"numpy"``.
        bootstrap: bootstrap resamples for the boundary CIs.
    """

    setup: Setup
    c: tuple[float, ...]
    n: tuple[int, ...]
    ensemble: int
    steps: int
    seed: int = 0
    dtype: str = "float64"
    stop: StopRule = field(default_factory=StopRule)
    backend: str = "kernel"
    bootstrap: int = 200

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (the setup as :meth:`Setup.to_config`)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["setup"] = self.setup.to_config()
        d["stop"] = asdict(self.stop)
        d["c"] = list(self.c)
        d["n"] = list(self.n)
        d["seed_block"] = SEED_BLOCK
        return d

    def key(self) -> str:
        """Hash of the config (names the resume sidecar)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


Runner = Callable[[list[ChunkTask]], Iterable[tuple[int, Any]]]
"""Runs chunk tasks; yields ``(task index, Outcomes or ChunkSummary)`` in any order."""


def local_runner(tasks: list[ChunkTask]) -> Iterable[tuple[int, Outcomes]]:
    """Run chunk tasks one after the other in this process (per-trajectory outcomes)."""
    for i, t in enumerate(tasks):
        yield i, run_chunk(t)


CHUNKS_PER_THREAD = 2
"""Chunks in flight per Numba thread in :func:`overlapped_runner`: one holds the GIL in
NumPy while the other computes (measured on 2 cores, 2e7 trajectories x 2 c: 8.8 s one
chunk at a time, 7.1 s with one chunk per thread, 6.6 s with two)."""


def overlapped_runner(tasks: list[ChunkTask]) -> Iterable[tuple[int, ChunkSummary]]:
    """Run and reduce chunk tasks in this process, one chunk per Numba thread, in task order.

    A chunk spends much of its time in single-threaded NumPy (initial states from the
    Gram draws, the final NTK, statistics), which leaves cores idle beside a parallel
    kernel. So where Numba's threading layer takes calls from several threads
    (:func:`catapultlab.sim._kernel.concurrent_calls_safe`), each of ``T`` Python
    threads (``T`` = :data:`CHUNKS_PER_THREAD` times Numba's thread count) runs whole
    chunks with one Numba thread of its own. Each chunk is a pure function of its task,
    so the summaries are the ones :func:`local_runner` gives. The first chunk runs alone
    (it loads the kernels and starts Numba's threading layer). At most ``T`` chunks are
    in flight, so memory stays flat in the ensemble size.
    """
    import numba

    from catapultlab.sim._kernel import concurrent_calls_safe

    if not tasks:
        return
    yield 0, summarise_chunk(tasks[0])
    threads = numba.get_num_threads()
    if threads < 2 or len(tasks) < 3 or not concurrent_calls_safe():
        for i in range(1, len(tasks)):
            yield i, summarise_chunk(tasks[i])
        return
    yield from _threaded(tasks, range(1, len(tasks)), CHUNKS_PER_THREAD * threads)


def _threaded(
    tasks: list[ChunkTask], todo: Iterable[int], threads: int
) -> Iterable[tuple[int, ChunkSummary]]:
    """``summarise_chunk`` of ``tasks[i]`` for ``i`` in ``todo`` on ``threads`` threads, in order."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    import numba

    pending: deque[tuple[int, Future[ChunkSummary]]] = deque()
    pool = ThreadPoolExecutor(
        max_workers=threads,
        thread_name_prefix="catapultlab-chunk",
        initializer=numba.set_num_threads,  # per thread: one Numba thread each
        initargs=(1,),
    )
    try:
        for i in todo:
            pending.append((i, pool.submit(summarise_chunk, tasks[i])))
            if len(pending) >= threads:
                j, fut = pending.popleft()
                yield j, fut.result()
        while pending:
            j, fut = pending.popleft()
            yield j, fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _part_name(t: ChunkTask, ic: int, jn: int) -> str:
    return f"c{ic}_n{jn}_b{t.first_block}_{len(t.sizes)}.part"


REDUCED = "reduced.part"
"""The merged statistics of a finished sweep, kept in its parts folder for a resume."""


def _tasks(cfg: SweepConfig, chunk: int) -> tuple[list[ChunkTask], list[tuple[int, int]]]:
    """Chunk tasks and their ``(ic, jn)``: for each width and block range, every ``c`` in turn.

    That order completes the hit patterns of a block range (all ``c``) early, so a
    local run holds the hit bits of at most one block range per width.
    """
    tasks: list[ChunkTask] = []
    where: list[tuple[int, int]] = []
    for jn, n in enumerate(cfg.n):
        per_c = [
            chunk_tasks(
                cfg.setup,
                c=c,
                n=n,
                ensemble=cfg.ensemble,
                steps=cfg.steps,
                seed=cfg.seed,
                chunk=chunk,
                stop=cfg.stop,
                dtype=cfg.dtype,
                backend=cfg.backend,
            )
            for c in cfg.c
        ]
        for group in zip(*per_c, strict=True):
            for ic, t in enumerate(group):
                tasks.append(t)
                where.append((ic, jn))
    return tasks, where


def run_sweep(
    cfg: SweepConfig,
    *,
    chunk: int = 64 * SEED_BLOCK,
    runner: Runner | None = None,
    parts_dir: Path | None = None,
    progress: bool = False,
) -> Any:
    """Run a sweep and reduce it to an :class:`xarray.Dataset` (see :func:`sweep_result`).

    Returns:
        The dataset (dims ``c``, ``n``, ``quantile``; boundaries over ``n``; fits over
        ``c_fit``), with the config and the quantiles' error bounds as attributes.
    """
    result = sweep_result(cfg, chunk=chunk, runner=runner, parts_dir=parts_dir, progress=progress)
    return result.to_dataset()


def sweep_result(
    cfg: SweepConfig,
    *,
    chunk: int = 64 * SEED_BLOCK,
    runner: Runner | None = None,
    parts_dir: Path | None = None,
    progress: bool = False,
) -> Any:
    """Run a sweep and reduce it to a :class:`catapultlab.io.PlainDataset`.

    Each finished chunk is reduced at once to mergeable statistics
    (:func:`catapultlab.sim._cellstats.reduce_chunk` and the hit patterns of
    :mod:`catapultlab.stats`) and its per-trajectory arrays are dropped, so
    memory does not grow with the ensemble.

    Args:
        cfg: the sweep configuration.
        chunk: trajectories per chunk task (whole seed blocks).
        runner: how chunk tasks run (default: here, one by one; see the dask backend).
        parts_dir: folder of finished chunks (resume, see :mod:`catapultlab.sim._parts`);
            None keeps nothing.
        progress: show a tqdm bar.

    Returns:
        The result (dims ``c``, ``n``, ``quantile``; boundaries over ``n``; fits over
        ``c_fit``), with the config and the quantiles' error bounds as attributes; its
        ``to_dataset()`` is what :func:`run_sweep` returns.
    """
    check_sweep_request(
        c=cfg.c, n=cfg.n, ensemble=cfg.ensemble, steps=cfg.steps, seed=cfg.seed, dtype=cfg.dtype
    )
    if parts_dir is None:
        return _reduce(cfg, _accumulate(cfg, chunk, runner, None, progress))
    with sweep_lock(parts_dir):
        clean_tmp(parts_dir)
        saved = parts_dir / REDUCED
        arrays = read_part(saved) if saved.exists() else None
        if arrays is not None:
            acc = SweepStats.from_arrays(arrays, cfg)
        else:
            acc = _accumulate(cfg, chunk, runner, parts_dir, progress)
            write_part(saved, acc.to_arrays())
        return _reduce(cfg, acc)


def _accumulate(
    cfg: SweepConfig,
    chunk: int,
    runner: Runner | None,
    parts_dir: Path | None,
    progress: bool,
) -> SweepStats:
    """Run (or load) every chunk and merge its summary into the sweep's statistics."""
    tasks, where = _tasks(cfg, chunk)
    acc = SweepStats.empty(cfg)
    todo: list[int] = []
    for i, t in enumerate(tasks):
        path = None if parts_dir is None else parts_dir / _part_name(t, *where[i])
        arrays = read_part(path) if path is not None and path.exists() else None
        if arrays is None:
            todo.append(i)
        else:
            acc.add(*where[i], t, ChunkSummary.from_arrays(arrays))
    bar = None
    if progress:
        from catapultlab.progress import progress as progress_bar

        bar = progress_bar(total=len(tasks), initial=len(tasks) - len(todo), unit="chunk")
    run = runner or overlapped_runner
    for k, out in run([tasks[i] for i in todo]):
        i = todo[k]
        t = tasks[i]
        summary = out if isinstance(out, ChunkSummary) else summarise(out, t.n)
        if parts_dir is not None:
            write_part(parts_dir / _part_name(t, *where[i]), summary.to_arrays())
        acc.add(*where[i], t, summary)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    acc.check_complete()
    return acc


def _quartiles(h: Any) -> tuple[np.ndarray, np.ndarray]:
    """Quartiles of a histogram and their rank errors."""
    pairs = [quantile(h, q) for q in QUANTILES]
    return np.array([v for v, _ in pairs]), np.array([e for _, e in pairs])


def _cell_arrays(cfg: SweepConfig, acc: SweepStats) -> dict[str, np.ndarray]:
    """Per-cell fractions, quartiles (with rank errors) and catapult medians."""
    C, N, Q = len(cfg.c), len(cfg.n), len(QUANTILES)
    a = {f"p_{ph.name.lower()}": np.zeros((C, N)) for ph in Phase}
    a["p_rise"] = np.zeros((C, N))
    for name in ("eta_lam_final", "peak_loss_over_n", "t_peak"):
        a[name] = np.full((C, N, Q), np.nan)
        a[f"{name}_rank_error"] = np.zeros((C, N, Q))
    for name in ("catapult_median_peak_loss", "catapult_median_t_peak"):
        a[name] = np.full((C, N), np.nan)
    a["catapult_median_peak_loss_rank_error"] = np.zeros((C, N))
    for (ic, jn), st in acc.cells.items():
        K = st.total
        for ph in Phase:
            a[f"p_{ph.name.lower()}"][ic, jn] = st.phases[ph] / K
        a["p_rise"][ic, jn] = st.rose / K
        for name in ("eta_lam_final", "peak_loss_over_n", "t_peak"):
            a[name][ic, jn], a[f"{name}_rank_error"][ic, jn] = _quartiles(st.hist(GROUPS, name))
        peak, err = quantile(st.hist(("catapult",), "peak_loss_over_n"), 0.5)
        a["catapult_median_peak_loss"][ic, jn] = peak * cfg.n[jn]
        a["catapult_median_peak_loss_rank_error"][ic, jn] = err
        a["catapult_median_t_peak"][ic, jn] = quantile(st.hist(("catapult",), "t_peak"), 0.5)[0]
    return a


def _reduce(cfg: SweepConfig, acc: SweepStats) -> Any:
    C, N = len(cfg.c), len(cfg.n)
    cell = _cell_arrays(cfg, acc)
    p = {ph.name.lower(): cell[f"p_{ph.name.lower()}"] for ph in Phase}
    cat_peak = cell["catapult_median_peak_loss"]
    cat_tpeak = cell["catapult_median_t_peak"]
    c = np.asarray(cfg.c, dtype=float)
    bounds = {
        f"{name}{suffix}": np.full(N, np.nan)
        for name in HITS
        for suffix in ("", "_lo", "_hi", "_se")
    }
    flags = {
        f"{name}_{side}_grid": np.zeros(N, dtype=np.int8)
        for name in HITS
        for side in ("below", "above")
    }
    for jn in range(N):
        for name in HITS:
            b = boundary_from_patterns(
                c, acc.patterns[(name, jn)], resamples=cfg.bootstrap, seed=cfg.seed + jn
            )
            bounds[name][jn], bounds[f"{name}_lo"][jn], bounds[f"{name}_hi"][jn] = (
                b.estimate,
                b.low,
                b.high,
            )
            bounds[f"{name}_se"][jn] = b.se
            flags[f"{name}_below_grid"][jn] = b.below_grid
            flags[f"{name}_above_grid"][jn] = b.above_grid
    logn = np.log(np.asarray(cfg.n, dtype=float))
    fit_c = [ic for ic in range(C) if N >= 2 and np.all(p["catapult"][ic] >= 0.5)]
    fits: dict[str, list[float]] = {
        k: []
        for k in (
            "peak_exponent",
            "peak_exponent_lo",
            "peak_exponent_hi",
            "peak_exponent_se",
            "peak_prefactor",
            "tpeak_slope",
            "tpeak_slope_lo",
            "tpeak_slope_hi",
            "tpeak_slope_se",
            "tpeak_intercept",
        )
    }
    for ic in fit_c:
        f1 = fit_line(logn, np.log(cat_peak[ic]))
        f2 = fit_line(logn, cat_tpeak[ic])
        # integer medians: the uncertainty is a bootstrap over the catapult trajectories
        members = [
            acc.cells[(ic, jn)].hist(("catapult",), "t_peak") if (ic, jn) in acc.cells else None
            for jn in range(N)
        ]
        members = [(h.values(), h.counts) if h is not None else np.empty(0) for h in members]
        bt = median_line_bootstrap(logn, members, resamples=cfg.bootstrap, seed=cfg.seed + ic)
        fits["peak_exponent"].append(f1.slope)
        fits["peak_exponent_lo"].append(f1.slope_ci[0])
        fits["peak_exponent_hi"].append(f1.slope_ci[1])
        fits["peak_exponent_se"].append(f1.slope_se)
        fits["peak_prefactor"].append(float(np.exp(f1.intercept)))
        fits["tpeak_slope"].append(f2.slope)
        fits["tpeak_slope_lo"].append(bt.low)
        fits["tpeak_slope_hi"].append(bt.high)
        fits["tpeak_slope_se"].append(bt.se)
        fits["tpeak_intercept"].append(f2.intercept)
    return _result(cfg, cell, bounds, flags, fits, c, fit_c)


def _result(
    cfg: SweepConfig,
    cell: dict[str, np.ndarray],
    bounds: dict[str, np.ndarray],
    flags: dict[str, np.ndarray],
    fits: dict[str, list[float]],
    c: np.ndarray,
    fit_c: list[int],
) -> PlainDataset:
    data = {
        **{
            k: Variable(("c", "n", "quantile")[: v.ndim], v, _error_attrs(k))
            for k, v in cell.items()
        },
        **{k: Variable(("n",), v, {}) for k, v in bounds.items()},
        **{k: Variable(("n",), v, {}) for k, v in flags.items()},
        **{
            f"fit_{k}": Variable(("c_fit",), np.asarray(v, dtype=float), {})
            for k, v in fits.items()
        },
    }
    coords = {
        "c": c,
        "n": np.asarray(cfg.n, dtype=float),
        "quantile": np.asarray(QUANTILES),
        "c_fit": np.asarray([cfg.c[i] for i in fit_c], dtype=float),
    }
    attrs = {
        "config": json.dumps(cfg.as_dict(), sort_keys=True),
        "config_hash": cfg.key(),
        "model": cfg.setup.name,
        "ensemble": int(cfg.ensemble),
        "steps": int(cfg.steps),
        "seed": int(cfg.seed),
        "dtype": cfg.dtype,
        "converge_loss": float(cfg.stop.converge_loss),
        "diverge_ratio": float(cfg.stop.diverge_ratio),
        "rise_tol": float(cfg.stop.rise_tol),
        "description": "catapultlab sweep; phases per sim/_phases.py, thresholds per sim/_stop.py",
        **QUANTILE_ERRORS,
    }
    return PlainDataset(data, {k: Variable((k,), v, {}) for k, v in coords.items()}, attrs)


QUANTILE_ERRORS = {
    "quantile_method": "numpy linear interpolation of order statistics; eta_lam_final and "
    "peak_loss_over_n from fixed-bin log histograms (sim/_cellstats.py), t_peak exact",
    "quantile_relative_error": QUANTILE_RTOL,
    "quantile_rank_error": "per value in <name>_rank_error: the largest |F(reported) - "
    "F(exact)| of the cell's empirical CDF F",
}
"""Error statement of the reported quantiles (netCDF attributes and JSON)."""


def _error_attrs(name: str) -> dict[str, Any]:
    if name in ("eta_lam_final", "peak_loss_over_n", "catapult_median_peak_loss"):
        return {"relative_error_bound": QUANTILE_RTOL, "rank_error": f"{name}_rank_error"}
    if name in ("t_peak", "catapult_median_t_peak"):
        return {"relative_error_bound": 0.0, "rank_error": 0.0}
    return {}


def parts_dir_for(out: str | os.PathLike[str], cfg: SweepConfig) -> Path:
    """The resume folder of an output file: keyed by the config and the code version."""
    return Path(f"{os.fspath(out)}.parts") / f"{cfg.key()}-{code_version()}"


def clean_output_tmp(out: str | os.PathLike[str]) -> int:
    """Remove temporary files a crashed :func:`write_netcdf` of ``out`` left; how many.

    Call it only while holding the lock of ``out`` (no other writer of it is running).
    """
    path = Path(out)
    stale = list(path.parent.glob(f"{TMP_PREFIX}{path.name}.*"))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def kept_parts(out: str | os.PathLike[str]) -> int:
    """Finished chunks kept for a resume of ``out``."""
    return sum(1 for p in Path(f"{os.fspath(out)}.parts").rglob("*.part") if p.name != REDUCED)


def remove_parts(out: str | os.PathLike[str]) -> None:
    """Remove the sidecar after a successful write."""
    shutil.rmtree(f"{os.fspath(out)}.parts", ignore_errors=True)


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _cell(b: dict[str, Any], name: str, c_grid: tuple[float, ...]) -> list[str]:
    """Value, ± s.e. and 95% CI cells of one boundary; out of grid says which side."""
    if b[name] is not None:
        lo, hi = b[f"{name}_ci"]
        ci = "[" + ", ".join("open" if v is None else f"{v:.4f}" for v in (lo, hi)) + "]"
        se = "" if b[f"{name}_se"] is None else f"{b[f'{name}_se']:.4f}"
        return [f"{b[name]:.4f}", se, ci]
    if b[f"{name}_below_grid"]:
        return [f"below {c_grid[0]:g}", "", ""]
    if b[f"{name}_above_grid"]:
        return [f"above {c_grid[-1]:g}", "", ""]
    return ["none", "", ""]  # pragma: no cover - a boundary is on, below or above the grid


def boundary_table(
    boundaries: list[dict[str, Any]], *, c_grid: tuple[float, ...], label: float
) -> str:
    """The sweep's boundary table for people (the rows of :func:`sweep_to_json`).

    Args:
        boundaries: ``sweep_to_json(ds)["boundaries"]`` (rows may carry a ``y``).
        c_grid: the swept ``c`` values (for out-of-grid boundaries).
        label: the label of rows without a ``y``.

    Returns:
        A header that states the ± convention, then one line per ``(y, n)``.
    """
    from catapultlab.stats import CONVENTION, PLUS_MINUS

    names = ("c_divergent", "c_catapult")
    head = f"{'y':>6} {'n':>8}" + "".join(
        f" {name:>12} {PLUS_MINUS:>8} {'95% CI':>20}" for name in names
    )
    lines = [
        f"{CONVENTION} s.e.: bootstrap over trajectories combined with the grid resolution "
        "dc/sqrt(12); CI: bootstrap percentile widened by half a grid cell.",
        head,
    ]
    for b in boundaries:
        row = f"{b.get('y', label):>6g} {b['n']:>8}"
        for name in names:
            value, se, ci = _cell(b, name, c_grid)
            row += f" {value:>12} {se:>8} {ci:>20}"
        lines.append(row)
    return "\n".join(lines)


def sweep_to_json(ds: Any) -> dict[str, Any]:
    """The ``--json`` document of a sweep dataset."""
    cells = []
    mid = QUANTILES.index(0.5)
    for i, c in enumerate(ds["c"].values):
        for j, n in enumerate(ds["n"].values):
            cells.append(
                {
                    "c": float(c),
                    "n": int(n),
                    **{
                        f"p_{name}": float(ds[f"p_{name}"].values[i, j])
                        for name in (*PHASE_NAMES, "rise")
                    },
                    "median_eta_lam_final": _num(ds["eta_lam_final"].values[i, j, mid]),
                    "quartiles_eta_lam_final": [_num(v) for v in ds["eta_lam_final"].values[i, j]],
                    "median_peak_loss_over_n": _num(ds["peak_loss_over_n"].values[i, j, mid]),
                    "quartiles_peak_loss_over_n": [
                        _num(v) for v in ds["peak_loss_over_n"].values[i, j]
                    ],
                    "median_t_peak": _num(ds["t_peak"].values[i, j, mid]),
                    "quartiles_t_peak": [_num(v) for v in ds["t_peak"].values[i, j]],
                    **{
                        f"rank_error_{k}": [float(v) for v in ds[f"{k}_rank_error"].values[i, j]]
                        for k in ("eta_lam_final", "peak_loss_over_n")
                        if f"{k}_rank_error" in ds
                    },
                }
            )
    bounds = []
    for j, n in enumerate(ds["n"].values):
        b = {"n": int(n)}
        for name in ("c_divergent", "c_catapult"):
            b[name] = _num(ds[name].values[j])
            lo, hi = _num(ds[f"{name}_lo"].values[j]), _num(ds[f"{name}_hi"].values[j])
            b[f"{name}_ci"] = None if b[name] is None else [lo, hi]
            b[f"{name}_se"] = _num(ds[f"{name}_se"].values[j])
            for side in ("below", "above"):
                b[f"{name}_{side}_grid"] = bool(ds[f"{name}_{side}_grid"].values[j])
        bounds.append(b)
    fits = {"peak_loss_vs_n": [], "t_peak_vs_log_n": []}
    for k, c in enumerate(ds["c_fit"].values):
        fits["peak_loss_vs_n"].append(
            {
                "c": float(c),
                "model": "peak_loss = A n^b",
                "exponent": _num(ds["fit_peak_exponent"].values[k]),
                "exponent_ci": [
                    _num(ds["fit_peak_exponent_lo"].values[k]),
                    _num(ds["fit_peak_exponent_hi"].values[k]),
                ],
                "exponent_se": _num(ds["fit_peak_exponent_se"].values[k]),
                "prefactor": _num(ds["fit_peak_prefactor"].values[k]),
            }
        )
        fits["t_peak_vs_log_n"].append(
            {
                "c": float(c),
                "model": "t_peak = a + b ln n",
                "slope": _num(ds["fit_tpeak_slope"].values[k]),
                "slope_ci": [
                    _num(ds["fit_tpeak_slope_lo"].values[k]),
                    _num(ds["fit_tpeak_slope_hi"].values[k]),
                ],
                "slope_se": _num(ds["fit_tpeak_slope_se"].values[k]),
                "intercept": _num(ds["fit_tpeak_intercept"].values[k]),
            }
        )
    return {
        "cells": cells,
        "boundaries": bounds,
        "fits": fits,
        "quantile_error": {k: ds.attrs[k] for k in QUANTILE_ERRORS if k in ds.attrs},
        "config": json.loads(ds.attrs["config"]),
    }
