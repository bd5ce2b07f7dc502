"""Shared pieces of the reproduce pipeline: sections, figures, netCDF, number formatting.

Every reported number is a :class:`catapultlab.stats.Comparison` (one record and one
agreement rule for every layer); statistics (boundaries, bootstrap CIs, fits) live in
:mod:`catapultlab.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from catapultlab.stats import Comparison

__all__ = [
    "Figure",
    "Section",
    "fmt",
    "new_figure",
    "save_figure",
    "stage_result",
    "write_nc",
]


def fmt(value: Any) -> str:
    """How every number appears in report.md / report.html (``numbers.json`` keeps full precision).

    Example:
        >>> fmt(2.0), fmt(None), fmt(True), fmt(0.123456)
        ('2', 'n/a', 'yes', '0.1235')
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "n/a"
        return f"{v:.4g}"
    return str(value)


@dataclass(frozen=True)
class Figure:
    """A figure the report shows (``figures/<name>.png`` and ``.pdf``), with its data file."""

    name: str
    caption: str
    data: str


class Section(NamedTuple):
    """What one report section hands back: its numbers and its figures."""

    numbers: list[Comparison]
    figures: list[Figure]


def stage_result(sections: Iterable[Section], **extra: Any) -> dict[str, Any]:
    """A stage's JSON-ready result from its sections, in order, plus ``extra`` entries.

    Returns:
        ``{"files": [...], "figures": [...], "numbers": [...], **extra}``: the data file of
        every figure, the figures and the numbers (``Comparison.to_dict`` rows).
    """
    numbers = [n for s in sections for n in s.numbers]
    figures = [f for s in sections for f in s.figures]
    return {
        "files": sorted({f.data for f in figures}),
        "figures": [asdict(f) for f in figures],
        "numbers": [n.to_dict() for n in numbers],
        **extra,
    }


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] = (6.0, 4.0)) -> Any:
    """An Agg figure (no pyplot state) and its axes (a 2-d array, ``[row, column]``).

    Draw under :func:`catapultlab.plotting.style` (the report's ``_draw`` functions are
    :func:`~catapultlab.plotting.styled`), so the report's figures share the package style.
    """
    from catapultlab.plotting import figure_axes

    fig, axes = figure_axes(nrows=nrows, ncols=ncols, figsize=size)
    return fig, np.array(axes if nrows * ncols > 1 else [axes], dtype=object).reshape(nrows, ncols)


FIGURE_FORMATS = ("png", "pdf", "svg")
"""The files of each report figure: PNG at 200 dpi for the page, PDF and SVG for papers."""


def save_figure(fig: Any, out: Path, name: str) -> None:
    """Save ``out/figures/<name>.png``, ``.pdf`` and ``.svg``."""
    from catapultlab.plotting import save

    d = out / "figures"
    d.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    save(fig, [d / f"{name}.{ext}" for ext in FIGURE_FORMATS])


def write_nc(ds: Any, out: Path, name: str) -> str:
    """Write an xarray Dataset to ``out/data/<name>.nc`` (the one netCDF writer); the relative path."""
    from catapultlab.io import write_netcdf

    write_netcdf(ds, out / "data" / f"{name}.nc")
    return f"data/{name}.nc"
