"""CF-style ``long_name`` / ``units`` attributes for every variable catapultlab writes.

One table names each quantity once; derived names follow suffix rules (``_lo``,
``_hi``, ``_se``, ``_below_grid``, ``_above_grid``, ``fit_`` and
``<label>_`` prefixes). Every quantity here is dimensionless (losses of
dimensionless labels, fractions, learning rate times NTK) or a count of gradient
steps, so ``units`` is ``"1"`` throughout (the CF spelling of "dimensionless") and
the long name says what is counted. Phase codes carry ``flag_values`` and
``flag_meanings`` from :data:`catapultlab.phases.PHASE_NAMES`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QUANTITIES", "describe", "cf_attributes"]

QUANTITIES: dict[str, str] = {
    # coordinates
    "c": "control parameter c = eta * lambda_0",
    "n": "width n",
    "y": "label y",
    "quantile": "quantile level over the converged trajectories",
    "c_fit": "c of the width-scaling fits",
    "step": "gradient step",
    "run": "run",
    "key": "number key",
    "member": "ensemble member",
    "sample": "training sample",
    # sweeps
    "p_lazy": "fraction of trajectories in the lazy phase",
    "p_catapult": "fraction of trajectories in the catapult phase",
    "p_divergent": "fraction of trajectories in the divergent phase",
    "p_unresolved": "fraction of trajectories unresolved within the step budget",
    "p_oscillating": "fraction of trajectories settled on a periodic or aperiodic orbit",
    "p_collapsed": "fraction of trajectories whose top NTK eigenvalue collapsed",
    "p_rise": "fraction of trajectories whose loss rose above its initial value",
    "eta_lam_final": "eta * lambda at the end of converged trajectories",
    "peak_loss_over_n": "peak loss / n of converged trajectories",
    "t_peak": "gradient step of the peak loss",
    "catapult_median_peak_loss": "median peak loss of catapult trajectories",
    "catapult_median_t_peak": "median gradient step of the peak loss, catapult trajectories",
    "c_divergent": "c where half the trajectories diverge",
    "c_loss_rises": "c where half the trajectories' losses rise",
    "c_catapult": "deprecated alias of c_loss_rises (removed in 0.2)",
    "divergent_intervals": "intervals of c where at least half the trajectories diverge",
    "interval": "interval",
    "end": "interval end (0 lower, 1 upper)",
    "peak_exponent": "exponent b of peak_loss = A n^b",
    "peak_prefactor": "prefactor A of peak_loss = A n^b",
    "tpeak_slope": "slope b of t_peak = a + b ln n",
    "tpeak_intercept": "intercept a of t_peak = a + b ln n",
    # trajectories (sim and validate)
    "f": "network output f",
    "lam": "top NTK eigenvalue lambda",
    "eta": "learning rate eta",
    "eta_lam": "eta * lambda",
    "loss": "training loss",
    "train_acc": "training accuracy",
    "test_acc": "test accuracy",
    "lam_residual": "relative residual of the lambda eigen-solve",
    "steps_taken": "gradient steps taken",
    "phase": "phase code",
    "measured_phase": "measured phase",
    "median_peak_loss": "median peak loss",
    "median_t_peak": "median gradient step of the peak loss",
    "mean_log_lazy_lam_drift": "mean log |lambda_final - lambda_0| / lambda_0, lazy runs",
    "lazy_lam_drift": "|lambda_final - lambda_0| / lambda_0, lazy runs",
    "catapult_fraction": "fraction of trajectories in the catapult phase",
    "lazy_fraction": "fraction of trajectories in the lazy phase",
    "peak_loss": "peak loss",
    "f_net": "output f of the real network",
    "f_map": "output f of the exact map",
    "lam_net": "lambda of the real network",
    "lam_map": "lambda of the exact map",
    "max_rel_deviation": "largest relative deviation network vs map",
    "loss_period": "late-time period of the loss (1 settled, 0 aperiodic)",
    "lam_period": "late-time period of lambda_t (1 settled, 0 aperiodic)",
    "eta_lam_band_low": "lowest eta * lambda_t over the late window",
    "eta_lam_band_high": "highest eta * lambda_t over the late window",
    # reproduce numbers
    "measured": "measured value",
    "uncertainty": "one standard error of the measured value",
    "ci_low": "lower end of the 95% interval",
    "ci_high": "upper end of the 95% interval",
    "predicted": "predicted value",
    "tolerance": "allowed deviation of an exact prediction (round-off)",
    "agrees": "prediction agrees (-1 not compared, 0 no, 1 yes)",
    "quantity": "quantity",
}

_SUFFIXES = {
    "_lo": "lower end of the 95% interval of {}",
    "_hi": "upper end of the 95% interval of {}",
    "_se": "standard error of {}",
    "_below_grid": "1 where {} lies below the c grid",
    "_above_grid": "1 where {} lies above the c grid",
    "_rank_error": "largest rank error of the histogram quantile of {}",
}


def describe(name: str) -> str | None:
    """The long name of a variable, or ``None`` if the table does not know it.

    Example:
        >>> describe("c_divergent_se")
        'standard error of c where half the trajectories diverge'
        >>> describe("fit_tpeak_slope_hi")
        'upper end of the 95% interval of slope b of t_peak = a + b ln n'
    """
    if name in QUANTITIES:
        return QUANTITIES[name]
    for suffix, pattern in _SUFFIXES.items():
        if name.endswith(suffix):
            base = describe(name[: -len(suffix)])
            return None if base is None else pattern.format(base)
    if name.startswith("fit_"):
        return describe(name[4:])
    head, _, rest = name.partition("_")
    if rest and rest in QUANTITIES:  # "<label>_quantity", e.g. relu_test_acc, relu_c
        base = describe(rest)
        return None if base is None else f"{base} ({head})"
    return None


def cf_attributes(ds: Any) -> Any:
    """``ds`` with ``long_name`` and ``units`` on every variable the table knows.

    Attributes already set are kept. Phase-code variables (integer ``phase``) get
    ``flag_values`` / ``flag_meanings``.
    """
    import numpy as np

    from catapultlab.phases import PHASE_NAMES

    for name in list(ds.variables):
        var = ds[name]
        long_name = describe(str(name))
        if long_name is None:
            continue
        var.attrs.setdefault("long_name", long_name)
        if var.dtype.kind in "biuf":
            var.attrs.setdefault("units", "1")
        if str(name).endswith("phase") and var.dtype.kind in "iu":
            var.attrs.setdefault("flag_values", np.arange(len(PHASE_NAMES), dtype=var.dtype))
            var.attrs.setdefault("flag_meanings", " ".join(PHASE_NAMES))
    return ds
