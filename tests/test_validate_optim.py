"""optax directions: Adam's preconditioner, weight-decay modes, and the training path."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catapultlab.validate import OptimizerConfig, precision
from catapultlab.validate._optim import adam_preconditioner, direction


def test_adam_preconditioner_after_one_step_is_abs_gradient():
    # v_1 = (1 - b2) g^2, bias correction 1 - b2: v_hat = g^2, P = |g| + eps
    with precision("float64"):
        opt = OptimizerConfig(name="adam", momentum=0.9)
        params = {"w": jnp.array([1.0, -2.0, 3.0])}
        g = {"w": jnp.array([0.5, -4.0, 1e-3])}
        tx = direction(opt)
        state = tx.init(params)
        assert adam_preconditioner(opt, state) is None
        _, state = tx.update(g, state, params)
        pre = adam_preconditioner(opt, state)
        np.testing.assert_allclose(pre["w"], np.abs(g["w"]) + opt.eps, rtol=1e-12)


@pytest.mark.parametrize("mode", ["decoupled", "l2"])
def test_weight_decay_modes(mode):
    # momentum beta, decay K: after two steps the modes differ by where K theta enters
    beta, k = 0.5, 0.1
    with precision("float64"):
        theta = {"w": jnp.array([2.0])}
        g = {"w": jnp.array([1.0])}
        opt = OptimizerConfig(
            name="momentum", momentum=beta, weight_decay=k, weight_decay_mode=mode
        )
        tx = direction(opt)
        state = tx.init(theta)
        u1, state = tx.update(g, state, theta)
        u2, _ = tx.update(g, state, theta)
        if mode == "l2":  # b1 = g + K theta, b2 = beta b1 + g + K theta
            expect = (1 + beta) * (1.0 + k * 2.0)
        else:  # b2 = (1 + beta) g, then + K theta
            expect = (1 + beta) * 1.0 + k * 2.0
        assert float(u1["w"][0]) == pytest.approx(1.0 + k * 2.0)
        assert float(u2["w"][0]) == pytest.approx(expect)


def test_adam_training_records_preconditioned_sharpness():
    from catapultlab.validate import load_dataset, make_network
    from catapultlab.validate._train import train

    data = load_dataset("digits", train_size=24, test_size=16, seed=0)
    net = make_network(
        "mlp", image_shape=data.image_shape, outputs=10, depth=1, width=8, act="tanh"
    )
    params = net.init(jax.random.PRNGKey(0), jnp.float32)
    res = train(
        net,
        params,
        data,
        eta=1e-3,
        steps=4,
        measure_count=3,
        optimizer=OptimizerConfig(name="adam"),
        sharpness="hessian",
    )
    assert res.sharpness.shape == res.precond_sharpness.shape == res.measure_steps.shape
    assert np.isnan(res.precond_sharpness[0]) and np.all(np.isfinite(res.precond_sharpness[1:]))
    # P ~ |g| << 1 here: preconditioning enlarges the operator
    assert np.all(res.precond_sharpness[1:] > res.sharpness[1:])
