"""Full-batch gradient descent and minibatch SGD with NTK tracking.

Loss (binding): ``L = (1/2m) sum_a |f(x_a) - y_a|^2`` (sum over the ``k`` outputs,
divided by the number ``m`` of samples in the batch), one-hot targets.
The learning rate is ``eta = c / lambda_0`` with ``lambda_0`` the top eigenvalue of
the empirical NTK on the full training set at initialisation (see
:mod:`catapultlab.validate._ntk`).

Recorded for a run of ``T`` steps: the full-training-set loss and train accuracy at
every step ``t = 0..T`` (for SGD an extra forward pass); ``lambda_t`` (with its
solver residual) and test accuracy on a log-spaced subset of steps that always
contains ``0`` and the last step. Training stops early once the loss is
non-finite or exceeds ``diverge_loss``. Precision: float32 by default; float64
runs are wrapped in ``jax.enable_x64(True)`` by the caller (see
:func:`catapultlab.validate._precision.precision`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from catapultlab.validate._data import Dataset
from catapultlab.validate._nets import Network
from catapultlab.validate._ntk import top_ntk_eigenvalue

__all__ = ["TrainResult", "mse_loss", "log_steps", "train"]


@dataclass(frozen=True)
class TrainResult:
    """One training run.

    Attributes:
        eta: learning rate.
        loss: ``(T_done + 1,)`` full-training-set losses, step 0 first.
        train_acc: ``(T_done + 1,)`` training accuracies.
        measure_steps: steps at which ``lam`` and ``test_acc`` were measured.
        lam: top NTK eigenvalue at ``measure_steps``.
        lam_residual: relative solver residual of each ``lam``.
        test_acc: test accuracy at ``measure_steps``.
        diverged_at: first step whose loss was non-finite or above ``diverge_loss`` (else ``None``).
        params: final parameters (``None`` if not kept).
    """

    eta: float
    loss: np.ndarray
    train_acc: np.ndarray
    measure_steps: np.ndarray
    lam: np.ndarray
    lam_residual: np.ndarray
    test_acc: np.ndarray
    diverged_at: int | None
    params: Any = None


def mse_loss(out: jax.Array, y: jax.Array) -> jax.Array:
    """``(1/2m) sum_a |out_a - y_a|^2``."""
    return 0.5 * jnp.sum((out - y) ** 2) / out.shape[0]


def log_steps(steps: int, count: int) -> np.ndarray:
    """About ``count`` log-spaced integer steps in ``[0, steps]``, always with 0 and ``steps``."""
    if steps <= 0:
        return np.array([0])
    grid = np.geomspace(1, steps, max(count - 1, 1))
    return np.unique(np.concatenate([[0], np.rint(grid).astype(int), [steps]]))


@functools.lru_cache(maxsize=64)
def _fns(apply: Any) -> tuple[Any, Any]:
    def stats(params, x, y):
        out = apply(params, x)
        acc = jnp.mean(jnp.argmax(out, 1) == jnp.argmax(y, 1))
        return mse_loss(out, y), acc

    def step(params, x, y, eta):
        def loss_fn(p):
            out = apply(p, x)
            return mse_loss(out, y), out

        (loss, out), g = jax.value_and_grad(loss_fn, has_aux=True)(params)
        acc = jnp.mean(jnp.argmax(out, 1) == jnp.argmax(y, 1))
        new = jax.tree_util.tree_map(lambda a, b: a - eta * b, params, g)
        return new, loss, acc

    return jax.jit(stats), jax.jit(step)


def train(
    net: Network,
    params: Any,
    data: Dataset,
    *,
    eta: float,
    steps: int,
    batch_size: int | None = None,
    seed: int = 0,
    diverge_loss: float = np.inf,
    measure_count: int = 25,
    block_size: int = 4,
    keep_params: bool = False,
) -> TrainResult:
    """Train ``net`` from ``params`` with GD (``batch_size=None``) or SGD.

    Args:
        net: the network.
        params: initial parameters; their dtype sets the precision.
        data: training and test data.
        eta: learning rate.
        steps: number of updates ``T``.
        batch_size: minibatch size; ``None`` or ``>= m`` means full batch.
        seed: seed of the SGD sampling order.
        diverge_loss: stop once the loss is non-finite or above this.
        measure_count: about how many log-spaced steps get ``lambda_t`` and test accuracy.
        block_size: LOBPCG block size for ``lambda_t``.
        keep_params: return the final parameters too.

    Returns:
        The recorded trajectory.
    """
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    x, y = jnp.asarray(data.x_train, dtype), jnp.asarray(data.y_train, dtype)
    xt, yt = jnp.asarray(data.x_test, dtype), jnp.asarray(data.y_test, dtype)
    m = x.shape[0]
    full = batch_size is None or batch_size >= m
    stats, step = _fns(net.apply)
    eta_j = jnp.asarray(eta, dtype)
    rng = np.random.RandomState(seed)
    measure = set(log_steps(steps, measure_count).tolist())
    losses, accs = [], []
    m_steps, lams, resids, taccs = [], [], [], []
    block = None
    diverged_at = None
    order = np.empty(0, dtype=int)
    for t in range(steps + 1):
        if full:
            if t < steps:
                new, loss, acc = step(params, x, y, eta_j)
            else:
                loss, acc = stats(params, x, y)
        else:
            loss, acc = stats(params, x, y)
        loss_f = float(loss)
        losses.append(loss_f)
        accs.append(float(acc))
        if not np.isfinite(loss_f) or loss_f > diverge_loss:
            diverged_at = t
            break
        if t in measure:
            eig = top_ntk_eigenvalue(net.apply, params, x, block_size=block_size, warm_start=block)
            block = eig.block
            m_steps.append(t)
            lams.append(eig.value)
            resids.append(eig.residual)
            taccs.append(float(stats(params, xt, yt)[1]))
        if t == steps:
            break
        if full:
            params = new
        else:
            if order.size < batch_size:
                order = np.concatenate([order, rng.permutation(m)])
            idx, order = order[:batch_size], order[batch_size:]
            params = step(params, x[idx], y[idx], eta_j)[0]
    return TrainResult(
        eta=float(eta),
        loss=np.asarray(losses),
        train_acc=np.asarray(accs),
        measure_steps=np.asarray(m_steps, dtype=int),
        lam=np.asarray(lams),
        lam_residual=np.asarray(resids),
        test_acc=np.asarray(taccs),
        diverged_at=diverged_at,
        params=params if keep_params else None,
    )
