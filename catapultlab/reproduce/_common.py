"""Shared helpers of the reproduce pipeline: numbers, figures, netCDF.

Statistics (boundaries, bootstrap CIs, fits) live in :mod:`catapultlab.stats`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.io import atomic_write

__all__ = [
    "Number",
    "Figure",
    "new_figure",
    "save_figure",
    "write_nc",
    "fmt",
]


def fmt(value: Any) -> str:
    """How every number appears in report.md / report.html (``numbers.json`` keeps full precision)."""
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
class Number:
    """One reported number: a measurement beside its prediction.

    Attributes:
        key: unique id (``stage.name``); report tables show it.
        quantity: what it is, in words.
        measured: the value measured in this run.
        uncertainty: one standard error (bootstrap or bracket width), or None.
        ci_low: lower end of the 95% interval, or None.
        ci_high: upper end of the 95% interval, or None.
        predicted: the prediction (derived in this run), or None.
        relation: how to compare: ``"="`` (within 2 s.e.), ``"<="``, ``">"`` or ``""``.
        agrees: the comparison's outcome, or None when there is nothing to compare.
        source: where the prediction comes from.
    """

    key: str
    quantity: str
    measured: float | None
    uncertainty: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    predicted: float | None = None
    relation: str = ""
    agrees: bool | None = None
    source: str = ""

    @classmethod
    def make(cls, key: str, quantity: str, measured: Any, **kw: Any) -> Number:
        """Build a number, cleaning NaN to None and computing ``agrees``."""

        def clean(v: Any) -> float | None:
            if v is None:
                return None
            v = float(v)
            return None if not math.isfinite(v) else v

        measured = clean(measured)
        for k in ("uncertainty", "ci_low", "ci_high", "predicted"):
            kw[k] = clean(kw.get(k))
        rel, pred, unc = kw.get("relation", ""), kw["predicted"], kw["uncertainty"] or 0.0
        agrees = None
        if measured is not None and pred is not None and rel:
            lo, hi = kw["ci_low"], kw["ci_high"]
            if rel == "=":
                if lo is not None and hi is not None:
                    agrees = lo <= pred <= hi or abs(measured - pred) <= 2 * unc
                else:
                    agrees = abs(measured - pred) <= 2 * unc
            elif rel == "<=":
                agrees = measured <= pred + 2 * unc
            elif rel == ">":
                agrees = measured > pred
        kw["agrees"] = agrees
        return cls(key=key, quantity=quantity, measured=measured, **kw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return asdict(self)


@dataclass(frozen=True)
class Figure:
    """A figure the report shows (``figures/<name>.png`` and ``.pdf``), with its data file."""

    name: str
    caption: str
    data: str


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] = (6.0, 4.0)) -> Any:
    """An Agg figure (no pyplot state) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=size)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def save_figure(fig: Any, out: Path, name: str) -> None:
    """Save ``out/figures/<name>.png`` and ``.pdf``."""
    d = out / "figures"
    d.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    atomic_write(d / f"{name}.png", lambda tmp: fig.savefig(tmp, dpi=110))
    atomic_write(d / f"{name}.pdf", fig.savefig)


def write_nc(ds: Any, out: Path, name: str) -> str:
    """Write an xarray Dataset to ``out/data/<name>.nc`` (the one netCDF writer); the relative path."""
    from catapultlab.io import write_netcdf

    write_netcdf(ds, out / "data" / f"{name}.nc")
    return f"data/{name}.nc"
