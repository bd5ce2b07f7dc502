"""Optimizers as optax transformations, with the learning rate kept outside.

Every optimizer is a *direction* transformation ``u = T(g)`` (an optax
``GradientTransformation`` without a learning rate) and the step
``theta' = theta - eta u`` with ``eta`` a traced argument, so one compiled step
serves every ``c = eta lambda_0`` of a sweep.

* ``gd``: ``u = g``.
* ``momentum`` (heavy ball, optax ``trace``): ``b' = beta b + g``, ``u = b'``
  (the theory layer's convention ``trace' = beta trace + grad``, ``theta' = theta - eta trace'``).
* ``nesterov`` (optax ``trace(nesterov=True)``): ``b' = beta b + g``, ``u = g + beta b'``.
* ``adam`` (optax ``scale_by_adam``, ``beta_1 = momentum``): ``u = m_hat / (sqrt(v_hat) + eps)``.

Weight decay ``K`` (default mode ``decoupled``): ``decoupled`` adds ``K theta`` to the
direction after the optimizer (AdamW; the step is ``theta' = theta - eta (u + K theta)``);
``l2`` adds ``K theta`` to the gradient before it, i.e. the gradient of
``L + (K/2) |theta|^2``. The two coincide for ``gd``. The recorded loss is always
the data loss ``L``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = [
    "OPTIMIZERS",
    "rate_factor",
    "WEIGHT_DECAY_MODES",
    "OptimizerConfig",
    "direction",
    "adam_preconditioner",
]

OPTIMIZERS: tuple[str, ...] = ("gd", "momentum", "nesterov", "adam")
WEIGHT_DECAY_MODES: tuple[str, ...] = ("decoupled", "l2")
_DEFAULT_MOMENTUM = {"gd": 0.0, "momentum": 0.9, "nesterov": 0.9, "adam": 0.9}


@dataclass(frozen=True)
class OptimizerConfig:
    """An optimizer without its learning rate.

    Attributes:
        name: ``gd``, ``momentum``, ``nesterov`` or ``adam``.
        momentum: ``beta`` (heavy ball / Nesterov) or Adam's ``beta_1``; ``None``: default
            (0 for gd, 0.9 otherwise).
        weight_decay: ``K >= 0``.
        weight_decay_mode: ``decoupled`` (default) or ``l2``.
        b2: Adam's ``beta_2``.
        eps: Adam's ``epsilon``.
    """

    __repr__ = short_repr

    name: str = "gd"
    momentum: float | None = None
    weight_decay: float = 0.0
    weight_decay_mode: str = "decoupled"
    b2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        """Check names and ranges (raises :class:`CatapultError`)."""
        if self.name not in OPTIMIZERS:
            raise CatapultError(
                f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if self.weight_decay_mode not in WEIGHT_DECAY_MODES:
            raise CatapultError(
                f"unknown weight-decay mode {self.weight_decay_mode!r}; choose decoupled or l2"
            )
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise CatapultError(f"weight decay must be >= 0, got {self.weight_decay}")
        if self.momentum is not None:
            if self.name == "gd" and self.momentum != 0:
                raise CatapultError("--momentum needs --optimizer momentum, nesterov or adam")
            if not 0 <= self.momentum < 1:
                raise CatapultError(f"momentum must be in [0, 1), got {self.momentum}")

    @property
    def beta(self) -> float:
        """The momentum coefficient in use (default filled in)."""
        return _DEFAULT_MOMENTUM[self.name] if self.momentum is None else float(self.momentum)


def direction(opt: OptimizerConfig) -> Any:
    """The optax transformation ``g -> u`` of ``opt`` (no learning rate; see module docstring)."""
    import optax

    core = {
        "gd": optax.identity,
        "momentum": lambda: optax.trace(decay=opt.beta, nesterov=False),
        "nesterov": lambda: optax.trace(decay=opt.beta, nesterov=True),
        "adam": lambda: optax.scale_by_adam(b1=opt.beta, b2=opt.b2, eps=opt.eps),
    }[opt.name]()
    if opt.weight_decay == 0:
        return core
    decay = optax.add_decayed_weights(opt.weight_decay)
    if opt.weight_decay_mode == "l2":
        return optax.chain(decay, core)
    return optax.chain(core, decay)


def adam_preconditioner(opt: OptimizerConfig, state: Any) -> Any | None:
    """Adam's diagonal ``P = sqrt(v_hat) + eps`` as a pytree (``None`` before the first step).

    Args:
        opt: an ``adam`` configuration.
        state: the optax state of :func:`direction` ``(opt)``.

    Returns:
        ``P`` shaped like the parameters, or ``None`` while the step count is 0.
    """
    import jax
    import jax.numpy as jnp
    import optax

    leaves = jax.tree_util.tree_leaves(
        state, is_leaf=lambda s: isinstance(s, optax.ScaleByAdamState)
    )
    (adam,) = [s for s in leaves if isinstance(s, optax.ScaleByAdamState)]
    count = int(adam.count)
    if count == 0:
        return None
    correction = 1.0 - opt.b2**count
    return jax.tree_util.tree_map(lambda v: jnp.sqrt(v / correction) + opt.eps, adam.nu)


def rate_factor(schedule: Any) -> Any:
    """The learning-rate factor ``s(t)`` of a :class:`catapultlab.theory.Schedule`, as optax builds it.

    ``optax.linear_schedule`` from ``1/T`` to 1 over ``T - 1`` transitions gives linear
    warmup's ``min(1, (t + 1) / T)``; ``optax.cosine_decay_schedule`` over ``T`` steps gives
    cosine decay; a constant rate is 1. The step from ``t`` uses ``eta * s(t)``, the
    convention of the map's kernel (tested against :meth:`Schedule.factor`).
    """
    import optax

    if schedule is None or schedule.kind == "constant":
        return optax.constant_schedule(1.0)
    T = schedule.length
    if schedule.kind == "warmup":
        return (
            optax.linear_schedule(1.0 / T, 1.0, max(T - 1, 1))
            if T > 1
            else optax.constant_schedule(1.0)
        )
    return optax.cosine_decay_schedule(1.0, T)
