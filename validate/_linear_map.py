"""A real linear network against the theory layer's closed ``full``-model map.

The network is the one-hidden-layer linear MLP of :mod:`catapultlab.validate._nets`
in NTK parametrisation without biases, ``f(x) = v^T U x / sqrt(n d)``, trained
full-batch on ``L = (1/2m) sum_a (f(x_a) - y_a)^2`` in JAX float64 with any optax
optimizer of :mod:`catapultlab.validate._optim` (GD by default). The map is the
full model's block map (:func:`catapultlab.theory.full_block_map`: the exact map in the
Gram blocks ``U^T U``, ``U^T v``, ``v^T v``, for any ``d`` and ``m``), started from the
blocks of the network's exact initial ``(U, v)``, iterated with the same ``eta``. Both report ``f_t`` on the
training inputs and ``lambda_t``, the top eigenvalue of ``Theta = J J^T / m``
(network: explicit Jacobian; map: its ``observe``). Iteration stops for both once
either is non-finite or ``max |f|`` exceeds ``blowup``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.validate._optim import OptimizerConfig

__all__ = [
    "BlockModel",
    "LinearMapComparison",
    "block_model",
    "compare_linear_network_with_map",
    "map_stepper",
]


@dataclass(frozen=True)
class LinearMapComparison:
    """Trajectories of the network and the map, step 0 first (same length).

    Attributes:
        eta: learning rate, ``c / lambda_0``.
        c: ``eta lambda_0``.
        lam0: network ``lambda_0``.
        f_net: ``(T+1, m)`` network outputs on the training inputs.
        lam_net: ``(T+1,)`` network ``lambda_t``.
        f_map: ``(T+1, m)`` map outputs.
        lam_map: ``(T+1,)`` map ``lambda_t``.
        stopped_early: whether iteration stopped at ``blowup`` before ``steps``.
    """

    __repr__ = short_repr

    eta: float
    c: float
    lam0: float
    f_net: np.ndarray
    lam_net: np.ndarray
    f_map: np.ndarray
    lam_map: np.ndarray
    stopped_early: bool


def compare_linear_network_with_map(
    x: np.ndarray,
    y: np.ndarray,
    *,
    width: int,
    c: float,
    steps: int,
    seed: int = 0,
    blowup: float = 1e8,
    optimizer: OptimizerConfig | None = None,
    batch: Any = None,
) -> LinearMapComparison:
    """Train the linear network and iterate the ``full``-model map side by side.

    Args:
        x: ``(m, d)`` training inputs.
        y: ``(m,)`` scalar targets.
        width: hidden width ``n``.
        c: ``eta lambda_0`` (``lambda_0`` of the network at initialisation).
        steps: number of GD steps ``T``.
        seed: initialisation seed (``jax.random.PRNGKey(seed)``).
        blowup: stop once ``max |f|`` of either trajectory exceeds this.
        optimizer: the network's optimizer (default GD); the map side needs the derived
            map of the same step rule (:func:`map_stepper`).
        batch: SGD minibatches (:class:`catapultlab.batches.BatchRule`; ``None``: full
            batch). Network and map take the same batch at every step (its counter-based
            stream of ``seed``); outputs and ``lambda_t`` stay on the full training set.

    Returns:
        Both trajectories.

    Raises:
        CatapultError: no derived map for the optimizer in this build (before any compute).
    """
    from catapultlab.validate._precision import precision

    opt = optimizer if optimizer is not None else OptimizerConfig()
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if batch is not None:
        batch.check(x.shape[0])
    model = block_model(opt)
    map_step = map_stepper(model, opt)
    with precision("float64") as dtype:
        net = _LinearNetwork(x, y, width, seed, opt, dtype)
        eta = c / net.lam()
        state = net.gram_state(model)
        f_net, lam_net, f_map, lam_map = [], [], [], []
        stopped = False
        for t in range(steps + 1):
            fn = net.outputs()
            fm, ntk = model.observe(state, n=width, x=x)
            fm = np.asarray(fm, dtype=np.float64)
            if _blown_up(fn, fm, blowup):
                stopped = t <= steps
                break
            f_net.append(fn)
            lam_net.append(net.lam())
            f_map.append(fm)
            lam_map.append(float(np.linalg.eigvalsh(np.asarray(ntk, dtype=np.float64))[-1]))
            if t == steps:
                break
            idx = None if batch is None else batch.indices(x.shape[0], seed=seed, step=t)
            rows = slice(None) if idx is None else idx
            net.step(eta, idx)
            state = map_step(state, eta=eta, n=width, x=x[rows], y=y[rows])
    return LinearMapComparison(
        eta=eta,
        c=c,
        lam0=lam_net[0] if lam_net else c / eta,
        f_net=np.asarray(f_net),
        lam_net=np.asarray(lam_net),
        f_map=np.asarray(f_map),
        lam_map=np.asarray(lam_map),
        stopped_early=stopped,
    )


class BlockModel:
    """The full model's block map behind the interface the comparison uses.

    ``gram_from_params(U, v)``, ``observe(state, n, x) -> (f, Theta)`` and
    ``step(state, eta, n, x, y, **values)``; the state is the blocks (a dict).
    """

    def __init__(self, rule: Any) -> None:
        from catapultlab.theory import full_block_map

        self.numeric = full_block_map(rule).numeric()
        self.velocity = rule.has_velocity

    def gram_from_params(self, U: np.ndarray, v: np.ndarray) -> dict[str, Any]:
        """The blocks of the network's ``U`` (n, d) and ``v`` (n,); velocities zero."""
        mats = {"U": np.asarray(U, float), "v": np.asarray(v, float).reshape(-1, 1)}
        if self.velocity:
            mats |= {f"vel_{k}": np.zeros_like(a) for k, a in mats.items()}
        return self.numeric.blocks_from(mats)

    def observe(self, state: dict[str, Any], *, n: float, x: Any) -> tuple[Any, Any]:
        """Outputs on the training inputs and ``Theta``."""
        return self.numeric.output(state, x, n)[:, 0], self.numeric.ntk(state, x, n)

    def step(
        self, state: dict[str, Any], *, eta: float, n: float, x: Any, y: Any, **values: Any
    ) -> dict[str, Any]:
        """One step of the block map (``values``: the rule's ``beta``, ``kappa``)."""
        hyper = {k: values[k] for k in self.numeric.hyper}
        return self.numeric.step_once(state, x, np.reshape(y, (-1, 1)), eta=eta, n=n, **hyper)


def block_model(opt: OptimizerConfig) -> BlockModel:
    """The full model's block map under the optimizer's step rule.

    Raises:
        CatapultError: no derived map for the optimizer in this build.
    """
    from catapultlab.validate._predict import step_rule_of

    rule = step_rule_of(opt.name, opt.weight_decay, opt.weight_decay_mode)
    if rule is None:
        raise CatapultError(f"derived map for {opt.name} is not in this build")
    return BlockModel(rule)


def _blown_up(fn: np.ndarray, fm: np.ndarray, blowup: float) -> bool:
    """Either trajectory is not finite or beyond ``blowup``."""
    finite = np.all(np.isfinite(fn)) and np.all(np.isfinite(fm))
    return not finite or max(np.max(np.abs(fn)), np.max(np.abs(fm))) > blowup


class _LinearNetwork:
    """The real two-layer linear network in JAX: its outputs, NTK eigenvalue and one step."""

    def __init__(
        self, x: np.ndarray, y: np.ndarray, width: int, seed: int, opt: Any, dtype: Any
    ) -> None:
        import jax
        import jax.numpy as jnp

        from catapultlab.validate._nets import mlp
        from catapultlab.validate._ntk import explicit_ntk_fn
        from catapultlab.validate._optim import direction
        from catapultlab.validate._train import mse_loss

        net = mlp(inputs=x.shape[1], outputs=1, depth=1, width=width, act="linear")
        self.params = net.init(jax.random.PRNGKey(seed), dtype)
        xj, yj = jnp.asarray(x, dtype), jnp.asarray(y[:, None], dtype)
        self._ntk = explicit_ntk_fn(net.apply, self.params, xj)
        self._xy = (xj, yj)
        self._grad = jax.jit(jax.grad(lambda p, xb, yb: mse_loss(net.apply(p, xb), yb)))
        self._apply = jax.jit(lambda p: net.apply(p, xj)[:, 0])
        self._tx = direction(opt)
        self._opt_state = self._tx.init(self.params)
        self._descend: tuple[float, Any] | None = None

    def outputs(self) -> np.ndarray:
        """``f`` on the training inputs."""
        return np.asarray(self._apply(self.params))

    def lam(self) -> float:
        """Top eigenvalue of the explicit NTK."""
        return float(np.linalg.eigvalsh(self._ntk(self.params))[-1])

    def gram_state(self, model: Any) -> np.ndarray:
        """The model's state of the network's parameters (exact inner products)."""
        return model.gram_from_params(
            np.asarray(self.params[0]["W"]), np.asarray(self.params[1]["W"][0])
        )

    def step(self, eta: float, idx: Any = None) -> None:
        """One optimizer step with learning rate ``eta`` on the rows ``idx`` (all: ``None``)."""
        import jax

        if self._descend is None or self._descend[0] != eta:
            move = jax.jit(lambda p, u: jax.tree_util.tree_map(lambda a, b: a - eta * b, p, u))
            self._descend = (eta, move)
        xb, yb = self._xy if idx is None else (self._xy[0][idx], self._xy[1][idx])
        grad = self._grad(self.params, xb, yb)
        u, self._opt_state = self._tx.update(grad, self._opt_state, self.params)
        self.params = self._descend[1](self.params, u)


def map_stepper(model: Any, opt: OptimizerConfig) -> Callable[..., Any]:
    """The derived map's step for the optimizer's step rule.

    Args:
        model: the map (:class:`BlockModel`, or any object with its interface).
        opt: the optimizer.

    Returns:
        ``step(state, *, eta, n, x, y) -> state``.

    Raises:
        CatapultError: the theory layer has no derived map for this step rule yet.
    """
    if opt.name == "gd" and opt.weight_decay == 0:
        return model.step
    if opt.name not in ("gd", "momentum", "nesterov"):
        raise CatapultError(f"derived map for {opt.name} is not in this build")
    beta = 0.0 if opt.name == "gd" else (0.9 if opt.momentum is None else float(opt.momentum))

    def step(state: Any, *, eta: float, n: float, x: Any, y: Any) -> Any:
        return model.step(state, eta=eta, n=n, x=x, y=y, beta=beta, kappa=opt.weight_decay)

    return step
