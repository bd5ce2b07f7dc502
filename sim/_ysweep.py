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

from catapultlab._errors import CatapultError

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
    from catapultlab.sim._sweep import sweep_to_json

    doc: dict[str, Any] = {"cells": [], "boundaries": [], "fits": {}, "config": None}
    for ds, y in zip(datasets, labels, strict=True):
        one = sweep_to_json(ds)
        doc["cells"] += [{"y": float(y), **row} for row in one["cells"]]
        doc["boundaries"] += [{"y": float(y), **row} for row in one["boundaries"]]
        for name, rows in one["fits"].items():
            doc["fits"].setdefault(name, []).extend({"y": float(y), **r} for r in rows)
    doc["config"] = _stacked_config(datasets[0], labels)
    return doc


def phase_diagram_cy(
    datasets: Sequence[Any],
    labels: Sequence[float],
    path: Any,
    *,
    model: Any | None = None,
) -> None:
    """Dominant phase over (c, y) at the largest width, measured boundaries and theory lines."""
    from catapultlab.sim._figures import _plt, _save, _step, theory_c_boundaries

    plt = _plt()
    order = np.argsort(labels)
    ys = np.asarray(labels, dtype=float)[order]
    sets = [datasets[k] for k in order]
    c = sets[0]["c"].values
    n = int(sets[0]["n"].values[-1])
    phases = ("lazy", "catapult", "divergent", "unresolved")
    probs = np.stack([[ds[f"p_{k}"].values[:, -1] for ds in sets] for k in phases])  # (p, y, c)
    rgb = np.array([[0.30, 0.55, 0.85], [0.95, 0.65, 0.20], [0.80, 0.20, 0.20], [0.6, 0.6, 0.6]])
    img = np.einsum("pyc,pk->yck", probs, rgb)
    rows = np.arange(len(ys))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.imshow(
        img,
        aspect="auto",
        origin="lower",
        extent=(c[0] - 0.5 * _step(c), c[-1] + 0.5 * _step(c), -0.5, len(ys) - 0.5),
    )
    for name, mk in (("c_divergent", "o"), ("c_catapult", "s")):
        v = np.array([ds[name].values[-1] for ds in sets])
        lo = np.array([ds[f"{name}_lo"].values[-1] for ds in sets])
        hi = np.array([ds[f"{name}_hi"].values[-1] for ds in sets])
        err = [np.clip(np.nan_to_num(v - lo), 0, None), np.clip(np.nan_to_num(hi - v), 0, None)]
        ax.errorbar(v, rows, xerr=err, fmt=mk, color="k", ms=4, label=f"{name} (sim)")
    if model is not None:
        for name, cv in theory_c_boundaries(model).items():
            ax.axvline(cv, color="w", ls="--", lw=1.5)
            ax.text(
                cv, len(ys) - 0.45, f" theory {name}: c={cv:g}", fontsize=7, rotation=90, va="top"
            )
    ax.set_yticks(rows, [f"{v:g} (y/sqrt(n)={v / np.sqrt(n):.3g})" for v in ys])
    ax.set_xlabel("c = eta lam0")
    ax.set_ylabel("label y")
    ax.set_title(f"phase fractions at n = {n} (blue lazy, orange catapult, red divergent)")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
