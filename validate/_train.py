"""Full-batch gradient descent and minibatch SGD with NTK tracking.

Loss (binding): ``L = (1/2m) sum_a |f(x_a) - y_a|^2`` (sum over the ``k`` outputs,
divided by the number ``m`` of samples in the batch), one-hot targets.
The learning rate is ``eta = c / lambda_0`` with ``lambda_0`` the top eigenvalue of
the empirical NTK on the full training set at initialisation (see
:mod:`catapultlab.validate._ntk`).

The update is an optax direction times ``-eta`` (see
:mod:`catapultlab.validate._optim`; plain GD by default) with ``eta`` a traced
argument: one compiled step per network and optimizer, whatever ``c``.

Recorded for a run of ``T`` steps: the full-training-set loss and train accuracy at
every step ``t = 0..T`` (for SGD an extra forward pass); ``lambda_t`` (with its
solver residual) and test accuracy on a log-spaced subset of steps that always
contains ``0`` and the last step (:func:`measure_steps`), plus ``late`` evenly
spaced steps in the last quarter of the run when asked. With ``sharpness="hessian"``
the loss-Hessian sharpness ``S_t`` is recorded at the same steps (and, for Adam,
the preconditioned sharpness, see :mod:`catapultlab.validate._hessian`). Training stops early once the loss is
non-finite or exceeds ``diverge_loss``. Precision: float32 by default; float64
runs are wrapped in ``jax.enable_x64(True)`` by the caller (see
:func:`catapultlab.validate._precision.precision`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from catapultlab import CatapultError
from catapultlab.batches import BatchRule
from catapultlab.records import short_repr
from catapultlab.validate._data import Dataset
from catapultlab.validate._hessian import top_hessian_eigenvalue
from catapultlab.validate._nets import Network
from catapultlab.validate._ntk import top_ntk_eigenvalue
from catapultlab.validate._optim import (
    OptimizerConfig,
    adam_preconditioner,
    direction,
    rate_factor,
)

__all__ = [
    "LAM_T_RTOL",
    "SHARPNESS",
    "TrainResult",
    "mse_loss",
    "log_steps",
    "measure_steps",
    "train",
]


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
        sharpness: loss-Hessian sharpness ``S_t`` at ``measure_steps`` (empty unless asked).
        precond_sharpness: Adam's preconditioned sharpness at ``measure_steps`` (``nan`` at
            step 0; empty unless Adam and asked).
    """

    __repr__ = short_repr

    eta: float
    loss: np.ndarray
    train_acc: np.ndarray
    measure_steps: np.ndarray
    lam: np.ndarray
    lam_residual: np.ndarray
    test_acc: np.ndarray
    diverged_at: int | None
    params: Any = None
    sharpness: np.ndarray = field(default_factory=lambda: np.empty(0))
    precond_sharpness: np.ndarray = field(default_factory=lambda: np.empty(0))


SHARPNESS: tuple[str, ...] = ("ntk", "hessian")

LAM_T_RTOL: dict[str, float] = {"float32": 1e-3, "float64": 1e-7}
"""Relative residual tolerance of the ``lambda_t`` solves during training.

Ten times looser than ``lambda_0``'s (which sets ``eta``): ``lambda_t`` is only compared
with 5% thresholds and with ``2 / eta``, and a symmetric eigenvalue's error is of the
order of the squared residual.
"""


def mse_loss(out: jax.Array, y: jax.Array) -> jax.Array:
    """``(1/2m) sum_a |out_a - y_a|^2``."""
    return 0.5 * jnp.sum((out - y) ** 2) / out.shape[0]


def log_steps(steps: int, count: int) -> np.ndarray:
    """About ``count`` log-spaced integer steps in ``[0, steps]``, always with 0 and ``steps``."""
    if steps <= 0:
        return np.array([0])
    grid = np.geomspace(1, steps, max(count - 1, 1))
    return np.unique(np.concatenate([[0], np.rint(grid).astype(int), [steps]]))


def measure_steps(steps: int, count: int, late: int = 0) -> np.ndarray:
    """:func:`log_steps` plus ``late`` evenly spaced steps in the last quarter of the run.

    Example:
        >>> measure_steps(100, 4, late=3).tolist()
        [0, 1, 10, 75, 88, 100]
    """
    dense = np.rint(np.linspace(0.75 * steps, steps, late)).astype(int) if late > 0 else []
    return np.unique(np.concatenate([log_steps(steps, count), dense])).astype(int)


@functools.lru_cache(maxsize=64)
def _fns(apply: Any, opt: OptimizerConfig) -> tuple[Any, Any, Any]:
    tx = direction(opt)

    def stats(params, x, y):
        out = apply(params, x)
        acc = jnp.mean(jnp.argmax(out, 1) == jnp.argmax(y, 1))
        return mse_loss(out, y), acc

    def step(params, state, x, y, eta):
        def loss_fn(p):
            out = apply(p, x)
            return mse_loss(out, y), out

        (loss, out), g = jax.value_and_grad(loss_fn, has_aux=True)(params)
        acc = jnp.mean(jnp.argmax(out, 1) == jnp.argmax(y, 1))
        u, state = tx.update(g, state, params)
        new = jax.tree_util.tree_map(lambda a, b: a - eta * b, params, u)
        return new, state, loss, acc

    return jax.jit(stats), jax.jit(step), tx.init


class _Sharpness:
    """Warm-started eigen-solves at the measured steps (NTK always, Hessian when asked)."""

    def __init__(self, net: Network, x, y, opt: OptimizerConfig, hessian: bool, block: int):
        self.net, self.x, self.y, self.opt, self.hessian, self.b = net, x, y, opt, hessian, block
        self.blocks: dict[str, np.ndarray | None] = {"ntk": None, "hess": None, "pre": None}
        self.lam: float | None = None  # last lambda_t: tolerance scale of the next solve

    def ntk(self, params) -> tuple[float, float]:
        eig = top_ntk_eigenvalue(
            self.net.apply,
            params,
            self.x,
            block_size=self.b,
            warm_start=self.blocks["ntk"],
            rtol=LAM_T_RTOL[jnp.dtype(self.x.dtype).name],
            scale=self.lam,
        )
        self.blocks["ntk"], self.lam = eig.block, eig.value
        return eig.value, eig.residual

    def _hess(self, params, key: str, scale=None) -> float:
        eig = top_hessian_eigenvalue(
            self.net.apply, params, self.x, self.y, scale=scale, warm_start=self.blocks[key]
        )
        self.blocks[key] = eig.block
        return eig.value

    def hess(self, params, state) -> tuple[float | None, float | None]:
        if not self.hessian:
            return None, None
        s = self._hess(params, "hess")
        if self.opt.name != "adam":
            return s, None
        pre = adam_preconditioner(self.opt, state)
        if pre is None:
            return s, float("nan")
        d = 1.0 / jnp.sqrt(ravel_pytree(pre)[0])
        return s, self._hess(params, "pre", scale=d)


def _measure(
    rec: dict[str, list], t: int, probe: Any, params: Any, state: Any, test_acc: float
) -> None:
    """Record ``lambda_t`` (with its residual), the sharpness and the test accuracy at step t."""
    lam, res = probe.ntk(params)
    s, pre = probe.hess(params, state)
    for k, v in zip(("t", "lam", "res", "s", "pre"), (t, lam, res, s, pre), strict=True):
        if v is not None:
            rec[k].append(v)
    rec["acc"].append(test_acc)


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
    late_count: int = 0,
    block_size: int = 4,
    keep_params: bool = False,
    optimizer: OptimizerConfig | None = None,
    sharpness: str = "ntk",
    ntk_block: np.ndarray | None = None,
    schedule: Any = None,
    late_window: int = 0,
    sampling: str = "shuffle",
) -> TrainResult:
    """Train ``net`` from ``params`` full-batch (``batch_size=None``) or on minibatches.

    Args:
        net: the network.
        params: initial parameters; their dtype sets the precision.
        data: training and test data.
        eta: learning rate.
        steps: number of updates ``T``.
        batch_size: minibatch size; ``None`` or ``>= m`` means full batch.
        seed: seed of the SGD batches.
        diverge_loss: stop once the loss is non-finite or above this.
        measure_count: about how many log-spaced steps get ``lambda_t`` and test accuracy.
        late_count: extra evenly spaced measured steps in the last quarter of the run.
        block_size: LOBPCG block size for ``lambda_t``.
        keep_params: return the final parameters too.
        optimizer: the optimizer (default: plain gradient descent).
        sharpness: ``ntk`` (``lambda_t`` only) or ``hessian`` (also ``S_t``).
        ntk_block: warm start of the first ``lambda_t`` solve (e.g. the ``lambda_0`` block).
        schedule: a learning-rate schedule (:class:`catapultlab.theory.Schedule`): step ``t``
            uses ``eta s(t)``, ``s`` built by optax (:func:`.rate_factor`).
        late_window: measure ``lambda_t`` at each of the last ``late_window`` steps too.
        sampling: the batches' rule (:class:`catapultlab.batches.BatchRule`, the map's).

    Returns:
        The recorded trajectory.

    Raises:
        CatapultError: unknown ``sharpness``.
    """
    if sharpness not in SHARPNESS:
        raise CatapultError(f"unknown sharpness {sharpness!r}; choose ntk or hessian")
    opt = optimizer if optimizer is not None else OptimizerConfig()
    x, y, xt, yt = _arrays(data, jax.tree_util.tree_leaves(params)[0].dtype)
    batches = _batch_rule(batch_size, sampling, x.shape[0])  # None: full batch
    stats, step, init = _fns(net.apply, opt)
    state = init(params)
    rates = eta * _factors(schedule, steps)
    measure = _measured(steps, measure_count, late_count, late_window)
    probe = _Sharpness(net, x, y, opt, sharpness == "hessian", block_size)
    probe.blocks["ntk"] = ntk_block
    record = _Record()
    for t in range(steps + 1):
        eta_j = jnp.asarray(rates[min(t, steps - 1)] if steps else eta, x.dtype)
        if batches is None and t < steps:
            new, new_state, loss, acc = step(params, state, x, y, eta_j)
        else:
            loss, acc = stats(params, x, y)
        if not record.add(t, float(loss), float(acc), diverge_loss):
            break
        if t in measure:
            _measure(record.measured, t, probe, params, state, float(stats(params, xt, yt)[1]))
        if t == steps:
            break
        if batches is None:
            params, state = new, new_state
        else:
            idx = batches.indices(x.shape[0], seed=seed, step=t)
            params, state = step(params, state, x[idx], y[idx], eta_j)[:2]
    return record.result(eta, params if keep_params else None)


def _batch_rule(batch_size: int | None, sampling: str, samples: int) -> BatchRule | None:
    """The SGD batches, or ``None`` for full batch (no size, or one of at least ``m``)."""
    if batch_size is None or batch_size >= samples:
        return None
    return BatchRule(batch_size, sampling)


def _arrays(data: Dataset, dtype: Any) -> tuple[Any, Any, Any, Any]:
    """Training and test inputs and labels as JAX arrays of the parameters' dtype."""
    train = jnp.asarray(data.x_train, dtype), jnp.asarray(data.y_train, dtype)
    return (*train, jnp.asarray(data.x_test, dtype), jnp.asarray(data.y_test, dtype))


def _measured(steps: int, count: int, late_count: int, late_window: int) -> set[int]:
    """The steps where ``lambda_t`` is measured: log-spaced, late, and the last window."""
    measure = set(measure_steps(steps, count, late_count).tolist())
    return measure | set(range(max(0, steps - late_window + 1), steps + 1))


def _factors(schedule: Any, steps: int) -> np.ndarray:
    """``s(t)`` for ``t < steps`` from the optax schedule (ones without a schedule)."""
    if schedule is None or schedule.kind == "constant" or steps == 0:
        return np.ones(max(steps, 1))
    sched = rate_factor(schedule)
    return np.asarray(jax.vmap(sched)(jnp.arange(steps)), dtype=float)


class _Record:
    """What a run records: the loss and accuracy every step, measurements at some steps."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.accs: list[float] = []
        self.measured: dict[str, list] = {k: [] for k in ("t", "lam", "res", "acc", "s", "pre")}
        self.diverged_at: int | None = None

    def add(self, t: int, loss: float, acc: float, diverge_loss: float) -> bool:
        """Record step ``t``; ``False`` once the run diverged (non-finite or too large)."""
        self.losses.append(loss)
        self.accs.append(acc)
        if not np.isfinite(loss) or loss > diverge_loss:
            self.diverged_at = t
            return False
        return True

    def result(self, eta: float, params: Any) -> TrainResult:
        """The recorded trajectory."""
        rec = self.measured
        return TrainResult(
            eta=float(eta),
            loss=np.asarray(self.losses),
            train_acc=np.asarray(self.accs),
            measure_steps=np.asarray(rec["t"], dtype=int),
            lam=np.asarray(rec["lam"]),
            lam_residual=np.asarray(rec["res"]),
            test_acc=np.asarray(rec["acc"]),
            diverged_at=self.diverged_at,
            params=params,
            sharpness=np.asarray(rec["s"], dtype=float),
            precond_sharpness=np.asarray(rec["pre"], dtype=float),
        )
