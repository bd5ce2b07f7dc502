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

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    chunk_tasks,
)
from catapultlab.sim._parts import (
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


IDENTITY = "identity"
"""The array of a part that says what made it (inside its checksummed payload)."""


def part_identity(cfg: SweepConfig, where: tuple[int, int] | None, t: ChunkTask | None) -> str:
    """What a part holds: config, code, model and kernel keys, and its cell and blocks.

    A resume reads a part only if its identity is the one expected at that file name: a
    part copied from another cell or width, or made by another plan or kernel, is
    recomputed. ``where`` and ``t`` are ``None`` for the merged statistics.
    """
    from catapultlab.sim._kernel import kernel_tag

    ident: dict[str, Any] = {
        "config": cfg.key(),
        "code": code_version(),
        "model": cfg.setup.numeric.key,
        "kernel": kernel_tag(cfg.setup.numeric, cfg.dtype, cfg.setup.data.schedule.kind),
    }
    if where is not None and t is not None:
        ic, jn = where
        ident |= {
            "c": float(cfg.c[ic]),
            "n": float(cfg.n[jn]),
            "first_block": int(t.first_block),
            "sizes": [int(v) for v in t.sizes],
        }
    return json.dumps(ident, sort_keys=True)


def _write_identified(path: Path, arrays: dict[str, np.ndarray], ident: str) -> None:
    write_part(path, {**arrays, IDENTITY: np.frombuffer(ident.encode(), dtype=np.uint8)})


def _read_identified(path: Path, ident: str) -> dict[str, np.ndarray] | None:
    """The part's arrays if it is whole and is the part expected here; else None (one line)."""
    arrays = read_part(path) if path.exists() else None
    if arrays is None:
        return None
    found = arrays.pop(IDENTITY, None)
    if found is None or bytes(found.astype(np.uint8)).decode(errors="replace") != ident:
        print(
            f"catapultlab: part {path.name} was made for another cell, width, configuration "
            "or kernel; recomputed",
            file=sys.stderr,
        )
        path.unlink(missing_ok=True)
        return None
    return arrays


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
        saved, ident = parts_dir / REDUCED, part_identity(cfg, None, None)
        arrays = _read_identified(saved, ident)
        if arrays is not None:
            acc = SweepStats.from_arrays(arrays, cfg)
        else:
            acc = _accumulate(cfg, chunk, runner, parts_dir, progress)
            _write_identified(saved, acc.to_arrays(), ident)
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
        summary = _saved_summary(cfg, parts_dir, where[i], t)
        if summary is None:
            todo.append(i)
        else:
            acc.add(*where[i], t, summary)
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
            ident = part_identity(cfg, where[i], t)
            _write_identified(parts_dir / _part_name(t, *where[i]), summary.to_arrays(), ident)
        acc.add(*where[i], t, summary)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    acc.check_complete()
    return acc


def _saved_summary(
    cfg: SweepConfig, parts_dir: Path | None, where: tuple[int, int], t: ChunkTask
) -> ChunkSummary | None:
    """A finished chunk's summary from its part, if it is the right, whole part."""
    if parts_dir is None:
        return None
    path = parts_dir / _part_name(t, *where)
    arrays = _read_identified(path, part_identity(cfg, where, t))
    if arrays is None:
        return None
    try:
        summary = ChunkSummary.from_arrays(arrays)
    except (KeyError, ValueError):
        summary = None
    if summary is None or summary.size != int(sum(t.sizes)):
        print(
            f"catapultlab: part {path.name} is short or inconsistent; recomputed", file=sys.stderr
        )
        path.unlink(missing_ok=True)
        return None
    return summary


def parts_dir_for(out: str | os.PathLike[str], cfg: SweepConfig) -> Path:
    """The resume folder of an output file: keyed by the config and the code version."""
    return Path(f"{os.fspath(out)}.parts") / f"{cfg.key()}-{code_version()}"


def clean_output_tmp(out: str | os.PathLike[str]) -> int:
    """Remove temporary files a crashed :func:`write_netcdf` of ``out`` left; how many.

    Call it only while holding the lock of ``out`` (no other writer of it is running).
    """
    from catapultlab.io import remove_stale_temps

    return remove_stale_temps(out, older_than=0.0)


def kept_parts(out: str | os.PathLike[str]) -> int:
    """Finished chunks kept for a resume of ``out``."""
    return sum(1 for p in Path(f"{os.fspath(out)}.parts").rglob("*.part") if p.name != REDUCED)


def remove_parts(out: str | os.PathLike[str]) -> None:
    """Remove the sidecar after a successful write."""
    shutil.rmtree(f"{os.fspath(out)}.parts", ignore_errors=True)
