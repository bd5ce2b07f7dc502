"""Sim section 3: the finite-width divergent boundary for ``y != 0`` and the label collapse.

Theory's width scaling (outputs and labels scale like ``n^a``, ``a`` derived) says the
rescaled maps depend on ``y`` and ``n`` only through ``ytilde = y / n^a``: at fixed ``y``
the boundary ``c_divergent(n)`` tends to the derived edge as ``ytilde -> 0``, and at fixed
``ytilde`` it does not move with ``n``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import (
    DIVERGENT,
    compared,
    edges,
    theory_model,
    width_power,
)
from catapultlab.reproduce._sim_sweep import COLLAPSE, ENGINE, FINITE, boundary_row, uv_sweep
from catapultlab.stats import Comparison

__all__ = ["finite_width_section"]


class Coefficient(NamedTuple):
    """A fitted coefficient and its standard error (NaN when too few points)."""

    value: float
    se: float

    def row(self, key: str, quantity: str, **kw: Any) -> Comparison:
        """The report row of the coefficient, with its normal 95% interval."""
        return Comparison.make(
            key,
            quantity,
            self.value,
            uncertainty=self.se,
            ci_low=self.value - 1.96 * self.se,
            ci_high=self.value + 1.96 * self.se,
            **kw,
        )


def _weighted_fit(
    x: np.ndarray, c: np.ndarray, se: np.ndarray, power: int, least: int
) -> Coefficient:
    """The coefficient of ``x^power`` in a polynomial fit of ``c(x)`` weighted by ``1 / se``.

    A line (``power=1``: its slope) or a quadratic (``power=0``: its constant), from at
    least ``least`` points with a finite, positive s.e.
    """
    ok = np.isfinite(c) & np.isfinite(se) & (se > 0)
    if ok.sum() < least:
        return Coefficient(float("nan"), float("nan"))
    degree = 1 if power == 1 else 2
    coef, cov = np.polyfit(x[ok], c[ok], degree, w=1 / se[ok], cov="unscaled")
    k = degree - power  # numpy lists the highest power first
    return Coefficient(float(coef[k]), float(np.sqrt(cov[k, k])))


def _width_scale(n: list[int]) -> np.ndarray:
    """``n^a`` with ``a`` the derived output (and label) exponent."""
    a = float(theory_model().scaling.output_exponent)
    return np.asarray(n, float) ** a


def _finite_width(cfg: dict[str, Any], out: Path) -> tuple[Any, Coefficient, str]:
    """The boundary at fixed ``y`` over the widths, its ``n -> oo`` extrapolation and data file.

    The extrapolation is quadratic in ``ytilde = y / n^a``, weighted by each boundary's s.e.
    """
    s = cfg["sim"]
    y, ns = float(s["finite_y"]), list(s["finite_n"])
    ds, _ = uv_sweep(cfg, y=y, c=s["finite_c"], n=ns, ensemble=s["finite_ensemble"], part=FINITE)
    cdiv, cse = ds["c_divergent"].values, ds["c_divergent_se"].values
    limit = _weighted_fit(y / _width_scale(ns), cdiv, cse, power=0, least=4)
    ds.attrs.update(
        y=y,
        derived_c_catapult_divergent=edges()[DIVERGENT],
        extrapolated_c_divergent=limit.value,
        extrapolated_c_divergent_se=limit.se,
        engine=ENGINE,
    )
    return ds, limit, write_nc(ds, out, "uv_c_divergent_finite_width")


def _label_collapse(cfg: dict[str, Any], out: Path) -> tuple[Any, Coefficient]:
    """The boundary at fixed ``ytilde`` (label ``y = ytilde n^a`` per width) and its slope in ln n.

    The slope is a line fit weighted by each boundary's own s.e. (not by the scatter).
    """
    import xarray as xr

    s = cfg["sim"]
    yt, ns = float(s["collapse_ytilde"]), [int(v) for v in s["collapse_n"]]
    labels = yt * _width_scale(ns)
    E = s["finite_ensemble"]
    runs = [
        uv_sweep(cfg, y=float(y), c=s["finite_c"], n=[m], ensemble=E, part=COLLAPSE)[0]
        for y, m in zip(labels, ns, strict=True)
    ]
    c = np.array([d["c_divergent"].values[0] for d in runs])
    se = np.array([d["c_divergent_se"].values[0] for d in runs])
    slope = _weighted_fit(np.log(np.asarray(ns, float)), c, se, power=1, least=3)
    ds = xr.Dataset(
        {"c_divergent": ("n", c), "c_divergent_se": ("n", se), "y": ("n", labels)},
        coords={"n": ns},
        attrs={"ytilde": yt, "slope_vs_log_n": slope.value, "slope_se": slope.se, "engine": ENGINE},
    )
    write_nc(ds, out, "uv_c_divergent_label_collapse")
    return ds, slope


@plotting.styled
def _draw(finite: Any, collapse: Any, out: Path) -> None:
    """``figures/uv_c_divergent_finite_width``: both boundaries against ``n``, the edge dashed."""
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    import sympy as sp

    from catapultlab.theory import WIDTH

    scaled = f"y/{sp.latex(WIDTH ** theory_model().scaling.output_exponent)}"
    for ds, mark, label in (
        (
            finite,
            "o-",
            "measured " + r"$c_\mathrm{div}(n)$" + f", $y = {finite.attrs['y']:g}$ (2 s.e.)",
        ),
        (collapse, "s-", f"measured at fixed ${scaled} = {collapse.attrs['ytilde']:g}$ (2 s.e.)"),
    ):
        se = 2 * np.nan_to_num(ds["c_divergent_se"].values)
        n, c = ds["n"].values, ds["c_divergent"].values
        ax.errorbar(n, c, yerr=se, fmt=mark, capsize=3, label=label)
    edge = edges()[DIVERGENT]
    ax.axhline(
        edge, color="darkred", ls="--", label=f"derived $n \\to \\infty$ limit $c = {edge:g}$"
    )
    ax.set(xscale="log", xlabel="width $n$", ylabel=r"$c_\mathrm{div}$")
    ax.set_title(r"finite-width divergent boundary, $y \neq 0$")
    ax.legend(fontsize=8)
    save_figure(fig, out, "uv_c_divergent_finite_width")


def _caption(y: float, yt: float) -> str:
    root = width_power(theory_model().scaling.output_exponent)
    return (
        f"Finite-width boundary c_divergent(n) of the uv model with label y = {y:g}; it "
        f"approaches the derived value as n grows (y/{root} -> 0). Squares: the label "
        f"scaled with the width, y = {yt:g} {root}: the boundary stays put, as the "
        f"derived scaling (f = {root} g, y = {root} ytilde) says "
        "(data/uv_c_divergent_label_collapse.nc)."
    )


def finite_width_section(cfg: dict[str, Any], out: Path) -> Section:
    """The finite-width boundary, its extrapolation and the label collapse, in one figure."""
    finite, limit, data = _finite_width(cfg, out)
    collapse, slope = _label_collapse(cfg, out)
    _draw(finite, collapse, out)
    y, yt, ns = finite.attrs["y"], collapse.attrs["ytilde"], list(cfg["sim"]["finite_n"])
    model = theory_model()
    a, root = model.scaling.output_exponent, width_power(model.scaling.output_exponent)
    through = f"finite-width value (the maps depend on n only through y/{root})"
    numbers = [
        boundary_row(
            f"sim.c_divergent_y_n{ns[j]}",
            f"uv c_divergent at n={ns[j]}, y={y:g}",
            finite,
            "c_divergent",
            j,
            source=through,
        )
        for j in (0, len(ns) - 1)
    ]
    numbers.append(
        slope.row(
            "sim.c_divergent_collapse_slope",
            f"slope of c_divergent vs ln n at fixed y/{root} = {yt:g} (weighted by s.e.)",
            predicted=0.0 if model.scaling.exists else None,
            relation="=",
            source=f"derived exponent a = {a}: only y/n^a enters the rescaled maps",
        )
    )
    numbers.append(
        limit.row(
            "sim.c_divergent_y_extrapolated",
            f"uv c_divergent extrapolated to n -> oo (quadratic in y/{root}), y={y:g}",
            **compared("c_divergent", "the n -> oo limit of the finite-width boundary"),
        )
    )
    caption = _caption(y, yt)
    return Section(numbers, [Figure("uv_c_divergent_finite_width", caption, data)])
