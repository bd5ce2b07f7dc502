"""Up-front checks of a validation sweep: sizes, seed, grid, and a memory estimate.

The memory estimate needs no allocation: the parameter count comes from
``jax.eval_shape`` of the network's ``init`` and the forward pass's intermediates from
the shapes in its jaxpr (``jax.make_jaxpr`` on abstract inputs). A run keeps about
:data:`PARAM_COPIES` copies of the parameters (initial and current parameters,
gradients, LOBPCG's block of tangent vectors, XLA's scratch) and
:data:`ACTIVATION_COPIES` copies of the forward intermediates (jvp and vjp).
"""

from __future__ import annotations

from typing import Any

from catapultlab.checks import check_int, check_memory, check_positive, check_seed

__all__ = [
    "ACTIVATION_COPIES",
    "PARAM_COPIES",
    "check_memory_budget",
    "check_sweep_config",
    "check_sweep_memory",
    "estimate_bytes",
]

PARAM_COPIES = 8
"""Parameter-sized arrays a validation run holds at once (estimate)."""

ACTIVATION_COPIES = 3
"""Forward-pass-sized sets of intermediates held at once (estimate)."""


def check_sweep_config(cfg: Any) -> None:
    """Refuse a malformed :class:`catapultlab.validate.SweepConfig` (no compute)."""
    check_int("depth", cfg.depth, lo=1)
    check_int("width", cfg.width, lo=1, hi=2**31, limit="2^31")
    check_int("steps", cfg.steps, lo=1, hi=2**31, limit="2^31")
    check_seed(cfg.seed)
    check_int("--bisect", cfg.bisect, lo=0, hi=64, limit="64")
    for name, size in (("train size", cfg.train_size), ("test size", cfg.test_size)):
        if size is not None:
            check_int(name, size, lo=1)
    from catapultlab.validate._data import check_train_size

    check_train_size(cfg.train_size)
    if cfg.batch_size is not None:
        check_int("batch size", cfg.batch_size, lo=1)
    if not cfg.c_values:
        from catapultlab import CatapultError

        raise CatapultError("empty c grid")
    for c in cfg.c_values:
        check_positive("c", c)


def estimate_bytes(net: Any, samples: int, features: int, dtype: Any) -> float:
    """Estimated peak bytes of training and NTK measurements for ``net`` on ``samples``."""
    import jax
    import numpy as np

    params = jax.eval_shape(lambda key: net.init(key, dtype), jax.random.PRNGKey(0))
    leaves = jax.tree_util.tree_leaves(params)
    n_params = sum(int(np.prod(leaf.shape)) for leaf in leaves)
    x = jax.ShapeDtypeStruct((samples, features), dtype)
    jaxpr = jax.make_jaxpr(net.apply)(params, x)
    intermediates = sum(int(np.prod(v.aval.shape)) for eqn in jaxpr.jaxpr.eqns for v in eqn.outvars)
    itemsize = np.dtype(dtype).itemsize
    return float(itemsize) * (PARAM_COPIES * n_params + ACTIVATION_COPIES * intermediates)


def check_memory_budget(net: Any, samples: int, features: int, dtype: Any) -> None:
    """Refuse a run whose :func:`estimate_bytes` exceeds the memory limit."""
    check_memory(estimate_bytes(net, samples, features, dtype), f"validating {net.name}")


def check_sweep_memory(cfg: Any) -> None:
    """Refuse a sweep whose network would not fit, before its dataset is read.

    The training-set size and image shape are the nominal ones of
    :data:`catapultlab.validate._data.DATASET_SHAPES`; nothing is allocated.
    """
    from catapultlab.validate._data import nominal_shape
    from catapultlab.validate._nets import make_network
    from catapultlab.validate._precision import precision

    samples, shape, classes = nominal_shape(cfg.dataset, cfg.train_size)
    net = make_network(
        cfg.arch,
        image_shape=shape,
        outputs=classes,
        depth=cfg.depth,
        width=cfg.width,
        act=cfg.act,
        param=cfg.param,
    )
    with precision(cfg.dtype) as dtype:
        check_memory_budget(net, samples, shape[0] * shape[1] * shape[2], dtype)
