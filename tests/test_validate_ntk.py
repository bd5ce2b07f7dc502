"""Matrix-free top NTK eigenvalue vs the explicit-Jacobian reference (float64)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catapultlab.validate import cnn, explicit_ntk, mlp, precision, resnet, top_ntk_eigenvalue


def _nets():
    return {
        "mlp": lambda: mlp(inputs=12, outputs=3, depth=2, width=24, act="tanh"),
        "mlp_relu_standard": lambda: mlp(
            inputs=12, outputs=3, depth=3, width=16, act="relu", param="standard"
        ),
        "cnn": lambda: cnn(image_shape=(3, 4, 1), outputs=3, depth=2, width=4, act="relu"),
        "resnet": lambda: resnet(image_shape=(3, 4, 1), outputs=3, depth=1, width=4, act="gelu"),
    }


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "resnet" else n for n in _nets()]
)  # the matvec is one code path for every apply; resnet's compile runs with -m slow
def test_matrix_free_matches_explicit(name):
    with precision("float64") as dt:
        net = _nets()[name]()
        params = net.init(jax.random.PRNGKey(1), dt)
        x = jnp.asarray(np.random.RandomState(0).standard_normal((10, 12)), dt)
        theta = explicit_ntk(net.apply, params, x)
        ref = np.linalg.eigvalsh(theta)[-1]
        eig = top_ntk_eigenvalue(net.apply, params, x, block_size=3)  # N = 30 > 5b: LOBPCG path
        assert eig.value == pytest.approx(ref, rel=1e-8)
        assert eig.residual < 1e-6
        # the matvec itself equals Theta @ V
        from catapultlab.validate._ntk import ntk_block_matvec

        v = np.random.RandomState(2).standard_normal((30, 2))
        got = np.asarray(ntk_block_matvec(net.apply)(params, x, jnp.asarray(v, dt)))
        np.testing.assert_allclose(got, theta @ v, rtol=1e-10, atol=1e-12)


def test_warm_start_needs_fewer_matvecs_and_linear_net_closed_form():
    # one-hidden-layer linear net: Theta_ab = (|v|^2 x_a.x_b + x_a^T U^T U x_b) / (n d m)
    with precision("float64") as dt:
        n, d, m = 40, 6, 20
        net = mlp(inputs=d, outputs=1, depth=1, width=n, act="linear")
        params = net.init(jax.random.PRNGKey(3), dt)
        x = np.random.RandomState(4).standard_normal((m, d))
        u, v = np.asarray(params[0]["W"]), np.asarray(params[1]["W"][0])
        theta = (v @ v * x @ x.T + x @ u.T @ u @ x.T) / (n * d * m)
        cold = top_ntk_eigenvalue(net.apply, params, jnp.asarray(x, dt), block_size=2)
        assert cold.value == pytest.approx(np.linalg.eigvalsh(theta)[-1], rel=1e-8)
        warm = top_ntk_eigenvalue(
            net.apply, params, jnp.asarray(x, dt), block_size=2, warm_start=cold.block
        )
        assert warm.matvecs < cold.matvecs
        assert warm.value == pytest.approx(cold.value, rel=1e-8)


def test_lam_t_tolerance_and_product_shapes():
    """lambda_t's looser residual (LAM_T_RTOL) with a scale hint still matches the
    explicit float32-sized reference far inside the 5% thresholds it feeds; products
    only ever see 1 or a multiple of b columns."""
    from catapultlab.validate._ntk import ntk_block_matvec, top_eigen
    from catapultlab.validate._train import LAM_T_RTOL

    net = mlp(inputs=12, outputs=3, depth=2, width=32, act="relu")
    params = net.init(jax.random.PRNGKey(3))
    x = jnp.asarray(np.random.RandomState(0).standard_normal((20, 12)), jnp.float32)
    ref = float(np.linalg.eigvalsh(explicit_ntk(net.apply, params, x))[-1])
    cold = top_ntk_eigenvalue(net.apply, params, x)
    widths: set[int] = set()
    mv = ntk_block_matvec(net.apply)

    def product(v):
        widths.add(int(v.shape[1]))
        return mv(params, x, v)

    warm = top_eigen(
        product,
        60,
        jnp.float32,
        warm_start=cold.block,
        rtol=LAM_T_RTOL["float32"],
        scale=cold.value,
    )
    assert warm.value == pytest.approx(ref, rel=1e-4)
    assert warm.residual < 10 * LAM_T_RTOL["float32"]
    assert widths and all(w == 1 or w % 4 == 0 for w in widths)
    assert 1 in widths  # the final residual is a single-column product, not a padded block
