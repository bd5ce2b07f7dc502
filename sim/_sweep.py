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
errors (:func:`catapultlab.sim._stats.boundary`); a boundary outside the ``c``
grid is NaN (``null`` in JSON) with ``<name>_below_grid`` / ``<name>_above_grid``
set (e.g. ``c_catapult_below_grid`` when the first ``c`` already has half its
losses rising). Per ``c`` where
every width is mostly catapult: fits ``log(peak_loss) = a + b log n`` and
``t_peak = a + b ln n`` on the catapult runs' medians.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab._atomic import atomic_write
from catapultlab._checks import MAX_GRID_POINTS, check_width, range_count
from catapultlab._errors import CatapultError
from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    Outcomes,
    chunk_tasks,
    run_chunk,
    validate_common,
)
from catapultlab.sim._phases import Phase
from catapultlab.sim._requests import check_sweep_request
from catapultlab.sim._setup import Setup
from catapultlab.sim._stats import boundary, fit_line
from catapultlab.sim._stop import StopRule

__all__ = [
    "SweepConfig",
    "parse_c_range",
    "parse_widths",
    "run_sweep",
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
        setup: :attr:`Setup.config` of the model.
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

    setup: dict[str, Any]
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
        """JSON-able form."""
        d = asdict(self)
        d["c"] = list(self.c)
        d["n"] = list(self.n)
        d["seed_block"] = SEED_BLOCK
        return d

    def key(self) -> str:
        """Hash of the config (names the resume sidecar)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


Runner = Callable[[list[ChunkTask]], Iterable[tuple[int, Outcomes]]]


def local_runner(tasks: list[ChunkTask]) -> Iterable[tuple[int, Outcomes]]:
    """Run chunk tasks one after the other in this process."""
    for i, t in enumerate(tasks):
        yield i, run_chunk(t)


def _part_name(t: ChunkTask, ic: int, jn: int) -> str:
    return f"c{ic}_n{jn}_b{t.first_block}_{len(t.sizes)}.npz"


def _save_part(path: Path, out: Outcomes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **out.arrays())
    os.replace(tmp, path)


def _load_part(path: Path) -> Outcomes:
    with np.load(path) as z:
        return Outcomes(**{k: z[k] for k in z.files})


def run_sweep(
    cfg: SweepConfig,
    *,
    chunk: int = 64 * SEED_BLOCK,
    runner: Runner | None = None,
    parts_dir: Path | None = None,
    progress: bool = False,
) -> Any:
    """Run a sweep and reduce it to an :class:`xarray.Dataset`.

    Args:
        cfg: the sweep configuration.
        chunk: trajectories per chunk task (whole seed blocks).
        runner: how chunk tasks run (default: here, one by one; see the dask backend).
        parts_dir: sidecar directory of finished chunks (resume); None keeps nothing.
        progress: show a tqdm bar.

    Returns:
        The dataset (dims ``c``, ``n``, ``quantile``; boundaries over ``n``; fits over
        ``c_fit``), with the config as attributes.
    """
    check_sweep_request(
        c=cfg.c, n=cfg.n, ensemble=cfg.ensemble, steps=cfg.steps, seed=cfg.seed, dtype=cfg.dtype
    )
    tasks: list[ChunkTask] = []
    where: list[tuple[int, int]] = []
    for jn, n in enumerate(cfg.n):
        for ic, c in enumerate(cfg.c):
            for t in chunk_tasks(
                _setup(cfg),
                c=c,
                n=n,
                ensemble=cfg.ensemble,
                steps=cfg.steps,
                seed=cfg.seed,
                chunk=chunk,
                stop=cfg.stop,
                dtype=cfg.dtype,
                backend=cfg.backend,
            ):
                tasks.append(t)
                where.append((ic, jn))
    results: dict[int, Outcomes] = {}
    todo: list[int] = []
    if parts_dir is not None:
        parts_dir.mkdir(parents=True, exist_ok=True)
        for i, t in enumerate(tasks):
            p = parts_dir / _part_name(t, *where[i])
            if p.exists():
                try:
                    results[i] = _load_part(p)
                    continue
                except Exception:  # noqa: BLE001 - a torn file is recomputed
                    p.unlink(missing_ok=True)
            todo.append(i)
    else:
        todo = list(range(len(tasks)))
    bar = None
    if progress:
        from catapultlab._progress import progress as progress_bar

        bar = progress_bar(total=len(tasks), initial=len(tasks) - len(todo), unit="chunk")
    run = runner or local_runner
    for k, out in run([tasks[i] for i in todo]):
        i = todo[k]
        results[i] = out
        if parts_dir is not None:
            _save_part(parts_dir / _part_name(tasks[i], *where[i]), out)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    cells: dict[tuple[int, int], list[Outcomes]] = {}
    for i in range(len(tasks)):
        cells.setdefault(where[i], []).append(results[i])
    merged = {k: Outcomes.concat(v) for k, v in cells.items()}
    return _reduce(cfg, merged)


def _setup(cfg: SweepConfig) -> Setup:
    from catapultlab.sim._ensemble import setup_from_config

    return setup_from_config(cfg.setup)


def _quartiles(x: np.ndarray) -> np.ndarray:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.full(len(QUANTILES), np.nan)
    return np.quantile(x, QUANTILES)


def _reduce(cfg: SweepConfig, cells: dict[tuple[int, int], Outcomes]) -> Any:
    import xarray as xr

    C, N, Q = len(cfg.c), len(cfg.n), len(QUANTILES)
    p = {name: np.zeros((C, N)) for name in ("lazy", "catapult", "divergent", "unresolved")}
    p_rise = np.zeros((C, N))
    q_eta = np.full((C, N, Q), np.nan)
    q_peak = np.full((C, N, Q), np.nan)
    q_tpeak = np.full((C, N, Q), np.nan)
    cat_peak = np.full((C, N), np.nan)
    cat_tpeak = np.full((C, N), np.nan)
    for (ic, jn), o in cells.items():
        K = o.phase.size
        for ph in Phase:
            p[ph.name.lower()][ic, jn] = np.count_nonzero(o.phase == ph) / K
        p_rise[ic, jn] = np.count_nonzero(o.rose) / K
        conv = (o.phase == Phase.LAZY) | (o.phase == Phase.CATAPULT)
        n = cfg.n[jn]
        q_eta[ic, jn] = _quartiles(o.eta_lam_final[conv])
        q_peak[ic, jn] = _quartiles(o.peak_loss[conv] / n)
        q_tpeak[ic, jn] = _quartiles(o.t_peak[conv].astype(float))
        cat = o.phase == Phase.CATAPULT
        if cat.any():
            cat_peak[ic, jn] = np.median(o.peak_loss[cat])
            cat_tpeak[ic, jn] = np.median(o.t_peak[cat])
    c = np.asarray(cfg.c, dtype=float)
    bounds = {
        f"{name}{suffix}": np.full(N, np.nan)
        for name in ("c_divergent", "c_catapult")
        for suffix in ("", "_lo", "_hi", "_se")
    }
    flags = {
        f"{name}_{side}_grid": np.zeros(N, dtype=np.int8)
        for name in ("c_divergent", "c_catapult")
        for side in ("below", "above")
    }
    for jn in range(N):
        div = np.stack([cells[(ic, jn)].phase == Phase.DIVERGENT for ic in range(C)])
        rise = np.stack([cells[(ic, jn)].rose for ic in range(C)])
        for name, hits in (("c_divergent", div), ("c_catapult", rise)):
            b = boundary(c, hits, resamples=cfg.bootstrap, seed=cfg.seed + jn)
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
        fits["peak_exponent"].append(f1.slope)
        fits["peak_exponent_lo"].append(f1.slope_ci[0])
        fits["peak_exponent_hi"].append(f1.slope_ci[1])
        fits["peak_exponent_se"].append(f1.slope_se)
        fits["peak_prefactor"].append(float(np.exp(f1.intercept)))
        fits["tpeak_slope"].append(f2.slope)
        fits["tpeak_slope_lo"].append(f2.slope_ci[0])
        fits["tpeak_slope_hi"].append(f2.slope_ci[1])
        fits["tpeak_slope_se"].append(f2.slope_se)
        fits["tpeak_intercept"].append(f2.intercept)
    ds = xr.Dataset(
        {
            **{f"p_{k}": (("c", "n"), v) for k, v in p.items()},
            "p_rise": (("c", "n"), p_rise),
            "eta_lam_final": (("c", "n", "quantile"), q_eta),
            "peak_loss_over_n": (("c", "n", "quantile"), q_peak),
            "t_peak": (("c", "n", "quantile"), q_tpeak),
            "catapult_median_peak_loss": (("c", "n"), cat_peak),
            "catapult_median_t_peak": (("c", "n"), cat_tpeak),
            **{k: (("n",), v) for k, v in bounds.items()},
            **{k: (("n",), v) for k, v in flags.items()},
            **{f"fit_{k}": (("c_fit",), np.asarray(v, dtype=float)) for k, v in fits.items()},
        },
        coords={
            "c": c,
            "n": np.asarray(cfg.n, dtype=float),
            "quantile": np.asarray(QUANTILES),
            "c_fit": np.asarray([cfg.c[i] for i in fit_c], dtype=float),
        },
        attrs={
            "config": json.dumps(cfg.as_dict(), sort_keys=True),
            "config_hash": cfg.key(),
            "model": str(cfg.setup["model"]),
            "ensemble": int(cfg.ensemble),
            "steps": int(cfg.steps),
            "seed": int(cfg.seed),
            "dtype": cfg.dtype,
            "converge_loss": float(cfg.stop.converge_loss),
            "diverge_ratio": float(cfg.stop.diverge_ratio),
            "rise_tol": float(cfg.stop.rise_tol),
            "description": "catapultlab sweep; phases per sim/_phases.py, thresholds per "
            "sim/_stop.py",
        },
    )
    return ds


def write_netcdf(ds: Any, path: str | os.PathLike[str]) -> None:
    """Write ``ds`` to ``path`` atomically (netCDF3 via scipy: no h5py needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="scipy"))


def parts_dir_for(out: str | os.PathLike[str], cfg: SweepConfig) -> Path:
    """The resume sidecar of an output file."""
    return Path(f"{os.fspath(out)}.parts") / cfg.key()


def remove_parts(out: str | os.PathLike[str]) -> None:
    """Remove the sidecar after a successful write."""
    shutil.rmtree(f"{os.fspath(out)}.parts", ignore_errors=True)


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


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
                    "p_diverge": float(ds["p_divergent"].values[i, j]),
                    "p_catapult": float(ds["p_catapult"].values[i, j]),
                    "p_lazy": float(ds["p_lazy"].values[i, j]),
                    "p_unresolved": float(ds["p_unresolved"].values[i, j]),
                    "p_rise": float(ds["p_rise"].values[i, j]),
                    "median_eta_lam_final": _num(ds["eta_lam_final"].values[i, j, mid]),
                    "quartiles_eta_lam_final": [_num(v) for v in ds["eta_lam_final"].values[i, j]],
                    "median_peak_loss_over_n": _num(ds["peak_loss_over_n"].values[i, j, mid]),
                    "quartiles_peak_loss_over_n": [
                        _num(v) for v in ds["peak_loss_over_n"].values[i, j]
                    ],
                    "median_t_peak": _num(ds["t_peak"].values[i, j, mid]),
                    "quartiles_t_peak": [_num(v) for v in ds["t_peak"].values[i, j]],
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
        "config": json.loads(ds.attrs["config"]),
    }
