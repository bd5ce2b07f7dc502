"""A JAX linear network and the theory layer's closed full-model map, step by step."""

from __future__ import annotations

import numpy as np
import pytest

from catapultlab.validate import compare_linear_network_with_map


class _GramModel:
    """Independent test double of ``catapultlab.theory.full_model``: the Gram matrix of
    the columns of ``[U v]`` evolves as ``G' = M^T G M`` under GD (derived by hand here)."""

    def __init__(self, inputs: int, samples: int) -> None:
        self.d, self.m = inputs, samples

    def gram_from_params(self, u, v):
        b = np.column_stack([u, v])
        return b.T @ b

    def _parts(self, g, n, x):
        d = self.d
        s = np.sqrt(n * d)
        f = x @ g[d, :d] / s
        ntk = (g[d, d] * x @ x.T + x @ g[:d, :d] @ x.T) / (n * d * self.m)
        return f, ntk, s

    def observe(self, g, *, n, x):
        f, ntk, _ = self._parts(g, n, x)
        return f, ntk

    def step(self, g, *, eta, n, x, y):
        d = self.d
        f, _, s = self._parts(g, n, x)
        gv = x.T @ (f - y) / (self.m * s)  # dL/dU = v gv^T, dL/dv = U gv
        mat = np.eye(d + 1)
        mat[d, :d] = -eta * gv  # u_j' = u_j - eta gv_j v
        mat[:d, d] = -eta * gv  # v' = v - eta sum_j gv_j u_j
        return mat.T @ g @ mat


def _data(m=6, d=4):
    rng = np.random.RandomState(7)
    return rng.standard_normal((m, d)), rng.standard_normal(m)


def _check(res, c):
    assert res.f_net.shape == res.f_map.shape and len(res.lam_net) == len(res.f_net) >= 4
    scale = np.maximum(np.abs(res.f_net).max(axis=1, keepdims=True), 1.0)
    np.testing.assert_allclose(res.f_net / scale, res.f_map / scale, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.lam_net, res.lam_map, rtol=1e-9)
    assert res.lam_net[0] * res.eta == pytest.approx(c)


def _phase_expectation(res, c):
    loss = 0.5 * np.mean((res.f_net - _data()[1]) ** 2, axis=1)
    if c < 2:
        assert not res.stopped_early and loss[-1] < loss[0]
    elif c < 4:
        assert not res.stopped_early and loss.max() > loss[0] and res.lam_net[-1] < res.lam_net[0]
    else:
        assert res.stopped_early


@pytest.mark.parametrize("c", [1.0, 3.0, 5.0])
def test_network_matches_independent_gram_map(monkeypatch, c):
    import catapultlab.theory as theory

    monkeypatch.setattr(theory, "full_model", _GramModel, raising=False)
    x, y = _data()
    res = compare_linear_network_with_map(x, y, width=256, c=c, steps=60, seed=0)
    _check(res, c)
    _phase_expectation(res, c)


@pytest.mark.parametrize("c", [1.0, 3.0, 5.0])
def test_network_matches_theory_full_model(c):
    x, y = _data()
    res = compare_linear_network_with_map(x, y, width=256, c=c, steps=60, seed=0)
    _check(res, c)
