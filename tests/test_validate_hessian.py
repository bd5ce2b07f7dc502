"""Matrix-free Hessian sharpness against an explicit float64 Hessian."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catapultlab.validate import (
    explicit_hessian,
    explicit_ntk,
    mlp,
    precision,
    top_hessian_eigenvalue,
)
from catapultlab.validate._hessian import hessian_block_matvec


def _setup(act="tanh", param="standard"):
    net = mlp(inputs=5, outputs=2, depth=2, width=6, act=act, param=param)
    rng = np.random.RandomState(0)
    return net, rng.standard_normal((7, 5)), rng.standard_normal((7, 2))


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_hvp_sharpness_matches_explicit_hessian(act):
    with precision("float64") as dt:
        net, x, y = _setup(act)
        params = net.init(jax.random.PRNGKey(2), dt)
        xj, yj = jnp.asarray(x, dt), jnp.asarray(y, dt)
        hess = explicit_hessian(net.apply, params, xj, yj)
        assert np.allclose(hess, hess.T, atol=1e-12)
        w = np.linalg.eigvalsh(hess)
        assert w[0] < 0  # away from a minimum H is indefinite: a different operator from Theta
        eig = top_hessian_eigenvalue(net.apply, params, xj, yj, block_size=2)
        assert eig.value == pytest.approx(w[-1], rel=1e-8)
        assert eig.residual < 1e-6
        v = np.random.RandomState(3).standard_normal((hess.shape[0], 3))
        d = np.random.RandomState(4).uniform(0.5, 2.0, hess.shape[0])
        got = hessian_block_matvec(net.apply)(params, xj, yj, jnp.asarray(d), jnp.asarray(v))
        np.testing.assert_allclose(np.asarray(got), (d[:, None] * hess * d) @ v, atol=1e-10)
        pre = top_hessian_eigenvalue(net.apply, params, xj, yj, scale=d)
        assert pre.value == pytest.approx(np.linalg.eigvalsh(d[:, None] * hess * d)[-1], rel=1e-8)


def test_hessian_top_equals_ntk_top_at_zero_residual():
    # y = f(x): the residual term vanishes and H = J^T J / m shares Theta's spectrum
    with precision("float64") as dt:
        net, x, _ = _setup("tanh")
        params = net.init(jax.random.PRNGKey(5), dt)
        xj = jnp.asarray(x, dt)
        yj = net.apply(params, xj)
        lam = np.linalg.eigvalsh(explicit_ntk(net.apply, params, xj))[-1]
        s = top_hessian_eigenvalue(net.apply, params, xj, yj).value
        assert s == pytest.approx(lam, rel=1e-8)


def test_warm_start_reuses_block():
    with precision("float64") as dt:
        net, x, y = _setup("tanh")
        params = net.init(jax.random.PRNGKey(2), dt)
        xj, yj = jnp.asarray(x, dt), jnp.asarray(y, dt)
        cold = top_hessian_eigenvalue(net.apply, params, xj, yj, block_size=2)
        warm = top_hessian_eigenvalue(net.apply, params, xj, yj, warm_start=cold.block)
        assert warm.matvecs < cold.matvecs
        assert warm.value == pytest.approx(cold.value, rel=1e-8)
