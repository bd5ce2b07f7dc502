"""Top eigenvalue of the empirical NTK, matrix-free and by explicit Jacobian.

Normalisation (binding): with all ``k`` outputs of the ``m`` training samples
stacked into a vector of length ``N = m k`` and ``J = df/dtheta`` of shape
``(N, P)``, the empirical NTK is ``Theta = J J^T / m`` and ``lambda`` is its top
eigenvalue. With the loss ``(1/2m) sum_a |f(x_a) - y_a|^2`` linearised
gradient descent reads ``r' = (I - eta Theta) r``, so the lazy/catapult boundary
is ``eta lambda_0 = 2``.

The matrix-free path never builds ``J``: the kernel-vector product
``v -> J (J^T v) / m`` is one ``jax.vjp`` followed by one ``jax.jvp`` (vmapped
over a small block of vectors and jitted). The top eigenvalue comes from scipy's
LOBPCG driven from Python (no ``lax`` loops, so convolutions stay fast on CPU) with
a block of several vectors, because ``k`` outputs give ``k`` near-degenerate top
eigenvalues. The block can be warm-started from a previous call. The reported
residual is ``|Theta v - lambda v| / lambda`` for the returned unit vector,
recomputed after the solver stops.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from scipy.sparse.linalg import LinearOperator, lobpcg

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = [
    "TopEigen",
    "ntk_block_matvec",
    "top_eigen",
    "top_ntk_eigenvalue",
    "EXPLICIT_NTK_MAX_BYTES",
    "explicit_ntk",
    "explicit_ntk_fn",
    "explicit_ntk_bytes",
    "explicit_top_eigenvalue",
]

Apply = Callable[[Any, jax.Array], jax.Array]


@dataclass(frozen=True)
class TopEigen:
    """Result of a top-eigenvalue solve.

    Attributes:
        value: the top eigenvalue ``lambda`` of ``Theta``.
        residual: ``|Theta v - lambda v| / lambda`` for the returned vector.
        block: the final ``(N, b)`` block of vectors (warm start for the next call).
        matvecs: number of kernel-vector products used (block columns counted).
    """

    __repr__ = short_repr

    value: float
    residual: float
    block: np.ndarray
    matvecs: int


@functools.lru_cache(maxsize=64)
def ntk_block_matvec(apply: Apply) -> Callable[[Any, jax.Array, jax.Array], jax.Array]:
    """Jitted ``(params, x, V) -> Theta V`` for a block ``V`` of shape ``(N, b)``.

    Args:
        apply: the network's ``apply(params, x)``.

    Returns:
        A jitted function; ``Theta V = J (J^T V) / m`` computed by vjp then jvp.
    """

    def matvec(params: Any, x: jax.Array, block: jax.Array) -> jax.Array:
        m = x.shape[0]

        def flat(p: Any) -> jax.Array:
            return apply(p, x).reshape(-1)

        _, vjp = jax.vjp(flat, params)

        def one(v: jax.Array) -> jax.Array:
            (g,) = vjp(v)
            return jax.jvp(flat, (params,), (g,))[1] / m

        return jax.vmap(one, in_axes=1, out_axes=1)(block)

    return jax.jit(matvec)


def _param_dtype(params: Any) -> Any:
    return jax.tree_util.tree_leaves(params)[0].dtype


def top_ntk_eigenvalue(
    apply: Apply,
    params: Any,
    x: jax.Array,
    *,
    block_size: int = 4,
    warm_start: np.ndarray | None = None,
    rtol: float | None = None,
    maxiter: int = 200,
    seed: int = 0,
    scale: float | None = None,
) -> TopEigen:
    """Top eigenvalue of ``Theta = J J^T / m`` by matrix-free LOBPCG.

    Args:
        apply: the network's ``apply``.
        params: parameters at which the NTK is taken.
        x: inputs ``(m, D)`` (same dtype as ``params``).
        block_size: LOBPCG block size ``b``.
        warm_start: previous ``(N, b)`` block (e.g. from the last training step).
        rtol: relative residual tolerance; default ``1e-4`` in float32, ``1e-8`` in float64.
        maxiter: LOBPCG iteration cap.
        seed: seed of the random initial block when there is no warm start.
        scale: tolerance scale (see :func:`top_eigen`).

    Returns:
        The eigenvalue, its relative residual and the final block.
    """
    dtype = _param_dtype(params)
    mv = ntk_block_matvec(apply)
    n_out = int(jax.eval_shape(lambda p: apply(p, x), params).size)

    def block_product(v: jax.Array) -> jax.Array:
        return mv(params, x, v)

    return top_eigen(
        block_product,
        n_out,
        dtype,
        block_size=block_size,
        warm_start=warm_start,
        rtol=rtol,
        maxiter=maxiter,
        seed=seed,
        scale=scale,
    )


def top_eigen(
    block_product: Callable[[jax.Array], jax.Array],
    size: int,
    dtype: Any,
    *,
    block_size: int = 4,
    warm_start: np.ndarray | None = None,
    rtol: float | None = None,
    maxiter: int = 200,
    seed: int = 0,
    scale: float | None = None,
) -> TopEigen:
    """Top (largest algebraic) eigenvalue of a symmetric operator given by block products.

    The one LOBPCG driver of the layer (NTK and Hessian alike). Operators of size at
    most ``5 b + 1`` are solved densely from the products with the identity.

    Args:
        block_product: ``V -> A V`` for a JAX block ``V`` of shape ``(size, b)``.
        size: dimension of ``A``.
        dtype: JAX dtype the products run in.
        block_size: LOBPCG block size ``b``.
        warm_start: previous ``(size, b)`` block.
        rtol: relative residual tolerance; default ``1e-4`` in float32, ``1e-8`` in float64.
        maxiter: LOBPCG iteration cap.
        seed: seed of the random initial block when there is no warm start.
        scale: magnitude of the top eigenvalue that sets LOBPCG's absolute tolerance
            (``rtol * scale``), e.g. the previous solve's value with a warm start; by
            default the Rayleigh quotients of the start block (one block product).

    Returns:
        The eigenvalue, its relative residual and the final block.
    """
    if rtol is None:
        rtol = 1e-4 if dtype == jnp.float32 else 1e-8
    count = [0]

    b = max(1, min(block_size, size))

    def matmat(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v).reshape(size, -1)
        k = v.shape[1]
        count[0] += k
        # pad to 1 or a multiple of b columns: a handful of shapes, so the product
        # compiles once per shape; single vectors (LOBPCG's residual updates, the final
        # residual) get their own one-column product instead of a padded block
        pad = np.zeros((size, 0 if k == 1 else -k % b))
        out = block_product(jnp.asarray(np.hstack([v, pad]), dtype=dtype))
        return np.asarray(out, dtype=np.float64)[:, :k]

    if size <= 5 * b + 1:  # too small for LOBPCG: dense solve from the matvec itself
        theta = matmat(np.eye(size))
        theta = 0.5 * (theta + theta.T)
        w, v = np.linalg.eigh(theta)
        vec = v[:, -b:][:, ::-1]
        return _finish(float(w[-1]), vec, matmat, count)
    if warm_start is not None and warm_start.shape == (size, b):
        x0 = np.asarray(warm_start, dtype=np.float64)
    else:
        x0 = np.random.RandomState(seed).standard_normal((size, b))
    op = LinearOperator((size, size), matvec=matmat, matmat=matmat, dtype=np.float64)
    # absolute LOBPCG tolerance from a cheap Rayleigh-quotient scale of the start block
    q, _ = np.linalg.qr(x0)
    if scale is None:
        scale = float(np.max(np.abs(np.linalg.eigvalsh(q.T @ matmat(q)))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # non-convergence is reported via residual
        w, v = lobpcg(op, q, tol=rtol * max(scale, 1e-300), maxiter=maxiter, largest=True)
    order = np.argsort(w)[::-1]
    return _finish(float(w[order[0]]), v[:, order], matmat, count)


def _finish(value: float, vec: np.ndarray, matmat: Callable, count: list[int]) -> TopEigen:
    top = vec[:, :1] / np.linalg.norm(vec[:, 0])
    resid = np.linalg.norm(matmat(top)[:, 0] - value * top[:, 0]) / max(abs(value), 1e-300)
    return TopEigen(value=value, residual=float(resid), block=vec, matvecs=count[0])


EXPLICIT_NTK_MAX_BYTES = 4 * 2**30
"""Default memory limit of :func:`explicit_ntk` (4 GiB)."""


def explicit_ntk_bytes(apply: Apply, params: Any, x: jax.Array) -> int:
    """Estimated peak memory of :func:`explicit_ntk` in bytes.

    ``jax.jacrev`` runs one backward pass per output (``N = m k`` of them, vmapped), so
    it holds ``N`` copies of the forward pass's intermediates (every value in the
    jaxpr of ``apply``) next to the ``(N, P)`` Jacobian itself.

    Args:
        apply: the network's ``apply``.
        params: parameters.
        x: inputs ``(m, D)``.

    Returns:
        ``N * (P + intermediates) * itemsize``.
    """
    flat, _ = ravel_pytree(params)
    jaxpr = jax.make_jaxpr(apply)(params, x)
    inter = sum(int(np.prod(v.aval.shape)) for eq in jaxpr.eqns for v in eq.outvars)
    n_out = int(np.prod(jaxpr.out_avals[0].shape))
    return n_out * (int(flat.size) + inter) * flat.dtype.itemsize


def explicit_ntk(
    apply: Apply, params: Any, x: jax.Array, *, max_bytes: int = EXPLICIT_NTK_MAX_BYTES
) -> np.ndarray:
    """Reference NTK ``J J^T / m`` from an explicit Jacobian (``jax.jacrev``); small nets only.

    Args:
        apply: the network's ``apply``.
        params: parameters.
        x: inputs ``(m, D)``.
        max_bytes: refuse when :func:`explicit_ntk_bytes` exceeds this.

    Returns:
        ``Theta`` as a float64 ``(m k, m k)`` array.

    Raises:
        CatapultError: the estimated memory exceeds ``max_bytes`` (checked before any compute).
    """
    return explicit_ntk_fn(apply, params, x, max_bytes=max_bytes)(params)


def explicit_ntk_fn(
    apply: Apply, params: Any, x: jax.Array, *, max_bytes: int = EXPLICIT_NTK_MAX_BYTES
) -> Callable[[Any], np.ndarray]:
    """:func:`explicit_ntk` as a function of the parameters, compiled once for repeated use.

    The memory check runs once, here, for the shapes of ``params`` and ``x``.

    Args:
        apply: the network's ``apply``.
        params: parameters (their shapes and dtypes).
        x: inputs ``(m, D)``.
        max_bytes: refuse when :func:`explicit_ntk_bytes` exceeds this.

    Returns:
        ``ntk(params) -> Theta`` (float64 ``(m k, m k)``).

    Raises:
        CatapultError: the estimated memory exceeds ``max_bytes`` (before any compute).
    """
    need = explicit_ntk_bytes(apply, params, x)
    if need > max_bytes:
        raise CatapultError(
            f"explicit NTK would need about {need / 2**30:.3g} GiB "
            f"(limit {max_bytes / 2**30:.3g} GiB); use top_ntk_eigenvalue (matrix-free)"
        )
    _, unravel = ravel_pytree(params)
    jacobian = jax.jit(jax.jacrev(lambda p: apply(unravel(p), x).reshape(-1)))

    def ntk(p: Any) -> np.ndarray:
        j = np.asarray(jacobian(ravel_pytree(p)[0]), dtype=np.float64)
        return j @ j.T / x.shape[0]

    return ntk


def explicit_top_eigenvalue(apply: Apply, params: Any, x: jax.Array) -> float:
    """Top eigenvalue of :func:`explicit_ntk` by ``numpy.linalg.eigvalsh``."""
    return float(np.linalg.eigvalsh(explicit_ntk(apply, params, x))[-1])
