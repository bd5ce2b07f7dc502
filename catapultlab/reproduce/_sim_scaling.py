"""Sim section 4: catapult peak loss and ``t_peak`` against ``n``, the lazy NTK drift against ``n``.

One sweep at a catapult ``c`` and a lazy ``c`` over the widths; the fits are
:func:`catapultlab.stats.fit_line` on per-width medians (peak loss, ``t_peak`` of the
catapult runs) and per-width mean log drift (lazy runs), the ``t_peak`` slope's
uncertainty a bootstrap over trajectories (:func:`catapultlab.stats.median_line_bootstrap`).
Each is compared with the derived model: the peak-loss exponent, the catapult time's
slope in ``ln n`` and the power of ``n`` in the NTK's one-step change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.reproduce._predictions import theory_model
from catapultlab.reproduce._sim_sweep import ENGINE, SCALING, uv_sweep
from catapultlab.stats import Comparison

__all__ = ["scaling_section"]

CAPTION = (
    "Catapult peak loss vs n and t_peak vs ln n (medians) with fits (left, middle); "
    "lazy-phase drift of lambda vs n (right)."
)


@dataclass(frozen=True)
class Measured:
    """The scaling sweep: per-width medians and per-member values, ``(n, member)``.

    Attributes:
        c_catapult: the catapult run's ``c``.
        c_lazy: the lazy run's ``c``.
        n: the widths.
        ensemble: trajectories per cell.
        sweep: the sweep's dataset (``c`` x ``n``).
        peak_loss: peak loss of each catapult member (NaN for other phases).
        t_peak: its step.
        drift: ``|lambda_final - lambda_0| / lambda_0`` of each lazy member.
    """

    c_catapult: float
    c_lazy: float
    n: np.ndarray
    ensemble: int
    sweep: Any
    peak_loss: np.ndarray
    t_peak: np.ndarray
    drift: np.ndarray

    @property
    def log_n(self) -> np.ndarray:
        """``ln n``."""
        return np.log(self.n)

    def at(self, name: str, c: float) -> np.ndarray:
        """Sweep variable ``name`` at ``c``, over the widths."""
        return self.sweep[name].values[int(np.nonzero(self.sweep["c"].values == c)[0][0])]

    @property
    def log_drift(self) -> np.ndarray:
        """Mean log drift of the lazy members per width."""
        with np.errstate(all="ignore"):
            logs = np.where(self.drift > 0, np.log(self.drift), np.nan)
            return np.nanmean(logs, axis=-1)


class Fits(NamedTuple):
    """The three fits: peak loss (log-log), ``t_peak`` (in ln n), lazy drift (log-log)."""

    peak: Any
    t_peak: Any
    t_peak_bootstrap: Any
    drift: Any


def _members(cells: dict, c: float, ns: list[int], get: Any, phase: Any) -> np.ndarray:
    """``get(outcomes)`` of each member in ``phase`` (NaN otherwise), ``(n, member)``."""
    rows = [np.where(cells[(c, n)].phase == phase, get(cells[(c, n)]), np.nan) for n in ns]
    return np.stack(rows).astype(float)


def _measure(cfg: dict[str, Any]) -> Measured:
    """Run the sweep at the catapult and lazy ``c`` over ``sim.scaling_n``."""
    from catapultlab.phases import Phase

    s = cfg["sim"]
    cs, cl, ns = float(s["scaling_c"]), float(s["lazy_c"]), list(s["scaling_n"])
    c = sorted({cs, cl})
    ds, cells = uv_sweep(cfg, y=0.0, c=c, n=ns, ensemble=s["scaling_ensemble"], part=SCALING)
    CAT, LAZY = Phase.CATAPULT, Phase.LAZY
    return Measured(
        c_catapult=cs,
        c_lazy=cl,
        n=np.asarray(ns, float),
        ensemble=int(s["scaling_ensemble"]),
        sweep=ds,
        peak_loss=_members(cells, cs, ns, lambda o: o.peak_loss, CAT),
        t_peak=_members(cells, cs, ns, lambda o: o.t_peak, CAT),
        drift=_members(cells, cl, ns, lambda o: np.abs(o.eta_lam_final / cl - 1.0), LAZY),
    )


def _fit(m: Measured, cfg: dict[str, Any]) -> Fits:
    """The sweep's own fits (same data, same function) and the ``t_peak`` bootstrap."""
    from catapultlab.stats import fit_line, median_line_bootstrap

    B, seed = int(cfg["sim"]["bootstrap"]), int(cfg["seed"]) + SCALING
    peak = m.at("catapult_median_peak_loss", m.c_catapult)
    t_peak = m.at("catapult_median_t_peak", m.c_catapult)
    return Fits(
        peak=fit_line(m.log_n, np.log(peak)),
        t_peak=fit_line(m.log_n, t_peak),
        t_peak_bootstrap=median_line_bootstrap(m.log_n, list(m.t_peak), resamples=B, seed=seed),
        drift=fit_line(m.log_n, m.log_drift),
    )


def _dataset(m: Measured, fits: Fits) -> Any:
    """Medians, members, fractions and the fits beside the derived values."""
    import xarray as xr

    model = theory_model()
    fp, ft, fl = fits.peak, fits.t_peak, fits.drift
    return xr.Dataset(
        {
            "median_peak_loss": (("n",), m.at("catapult_median_peak_loss", m.c_catapult)),
            "median_t_peak": (("n",), m.at("catapult_median_t_peak", m.c_catapult)),
            "mean_log_lazy_lam_drift": (("n",), m.log_drift),
            "catapult_fraction": (("n",), m.at("p_catapult", m.c_catapult)),
            "lazy_fraction": (("n",), m.at("p_lazy", m.c_lazy)),
            "peak_loss": (("n", "member"), m.peak_loss),
            "t_peak": (("n", "member"), m.t_peak),
            "lazy_lam_drift": (("n", "member"), m.drift),
        },
        coords={"n": m.n},
        attrs={
            "c_catapult_run": m.c_catapult,
            "c_lazy_run": m.c_lazy,
            "ensemble": m.ensemble,
            "peak_exponent": fp.slope,
            "peak_intercept": fp.intercept,
            "peak_exponent_se": fp.slope_se,
            "tpeak_slope": ft.slope,
            "tpeak_intercept": ft.intercept,
            "tpeak_slope_se": fits.t_peak_bootstrap.se,
            "lam_drift_exponent": fl.slope,
            "lam_drift_intercept": fl.intercept,
            "lam_drift_exponent_se": fl.slope_se,
            "derived_peak_exponent": model.peak_loss_exponent,
            "derived_tpeak_slope": model.catapult_time_slope(m.c_catapult),
            "derived_lam_drift_exponent": model.ntk_drift_exponent,
            "fits": "least squares on per-n medians (peak, t_peak of catapult runs) and "
            "per-n mean log drift (lazy runs); t-intervals (catapultlab.stats.fit_line)",
            "engine": ENGINE,
        },
    )


@plotting.styled
def _draw(ds: Any, out: Path) -> None:
    """``figures/uv_scaling``: the three measurements with their fits (and the derived slope)."""
    nx, a = ds["n"].values, ds.attrs
    logn = np.log(nx)
    cs, cl, tpeak = a["c_catapult_run"], a["c_lazy_run"], ds["median_t_peak"].values
    fig, ax = new_figure(3, 1, (13, 3.8))
    ax[0, 0].loglog(
        nx, ds["median_peak_loss"].values, "o", label=f"catapult $c = {cs:g}$: median peak loss"
    )
    fitted = np.exp(a["peak_intercept"] + a["peak_exponent"] * logn)
    ax[0, 0].loglog(nx, fitted, "-", label=f"fit: $n^{{{a['peak_exponent']:.3f}}}$")
    ax[0, 0].set(xlabel="width $n$", ylabel="peak loss")
    ax[0, 1].plot(logn, tpeak, "o", label=r"median $t_\mathrm{peak}$")
    fitted = a["tpeak_intercept"] + a["tpeak_slope"] * logn
    ax[0, 1].plot(logn, fitted, "-", label=f"fit slope {a['tpeak_slope']:.3f}")
    ts = a["derived_tpeak_slope"]
    derived = np.nanmean(tpeak) + ts * (logn - logn.mean())
    ax[0, 1].plot(logn, derived, "--", label=f"derived slope {ts:.3f}")
    ax[0, 1].set(xlabel=r"$\ln n$", ylabel=r"$t_\mathrm{peak}$ (steps)")
    drift = np.exp(ds["mean_log_lazy_lam_drift"].values)
    ax[0, 2].loglog(
        nx, drift, "o", label=f"lazy $c = {cl:g}$: " + r"$|\lambda_\infty - \lambda_0| / \lambda_0$"
    )
    fitted = np.exp(a["lam_drift_intercept"] + a["lam_drift_exponent"] * logn)
    ax[0, 2].loglog(nx, fitted, "-", label=f"fit: $n^{{{a['lam_drift_exponent']:.3f}}}$")
    ax[0, 2].set(xlabel="width $n$", ylabel=r"relative $\lambda$ drift")
    for panel in ax[0]:
        panel.legend(fontsize=7)
    save_figure(fig, out, "uv_scaling")


def _rows(m: Measured, fits: Fits) -> list[Comparison]:
    """Fitted exponents and slope beside the derived ones."""
    model = theory_model()
    fp, ft, fl, bt = fits.peak, fits.t_peak, fits.drift, fits.t_peak_bootstrap
    cs, cl = m.c_catapult, m.c_lazy
    return [
        Comparison.make(
            "sim.peak_loss_exponent",
            f"fitted exponent of n in the peak loss (c={cs:g})",
            fp.slope,
            uncertainty=fp.slope_se,
            ci_low=fp.slope_ci[0],
            ci_high=fp.slope_ci[1],
            predicted=model.peak_loss_exponent,
            relation="=",
            source="width scaling f = n^a g of the derived maps (2a); paper bound n/log n",
        ),
        Comparison.make(
            "sim.tpeak_slope",
            f"fitted slope of t_peak vs ln n (c={cs:g})",
            ft.slope,
            uncertainty=bt.se,
            ci_low=bt.low,
            ci_high=bt.high,
            predicted=model.catapult_time_slope(cs),
            relation="=",
            source="d t_catapult / d ln n of the derived catapult time",
        ),
        Comparison.make(
            "sim.lazy_lam_drift_exponent",
            f"fitted exponent of n in |lambda_final - lambda0| (c={cl:g})",
            fl.slope,
            uncertainty=fl.slope_se,
            ci_low=fl.slope_ci[0],
            ci_high=fl.slope_ci[1],
            predicted=model.ntk_drift_exponent,
            relation="=",
            source="power of n in lambda' - lambda of the derived map",
        ),
    ]


def scaling_section(cfg: dict[str, Any], out: Path) -> Section:
    """Peak loss, ``t_peak`` and lazy drift against the width, with fits and derived values."""
    m = _measure(cfg)
    fits = _fit(m, cfg)
    ds = _dataset(m, fits)
    data = write_nc(ds, out, "uv_scaling")
    _draw(ds, out)
    return Section(_rows(m, fits), [Figure("uv_scaling", CAPTION, data)])
