"""Sharpness: the top eigenvalue of the training-loss Hessian, matrix-free.

The operator (binding): ``H = d^2 L / d theta^2`` of the loss
``L = (1/2m) sum_a |f(x_a) - y_a|^2`` over the flattened parameters (length ``P``),
the sharpness ``S`` its largest eigenvalue (Cohen et al. 2021). ``H`` is not the
NTK: ``H = J^T J / m + (1/m) sum_a r_a d^2 f_a``; its Gauss-Newton part has the same
non-zero spectrum as ``Theta = J J^T / m``, so ``S = lambda`` at zero residual.

Hessian-vector products are forward-over-reverse, ``jax.jvp`` of ``jax.grad``,
vmapped over a block and jitted once per network; the eigenvalue comes from the
layer's one LOBPCG driver (:func:`catapultlab.validate._ntk.top_eigen`), warm-started
from the previous block.

A diagonal ``scale`` ``d`` gives the operator ``D H D`` with ``D = diag(d)``; with
``d = P^{-1/2}`` (``P`` Adam's preconditioner ``sqrt(v_hat) + eps``) this is the
preconditioned sharpness of Cohen et al. 2022, the top eigenvalue of
``P^{-1} H`` (similar to ``P^{-1/2} H P^{-1/2}``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from catapultlab.validate._ntk import TopEigen, top_eigen

__all__ = ["hessian_block_matvec", "top_hessian_eigenvalue", "explicit_hessian"]

Apply = Callable[[Any, jax.Array], jax.Array]


def _loss(apply: Apply, params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
    out = apply(params, x)
    return 0.5 * jnp.sum((out - y) ** 2) / out.shape[0]


@functools.lru_cache(maxsize=64)
def hessian_block_matvec(apply: Apply) -> Callable[..., jax.Array]:
    """Jitted ``(params, x, y, scale, V) -> D H D V`` for a ``(P, b)`` block ``V``.

    Args:
        apply: the network's ``apply``.

    Returns:
        A jitted function (``scale`` is the flat diagonal ``d``; all ones gives ``H V``).
    """

    def matvec(params: Any, x: jax.Array, y: jax.Array, scale: jax.Array, block: jax.Array):
        flat, unravel = ravel_pytree(params)

        def grad(p: jax.Array) -> jax.Array:
            return ravel_pytree(jax.grad(lambda q: _loss(apply, unravel(q), x, y))(p))[0]

        def one(v: jax.Array) -> jax.Array:
            return scale * jax.jvp(grad, (flat,), (scale * v,))[1]

        return jax.vmap(one, in_axes=1, out_axes=1)(block)

    return jax.jit(matvec)


def top_hessian_eigenvalue(
    apply: Apply,
    params: Any,
    x: jax.Array,
    y: jax.Array,
    *,
    scale: np.ndarray | None = None,
    block_size: int = 2,
    warm_start: np.ndarray | None = None,
    rtol: float | None = None,
    maxiter: int = 200,
    seed: int = 0,
) -> TopEigen:
    """Sharpness ``S``: the largest eigenvalue of the loss Hessian (or of ``D H D``).

    Args:
        apply: the network's ``apply``.
        params: parameters at which ``H`` is taken.
        x: inputs ``(m, D)``.
        y: targets ``(m, k)``.
        scale: flat diagonal ``d`` of length ``P`` (default: the identity).
        block_size: LOBPCG block size.
        warm_start: previous ``(P, b)`` block.
        rtol: relative residual tolerance (default by dtype).
        maxiter: LOBPCG iteration cap.
        seed: seed of the random initial block.

    Returns:
        The eigenvalue, its relative residual and the final block.
    """
    flat, _ = ravel_pytree(params)
    dtype = flat.dtype
    d = jnp.ones_like(flat) if scale is None else jnp.asarray(scale, dtype)
    mv = hessian_block_matvec(apply)

    def block_product(v: jax.Array) -> jax.Array:
        return mv(params, x, y, d, v)

    return top_eigen(
        block_product,
        int(flat.size),
        dtype,
        block_size=block_size,
        warm_start=warm_start,
        rtol=rtol,
        maxiter=maxiter,
        seed=seed,
    )


def explicit_hessian(apply: Apply, params: Any, x: jax.Array, y: jax.Array) -> np.ndarray:
    """Reference Hessian ``(P, P)`` by ``jax.hessian`` of the flattened loss; small nets only."""
    flat, unravel = ravel_pytree(params)
    hess = jax.hessian(lambda p: _loss(apply, unravel(p), x, y))(flat)
    return np.asarray(hess, dtype=np.float64)
