"""The derived maps against exact parameter-space gradient descent, and their invariants."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from _tolerance import step_rtol
from hypothesis import given, settings
from hypothesis import strategies as st

from catapultlab.theory import (
    ETA,
    LAM,
    WIDTH,
    F,
    NotClosedError,
    deep_linear_spec,
    derive_gram,
    full_model,
    uv_model,
)
from catapultlab.theory._specs import Y


def gd_step_uv(u: np.ndarray, v: np.ndarray, eta: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """One plain GD step on L = (f - y)^2 / 2, f = u.v / sqrt(n), by the chain rule."""
    n = u.size
    r = u @ v / np.sqrt(n) - y
    return u - eta * r * v / np.sqrt(n), v - eta * r * u / np.sqrt(n)


def gd_step_full(U: np.ndarray, v: np.ndarray, X: np.ndarray, Y_: np.ndarray, eta: float):
    """One GD step on L = (1/2m) sum (v^T U x_a / sqrt(n d) - y_a)^2."""
    n, d = U.shape
    m = X.shape[0]
    s = np.sqrt(n * d)
    r = (X @ (U.T @ v)) / s - Y_
    grad_v = (U @ (X.T @ r)) / (m * s)
    grad_U = np.outer(v, X.T @ r) / (m * s)
    return U - eta * grad_U, v - eta * grad_v


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 400),
    eta=st.floats(0.01, 3.0),
    y=st.floats(-3.0, 3.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_uv_map_equals_parameter_gd(n: int, eta: float, y: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    model = uv_model()
    state = model.gram_from_params(u[:, None], v)
    u1, v1 = gd_step_uv(u, v, eta, y)
    expected = model.gram_from_params(u1[:, None], v1)
    got = model.step(state, eta=eta, n=float(n), y=y)
    scale = np.abs(expected) + np.abs(state) + 1e-300
    assert np.all(np.abs(got - expected) <= step_rtol() * 10 * scale)


@pytest.mark.parametrize("d,m", [(1, 1), (1, 2), (2, 2), (2, 3), (3, 2)])
def test_full_map_equals_parameter_gd(d: int, m: int) -> None:
    model = full_model(d, m)
    assert model.closed
    rng = np.random.default_rng(100 * d + m)
    for trial in range(4):
        n = int(rng.integers(1, 300))
        U, v = rng.standard_normal((n, d)), rng.standard_normal(n)
        X, Y_ = rng.standard_normal((m, d)), rng.standard_normal(m)
        eta = float(rng.uniform(0.05, 2.0))
        state = model.gram_from_params(U, v)
        U1, v1 = gd_step_full(U, v, X, Y_, eta)
        expected = model.gram_from_params(U1, v1)
        got = model.step(state, eta=eta, n=float(n), x=X, y=Y_)
        scale = np.abs(expected).max() + np.abs(state).max()
        np.testing.assert_allclose(
            got, expected, rtol=0, atol=step_rtol() * 100 * scale, err_msg=f"{trial}"
        )
        # the observables of the state are the network's outputs and (1/m) J J^T
        f, ntk = model.observe(state, n=float(n), x=X)
        s = np.sqrt(n * d)
        np.testing.assert_allclose(f, X @ (U.T @ v) / s, rtol=1e-10, atol=1e-12)
        J = np.concatenate(
            [
                np.stack([np.kron(np.eye(1), np.outer(v, X[a]) / s).ravel() for a in range(m)]),
                (X @ U.T) / s,
            ],
            axis=1,
        )
        np.testing.assert_allclose(ntk, J @ J.T / m, rtol=1e-10, atol=1e-12)


def test_uv_reduces_to_paper_eq2_at_zero_label() -> None:
    model = uv_model()
    f, lam, eta, n = F, LAM, ETA, WIDTH
    paper_f = (1 - eta * lam + eta**2 * f**2 / n) * f
    paper_lam = lam + (eta * f**2 / n) * (eta * lam - 4)
    assert sp.expand(model.maps[F].subs(Y, 0) - paper_f) == 0
    assert sp.expand(model.maps[LAM].subs(Y, 0) - paper_lam) == 0


def test_uv_symmetry_f_y_sign_flip() -> None:
    model = uv_model()
    flip = {F: -F, Y: -Y}
    assert sp.expand(model.maps[F].xreplace(flip) + model.maps[F]) == 0
    assert sp.expand(model.maps[LAM].xreplace(flip) - model.maps[LAM]) == 0


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 10**6),
    lam=st.floats(0.01, 10.0),
    frac=st.floats(-1.0, 1.0),
    c=st.floats(0.01, 6.0),
    y=st.floats(-5.0, 5.0),
)
def test_reachable_state_is_preserved(n: int, lam: float, frac: float, c: float, y: float) -> None:
    """|f| <= sqrt(n) lam / 2 holds for every real (u, v); one step keeps it."""
    model = uv_model()
    f = frac * np.sqrt(n) * lam / 2
    f1, lam1 = model.step(np.array([f, lam]), eta=c / lam, n=float(n), y=y)
    if np.isfinite(f1) and np.isfinite(lam1):
        assert abs(f1) <= np.sqrt(n) * lam1 / 2 * (1 + 1e-9) + 1e-12


def test_deep_linear_model_has_no_closed_state() -> None:
    with pytest.raises(NotClosedError) as err:
        derive_gram(deep_linear_spec())
    assert err.value.missing, "the error must name the missing inner products"
    assert all("W" in name for name in err.value.missing)
    assert "W" in str(err.value)


def test_full_model_reports_ntk_does_not_close_but_f_does() -> None:
    model = full_model(2, 2)
    miss = {s.name: m for s, m in model.projection.missing.items()}
    assert all(not miss[f"f_{a}"] for a in (1, 2))
    assert any(miss[k] for k in miss if k.startswith("ntk"))
    assert len(model.state) == 6  # Gram of (u1, u2, v)
    assert full_model(1, 1).projection.closed  # d = m = 1 is the uv model
