"""A JAX linear network and the theory layer's full-model block map, step by step."""

from __future__ import annotations

import numpy as np
import pytest

from catapultlab.validate import compare_linear_network_with_map


class _GramModel:
    """Independent test double of the block map (:func:`lm.block_model`): the Gram matrix of
    the columns of ``[U v]`` evolves as ``G' = M^T G M`` under GD (derived by hand here)."""

    def __init__(self, inputs: int, samples: int, step: object = None) -> None:
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
    import catapultlab.validate._linear_map as lm

    x, y = _data()
    monkeypatch.setattr(lm, "block_model", lambda opt: _GramModel(x.shape[1], x.shape[0]))
    res = compare_linear_network_with_map(x, y, width=256, c=c, steps=60, seed=0)
    _check(res, c)
    _phase_expectation(res, c)


@pytest.mark.parametrize("c", [1.0, 3.0, 5.0])
def test_network_matches_the_block_map(c):
    x, y = _data()
    res = compare_linear_network_with_map(x, y, width=256, c=c, steps=60, seed=0)
    _check(res, c)


def test_network_matches_the_block_map_at_digits_size():
    """d = 64 inputs, m = 256 samples (the digits data's size), float64, through a catapult."""
    from catapultlab.validate import load_dataset

    data = load_dataset("digits", train_size=256, test_size=16, seed=0)
    res = compare_linear_network_with_map(
        data.x_train, data.y_train[:, 0], width=256, c=3.0, steps=25, seed=0
    )
    assert data.x_train.shape == (256, 64) and not res.stopped_early
    _check(res, 3.0)
    assert res.lam_net[-1] < 0.9 * res.lam_net[0]  # the NTK fell: a catapult, matched


class _HeavyBallDouble:
    """Hand-written heavy ball / Nesterov in parameter space (trace' = beta trace + grad,
    theta' = theta - eta * (trace' or grad + beta trace')): an independent reference for
    the network's optax path."""

    def __init__(self, inputs: int, samples: int, beta: float, nesterov: bool) -> None:
        self.d, self.m, self.beta, self.nesterov = inputs, samples, beta, nesterov

    def gram_from_params(self, u, v):
        return (u.copy(), v.copy(), np.zeros_like(u), np.zeros_like(v))

    def observe(self, state, *, n, x):
        u, v = state[:2]
        f = x @ u.T @ v / np.sqrt(n * self.d)
        ntk = (v @ v * x @ x.T + x @ u.T @ u @ x.T) / (n * self.d * self.m)
        return f, ntk

    def step(self, state, *, eta, n, x, y):
        u, v, bu, bv = state
        s = np.sqrt(n * self.d)
        gx = x.T @ (x @ u.T @ v / s - y) / (self.m * s)
        grads = (np.outer(v, gx), u @ gx)
        new_b = [self.beta * b + g for b, g in zip((bu, bv), grads, strict=True)]
        if self.nesterov:
            steps = [g + self.beta * b for g, b in zip(grads, new_b, strict=True)]
        else:
            steps = new_b
        return (u - eta * steps[0], v - eta * steps[1], *new_b)


@pytest.mark.parametrize(("name", "beta", "c"), [("momentum", 0.5, 1.5), ("nesterov", 0.9, 0.5)])
def test_optax_momentum_network_matches_hand_written_heavy_ball(monkeypatch, name, beta, c):
    import catapultlab.validate._linear_map as lm
    from catapultlab.validate import OptimizerConfig

    x, y = _data()
    double = _HeavyBallDouble(x.shape[1], x.shape[0], beta, name == "nesterov")
    monkeypatch.setattr(lm, "block_model", lambda opt: double)
    monkeypatch.setattr(lm, "map_stepper", lambda model, opt: model.step)
    opt = OptimizerConfig(name=name, momentum=beta)
    res = compare_linear_network_with_map(x, y, width=64, c=c, steps=40, seed=0, optimizer=opt)
    _check(res, c)
    # momentum really acts: plain GD from the same start gives another trajectory
    gd = compare_linear_network_with_map(x, y, width=64, c=c, steps=40, seed=0)
    assert np.max(np.abs(gd.f_net[5] - res.f_net[5])) > 1e-3


@pytest.mark.parametrize(("name", "beta", "c"), [("momentum", 0.5, 2.5), ("nesterov", 0.9, 1.2)])
def test_optax_momentum_network_matches_the_derived_momentum_map(name, beta, c):
    from catapultlab.validate import OptimizerConfig

    x, y = _data()
    opt = OptimizerConfig(name=name, momentum=beta)
    res = compare_linear_network_with_map(x, y, width=64, c=c, steps=30, seed=0, optimizer=opt)
    _check(res, c)


def test_adam_has_no_derived_map():
    from catapultlab import CatapultError
    from catapultlab.validate import OptimizerConfig

    x, y = _data()
    with pytest.raises(CatapultError, match="not in this build"):
        compare_linear_network_with_map(
            x, y, width=8, c=1.0, steps=2, optimizer=OptimizerConfig(name="adam")
        )


@pytest.mark.parametrize(
    "sampling", ["shuffle", pytest.param("with-replacement", marks=pytest.mark.slow)]
)
def test_sgd_network_and_block_map_share_batches(sampling):
    """SGD with B = 32 at the digits data's size: the JAX network and the block map take the
    same batch at every step and stay together through the spikes."""
    from catapultlab.batches import BatchRule
    from catapultlab.validate import load_dataset

    data = load_dataset("digits", train_size=256, test_size=16, seed=0)
    res = compare_linear_network_with_map(
        data.x_train, data.y_train[:, 0], width=128, c=2.5, steps=16, seed=1,
        batch=BatchRule(32, sampling),
    )  # fmt: skip
    _check(res, 2.5)
    full = compare_linear_network_with_map(
        data.x_train, data.y_train[:, 0], width=128, c=2.5, steps=16, seed=1
    )
    assert np.abs(full.f_net[10] - res.f_net[10]).max() > 1e-3  # the batches acted
