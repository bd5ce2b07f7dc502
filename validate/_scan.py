"""Critical learning rates over depth x width: one sweep per cell, one Dataset.

Each cell ``(depth, width)`` is a full :func:`catapultlab.validate._sweep.run_sweep`
with the base configuration's grid, bisection and thresholds (same seed, data and
optimizer), so a cell of a scan equals the single sweep run with that depth and
width. Boundaries the grid does not bracket are stored as ``nan`` with a side code
(``-1`` below the grid, ``+1`` above, ``0`` bracketed).

The fit: ``log c_max = a + p log(depth) + q log(width)`` and, separately,
``log c_max = a' + k log(depth / width)``, by least squares over the bracketed
cells, with standard errors from the residual variance (``None`` with fewer cells
than parameters plus one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError, plotting
from catapultlab.plotting import Paths
from catapultlab.records import short_repr
from catapultlab.validate._budget import check_sweep_config, check_sweep_memory
from catapultlab.validate._sweep import Boundary, SweepConfig, SweepResult, run_sweep

__all__ = ["ScanResult", "PowerFit", "run_scan", "fit_c_max", "scan_to_xarray", "plot_scan"]

_SIDE_CODE = {None: 0, "below": -1, "above": 1}
BOUNDARIES: tuple[str, ...] = ("c_loss", "c_sharp", "c_max")


@dataclass(frozen=True)
class ScanResult:
    """Sweeps on a depth x width grid; ``cells[i][j]`` is ``(depths[i], widths[j])``."""

    __repr__ = short_repr

    base: SweepConfig
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    cells: tuple[tuple[SweepResult, ...], ...]

    def _repr_html_(self) -> str:
        """``c_loss``, ``c_sharp`` and ``c_max`` per (depth, width) cell, as a table."""
        from catapultlab.records import html_table

        rows = [
            [d, w, *(_shown(getattr(res, b)) for b in BOUNDARIES)]
            for d, row in zip(self.depths, self.cells, strict=True)
            for w, res in zip(self.widths, row, strict=True)
        ]
        caption = f"{self.base.arch}({self.base.act}, {self.base.param}) on {self.base.dataset}"
        return html_table(caption, ["depth", "width", *BOUNDARIES], rows)


@dataclass(frozen=True)
class PowerFit:
    """``log c_max = intercept + sum_k exponents[k] log(regressor_k)``."""

    __repr__ = short_repr

    regressors: tuple[str, ...]
    exponents: tuple[float, ...]
    standard_errors: tuple[float, ...] | None
    intercept: float
    cells: int


def run_scan(
    base: SweepConfig,
    depths: tuple[int, ...],
    widths: tuple[int, ...],
    progress: Callable[[str], None] | None = None,
) -> ScanResult:
    """Run one sweep per ``(depth, width)``.

    Args:
        base: configuration of every cell (its ``depth``/``width`` are replaced).
        depths: hidden-layer counts.
        widths: widths.
        progress: called with a short label before each cell.

    Returns:
        The scan.

    Raises:
        CatapultError: empty or non-positive depth/width lists.
    """
    if not depths or not widths or min(depths) < 1 or min(widths) < 1:
        raise CatapultError("depth and width lists must be non-empty and positive")
    cells = [dataclasses.replace(base, depth=d, width=w) for d in depths for w in widths]
    for cell in cells:  # every cell is refused up front, before any training
        check_sweep_config(cell)
        check_sweep_memory(cell)
    rows = []
    for d in depths:
        row = []
        for w in widths:
            if progress is not None:
                progress(f"depth={d} width={w}")
            row.append(run_sweep(dataclasses.replace(base, depth=d, width=w)))
        rows.append(tuple(row))
    return ScanResult(base, tuple(depths), tuple(widths), tuple(rows))


def _grid(scan: ScanResult, get: Callable[[SweepResult], Any]) -> np.ndarray:
    return np.array([[get(c) for c in row] for row in scan.cells], dtype=float)


def _shown(b: Boundary) -> float | str:
    return f"{b.side} grid" if b.value is None else b.value


def _value(b: Boundary) -> float:
    return np.nan if b.value is None else b.value


def _fit(y: np.ndarray, cols: list[np.ndarray], names: tuple[str, ...]) -> PowerFit | None:
    ok = np.isfinite(y)
    if ok.sum() < len(cols) + 1:
        return None
    a = np.column_stack([np.ones(ok.sum())] + [np.log(c[ok]) for c in cols])
    coef, *_ = np.linalg.lstsq(a, np.log(y[ok]), rcond=None)
    dof = ok.sum() - a.shape[1]
    se = None
    if dof > 0 and np.linalg.matrix_rank(a) == a.shape[1]:
        resid = np.log(y[ok]) - a @ coef
        cov = (resid @ resid / dof) * np.linalg.inv(a.T @ a)
        se = tuple(float(v) for v in np.sqrt(np.diag(cov))[1:])
    return PowerFit(names, tuple(float(v) for v in coef[1:]), se, float(coef[0]), int(ok.sum()))


def fit_c_max(scan: ScanResult) -> dict[str, PowerFit | None]:
    """Power-law fits of the bracketed ``c_max`` (see module docstring)."""
    y = _grid(scan, lambda r: _value(r.c_max)).ravel()
    d, w = np.meshgrid(scan.depths, scan.widths, indexing="ij")
    d, w = d.ravel().astype(float), w.ravel().astype(float)
    return {
        "depth_width": _fit(y, [d, w], ("depth", "width")),
        "depth_over_width": _fit(y, [d / w], ("depth/width",)),
    }


def scan_to_xarray(scan: ScanResult) -> Any:
    """The scan as an ``xarray.Dataset`` over ``(depth, width)``; config as attributes."""
    import json

    import xarray as xr

    dims = ("depth", "width")
    data: dict[str, Any] = {
        "lam0": (dims, _grid(scan, lambda r: r.lam0), {"long_name": "lambda_0"})
    }
    for name in BOUNDARIES:
        unit = {"units": "1", "long_name": f"{name} in c = eta*lambda_0"}
        data[name] = (dims, _grid(scan, lambda r, n=name: _value(getattr(r, n))), unit)
        data[f"{name}_bracket"] = (
            dims,
            _grid(scan, lambda r, n=name: getattr(r, n).uncertainty or np.nan),
            {"long_name": f"width of the final bisection bracket of {name}"},
        )
        data[f"{name}_side"] = (
            dims,
            _grid(scan, lambda r, n=name: _SIDE_CODE[getattr(r, n).side]).astype(np.int8),
            {"long_name": f"{name} position: -1 below the grid, 0 bracketed, +1 above"},
        )
    data["sharpness_reduction"] = (
        dims,
        _grid(scan, lambda r: np.nan if r.sharpness_reduction is None else r.sharpness_reduction),
        {"long_name": "largest early relative drop of lambda over runs below c_loss"},
    )
    attrs = {
        f"config_{k}": (
            "none" if v is None else np.asarray(v, float) if isinstance(v, tuple) else v
        )
        for k, v in dataclasses.asdict(scan.base).items()
        if k not in ("depth", "width")
    }
    attrs["fits"] = json.dumps(
        {k: None if f is None else dataclasses.asdict(f) for k, f in fit_c_max(scan).items()}
    )
    coords = {"depth": np.array(scan.depths), "width": np.array(scan.widths)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


@plotting.styled
def plot_scan(
    scan: ScanResult,
    path: Paths | None = None,
    *,
    ax: Any = None,
    figsize: tuple[float, float] = (12.0, 3.6),
    dpi: float | None = None,
) -> Any:
    """Heat maps of ``c_loss``, ``c_sharp`` and ``c_max`` over depth x width ("<"/">" out of grid).

    Returns:
        The figure.
    """
    fig, axes = plotting.figure_axes(ax, ncols=3, figsize=figsize, dpi=dpi)
    for ax_, name in zip(axes, BOUNDARIES, strict=True):
        vals = _grid(scan, lambda r, n=name: _value(getattr(r, n)))
        im = ax_.imshow(vals, origin="lower", cmap="viridis", aspect="auto")
        fig.colorbar(im, ax=ax_, label=r"$c = \eta\lambda_0$")
        for i, row in enumerate(scan.cells):
            for j, res in enumerate(row):
                b = getattr(res, name)
                text = f"{b.value:.3g}" if b.value is not None else f"{b.side} grid"
                color = "w" if b.value is not None else "k"  # a cell out of grid is blank
                ax_.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
        ax_.set_xticks(range(len(scan.widths)), [str(w) for w in scan.widths])
        ax_.set_yticks(range(len(scan.depths)), [str(d) for d in scan.depths])
        ax_.set(xlabel="width", ylabel="depth", title=_SCAN_TITLES.get(name, name))
    fig.suptitle(f"{scan.base.arch}({scan.base.act}, {scan.base.param}) on {scan.base.dataset}")
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)


_SCAN_TITLES = {
    "c_loss": r"$c_\mathrm{loss}$ (loss rises)",
    "c_sharp": r"$c_\mathrm{sharp}$ (sharpness drops)",
    "c_max": r"$c_\max$ (largest trainable)",
}
