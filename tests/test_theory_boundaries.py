"""Derived boundaries against numerical evidence from the map itself."""

from __future__ import annotations

import numpy as np
import sympy as sp

from catapultlab.theory import LAM0, F, uv_model
from catapultlab.theory._boundaries import C


def test_boundaries_are_learning_rates_in_lam0() -> None:
    b = uv_model().boundaries
    assert sp.simplify(b["lazy_catapult"] * LAM0) == 2
    assert sp.simplify(b["catapult_divergent"] * LAM0) == 4


def test_lazy_catapult_agrees_with_multiplier_sign_change() -> None:
    """|d f'/d f| - 1 at the fixed point f = y changes sign exactly at the derived c."""
    model = uv_model()
    c_star = float(model.boundaries["lazy_catapult"] * LAM0)
    deriv = sp.diff(model.maps[F], F)
    fun = sp.lambdify(model.state + model.params, deriv)
    lam, n, y = 1.7, 1000.0, 0.3
    for c in np.linspace(0.1, 3.9, 39):
        sign = np.sign(abs(fun(y, lam, c / lam, n, y)) - 1)
        assert sign == (-1 if c < c_star else 1) or abs(c - c_star) < 1e-9


def test_catapult_divergent_agrees_with_lambda_growth_at_large_f() -> None:
    model = uv_model()
    c_star = float(model.boundaries["catapult_divergent"] * LAM0)
    lam, n, y = 0.8, 400.0, 1.0
    for c in np.linspace(0.2, 7.8, 39):
        if abs(c - c_star) < 1e-9:
            continue
        f_big = 1e6 * np.sqrt(n)
        _, lam1 = model.step(np.array([f_big, lam]), eta=c / lam, n=n, y=y)
        assert np.sign(lam1 - lam) == (-1 if c < c_star else 1)


def test_width_drops_out_under_sqrt_n_scaling() -> None:
    s = uv_model().scalar
    assert s.scaling_exponent == sp.Rational(1, 2)
    assert all(not e.has(sp.Symbol("n", positive=True)) for e in s.scaled_maps.values())


def _iterate(model, f0: float, lam0: float, c: float, n: float, steps: int) -> np.ndarray:
    state = np.array([f0, lam0])
    fs = [f0]
    for _ in range(steps):
        state = model.step(state, eta=c / lam0, n=n, y=0.0)
        fs.append(state[0])
    return np.abs(np.array(fs))


def test_lazy_phase_lambda_moves_like_one_over_n() -> None:
    """|lam_T - lam_0| = O(1/n) in the lazy phase: the fitted log-log slope is -1."""
    model = uv_model()
    ns = np.array([1e2, 1e3, 1e4, 1e5])
    rng = np.random.default_rng(0)
    shifts = []
    for n in ns:
        deltas = []
        for _ in range(20):
            # the paper's init, sampled exactly: u.v/sqrt(n) ~ O(1), lam ~ 2
            u, v = rng.standard_normal(int(n)), rng.standard_normal(int(n))
            state = model.gram_from_params(u[:, None], v)
            lam0 = state[1]
            for _ in range(300):
                state = model.step(state, eta=1.0 / lam0, n=n, y=0.0)
            deltas.append(abs(state[1] - lam0))
        shifts.append(np.mean(deltas))
    slope = np.polyfit(np.log(ns), np.log(shifts), 1)[0]
    assert abs(slope + 1) < 0.1, slope


def test_catapult_time_matches_iterated_map() -> None:
    """t_peak grows like log(n) / (2 log|c - 1|), the derived leading order."""
    model = uv_model()
    c = 3.0
    coefficient = float(
        model.scalar.catapult_time.subs(C, c) / sp.log(sp.Symbol("n", positive=True))
    )
    ns = np.logspace(3, 11, 9)
    peaks = [np.argmax(_iterate(model, 1.0, 1.0, c, n, 200)) for n in ns]
    slope = np.polyfit(np.log(ns), peaks, 1)[0]
    assert abs(slope / coefficient - 1) < 0.1, (slope, coefficient)
