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
``t_peak = a + b ln n`` on the catapult runs' medians (the ``t_peak`` slope's
interval and standard error from a bootstrap over those runs,
:func:`catapultlab.sim._bootstrap_fit.median_line_bootstrap`: integer medians make
the residual-based error meaningless).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab._errors import CatapultError
from catapultlab.sim._bootstrap_fit import median_line_bootstrap
from catapultlab.sim._ensemble import (
    SEED_BLOCK,
    ChunkTask,
    Outcomes,
    chunk_tasks,
    run_chunk,
    validate_common,
)
from catapultlab.sim._phases import PHASE_NAMES, Phase
from catapultlab.sim._setup import Setup
from catapultlab.sim._stats import boundary, fit_line
from catapultlab.sim._stop import StopRule

__all__ = [
    "SweepConfig",
    "parse_c_range",
    "parse_widths",
    "run_sweep",
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
    try:
        if ":" in text:
            a, b, step = (float(v) for v in text.split(":"))
            if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(step)) or step <= 0:
                raise CatapultError(f"--c range needs a finite step > 0, got {text!r}")
            if b < a:
                raise CatapultError(f"--c range is reversed: {text!r}")
            k = int(np.floor((b - a) / step + 1e-9))
            values = tuple(float(round(a + i * step, 12)) for i in range(k + 1))
        else:
            values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise CatapultError(f"cannot parse --c {text!r}: expected A:B:STEP or a list") from exc
    if not values:
        raise CatapultError(f"--c range {text!r} is empty")
    for c in values:
        validate_common(c=c)
    if list(values) != sorted(set(values)):
        raise CatapultError(f"--c values must be increasing, got {text!r}")
    return values


def parse_widths(text: str) -> tuple[int, ...]:
    """Parse ``N1,N2,...`` (``1e6`` accepted) into widths."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError as exc:
            raise CatapultError(f"width must be an integer >= 1, got {part!r}") from exc
        validate_common(n=v)
        out.append(int(v))
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
    validate_common(steps=cfg.steps, ensemble=cfg.ensemble)
    if cfg.dtype not in ("float64", "float32"):
        raise CatapultError(f"--dtype must be float64 or float32, got {cfg.dtype!r}")
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
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="chunk", file=sys.stderr)
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
    p = {name: np.zeros((C, N)) for name in PHASE_NAMES}
    p_rise = np.zeros((C, N))
    q_eta = np.full((C, N, Q), np.nan)
    q_peak = np.full((C, N, Q), np.nan)
    q_tpeak = np.full((C, N, Q), np.nan)
    cat_peak = np.full((C, N), np.nan)
    cat_tpeak = np.full((C, N), np.nan)
    cat_tpeak_members: dict[tuple[int, int], np.ndarray] = {}
    for (ic, jn), o in cells.items():
        K = o.phase.size
        for ph, name in zip(Phase, PHASE_NAMES, strict=True):
            p[name][ic, jn] = np.count_nonzero(o.phase == ph) / K
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
        cat_tpeak_members[(ic, jn)] = o.t_peak[cat]
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
        # integer medians: the uncertainty is a bootstrap over the catapult trajectories
        members = [cat_tpeak_members[(ic, jn)] for jn in range(N)]
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".nc")
    os.close(fd)
    from catapultlab._cf import cf_attributes

    try:
        cf_attributes(ds.copy()).to_netcdf(tmp, engine="scipy")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def parts_dir_for(out: str | os.PathLike[str], cfg: SweepConfig) -> Path:
    """The resume sidecar of an output file."""
    return Path(f"{os.fspath(out)}.parts") / cfg.key()


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
    from catapultlab._uncertainty import CONVENTION, PLUS_MINUS

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
