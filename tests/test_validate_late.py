"""validate's learning-rate schedules (optax, the map's convention) and late-time behaviour.

References: :meth:`catapultlab.theory.Schedule.factor` (the kernel's convention), a
hand-made training record with a known period, and one exact GD step of a linear model.
"""

from __future__ import annotations

import numpy as np
import pytest

from catapultlab.theory import Schedule
from catapultlab.validate._optim import rate_factor
from catapultlab.validate._sweep import _late_time
from catapultlab.validate._train import TrainResult


@pytest.mark.parametrize(
    "schedule",
    [Schedule("warmup", 1), Schedule("warmup", 7), Schedule("cosine", 9), Schedule()],
)
def test_optax_schedules_follow_the_maps_convention(schedule):
    t = np.arange(30)
    optax_values = np.array([float(rate_factor(schedule)(k)) for k in t])
    # optax computes in float32
    np.testing.assert_allclose(optax_values, schedule.factor(t), rtol=1e-6, atol=1e-7)


def _record(loss, lam, steps):
    return TrainResult(
        eta=0.5,
        loss=np.asarray(loss, dtype=float),
        train_acc=np.zeros(len(loss)),
        measure_steps=np.arange(steps - len(lam) + 1, steps + 1),
        lam=np.asarray(lam, dtype=float),
        lam_residual=np.zeros(len(lam)),
        test_acc=np.zeros(len(lam)),
        diverged_at=None,
    )


def test_late_time_period_and_band():
    steps = 40
    loss = [1.0] * 25 + [0.2, 0.3] * 8  # ends on a 2-cycle
    lam = [3.0, 5.0, 3.0, 5.0, 3.0, 5.0, 3.0, 5.0]
    late = _late_time(_record(loss[: steps + 1], lam, steps), steps, 8)
    assert late["loss_period"] == 2 and late["lam_period"] == 2
    assert late["eta_lam_band"] == (1.5, 2.5)
    settled = _late_time(_record([1.0] * (steps + 1), [4.0] * 8, steps), steps, 8)
    assert settled["loss_period"] == 1 and settled["lam_period"] == 1
    drifting = np.geomspace(1.0, 1e-3, steps + 1)  # still converging by 17% a step
    assert _late_time(_record(drifting, [4.0] * 8, steps), steps, 8)["loss_period"] == 0


def test_warmup_scales_each_step_as_the_map_does():
    import jax.numpy as jnp

    from catapultlab.validate._data import Dataset
    from catapultlab.validate._nets import Network
    from catapultlab.validate._precision import precision
    from catapultlab.validate._train import train

    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    data = Dataset("toy", x, y, x, y, (1, 2, 1))
    net = Network("linear", lambda key, dtype: None, lambda p, xs: xs @ p["w"], 2)
    w0 = np.array([[0.3, -0.2], [0.1, 0.4]])
    eta, T = 0.2, 3
    with precision("float64"):
        res = train(
            net,
            {"w": jnp.asarray(w0, dtype=jnp.float64)},
            data,
            eta=eta,
            steps=5,
            keep_params=True,
            schedule=Schedule("warmup", T),
            measure_count=2,
        )
    w = w0.copy()
    for t in range(5):  # mse_loss = mean over samples of |out - y|^2 / 2
        grad = x.T @ (x @ w - y) / len(x)
        w = w - eta * min(1.0, (t + 1) / T) * grad
    np.testing.assert_allclose(np.asarray(res.params["w"]), w, rtol=1e-12)
