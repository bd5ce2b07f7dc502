"""float32 and float64 runs are the same network; the explicit NTK refuses oversized jobs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catapultlab import CatapultError
from catapultlab.validate import (
    cnn,
    explicit_ntk,
    explicit_ntk_bytes,
    mlp,
    precision,
    top_ntk_eigenvalue,
)


def _lam0(net, dtype_name, x):
    with precision(dtype_name) as dt:
        params = net.init(jax.random.PRNGKey(0), dt)
        leaves = [np.asarray(a, dtype=np.float64) for a in jax.tree_util.tree_leaves(params)]
        lam = top_ntk_eigenvalue(net.apply, params, jnp.asarray(x, dt)).value
    return leaves, lam


@pytest.mark.parametrize(
    "make",
    [
        lambda: mlp(inputs=16, outputs=3, depth=2, width=32, act="relu"),
        lambda: cnn(image_shape=(4, 4, 1), outputs=3, depth=1, width=4),
    ],
)
def test_float64_is_the_float32_network(make):
    net = make()
    x = np.random.RandomState(1).standard_normal((20, 16))
    w32, lam32 = _lam0(net, "float32", x)
    w64, lam64 = _lam0(net, "float64", x)
    for a, b in zip(w32, w64, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=0)
    # float32 rounding in the kernel products: a few hundred ulps of float32
    assert lam64 == pytest.approx(lam32, rel=300 * float(np.finfo(np.float32).eps))


def test_explicit_ntk_refuses_past_memory_limit():
    net = cnn(image_shape=(8, 8, 1), outputs=10, depth=2, width=8)
    with precision("float64") as dt:
        params = net.init(jax.random.PRNGKey(0), dt)
        x = jnp.zeros((16, 64), dt)
        need = explicit_ntk_bytes(net.apply, params, x)
        # lower bound: the (N, P) Jacobian alone, N = 16 * 10 outputs, 8 bytes each
        n_params = sum(a.size for a in jax.tree_util.tree_leaves(params))
        assert need > 160 * n_params * 8
        with pytest.raises(CatapultError, match="GiB"):
            explicit_ntk(net.apply, params, x, max_bytes=need - 1)
        theta = explicit_ntk(net.apply, params, x, max_bytes=need)
        assert theta.shape == (160, 160)
