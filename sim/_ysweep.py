"""Sweeps over several labels y: one (c, n) sweep per y, stacked along a ``y`` dimension.

The label enters the uv dynamics only through ``y / sqrt(n)`` (theory's scaling
exponent a = 1/2), so a c x y diagram at fixed n shows how the finite-width
divergence edge moves away from the derived c = 4 as the label grows. Each y is an
ordinary sweep (same seed, same initial states: the draws do not depend on y), so
the y = Y slice of a multi-y sweep equals the single sweep at y = Y exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from catapultlab import CatapultError

__all__ = ["parse_labels", "stack_over_y", "stacked_to_json", "phase_diagram_cy"]


def parse_labels(text: str) -> tuple[float, ...]:
    """Parse ``Y`` or ``Y1,Y2,...`` into finite, distinct labels (in the given order).

    Example:
        >>> parse_labels("0,0.5,2")
        (0.0, 0.5, 2.0)
    """
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise CatapultError(f"--y must be a number or a list of numbers, got {text!r}") from exc
    if not values:
        raise CatapultError("--y needs at least one label")
    if not all(np.isfinite(values)):
        raise CatapultError(f"--y labels must be finite, got {text!r}")
    if len(set(values)) != len(values):
        raise CatapultError(f"--y labels must be distinct, got {text!r}")
    return values


def stack_over_y(datasets: Sequence[Any], labels: Sequence[float]) -> Any:
    """One Dataset with a leading ``y`` dimension; ``config`` keeps every label."""
    import xarray as xr

    ds = xr.concat(list(datasets), dim="y", join="outer", combine_attrs="drop")
    ds = ds.assign_coords(y=np.asarray(labels, dtype=float))
    # netCDF3 takes a zero-length dimension (no scaling fit anywhere) as its record
    # dimension, which must come first: drop such empty variables instead
    ds = ds.drop_dims([d for d, k in ds.sizes.items() if k == 0])
    config = _stacked_config(datasets[0], labels)
    ds.attrs = dict(datasets[0].attrs)
    ds.attrs["config"] = json.dumps(config)
    return ds


def _stacked_config(first: Any, labels: Sequence[float]) -> dict[str, Any]:
    """The first sweep's config with its label replaced by ``y_values`` (one sweep per value)."""
    config = json.loads(first.attrs["config"])
    config["setup"].pop("y", None)
    config["y_values"] = [float(v) for v in labels]
    return config


def stacked_to_json(datasets: Sequence[Any], labels: Sequence[float]) -> dict[str, Any]:
    """The ``--json`` document of a multi-y sweep: every row carries its ``y``."""
    from catapultlab.sim._sweep_json import sweep_to_json

    doc: dict[str, Any] = {"cells": [], "boundaries": [], "fits": {}, "config": None}
    for ds, y in zip(datasets, labels, strict=True):
        one = sweep_to_json(ds)
        doc["cells"] += [{"y": float(y), **row} for row in one["cells"]]
        doc["boundaries"] += [{"y": float(y), **row} for row in one["boundaries"]]
        for name, rows in one["fits"].items():
            doc["fits"].setdefault(name, []).extend({"y": float(y), **r} for r in rows)
    doc["config"] = _stacked_config(datasets[0], labels)
    return doc


def phase_diagram_cy(stacked: Any, path: Any = None, *, model: Any | None = None, **kw: Any) -> Any:
    """Dominant phase over (c, y) at the largest width, measured boundaries and theory lines.

    Args:
        stacked: a dataset from :func:`stack_over_y`.
        path: output file(s).
        model: draws the theory's boundaries when given.
        **kw: ``ax``, ``figsize``, ``dpi``, ``rc`` as for :func:`phase_diagram`.

    Returns:
        The figure.
    """
    from catapultlab.sim._figures import phase_diagram

    at = stacked.sortby("y").isel(n=-1)
    n = int(at["n"].values)
    return phase_diagram(
        at,
        path,
        model=model,
        title=f"phase fractions at $n = {n}$",
        row="y",
        row_labels=[f"{v:g} ($y/\\sqrt{{n}} = {v / np.sqrt(n):.3g}$)" for v in at["y"].values],
        row_axis="label $y$",
        **kw,
    )
