"""The files of a block sweep (``sweep --block [--batch ...] --out X.nc --figure F``).

The JSON document of :func:`catapultlab.sim._cli_block.block_sweep` as a netCDF dataset over
``(n, batch, c)`` (fractions, median ``eta lambda_final``, spikes per run) and ``(n, batch)``
(``c_loss`` and ``c_max`` with their 95 % bootstrap intervals; with ``n = inf``, ``growth``
per ``c`` and the limit's catapult edge ``c_grow``), with the config as an
attribute; the ``batch`` coordinate is the batch size (``m`` for full-batch GD) and the
attribute ``batch_labels`` names each with its sampling rule; and a figure of the fractions against ``c``, one panel per width, one colour per
batch size, the boundaries marked.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.io import PlainDataset, Variable

__all__ = ["block_sweep_dataset", "block_sweep_figure"]

PER_C = ("p_rise", "p_divergent", "eta_lam_final", "spikes", "growth")
"""The per-c columns of a block sweep (JSON cells and netCDF variables)."""


def _num(v: Any) -> float:
    return np.nan if v is None else float(v)


def _size(label: str, doc: dict[str, Any]) -> int:
    """The batch size of a label (``"full"``: all ``m`` samples; ``"B=8,shuffle"``: 8)."""
    if label == "full":
        return int(doc["samples"])
    return int(label.split(",")[0].removeprefix("B="))


def _width_title(n: float) -> str:
    r"""A panel's width as mathtext (``$n = \infty$`` for the limit law).

    Example:
        >>> _width_title(64.0), _width_title(float("inf"))
        ('$n = 64$', '$n = \\infty$')
    """
    return r"$n = \infty$" if np.isinf(n) else f"$n = {n:g}$"


def block_sweep_dataset(doc: dict[str, Any]) -> PlainDataset:
    """The netCDF dataset of a block sweep's JSON document (module docstring)."""
    ns = sorted({float(c["n"]) for c in doc["cells"]})
    batches = list(dict.fromkeys(c["batch"] for c in doc["cells"]))
    cs = sorted({float(c["c"]) for c in doc["cells"]})
    where = {(float(c["n"]), c["batch"], float(c["c"])): c for c in doc["cells"]}
    data: dict[str, Variable] = {}
    for k in PER_C:
        values = np.array([[[_num(where[n, b, c][k]) for c in cs] for b in batches] for n in ns])
        data[k] = Variable(("n", "batch", "c"), values, {})
    bounds = {(float(r["n"]), r["batch"]): r for r in doc["boundaries"]}
    names = ("c_loss", "c_max") + (
        ("c_grow",) if any("c_grow" in r for r in doc["boundaries"]) else ()
    )
    for name in names:  # c_grow: n = inf rows only (NaN at finite widths)
        for i, suffix in enumerate(("", "_lo", "_hi")):
            values = np.array(
                [[_num(bounds[n, b].get(name, [None] * 3)[i]) for b in batches] for n in ns]
            )
            data[name + suffix] = Variable(("n", "batch"), values, {})
    coords = {
        "n": Variable(("n",), np.array(ns), {}),
        "batch": Variable(("batch",), np.array([_size(b, doc) for b in batches]), {}),
        "c": Variable(("c",), np.array(cs), {}),
    }
    config = {k: v for k, v in doc.items() if k not in ("cells", "boundaries")}
    attrs = {
        "config": json.dumps(config, sort_keys=True),
        "model": str(doc["model"]),
        "batch_labels": json.dumps(batches),
    }
    return PlainDataset(data, coords, attrs)


@plotting.styled
def block_sweep_figure(
    doc: dict[str, Any],
    path: plotting.Paths | None = None,
    *,
    ax: Any = None,
    dpi: float | None = None,
) -> Any:
    """``p_rise`` (dashed) and ``p_divergent`` (solid) against c per batch size, per width.

    Returns:
        The figure.
    """
    ds = block_sweep_dataset(doc)
    ns, batches = ds.coords["n"].values, json.loads(ds.attrs["batch_labels"])
    c = ds.coords["c"].values
    fig, axes = plotting.figure_axes(
        ax, ncols=len(ns), figsize=(4.5 * len(ns), 3.4), dpi=dpi, squeeze_one=False
    )
    for j, (a, n) in enumerate(zip(axes, ns, strict=True)):
        for i, b in enumerate(batches):
            color = f"C{i}"
            label = "full batch (GD)" if b == "full" else b.replace(",", ", ")
            a.plot(c, ds.data["p_divergent"].values[j, i], "-", color=color, label=label)
            a.plot(c, ds.data["p_rise"].values[j, i], "--", color=color)
            cmax = ds.data["c_max"].values[j, i]
            if np.isfinite(cmax):
                a.axvline(cmax, color=color, lw=0.6, ls=":")
        a.plot([], [], "k-", label="diverged")
        a.plot([], [], "k--", label="loss rose")
        a.plot([], [], "k:", lw=0.6, label=r"$c_\max$ (50 % diverge)")
        a.set(xlabel=r"$c = \eta\lambda_0$", ylabel="fraction of runs", title=_width_title(n))
        a.legend()
    return plotting.finish(fig, made=ax is None, path=path, dpi=dpi)
