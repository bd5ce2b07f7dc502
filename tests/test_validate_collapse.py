"""Dead networks are their own outcome ("collapsed"), not a catapult.

A ReLU MLP without biases whose first layer is zero is dead: every hidden
pre-activation is 0, ``relu'(0) = 0`` in JAX, so ``f = 0`` and the Jacobian is 0.
The reference is the explicit Jacobian; the check is that a run with a catapult-
shaped loss (rises, then ends below ``L_0``) is called ``collapsed`` when its final
``lambda`` is the dead net's and ``catapult`` when it is the live net's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catapultlab.validate import OUTCOMES, SweepConfig, mlp, top_ntk_eigenvalue
from catapultlab.validate._sweep import _summarise
from catapultlab.validate._train import TrainResult


@pytest.fixture(scope="module")
def nets():
    net = mlp(inputs=6, outputs=3, depth=2, width=16, act="relu")
    live = net.init(jax.random.PRNGKey(0))
    dead = [dict(layer) for layer in live]
    dead[0]["W"] = jnp.zeros_like(dead[0]["W"])
    x = jax.random.normal(jax.random.PRNGKey(1), (12, 6))
    return net, live, dead, x


def _run(lams: list[float], eta: float) -> TrainResult:
    # catapult-shaped loss: rises to 5 L_0 at step 2, ends at 0.5 L_0
    loss = np.array([1.0, 2.0, 5.0, 1.5, 0.8, 0.6, 0.5])
    steps = np.array([0, 3, 6])
    return TrainResult(
        eta=eta,
        loss=loss,
        train_acc=np.full(loss.size, 0.1),
        measure_steps=steps,
        lam=np.asarray(lams),
        lam_residual=np.zeros(3),
        test_acc=np.full(3, 0.1),
        diverged_at=None,
    )


def test_planted_dead_net_has_zero_ntk(nets):
    net, live, dead, x = nets
    jac = jax.jacobian(lambda p: net.apply(p, x).reshape(-1))(dead)
    assert all(float(jnp.max(jnp.abs(j))) == 0.0 for j in jax.tree_util.tree_leaves(jac))
    assert float(jnp.max(jnp.abs(net.apply(dead, x)))) == 0.0
    lam_live = top_ntk_eigenvalue(net.apply, live, x).value
    lam_dead = top_ntk_eigenvalue(net.apply, dead, x).value
    assert lam_live > 0 and lam_dead <= 1e-6 * lam_live


def test_dead_run_is_collapsed_not_catapult(nets):
    net, live, dead, x = nets
    lam0 = top_ntk_eigenvalue(net.apply, live, x).value
    lam_dead = top_ntk_eigenvalue(net.apply, dead, x).value
    cfg = SweepConfig()
    eta = 3.0 / lam0
    dead_run = _summarise(3.0, _run([lam0, 0.5 * lam0, lam_dead], eta), lam0, 1.0, cfg)
    live_run = _summarise(3.0, _run([lam0, 0.5 * lam0, 0.6 * lam0], eta), lam0, 1.0, cfg)
    assert dead_run.phase == "collapsed"
    assert live_run.phase == "catapult"
    assert dead_run.rose and live_run.rose  # both count for c_loss
    from catapultlab.phases import PHASE_NAMES

    assert OUTCOMES == PHASE_NAMES and "collapsed" in OUTCOMES  # one list of outcomes


def test_collapsed_code_in_netcdf_flags(nets):
    from catapultlab.io import cf_attributes
    from catapultlab.validate import SweepResult, sweep_to_xarray
    from catapultlab.validate._sweep import Boundary

    net, live, dead, x = nets
    lam0 = top_ntk_eigenvalue(net.apply, live, x).value
    tr = _run([lam0, 0.5 * lam0, 0.0], 3.0 / lam0)
    run = _summarise(3.0, tr, lam0, 1.0, SweepConfig())
    res = SweepResult(
        config=SweepConfig(c_values=(3.0,)), network="planted", lam0=lam0, lam0_residual=0.0,
        loss0=1.0, runs=(run,), trajectories=(tr,), c_loss=Boundary(None, None, "below"),
        c_sharp=Boundary(None, None, "above"), c_max=Boundary(None, None, "above"),
    )  # fmt: skip
    ds = cf_attributes(sweep_to_xarray(res))
    meanings = ds["phase"].attrs["flag_meanings"].split()
    assert meanings[int(ds["phase"].values[0])] == "collapsed"
    assert ds.attrs["phase_names"].split(",") == meanings
