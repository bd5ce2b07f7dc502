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
``c_loss_rises`` (where half the losses rise; ``c_catapult`` is its deprecated alias) with bootstrap CIs and standard
errors (:func:`catapultlab.stats.boundary`); a boundary outside the ``c``
grid is NaN (``null`` in JSON) with ``<name>_below_grid`` / ``<name>_above_grid``
set (e.g. ``c_loss_rises_below_grid`` when the first ``c`` already has half its
losses rising). Per ``c`` where
every width is mostly catapult: fits ``log(peak_loss) = a + b log n`` and
``t_peak = a + b ln n`` on the catapult runs' medians (the ``t_peak`` slope's
interval and standard error from a bootstrap over those runs,
:func:`catapultlab.stats.median_line_bootstrap`: integer medians make
the residual-based error meaningless).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    chunk_tasks,
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
from catapultlab.sim._runners import Runner, overlapped_runner
from catapultlab.sim._summary import ChunkSummary, SweepStats, summarise
from catapultlab.sim._sweep_config import SweepConfig
from catapultlab.sim._sweep_reduce import reduce_sweep

__all__ = [
    "REDUCED",
    "clean_output_tmp",
    "kept_parts",
    "parts_dir_for",
    "remove_parts",
    "run_sweep",
    "sweep_result",
]


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
                grid=cfg.grid,
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
        return reduce_sweep(cfg, _accumulate(cfg, chunk, runner, None, progress))
    with sweep_lock(parts_dir):
        clean_tmp(parts_dir)
        saved = parts_dir / REDUCED
        arrays = read_part(saved) if saved.exists() else None
        if arrays is not None:
            acc = SweepStats.from_arrays(arrays, cfg)
        else:
            acc = _accumulate(cfg, chunk, runner, parts_dir, progress)
            write_part(saved, acc.to_arrays())
        return reduce_sweep(cfg, acc)


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
