"""Stage b: uv-model ensembles -- phase diagram, one run per phase, finite-width boundary, scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab._reproduce._common import (
    Figure,
    Number,
    bootstrap,
    crossing,
    fit_line,
    new_figure,
    save_figure,
    write_nc,
)

__all__ = ["run_sim"]

PHASE_COLORS = ("tab:blue", "tab:orange", "tab:red", "0.6")


def _grid(spec: list[float]) -> np.ndarray:
    return np.linspace(spec[0], spec[1], int(spec[2]))


def _ensemble_grid(
    rng: np.random.Generator, c: np.ndarray, ns: list[int], y: float, E: int, steps: int
) -> Any:
    """Phases on a (n, c, member) grid; members share their init across c."""
    from catapultlab._reproduce._uv import run_ensemble, sample_init

    f0 = np.empty((len(ns), 1, E))
    lam0 = np.empty_like(f0)
    for i, n in enumerate(ns):
        f0[i, 0], lam0[i, 0] = sample_init(rng, n, E)
    nn = np.asarray(ns, dtype=float)[:, None, None]
    res = run_ensemble(f0, lam0, c[None, :, None], nn, y, steps)
    shape = (len(ns), len(c), E)
    return {k: getattr(res, k).reshape(shape) for k in res.__dataclass_fields__}


def _boundaries(
    c: np.ndarray, phase: np.ndarray, B: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``c_catapult(n)`` and ``c_divergent(n)`` (50% crossings) with bootstrap s.e. and 95% CIs."""
    from catapultlab.sim._phases import Phase

    nn, _, E = phase.shape
    ind = {
        "c_catapult": (phase == Phase.CATAPULT) | (phase == Phase.DIVERGENT),
        "c_divergent": phase == Phase.DIVERGENT,
    }
    out: dict[str, np.ndarray] = {}
    idx = rng.integers(0, E, size=(B, E))
    for name, x in ind.items():
        est = crossing(c, x.mean(-1).T)  # (nn,)
        reps = crossing(c, x[:, :, idx].mean(-1).transpose(1, 2, 0).reshape(len(c), -1))
        reps = reps.reshape(B, nn)
        se, lo, hi = np.array([bootstrap(reps[:, i]) for i in range(nn)]).T
        # the crossing is only known to within a grid cell: add its resolution
        dc = float(np.median(np.diff(c)))
        se = np.sqrt(np.nan_to_num(se) ** 2 + dc**2 / 12.0)
        lo, hi = lo - dc / 2, hi + dc / 2
        out[name], out[name + "_se"], out[name + "_lo"], out[name + "_hi"] = est, se, lo, hi
    return out


def _phase_fractions(phase: np.ndarray) -> np.ndarray:
    from catapultlab.sim._phases import PHASE_NAMES

    return np.stack([(phase == k).mean(-1) for k in range(len(PHASE_NAMES))], axis=-1)


def run_sim(cfg: dict[str, Any], out: Path, echo: Any) -> dict[str, Any]:
    """Run the uv-model experiments; write data, figures and the stage result."""
    import xarray as xr
    from tqdm.auto import tqdm

    from catapultlab._reproduce._theory_stage import derived_predictions, tpeak_slope
    from catapultlab._reproduce._uv import thresholds, trajectory
    from catapultlab.sim._phases import PHASE_NAMES, Phase, classify_losses
    from catapultlab.theory import uv_model

    s = cfg["sim"]
    rng = np.random.default_rng(cfg["seed"])
    pred = derived_predictions()
    c2, c4 = pred["c_lazy_catapult"], pred["c_catapult_divergent"]
    m = uv_model()
    numbers: list[Number] = []
    figures: list[Figure] = []
    bar = tqdm(total=4, desc="sim", unit="part", leave=False)

    # -- 1. phase diagram, y = 0 ------------------------------------------------------
    c = _grid(s["diagram_c"])
    ns = list(s["diagram_n"])
    g = _ensemble_grid(rng, c, ns, s["diagram_y"], s["ensemble"], s["steps"])
    fr = _phase_fractions(g["phase"])
    bnd = _boundaries(c, g["phase"], s["bootstrap"], rng)
    ds = xr.Dataset(
        {"fraction": (("n", "c", "phase"), fr)} | {k: (("n",), v) for k, v in bnd.items()},
        coords={"n": np.asarray(ns), "c": c, "phase": list(PHASE_NAMES)},
        attrs={
            "y": s["diagram_y"],
            "ensemble": s["ensemble"],
            "steps": s["steps"],
            "derived_c_lazy_catapult": c2,
            "derived_c_catapult_divergent": c4,
        },
    )
    data = write_nc(ds, out, "uv_phase_diagram")
    fig, ax = new_figure(1, 1, (7, 4.2))
    ax = ax[0, 0]
    dominant = fr.argmax(-1)
    from matplotlib.colors import ListedColormap

    ax.pcolormesh(
        c,
        np.arange(len(ns)),
        dominant,
        cmap=ListedColormap(PHASE_COLORS),
        vmin=-0.5,
        vmax=3.5,
        shading="nearest",
        alpha=0.55,
    )
    for name, col in (("c_catapult", "k"), ("c_divergent", "darkred")):
        ax.errorbar(
            bnd[name],
            np.arange(len(ns)),
            xerr=2 * np.nan_to_num(bnd[name + "_se"]),
            fmt="o",
            color=col,
            ms=4,
            capsize=3,
            label=f"measured {name}(n) (50% crossing, 2 s.e.)",
        )
    ax.axvline(c2, color="k", ls="--", lw=1, label=f"derived c = {c2:g}")
    ax.axvline(c4, color="darkred", ls="--", lw=1, label=f"derived c = {c4:g}")
    ax.set(
        yticks=np.arange(len(ns)),
        yticklabels=[str(n) for n in ns],
        xlabel="c = eta*lambda0",
        ylabel="width n",
        title="uv model, y = 0: dominant phase (blue lazy, orange catapult, red divergent, grey unresolved)",
    )
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="lower left", framealpha=0.9)
    save_figure(fig, out, "uv_phase_diagram")
    figures.append(
        Figure(
            "uv_phase_diagram",
            "uv-model phase diagram (dominant phase over the ensemble) with measured boundaries and the derived ones (dashed).",
            data,
        )
    )
    i = len(ns) - 1
    src = "catapultlab.theory uv boundaries"
    numbers.append(
        Number.make(
            "sim.c_catapult_largest_n",
            f"uv c_catapult at n={ns[i]} (y=0)",
            bnd["c_catapult"][i],
            uncertainty=bnd["c_catapult_se"][i],
            ci_low=bnd["c_catapult_lo"][i],
            ci_high=bnd["c_catapult_hi"][i],
            predicted=c2,
            relation="=",
            source=src,
        )
    )
    numbers.append(
        Number.make(
            "sim.c_divergent_largest_n",
            f"uv c_divergent at n={ns[i]} (y=0)",
            bnd["c_divergent"][i],
            uncertainty=bnd["c_divergent_se"][i],
            ci_low=bnd["c_divergent_lo"][i],
            ci_high=bnd["c_divergent_hi"][i],
            predicted=c4,
            relation="=",
            source=src,
        )
    )
    cat = g["phase"] == Phase.CATAPULT
    numbers.append(
        Number.make(
            "sim.max_eta_lam_final_catapult",
            "uv max eta*lambda_final over catapult runs",
            float(g["eta_lam_final"][cat].max()) if cat.any() else None,
            predicted=c2,
            relation="<=",
            source="Theorem 1: lambda_final <= 2/eta",
        )
    )
    bar.update()

    # -- 2. one trajectory per phase --------------------------------------------------
    n1 = int(s["single_n"])
    u, v = rng.standard_normal(n1), rng.standard_normal(n1)
    f0, lam0 = m.gram_from_params(u[:, None], v)
    T = int(s["single_steps"])
    names = list(s["single_c"])
    F = np.full((len(names), T + 1), np.nan)
    L = np.full_like(F, np.nan)
    phases = []
    for k, name in enumerate(names):
        F[k], L[k], _ = trajectory(f0, lam0, c=s["single_c"][name], n=n1, y=0.0, steps=T)
        loss = 0.5 * F[k] ** 2
        conv, div = thresholds(np.array(loss[0]), np.array(float(n1)), 0.0)
        ok = np.isfinite(loss)
        lossc = loss if ok.all() else np.append(loss[ok], np.inf)
        phases.append(
            classify_losses(lossc, converge_loss=float(conv), diverge_loss=float(div)).name.lower()
        )
    ds = xr.Dataset(
        {
            "f": (("run", "step"), F),
            "lam": (("run", "step"), L),
            "c": (("run",), [s["single_c"][k] for k in names]),
            "measured_phase": (("run",), phases),
        },
        coords={"run": names, "step": np.arange(T + 1)},
        attrs={"n": n1, "f0": f0, "lam0": lam0, "y": 0.0},
    )
    data = write_nc(ds, out, "uv_single_runs")
    fig, ax = new_figure(2, 1, (10, 3.8))
    for k, name in enumerate(names):
        col = PHASE_COLORS[k]
        ax[0, 0].semilogy(
            np.abs(F[k]), color=col, label=f"{name} (c={s['single_c'][name]:g}) -> {phases[k]}"
        )
        ax[0, 1].plot(s["single_c"][name] / lam0 * L[k], color=col, label=name)
    ax[0, 0].set(xlabel="step t", ylabel="|f_t|", title=f"uv model, n = {n1}")
    ax[0, 1].axhline(c2, color="k", ls="--", lw=1, label=f"eta*lambda = {c2:g}")
    ax[0, 1].axhline(c4, color="darkred", ls="--", lw=1, label=f"eta*lambda = {c4:g}")
    ax[0, 1].set(xlabel="step t", ylabel="eta * lambda_t")
    ax[0, 0].legend(fontsize=7)
    ax[0, 1].legend(fontsize=7)
    save_figure(fig, out, "uv_single_runs")
    figures.append(
        Figure(
            "uv_single_runs",
            "f_t and eta*lambda_t of one uv run in each phase (same initialisation).",
            data,
        )
    )
    for k, name in enumerate(names):
        numbers.append(
            Number.make(
                f"sim.single_{name}_eta_lam_final",
                f"eta*lambda_final of the {name} run (classified {phases[k]})",
                None
                if phases[k] == "divergent"
                else s["single_c"][name] / lam0 * L[k][np.isfinite(L[k])][-1],
                predicted=c2 if name != "divergent" else None,
                relation="<=" if name != "divergent" else "",
                source="lazy: lambda barely moves; catapult: lambda_final <= 2/eta",
            )
        )
    bar.update()

    # -- 3. finite-width divergent boundary for y != 0 ----------------------------------
    y = float(s["finite_y"])
    c = _grid(s["finite_c"])
    ns = list(s["finite_n"])
    g = _ensemble_grid(rng, c, ns, y, s["finite_ensemble"], s["steps"])
    bnd = _boundaries(c, g["phase"], s["bootstrap"], rng)
    ds = xr.Dataset(
        {"fraction": (("n", "c", "phase"), _phase_fractions(g["phase"]))}
        | {k: (("n",), v) for k, v in bnd.items()},
        coords={"n": np.asarray(ns), "c": c, "phase": list(PHASE_NAMES)},
        attrs={"y": y, "ensemble": s["finite_ensemble"], "derived_c_catapult_divergent": c4},
    )
    data = write_nc(ds, out, "uv_c_divergent_finite_width")
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    ax.errorbar(
        ns,
        bnd["c_divergent"],
        yerr=2 * np.nan_to_num(bnd["c_divergent_se"]),
        fmt="o-",
        capsize=3,
        label=f"measured c_divergent(n), y = {y:g} (2 s.e.)",
    )
    ax.axhline(c4, color="darkred", ls="--", label=f"derived n -> oo limit c = {c4:g}")
    ax.set(
        xscale="log",
        xlabel="width n",
        ylabel="c_divergent",
        title="finite-width divergent boundary, y != 0",
    )
    ax.legend(fontsize=8)
    save_figure(fig, out, "uv_c_divergent_finite_width")
    figures.append(
        Figure(
            "uv_c_divergent_finite_width",
            f"Finite-width boundary c_divergent(n) of the uv model with label y = {y:g}; it approaches the derived value as n grows (y/sqrt(n) -> 0).",
            data,
        )
    )
    for i in (0, len(ns) - 1):
        numbers.append(
            Number.make(
                f"sim.c_divergent_y_n{ns[i]}",
                f"uv c_divergent at n={ns[i]}, y={y:g}",
                bnd["c_divergent"][i],
                uncertainty=bnd["c_divergent_se"][i],
                ci_low=bnd["c_divergent_lo"][i],
                ci_high=bnd["c_divergent_hi"][i],
                source="finite-width value (the maps depend on n only through y/sqrt(n))",
            )
        )
    # extrapolate to n -> oo: quadratic in ytilde = y / sqrt(n), weighted by 1/s.e.
    yt = y / np.sqrt(np.asarray(ns, float))
    okf = np.isfinite(bnd["c_divergent"])
    coef, cov = np.polyfit(
        yt[okf], bnd["c_divergent"][okf], 2, w=1 / bnd["c_divergent_se"][okf], cov="unscaled"
    )
    c_inf, c_inf_se = float(coef[-1]), float(np.sqrt(cov[-1, -1]))
    ds.attrs.update(extrapolated_c_divergent=c_inf, extrapolated_c_divergent_se=c_inf_se)
    write_nc(ds, out, "uv_c_divergent_finite_width")
    numbers.append(
        Number.make(
            "sim.c_divergent_y_extrapolated",
            f"uv c_divergent extrapolated to n -> oo (quadratic in y/sqrt(n)), y={y:g}",
            c_inf,
            uncertainty=c_inf_se,
            ci_low=c_inf - 1.96 * c_inf_se,
            ci_high=c_inf + 1.96 * c_inf_se,
            predicted=c4,
            relation="=",
            source="derived catapult/divergent boundary (n -> oo)",
        )
    )
    bar.update()

    # -- 4. peak loss and t_peak vs n (catapult), |dlambda| vs n (lazy) ------------------
    cs, cl = float(s["scaling_c"]), float(s["lazy_c"])
    ns = list(s["scaling_n"])
    E = int(s["scaling_ensemble"])
    g = _ensemble_grid(rng, np.array([cs, cl]), ns, 0.0, E, s["steps"])
    catm = g["phase"][:, 0] == Phase.CATAPULT
    lazym = g["phase"][:, 1] == Phase.LAZY
    # lambda_0 of each member: eta*lam_final / (c/lam0) -> recover from the run at c_lazy
    logn, lnn = np.log(np.asarray(ns, float)), np.log(np.asarray(ns, float))
    logpeak = np.where(catm, np.log(g["peak"][:, 0]), np.nan)
    tpk = np.where(catm, g["t_peak"][:, 0].astype(float), np.nan)
    lam_drift = np.abs(g["eta_lam_final"][:, 1] - cl) / cl  # |lam_final - lam0| / lam0
    lam_drift = np.where(lazym, lam_drift, np.nan)

    def fit_stats(
        vals: np.ndarray, x: np.ndarray, log: bool
    ) -> tuple[np.ndarray, float, float, tuple]:
        agg = np.nanmean(np.log(vals) if log else vals, axis=-1)
        slope, icpt = fit_line(x, agg)
        idx = rng.integers(0, E, size=(s["bootstrap"], E))
        reps = []
        for b in idx:
            with np.errstate(all="ignore"):
                a = np.nanmean((np.log(vals) if log else vals)[:, b], axis=-1)
            reps.append(fit_line(x, a)[0] if np.all(np.isfinite(a)) else np.nan)
        return agg, slope, icpt, bootstrap(np.asarray(reps))

    with np.errstate(all="ignore"):
        agg_p, sp_, ip_, bp = fit_stats(np.exp(logpeak), logn, True)
        agg_t, st_, it_, bt = fit_stats(tpk, lnn, False)
        agg_l, sl_, il_, bl = fit_stats(lam_drift, logn, True)
    ds = xr.Dataset(
        {
            "mean_log_peak_loss": (("n",), agg_p),
            "mean_t_peak": (("n",), agg_t),
            "mean_log_lazy_lam_drift": (("n",), agg_l),
            "catapult_fraction": (("n",), catm.mean(-1)),
            "lazy_fraction": (("n",), lazym.mean(-1)),
            "peak_loss": (("n", "member"), np.exp(logpeak)),
            "t_peak": (("n", "member"), tpk),
            "lazy_lam_drift": (("n", "member"), lam_drift),
        },
        coords={"n": np.asarray(ns)},
        attrs={
            "c_catapult_run": cs,
            "c_lazy_run": cl,
            "ensemble": E,
            "peak_exponent": sp_,
            "peak_intercept": ip_,
            "peak_exponent_se": bp[0],
            "tpeak_slope": st_,
            "tpeak_intercept": it_,
            "tpeak_slope_se": bt[0],
            "lam_drift_exponent": sl_,
            "lam_drift_intercept": il_,
            "lam_drift_exponent_se": bl[0],
            "derived_peak_exponent": pred["peak_loss_exponent"],
            "derived_tpeak_slope": tpeak_slope(cs),
            "derived_lam_drift_exponent": pred["lazy_dlam_exponent"],
        },
    )
    data = write_nc(ds, out, "uv_scaling")
    fig, ax = new_figure(3, 1, (13, 3.8))
    nx = np.asarray(ns, float)
    ax[0, 0].loglog(nx, np.exp(agg_p), "o", label=f"catapult c={cs:g}: exp(mean ln peak loss)")
    ax[0, 0].loglog(nx, np.exp(ip_ + sp_ * logn), "-", label=f"fit: n^{sp_:.3f}")
    ax[0, 0].set(xlabel="width n", ylabel="peak loss")
    ax[0, 1].plot(lnn, agg_t, "o", label="mean t_peak")
    ax[0, 1].plot(lnn, it_ + st_ * lnn, "-", label=f"fit slope {st_:.3f}")
    ax[0, 1].plot(
        lnn,
        it_ + tpeak_slope(cs) * (lnn - lnn.mean()) + (st_ - tpeak_slope(cs)) * lnn.mean(),
        "--",
        label=f"derived slope {tpeak_slope(cs):.3f}",
    )
    ax[0, 1].set(xlabel="ln n", ylabel="t_peak (steps)")
    ax[0, 2].loglog(nx, np.exp(agg_l), "o", label=f"lazy c={cl:g}: |lam_final-lam0|/lam0")
    ax[0, 2].loglog(nx, np.exp(il_ + sl_ * logn), "-", label=f"fit: n^{sl_:.3f}")
    ax[0, 2].set(xlabel="width n", ylabel="relative lambda drift")
    for a in ax[0]:
        a.legend(fontsize=7)
    save_figure(fig, out, "uv_scaling")
    figures.append(
        Figure(
            "uv_scaling",
            "Catapult peak loss vs n and t_peak vs ln n with fits (left, middle); lazy-phase drift of lambda vs n (right).",
            data,
        )
    )
    numbers += [
        Number.make(
            "sim.peak_loss_exponent",
            f"fitted exponent of n in the peak loss (c={cs:g})",
            sp_,
            uncertainty=bp[0],
            ci_low=bp[1],
            ci_high=bp[2],
            predicted=pred["peak_loss_exponent"],
            relation="=",
            source="width scaling f = n^a g of the derived maps (2a); paper bound n/log n",
        ),
        Number.make(
            "sim.tpeak_slope",
            f"fitted slope of t_peak vs ln n (c={cs:g})",
            st_,
            uncertainty=bt[0],
            ci_low=bt[1],
            ci_high=bt[2],
            predicted=tpeak_slope(cs),
            relation="=",
            source="d t_catapult / d ln n of the derived catapult time",
        ),
        Number.make(
            "sim.lazy_lam_drift_exponent",
            f"fitted exponent of n in |lambda_final - lambda0| (c={cl:g})",
            sl_,
            uncertainty=bl[0],
            ci_low=bl[1],
            ci_high=bl[2],
            predicted=pred["lazy_dlam_exponent"],
            relation="=",
            source="power of n in lambda' - lambda of the derived map",
        ),
    ]
    bar.update()
    bar.close()
    return {
        "files": [f.data for f in figures],
        "figures": [f.__dict__ for f in figures],
        "numbers": [x.to_dict() for x in numbers],
        "engine": "catapultlab._reproduce._uv (numpy, theory numeric_map)",
    }
