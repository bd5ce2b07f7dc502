"""Exact gradient descent on the explicit width-n parameters (moderate n).

This checks the maps at the parameter level: it never uses ``model.maps``. The
loss is the model declaration's loss, a function of inner products of the
parameter vectors; its gradient follows from the chain rule
``dL/dw = sum_s dL/ds * d<a, b>/dw`` with ``d<a, b>/da = b``. Every vector then
moves by ``-eta dL/dw`` at once, and the observed state (f, lam for uv; the Gram
entries for full) is read off the new vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from catapultlab.sim._init import state_from_gram
from catapultlab.sim._memo import memo_by_id
from catapultlab.sim._setup import Setup

__all__ = ["ExactRun", "run_exact", "gaussian_params", "uv_params_for_state"]


@dataclass(frozen=True)
class ExactRun:
    """A parameter-space GD trajectory.

    Attributes:
        states: ``(T+1, S)`` model states, step 0 first.
        losses: ``(T+1,)`` losses.
        vectors: final parameter vectors ``(p, n)`` (order of the model's vectors).
    """

    states: np.ndarray
    losses: np.ndarray
    vectors: np.ndarray


@memo_by_id
def _loss_grad(model: object) -> tuple[object, list[tuple[int, int]], object]:
    from catapultlab.theory._algebra import symbol_words
    from catapultlab.theory._derive import inner_symbols_in

    spec = model.gram.spec  # type: ignore[attr-defined]
    loss = spec.loss()
    syms = sorted(inner_symbols_in(loss), key=lambda s: s.name)
    names = list(spec.vectors)
    pairs = []
    for s in syms:
        a, b = symbol_words(s)
        pairs.append((names.index(a[-1]), names.index(b[-1])))
    args = syms + list(model.params)  # type: ignore[attr-defined]
    dloss = sp.lambdify(args, [sp.diff(loss, s) for s in syms], modules="numpy")
    floss = sp.lambdify(args, loss, modules="numpy")
    return dloss, pairs, floss


def gaussian_params(setup: Setup, n: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter vectors ``(p, n)`` with i.i.d. N(0, 1) entries."""
    return rng.standard_normal((len(setup.model.gram.spec.vectors), int(n)))


def uv_params_for_state(n: int, f0: float, lam0: float, rng: np.random.Generator) -> np.ndarray:
    """Vectors ``(u, v)`` in R^n with ``u.v / sqrt(n) = f0`` and ``(|u|^2 + |v|^2) / n = lam0``.

    ``u = a e1 + b e2``, ``v = a e1 - b e2`` for a random orthonormal pair ``(e1, e2)``,
    with ``a^2 - b^2 = sqrt(n) f0`` and ``2 (a^2 + b^2) = n lam0``: real exactly when the
    state is reachable, ``|f0| <= sqrt(n) lam0 / 2`` (checked by the caller). For
    ``n = 1`` both are multiples of the one direction. Since ``(f, lam)`` closes, every
    such pair has the same ``(f, lam)`` trajectory.

    Example:
        >>> W = uv_params_for_state(100, 1.5, 2.0, np.random.default_rng(0))
        >>> round(float(W[0] @ W[1]) / 10, 12), round(float((W**2).sum()) / 100, 12)
        (1.5, 2.0)
    """
    F, Lam = np.sqrt(n) * f0, n * lam0
    if n == 1:
        plus, minus = np.sqrt(max(Lam + 2 * F, 0.0)), np.sqrt(max(Lam - 2 * F, 0.0))
        return np.array([[(plus + minus) / 2], [(plus - minus) / 2]])
    a = np.sqrt(max((Lam / 2 + F) / 2, 0.0))
    b = np.sqrt(max((Lam / 2 - F) / 2, 0.0))
    Q, _ = np.linalg.qr(rng.standard_normal((n, 2)))
    e1, e2 = Q[:, 0], Q[:, 1]
    return np.stack([a * e1 + b * e2, a * e1 - b * e2])


def run_exact(setup: Setup, W: np.ndarray, *, eta: float, steps: int) -> ExactRun:
    """Run plain GD on explicit vectors ``W`` ``(p, n)`` for ``steps`` steps (float64).

    Args:
        setup: model and data.
        W: parameter vectors, in the order of the model declaration's vectors.
        eta: learning rate.
        steps: number of steps.

    Returns:
        The trajectory of the model state and loss.
    """
    dloss, pairs, floss = _loss_grad(setup.model)
    W = np.array(W, dtype=np.float64)
    n = W.shape[1]
    shared = list(setup.shared(n))
    states, losses = [], []

    def observe(W: np.ndarray) -> tuple[np.ndarray, float]:
        G = (W @ W.T)[None]
        ips = [G[0, i, j] for i, j in pairs]
        return state_from_gram(setup, G, n)[:, 0], float(floss(*ips, eta, *shared))

    with np.errstate(all="ignore"):
        for _ in range(steps + 1):
            s, L = observe(W)
            states.append(s)
            losses.append(L)
            if len(states) == steps + 1:
                break
            ips = [W[i] @ W[j] for i, j in pairs]
            coef = dloss(*ips, eta, *shared)
            grad = np.zeros_like(W)
            for c, (i, j) in zip(coef, pairs, strict=True):
                grad[i] += c * W[j]
                grad[j] += c * W[i]
            W = W - eta * grad
    return ExactRun(np.array(states), np.array(losses), W)
